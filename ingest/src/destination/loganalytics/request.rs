//! One request to the Logs Ingestion API: sending it, classifying the answer, and the retry
//! policy around it.
//!
//! | Answer | Class | What happens |
//! |---|---|---|
//! | 2xx | [`Class::Ack`] | the body is acknowledged |
//! | 429, 503 | [`Class::Throttled`] | wait `Retry-After` (seconds or an HTTP date; `retry-after-ms` too) in full, up to 5 minutes, for every request of the destination; retry; never gives up |
//! | other 5xx, 408, timeouts, connection errors | [`Class::Transient`] | exponential backoff with full jitter up to `max_backoff`; retry until cancelled |
//! | 413; 400 not naming the stream, DCR or schema; other 4xx | [`Class::Payload`] | split the body in half and send both; a single row still refused goes to the dead letter |
//! | 404; 400 naming the stream, DCR or schema; 405, 414; 1xx/3xx | [`Class::Config`] | bisecting cannot help: fail at once (`give_up_after` set) or retry every `max_backoff`, logging once a minute |
//! | 401, 403, no token | [`Class::Auth`] | nothing acked; log once a minute; retry with backoff; fail after `give_up_after` from the first such answer |

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::encode::Body;
use super::{Route, Shared};

/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What an answer means for the body that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Accepted.
    Ack,
    /// 429 / 503: wait as told, then again.
    Throttled,
    /// 5xx, a timeout or a broken connection: back off and retry.
    Transient,
    /// The service refuses this body: split it, and dead-letter a single row.
    Payload,
    /// Wrong endpoint, DCR, stream or schema: no body can succeed.
    Config,
    /// 401 / 403: the identity is not (yet) allowed.
    Auth,
}

/// Words that make a 400 a configuration error rather than a fault of the payload.
const CONFIG_WORDS: &[&str] = &[
    "stream",
    "datacollectionrule",
    "data collection rule",
    "dcr",
    "schema",
    "notfound",
    "not found",
    "api-version",
    "apiversion",
];

/// Classify an answer from its status, `x-ms-error-code` and the error message of its body.
pub fn classify(status: u16, error_code: Option<&str>, message: &str) -> Class {
    match status {
        200..=299 => Class::Ack,
        429 | 503 => Class::Throttled,
        401 | 403 => Class::Auth,
        408 => Class::Transient,
        404 | 405 | 414 => Class::Config,
        400 => {
            let code = error_code.unwrap_or("").to_ascii_lowercase();
            let message = message.to_ascii_lowercase();
            if CONFIG_WORDS
                .iter()
                .any(|w| code.contains(w) || message.contains(w))
            {
                Class::Config
            } else {
                Class::Payload
            }
        }
        402..=499 => Class::Payload,
        500..=599 => Class::Transient,
        _ => Class::Config,
    }
}

/// The error code and message of an answer: `x-ms-error-code` (else `error.code` of the body)
/// and `error.message` (else the body's text, shortened).
pub fn error_info(header_code: Option<&str>, body: &[u8]) -> (Option<String>, String) {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let code = header_code
        .map(str::to_string)
        .or_else(|| error?.get("code")?.as_str().map(str::to_string));
    let message = match error
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
    {
        Some(m) => m.to_string(),
        None => {
            let text = String::from_utf8_lossy(body);
            super::encode::cut_utf8(text.trim(), 500).to_string()
        }
    };
    (code, message)
}

/// How long a `Retry-After` value (delay seconds, or an HTTP date) says to wait, capped at
/// [`MAX_RETRY_AFTER`]; `None` when it does not parse.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64()))
    } else {
        let at = parse_http_date(value)?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// An HTTP date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) or asctime (`Sun Nov  6 08:49:37 1994`).
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mut month = None;
    let mut time = None;
    let mut numbers = Vec::new();
    for token in value.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        if token.contains(':') {
            let mut parts = token.split(':').map(|p| p.parse::<u32>().ok());
            let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
            if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
                return None;
            }
            time = Some((h, m, s));
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push((token.parse::<i64>().ok()?, token.len()));
        } else if let Some(i) = MONTHS.iter().position(|m| token.eq_ignore_ascii_case(m)) {
            month = Some(i as u32 + 1);
        } else if !token.eq_ignore_ascii_case("GMT") && !token.eq_ignore_ascii_case("UTC") {
            // A weekday: any alphabetic token.
            if !token.bytes().all(|b| b.is_ascii_alphabetic()) {
                return None;
            }
        }
    }
    let (month, (h, m, s)) = (month?, time?);
    let [(day, _), (year, year_digits)] = numbers[..] else {
        return None;
    };
    let year = match year_digits {
        2 if year >= 70 => 1900 + year,
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = aad_schemas::time::days_from_civil(year, month, day as u32);
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + s);
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// A small xorshift generator for jitter, seeded from the clock and a counter.
pub struct Jitter(u64);

