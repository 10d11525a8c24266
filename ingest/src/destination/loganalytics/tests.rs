//! The destination against a tiny scripted HTTP server on loopback.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aad_schemas::{arrow_schema_for, Catalogue, SchemaOptions, TableId};
use arrow_array::{new_null_array, ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};

use super::*;

#[derive(Debug)]
struct FakeCredential;

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "t0ken",
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

fn answer(status: u16) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: "",
    }
}

#[derive(Debug)]
struct Recorded {
    target: String,
    headers: HashMap<String, String>,
    /// The JSON array, decompressed.
    rows: Vec<serde_json::Value>,
}

struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// Answer each request with the next scripted answer, then `default`.
fn serve(script: Vec<Answer>, default: Answer) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let recorded = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (recorded, script, default) =
                (Arc::clone(&recorded), Arc::clone(&script), default.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let target = line.split(' ').nth(1).unwrap_or("").to_string();
                    let mut headers = HashMap::new();
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap();
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                    let len: usize = headers["content-length"].parse().unwrap();
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    if headers.get("content-encoding").map(String::as_str) == Some("gzip") {
                        let mut plain = Vec::new();
                        flate2::read::GzDecoder::new(&body[..])
                            .read_to_end(&mut plain)
                            .unwrap();
                        body = plain;
                    }
                    let rows = serde_json::from_slice(&body).unwrap();
                    recorded.lock().unwrap().push(Recorded {
                        target,
                        headers,
                        rows,
                    });
                    let a = script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or(default.clone());
                    let mut out = format!(
                        "HTTP/1.1 {} Scripted\r\ncontent-length: {}\r\n",
                        a.status,
                        a.body.len()
                    );
                    for (k, v) in &a.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(a.body);
                    if writer.write_all(out.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    Server { port, requests }
}

fn signin() -> TableId {
    Catalogue::get().by_name("SigninLogs").unwrap().id
}

/// A SigninLogs batch with only positions and `_Source` set.
fn batch(seqs: &[i64], sources: &[&str]) -> RecordBatch {
    let schema = arrow_schema_for(Catalogue::get().table(signin()), SchemaOptions::default());
    let n = seqs.len();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "_SequenceNumber" => Arc::new(Int64Array::from(seqs.to_vec())) as ArrayRef,
            "_RecordIndex" => Arc::new(Int32Array::from(vec![0; n])),
            "_Source" => Arc::new(StringArray::from(sources.to_vec())),
            _ => new_null_array(f.data_type(), n),
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

struct Setup {
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    cancel: CancellationToken,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
            dir: tempfile::tempdir().unwrap(),
            cancel: CancellationToken::new(),
        }
    }

    fn destination(&self, port: u16, max_request_bytes: usize) -> LogAnalyticsDestination {
        let location = crate::store::open(self.dir.path().to_str().unwrap()).unwrap();
        LogAnalyticsDestination::new(LogAnalyticsOptions {
            name: "sentinel".into(),
            endpoint: url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap(),
            credential: Arc::new(FakeCredential),
            scope: "https://monitor.azure.com//.default".into(),
            streams: HashMap::from([(
                signin(),
                StreamTarget {
                    dcr_immutable_id: "dcr-test".into(),
                    stream: "Custom-SigninLogs".into(),
                    asim: None,
                },
            )]),
            max_concurrency: 2,
            max_request_bytes,
            request_timeout: Duration::from_secs(5),
            max_backoff: Duration::from_millis(100),
            give_up_after: Some(Duration::from_millis(300)),
            dead_letters: location.clone(),
            state: location,
            rt: self.rt.handle().clone(),
            cancel: self.cancel.clone(),
        })
    }
}

fn source() -> SourcePartition {
    SourcePartition {
        id: 0xabc,
        source: "/in/a.json".into(),
        partition: None,
        epoch: 0,
        incarnation: None,
    }
}

fn sequences(r: &Recorded) -> Vec<i64> {
    r.rows
        .iter()
        .map(|v| v["IngestSequenceNumber"].as_i64().unwrap())
        .collect()
}

