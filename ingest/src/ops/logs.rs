//! Logs: `tracing` to stderr, human text on a terminal and JSON lines otherwise (or as asked);
//! every line passes through [`redact`] before it is written, so a secret inside an error of
//! the Azure crates, a URL with a SAS signature or a pasted connection string never reaches
//! the log. Each call site may write a burst of lines a minute; past that its lines are
//! counted, not written, and a line says how many were left out, so an outage (every partition
//! retrying every few seconds) does not flood the log.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use regex::Regex;
use tracing::callsite::Identifier;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON lines otherwise.
    #[default]
    Auto,
    Text,
    Json,
}

/// Lines one call site may write per [`WINDOW`] ...
const BURST: u32 = 20;
/// ... in this window.
const WINDOW: Duration = Duration::from_secs(60);

/// Install the subscriber: `AAD_LOG` (an `EnvFilter`) or `default_filter`, in `format`.
pub fn init(format: LogFormat, default_filter: &str) {
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AAD_LOG")
        .unwrap_or_else(|_| default_filter.into());
    let limit = tracing_subscriber::filter::filter_fn(move |meta| allow(meta.callsite(), json));
    let layer = tracing_subscriber::fmt::layer().with_writer(RedactingWriter::default);
    let layer = if json {
        layer.json().flatten_event(true).boxed()
    } else {
        layer.with_ansi(std::io::stderr().is_terminal()).boxed()
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(limit).with_filter(filter))
        .init();
}

/// Per key (a call site), at most [`BURST`] lines a [`WINDOW`]; what it left out is told when
/// the next window opens.
struct Limiter<K> {
    /// Per key: when its window started, lines written and lines left out.
    windows: HashMap<K, (Instant, u32, u64)>,
}

impl<K> Default for Limiter<K> {
    fn default() -> Self {
        Limiter {
            windows: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq> Limiter<K> {
    /// Whether a line of `key` may be written at `now`, and how many of its lines the window
    /// that just closed left out (to be said first).
    fn allow(&mut self, key: K, now: Instant) -> (bool, u64) {
        let (start, written, left_out) = self.windows.entry(key).or_insert((now, 0, 0));
        let mut told = 0;
        if now.duration_since(*start) >= WINDOW {
            told = *left_out;
            (*start, *written, *left_out) = (now, 0, 0);
        }
        if *written < BURST {
            *written += 1;
            (true, told)
        } else {
            *left_out += 1;
            (false, told)
        }
    }
}

static LIMITS: OnceLock<Mutex<Limiter<Identifier>>> = OnceLock::new();

fn allow(callsite: Identifier, json: bool) -> bool {
    let (allowed, left_out) = LIMITS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .allow(callsite, Instant::now());
    if left_out > 0 {
        suppressed_line(left_out, json);
    }
    if !allowed {
        metrics::counter!(super::metrics::LOG_LINES_SUPPRESSED).increment(1);
    }
    allowed
}

/// Say how many lines of the line that follows were left out.
fn suppressed_line(n: u64, json: bool) {
    let text = format!("{n} more lines like the next were left out in the last minute");
    let line = if json {
        format!("{{\"level\":\"INFO\",\"message\":{:?}}}\n", text)
    } else {
        format!(" INFO aad_ingest: {text}\n")
    };
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Writes one formatted line to stderr, redacted.
#[derive(Default)]
struct RedactingWriter {
    line: Vec<u8>,
}

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let _ = std::io::stderr().write_all(redact(&text).as_bytes());
    }
}

/// Values this process read as secrets (from the environment variables the config names):
/// removed from every line wherever they appear, whatever their shape.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remember a secret's value so that [`redact`] removes it. Short values are not taken (they
/// would blank ordinary words); the patterns cover the usual shapes anyway.
pub fn register_secret(value: &str) {
    let value = value.trim();
    if value.len() < 8 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_string());
        // Longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Names of environment variables that hold secrets by convention (the storage crates read
/// `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_SAS_KEY`, `AWS_SECRET_ACCESS_KEY`, …; the config
/// names others, such as `EVENTHUB_CONNECTION_STRING`).
fn holds_a_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "KEY",
        "SECRET",
        "TOKEN",
        "PASSWORD",
        "SAS",
        "CONNECTION_STRING",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Remember the values of every variable in the environment that holds a secret by its name.
pub fn register_secrets_from_env() {
    for (name, value) in std::env::vars() {
        if holds_a_secret(&name) {
            register_secret(&value);
        }
    }
}

/// What stands for a removed secret.
pub const REDACTED: &str = "<redacted>";

/// The shapes secrets take in this tool's world: connection-string keys and signatures, SAS
/// query parameters, bearer tokens and JWTs, Entra client secrets, account keys.
fn patterns() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            // Connection strings: `SharedAccessKey=…;`, `AccountKey=…`, `SharedAccessSignature=…`.
            r"(?i)((?:SharedAccessKey|AccountKey|SharedAccessSignature|ClientSecret|client_secret|Password)\s*[=:]\s*)[^;\s,&]+",
            // A SAS token given whole (`SharedAccessSignature sr=…&sig=…&se=…&skn=…`).
            r"|(SharedAccessSignature\s+)\S+",
            // SAS query parameters of a storage or service bus URL.
            r"|((?:[?&]|\b)sig=)[^&\s;]+",
            // Authorization headers.
            r"|((?:Bearer|Basic)\s+)[A-Za-z0-9\-._~+/]+=*",
            // JWTs anywhere.
            r"|()eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
            // Entra client secrets (`abc8Q~…`, 40 characters).
            r"|()\b[A-Za-z0-9_\-.]{3}\dQ~[A-Za-z0-9_\-.~]{30,}",
        ))
        .expect("the secret patterns compile")
    })
}