impl Default for Jitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Jitter {
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Jitter((nanos ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }

    /// A value in `0..=n`.
    pub fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        if n == u64::MAX {
            x
        } else {
            x % (n + 1)
        }
    }
}

/// Exponential backoff with full jitter: attempt `n` waits a random time up to
/// `min(max, BASE × 2ⁿ)`, at least [`Backoff::FLOOR`].
pub struct Backoff {
    attempt: u32,
    max: Duration,
    jitter: Jitter,
}

impl Backoff {
    const BASE: Duration = Duration::from_millis(500);
    const FLOOR: Duration = Duration::from_millis(50);

    pub fn new(max: Duration) -> Self {
        Backoff {
            attempt: 0,
            max: max.max(Self::FLOOR),
            jitter: Jitter::new(),
        }
    }

    /// The ceiling of the next wait (before jitter).
    pub fn ceiling(&self) -> Duration {
        Self::BASE
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max)
    }

    pub fn next_wait(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let ms = self.jitter.below(ceiling.as_millis() as u64);
        Duration::from_millis(ms).max(Self::FLOOR)
    }
}

/// How one body's delivery ended.
#[derive(Debug)]
pub enum Delivery {
    Acked,
    /// A payload fault: the body should be split (or its row dead-lettered).
    Refused(Refusal),
    /// A configuration or auth failure past `give_up_after`.
    Failed(anyhow::Error),
    /// Cancelled.
    Stopped,
}

/// Why the service refused a body.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
    pub request_id: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HTTP {} {}: {} (x-ms-client-request-id {})",
            self.status,
            self.code.as_deref().unwrap_or("-"),
            self.message,
            self.request_id
        )
    }
}

/// One attempt's answer.
struct Answer {
    /// 0 when no HTTP answer came (timeout, connection error, no token).
    status: u16,
    class: Class,
    code: Option<String>,
    message: String,
    retry_after: Option<Duration>,
}