#[test]
fn a_413_splits_the_body_and_both_halves_are_acked() {
    let server = serve(
        vec![Answer {
            status: 413,
            headers: vec![("x-ms-error-code", "ContentLengthLimitExceeded")],
            body: r#"{"error":{"code":"ContentLengthLimitExceeded","message":"Maximum allowed content length: 1048576 bytes (1 MB)"}}"#,
        }],
        answer(204),
    );
    let setup = Setup::new();
    let dest = setup.destination(server.port, MAX_REQUEST_BYTES);
    assert!(dest.recover(&source(), 1).unwrap().is_empty());
    let mut w = dest.open(&source(), 1).unwrap();
    let rows = batch(&[1, 2, 3, 4], &["a", "b", "c", "d"]);
    w.write(vec![(signin(), 100, rows.clone())]).unwrap();
    let report = w.close(4).unwrap();
    assert_eq!(report.rows, 4);
    assert_eq!(report.requests, 2);
    assert_eq!(report.dead_letters, 0);

    let requests = server.requests.lock().unwrap();
    assert_eq!(requests.len(), 3);
    assert_eq!(sequences(&requests[0]), [1, 2, 3, 4]);
    let mut halves = vec![sequences(&requests[1]), sequences(&requests[2])];
    halves.sort();
    assert_eq!(halves, [vec![1, 2], vec![3, 4]]);
    let r = &requests[0];
    assert_eq!(
        r.target,
        "/dataCollectionRules/dcr-test/streams/Custom-SigninLogs?api-version=2023-01-01"
    );
    assert_eq!(r.headers["authorization"], "Bearer t0ken");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["content-encoding"], "gzip");
    assert_eq!(r.rows[0]["IngestSource"], "a");
    assert!(
        r.rows[0].get("TimeGenerated").is_none(),
        "nulls are left out"
    );
    let ids: std::collections::HashSet<&String> = requests
        .iter()
        .map(|r| &r.headers["x-ms-client-request-id"])
        .collect();
    assert_eq!(ids.len(), 3, "a new client request id per attempt");
    drop(requests);

    let stats = dest.stats();
    assert_eq!(stats.requests_4xx, 1);
    assert_eq!(stats.requests_2xx, 2);
    assert_eq!(stats.splits, 1);
    assert_eq!(stats.rows_sent, 4);
    assert!(stats.bytes_gzipped > 0 && stats.bytes_sent > 0);

    // A rerun over the same input skips every row; a finished segment's records go.
    let held = dest.recover(&source(), 1).unwrap();
    assert_eq!(held.len(), 2);
    assert!(held.remove_held((signin(), 100, rows.clone())).is_none());
    assert!(held.remove_held((signin(), 101, rows)).is_some());
    let w = dest.open(&source(), 1).unwrap();
    w.close(4).unwrap();
    dest.finish(&source(), 1).unwrap();
    assert!(dest.recover(&source(), 1).unwrap().is_empty());
}

#[test]
fn a_row_refused_alone_is_dead_lettered_and_acked_as_handled() {
    let refuse = Answer {
        status: 400,
        headers: vec![("x-ms-error-code", "InvalidPayload")],
        body: r#"{"error":{"code":"InvalidPayload","message":"bad value"}}"#,
    };
    let server = serve(vec![refuse.clone(), refuse], answer(204));
    let setup = Setup::new();
    let dest = setup.destination(server.port, MAX_REQUEST_BYTES);
    dest.recover(&source(), 1).unwrap();
    let mut w = dest.open(&source(), 7).unwrap();
    w.write(vec![(signin(), 100, batch(&[7, 8], &["x", "y"]))])
        .unwrap();
    let report = w.close(8).unwrap();
    assert_eq!((report.rows, report.dead_letters), (1, 1));
    let requests = server.requests.lock().unwrap();
    assert_eq!(requests.len(), 3);
    let refused_id = requests[1].headers["x-ms-client-request-id"].clone();
    let refused_seq = sequences(&requests[1]);
    drop(requests);
    let letters = std::fs::read_to_string(
        setup
            .dir
            .path()
            .join("_deadletter/sentinel/0000000000000abc-000000000007.ndjson"),
    )
    .unwrap();
    let letter: serde_json::Value = serde_json::from_str(letters.trim()).unwrap();
    assert_eq!(letter["sequence"], refused_seq[0]);
    let reason = letter["reason"].as_str().unwrap();
    assert!(
        reason.contains("HTTP 400 InvalidPayload: bad value"),
        "{reason}"
    );
    assert!(reason.contains(&refused_id), "{reason}");
    let raw: serde_json::Value = serde_json::from_str(letter["raw"].as_str().unwrap()).unwrap();
    assert_eq!(raw["IngestSequenceNumber"], refused_seq[0]);
    // Both rows are held: one delivered, one dead-lettered.
    assert_eq!(dest.recover(&source(), 1).unwrap().len(), 2);
    assert_eq!(dest.stats().dead_letters, 1);
}