/// `text` with every registered secret and every secret-shaped part replaced by
/// [`REDACTED`] (the key before it stays, so the line still says what was there).
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), REDACTED));
            }
        }
    }
    let re = patterns();
    if re.is_match(&out) {
        let replaced = re
            .replace_all(&out, |c: &regex::Captures| {
                let keep = (1..c.len())
                    .filter_map(|i| c.get(i))
                    .map(|m| m.as_str())
                    .collect::<String>();
                format!("{keep}{REDACTED}")
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_site_writes_a_burst_a_minute_then_says_what_it_left_out() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        let allowed = (0..50).filter(|_| limiter.allow("retrying", t0).0).count();
        assert_eq!(allowed, BURST as usize);
        assert_eq!(limiter.allow("other call site", t0), (true, 0));
        let later = t0 + WINDOW;
        assert_eq!(limiter.allow("retrying", later), (true, 50 - BURST as u64));
        assert_eq!(limiter.allow("retrying", later), (true, 0));
    }

    #[test]
    fn connection_strings_sas_tokens_and_bearer_tokens_are_redacted() {
        let cases = [
            (
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=c2VjcmV0a2V5MTIzNDU2Nzg5MA==;EntityPath=entra",
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=<redacted>;EntityPath=entra",
            ),
            (
                "https://acct.blob.core.windows.net/lake?sv=2022-11-02&ss=b&sig=abc%2Bdef%3D&se=2026",
                "https://acct.blob.core.windows.net/lake?sv=2022-11-02&ss=b&sig=<redacted>&se=2026",
            ),
            (
                "token SharedAccessSignature sr=sb%3a%2f%2fns&sig=xyz&se=1&skn=k refused",
                "token SharedAccessSignature <redacted> refused",
            ),
            (
                "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2ln",
                "Authorization: Bearer <redacted>",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=<redacted>;",
            ),
            (
                "secret abc8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 was refused",
                "secret <redacted> was refused",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
        let plain = "partition 3 committed 120 rows at sequence 42";
        assert!(matches!(redact(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn a_registered_secret_is_removed_whatever_its_shape() {
        register_secret("plain-looking-value-42");
        assert_eq!(
            redact("config value plain-looking-value-42 is wrong"),
            "config value <redacted> is wrong"
        );
        register_secret("short");
        assert_eq!(redact("a short word"), "a short word");
    }
}