/// Send `body` (already gzipped as `gz`, or plain when gzip did not help) until it is acked,
/// refused as a payload fault, or the policy gives up.
pub(super) async fn deliver(
    shared: &Arc<Shared>,
    route: &Route,
    body: &Body,
    payload: &Payload,
    cancel: &tokio_util::sync::CancellationToken,
) -> Delivery {
    let name = &shared.name;
    let mut backoff = Backoff::new(shared.max_backoff);
    let mut first_attempt = true;
    loop {
        if cancel.is_cancelled() {
            return Delivery::Stopped;
        }
        if !first_attempt {
            shared.stats.retries.fetch_add(1, Ordering::Relaxed);
            crate::ops::metrics::destination_retry(&shared.name);
        }
        first_attempt = false;
        // Every request of the destination waits out a throttle.
        let pause = shared.throttled_until();
        if let Some(until) = pause {
            if !sleep_until(until, cancel).await {
                return Delivery::Stopped;
            }
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let answer = {
            let permit = tokio::select! {
                p = shared.in_flight.acquire() => p.expect("never closed"),
                _ = cancel.cancelled() => return Delivery::Stopped,
            };
            let sent = Instant::now();
            let answer = tokio::select! {
                a = attempt(shared, route, payload, &request_id) => a,
                _ = cancel.cancelled() => return Delivery::Stopped,
            };
            drop(permit);
            crate::ops::metrics::destination_request(&shared.name, answer.status, sent.elapsed());
            answer
        };
        shared.stats.count_status(answer.status);
        let code = answer.code.as_deref().unwrap_or("-");
        *shared.failing.lock().unwrap() = match answer.class {
            Class::Ack => None,
            _ if answer.status == 0 => Some(format!("no answer, retrying: {}", answer.message)),
            _ => Some(format!("HTTP {} {code}, retrying", answer.status)),
        };
        let stream = route.stream.as_str();
        let wait = match answer.class {
            Class::Ack => {
                shared.auth_ok();
                return Delivery::Acked;
            }
            Class::Payload => {
                return Delivery::Refused(Refusal {
                    status: answer.status,
                    code: answer.code,
                    message: answer.message,
                    request_id,
                });
            }
            Class::Throttled => {
                shared.stats.throttled.fetch_add(1, Ordering::Relaxed);
                let wait = answer.retry_after.unwrap_or_else(|| backoff.next_wait());
                shared.throttle_for(wait);
                if shared.log_allowed(&format!("throttled/{stream}"), Duration::from_secs(10)) {
                    tracing::warn!(destination = %name, stream, status = answer.status, error_code = code, client_request_id = %request_id, wait_ms = wait.as_millis() as u64, "Log Analytics is throttling; waiting as told");
                }
                wait
            }
            Class::Transient => {
                let wait = backoff.next_wait();
                if shared.log_allowed(&format!("transient/{stream}"), Duration::from_secs(10)) {
                    tracing::warn!(destination = %name, stream, status = answer.status, error_code = code, client_request_id = %request_id, error = %answer.message, rows = body.rows(), wait_ms = wait.as_millis() as u64, "Log Analytics request failed; retrying");
                } else {
                    tracing::debug!(destination = %name, stream, status = answer.status, error_code = code, client_request_id = %request_id, error = %answer.message, "Log Analytics request failed; retrying");
                }
                wait
            }
            Class::Config => {
                let fatal = shared.give_up_after.is_some();
                if fatal || shared.log_allowed(&format!("config/{stream}"), Duration::from_secs(60))
                {
                    tracing::error!(destination = %name, stream, dcr = %route.dcr, status = answer.status, error_code = code, client_request_id = %request_id, error = %answer.message, "Log Analytics refuses the stream or its data collection rule: check the DCR immutable id, the stream name and its columns; splitting the request cannot fix this");
                }
                if fatal {
                    return Delivery::Failed(anyhow::anyhow!(
                        "{name}: Log Analytics refused stream {stream} of DCR {}: HTTP {} {code}: {} (x-ms-client-request-id {request_id})",
                        route.dcr,
                        answer.status,
                        answer.message
                    ));
                }
                shared.max_backoff
            }
            Class::Auth => {
                let since = shared.auth_failing_since();
                if shared.log_allowed("auth", Duration::from_secs(60)) {
                    tracing::error!(destination = %name, stream, dcr = %route.dcr, status = answer.status, error_code = code, client_request_id = %request_id, error = %answer.message, failing_for_s = since.elapsed().as_secs(), "Log Analytics refuses this identity: it needs the Monitoring Metrics Publisher role on the data collection rule; role assignments take up to 30 minutes to apply; the checkpoint is held");
                }
                let mut wait = backoff.next_wait();
                if let Some(limit) = shared.give_up_after {
                    let elapsed = since.elapsed();
                    if elapsed >= limit {
                        return Delivery::Failed(anyhow::anyhow!(
                            "{name}: Log Analytics refused the identity for {}s (stream {stream}, DCR {}): HTTP {} {code}: {} (x-ms-client-request-id {request_id}); role assignments take up to 30 minutes to apply",
                            elapsed.as_secs(),
                            route.dcr,
                            answer.status,
                            answer.message
                        ));
                    }
                    wait = wait.min(limit - elapsed).max(Duration::from_millis(10));
                }
                wait
            }
        };
        if !sleep_until(Instant::now() + wait, cancel).await {
            return Delivery::Stopped;
        }
    }
}

/// Sleep until `until`; false when cancelled first.
async fn sleep_until(until: Instant, cancel: &tokio_util::sync::CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep_until(until.into()) => true,
        _ = cancel.cancelled() => false,
    }
}

/// A body as it goes on the wire.
pub struct Payload {
    pub bytes: Bytes,
    pub gzipped: bool,
    /// The JSON's length before compression.
    pub json_len: usize,
}

impl Payload {
    /// Gzip `body`; send it plain in the (pathological) case that gzip makes it bigger than
    /// the limit — its JSON is within the limit already.
    pub fn of(body: &Body, max: usize) -> Payload {
        let gz = body.gzip();
        if gz.len() <= max {
            Payload {
                bytes: Bytes::from(gz),
                gzipped: true,
                json_len: body.json_len(),
            }
        } else {
            Payload {
                bytes: Bytes::from(body.render()),
                gzipped: false,
                json_len: body.json_len(),
            }
        }
    }
}