#[test]
fn a_row_over_the_request_limit_is_never_sent() {
    let server = serve(Vec::new(), answer(204));
    let setup = Setup::new();
    let dest = setup.destination(server.port, 200);
    let big = "z".repeat(300);
    let mut w = dest.open(&source(), 1).unwrap();
    w.write(vec![(signin(), 5, batch(&[1, 2, 3], &["a", &big, "c"]))])
        .unwrap();
    let report = w.close(3).unwrap();
    assert_eq!((report.rows, report.dead_letters), (2, 1));
    let requests = server.requests.lock().unwrap();
    let mut sent: Vec<Vec<i64>> = requests.iter().map(sequences).collect();
    sent.sort();
    assert_eq!(
        sent,
        [vec![1], vec![3]],
        "no body spans a dead-lettered row"
    );
    let letters = std::fs::read_to_string(
        setup
            .dir
            .path()
            .join("_deadletter/sentinel/0000000000000abc-000000000001.ndjson"),
    )
    .unwrap();
    assert!(letters.contains("over the 198 bytes"), "{letters}");
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let server = serve(
        vec![
            Answer {
                status: 429,
                headers: vec![("Retry-After", "1")],
                body: "",
            },
            answer(500),
        ],
        answer(204),
    );
    let setup = Setup::new();
    let dest = setup.destination(server.port, MAX_REQUEST_BYTES);
    let start = Instant::now();
    let mut w = dest.open(&source(), 1).unwrap();
    w.write(vec![(signin(), 5, batch(&[1], &["a"]))]).unwrap();
    let report = w.close(1).unwrap();
    assert_eq!(report.rows, 1);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    let stats = dest.stats();
    assert_eq!(
        (
            stats.throttled,
            stats.retries,
            stats.requests_5xx,
            stats.requests_2xx
        ),
        (1, 2, 1, 1)
    );
}

#[test]
fn a_missing_stream_fails_at_once_when_giving_up() {
    let server = serve(
        Vec::new(),
        Answer {
            status: 404,
            headers: vec![("x-ms-error-code", "NotFound")],
            body: r#"{"error":{"code":"NotFound","message":"Data collection rule with immutable Id 'dcr-test' not found."}}"#,
        },
    );
    let setup = Setup::new();
    let dest = setup.destination(server.port, MAX_REQUEST_BYTES);
    let mut w = dest.open(&source(), 1).unwrap();
    w.write(vec![(signin(), 5, batch(&[1, 2], &["a", "b"]))])
        .unwrap();
    let e = w.close(2).unwrap_err().to_string();
    assert!(
        e.contains("Custom-SigninLogs") && e.contains("dcr-test"),
        "{e}"
    );
    assert_eq!(server.requests.lock().unwrap().len(), 1, "no bisecting");
    assert!(dest.recover(&source(), 1).unwrap().is_empty());
}

#[test]
fn refused_credentials_hold_everything_until_giving_up() {
    let server = serve(Vec::new(), answer(403));
    let setup = Setup::new();
    let dest = setup.destination(server.port, MAX_REQUEST_BYTES);
    let start = Instant::now();
    let mut w = dest.open(&source(), 1).unwrap();
    w.write(vec![(signin(), 5, batch(&[1], &["a"]))]).unwrap();
    let e = w.close(1).unwrap_err().to_string();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(e.contains("30 minutes"), "{e}");
    assert!(server.requests.lock().unwrap().len() >= 2, "retried");
    assert!(dest.recover(&source(), 1).unwrap().is_empty());
}

#[test]
fn cancelling_stops_the_retries() {
    let server = serve(Vec::new(), answer(500));
    let setup = Setup::new();
    let dest = setup.destination(server.port, MAX_REQUEST_BYTES);
    let mut w = dest.open(&source(), 1).unwrap();
    w.write(vec![(signin(), 5, batch(&[1], &["a"]))]).unwrap();
    let cancel = setup.cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel();
    });
    let e = w.close(1).unwrap_err().to_string();
    assert_eq!(e, "stopping");
    assert!(dest.open(&source(), 2).unwrap().write(Vec::new()).is_err());
}

#[test]
fn stream_urls_keep_the_endpoint_path() {
    let u = stream_url(
        &url::Url::parse("https://dce-1.eastus-1.ingest.monitor.azure.com").unwrap(),
        "dcr-00a",
        "Custom-SigninLogs",
    );
    assert_eq!(
        u.as_str(),
        "https://dce-1.eastus-1.ingest.monitor.azure.com/dataCollectionRules/dcr-00a/streams/Custom-SigninLogs?api-version=2023-01-01"
    );
    let u = stream_url(
        &url::Url::parse("http://127.0.0.1:9/base/").unwrap(),
        "d",
        "s",
    );
    assert_eq!(
        u.as_str(),
        "http://127.0.0.1:9/base/dataCollectionRules/d/streams/s?api-version=2023-01-01"
    );
}