/// One request and its answer, classified.
async fn attempt(shared: &Shared, route: &Route, payload: &Payload, request_id: &str) -> Answer {
    let token = match shared
        .credential
        .get_token(&[shared.scope.as_str()], None)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            return Answer {
                status: 0,
                class: Class::Auth,
                code: None,
                message: format!("no token for {}: {e}", shared.scope),
                retry_after: None,
            }
        }
    };
    let Some(client) = &shared.client else {
        return Answer {
            status: 0,
            class: Class::Config,
            code: None,
            message: "the HTTP client could not be built".into(),
            retry_after: None,
        };
    };
    let mut request = client
        .post(route.url.clone())
        .header("Authorization", format!("Bearer {}", token.token.secret()))
        .header("Content-Type", "application/json")
        .header("x-ms-client-request-id", request_id)
        .body(payload.bytes.clone());
    if payload.gzipped {
        request = request.header("Content-Encoding", "gzip");
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "failed"
            };
            return Answer {
                status: 0,
                class: Class::Transient,
                code: None,
                // Without the URL: it is the endpoint, but keep messages short.
                message: format!("request {kind}: {}", e.without_url()),
                retry_after: None,
            };
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let header_code = header("x-ms-error-code").map(str::to_string);
    let retry_after = header("retry-after-ms")
        .or_else(|| header("x-ms-retry-after-ms"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms).min(MAX_RETRY_AFTER))
        .or_else(|| header("retry-after").and_then(|v| parse_retry_after(v, SystemTime::now())));
    if (200..300).contains(&status) {
        return Answer {
            status,
            class: Class::Ack,
            code: None,
            message: String::new(),
            retry_after: None,
        };
    }
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => Bytes::from(format!("(the answer's body could not be read: {e})")),
    };
    let (code, message) = error_info(header_code.as_deref(), &body);
    Answer {
        status,
        class: classify(status, code.as_deref(), &message),
        code,
        message,
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        use Class::*;
        let cases: &[(u16, Option<&str>, &str, Class)] = &[
            (200, None, "", Ack),
            (204, None, "", Ack),
            (429, Some("TooManyRequests"), "", Throttled),
            (503, None, "", Throttled),
            (500, None, "", Transient),
            (502, None, "", Transient),
            (504, None, "", Transient),
            (408, None, "", Transient),
            (401, Some("InvalidToken"), "", Auth),
            (403, Some("OperationFailed"), "The authentication token provided does not have access to ingest data for the data collection rule with immutable Id 'dcr-1'", Auth),
            (413, Some("ContentLengthLimitExceeded"), "Maximum allowed content length: 1048576 bytes (1 MB)", Payload),
            (400, Some("ContentLengthLimitExceeded"), "Maximum allowed content length", Payload),
            (400, Some("InvalidPayload"), "The request body is not a valid JSON array", Payload),
            (400, None, "", Payload),
            (400, Some("RecordsTimeRangeIsMoreThan30Minutes"), "", Payload),
            (400, Some("InvalidStream"), "", Config),
            (400, Some("BadRequest"), "Stream 'Custom-X' is not declared in the data collection rule", Config),
            (400, Some("InvalidDataCollectionRule"), "", Config),
            (400, None, "Data collection rule dcr-0a1b not found", Config),
            (400, Some("InvalidSchema"), "", Config),
            (400, Some("BadRequest"), "DCR dcr-1 has no such input", Config),
            (400, None, "The api-version '2020-01-01' is not supported", Config),
            (404, Some("NotFound"), "", Config),
            (405, None, "", Config),
            (409, None, "", Payload),
            (422, None, "", Payload),
            (302, None, "", Config),
        ];
        for &(status, code, message, want) in cases {
            assert_eq!(
                classify(status, code, message),
                want,
                "{status} {code:?} {message:?}"
            );
        }
    }

    #[test]
    fn error_info_reads_header_then_body() {
        let body = br#"{"error":{"code":"InvalidStream","message":"Stream 'Custom-X' not found"}}"#;
        assert_eq!(
            error_info(None, body),
            (
                Some("InvalidStream".into()),
                "Stream 'Custom-X' not found".into()
            )
        );
        assert_eq!(error_info(Some("Hdr"), body).0.as_deref(), Some("Hdr"));
        assert_eq!(
            error_info(None, b"  Payload Too Large \n"),
            (None, "Payload Too Large".into())
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:38 1994", now),
            Some(Duration::from_secs(1))
        );
        // In the past: retry now. Far ahead: capped.
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 25:00:00 GMT", now),
            None
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_438_400))
        );
    }

    #[test]
    fn backoff_grows_with_full_jitter_up_to_the_cap() {
        let mut b = Backoff::new(Duration::from_secs(8));
        let ceilings: Vec<u64> = (0..7)
            .map(|_| {
                let c = b.ceiling();
                let w = b.next_wait();
                assert!(w <= c.max(Backoff::FLOOR), "{w:?} > {c:?}");
                assert!(w >= Backoff::FLOOR);
                c.as_millis() as u64
            })
            .collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        // Jitter spreads the waits.
        let mut j = Jitter::new();
        let draws: std::collections::HashSet<u64> = (0..100).map(|_| j.below(1000)).collect();
        assert!(draws.len() > 50);
        assert!(draws.iter().all(|&d| d <= 1000));
    }
}
