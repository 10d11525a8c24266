//! The strict Logs Ingestion double (`tests/doubles/loganalytics.py`) as a child process: it
//! loads the generated ARM template (`config/azure/loganalytics.json`) as its contract, serves
//! the managed-identity token endpoint beside the ingestion endpoint, and answers the control
//! API the tests use to inject faults and read back what arrived.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::repo_root;

/// The identity header the double's token endpoint requires.
pub const IDENTITY_HEADER: &str = "test-identity-header-secret";

/// A running double.
pub struct LogAnalyticsDouble {
    child: Child,
    pub port: u16,
    /// Immutable ids, one per DCR of the template, in template order.
    pub dcrs: Vec<String>,
}

impl LogAnalyticsDouble {
    /// Start the double on the shipped template, with one immutable id per DCR.
    pub fn start() -> LogAnalyticsDouble {
        let template = repo_root().join("config/azure/loganalytics.json");
        let text = std::fs::read_to_string(&template).expect("read the ARM template");
        let parsed: Value = serde_json::from_str(&text).expect("the template is JSON");
        let n = parsed["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|r| r["type"] == "Microsoft.Insights/dataCollectionRules")
            .count();
        let dcrs: Vec<String> = (1..=n).map(|i| format!("dcr-{i:032x}")).collect();
        let mut cmd = Command::new(crate::python());
        cmd.arg(repo_root().join("tests/doubles/loganalytics.py"))
            .arg("--template")
            .arg(&template)
            .args(["--identity-header", IDENTITY_HEADER, "--port", "0"]);
        for d in &dcrs {
            cmd.args(["--dcr", d]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Logs Ingestion double");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the double says where it listens");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the double did not start: {line:?}"));
        LogAnalyticsDouble { child, port, dcrs }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment that points azure_identity's managed identity credential at the double.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "IDENTITY_ENDPOINT".into(),
                format!("http://127.0.0.1:{}/msi/token", self.port),
            ),
            ("IDENTITY_HEADER".into(), IDENTITY_HEADER.into()),
        ]
    }

    /// The DCR immutable id the template gives `table`'s stream.
    pub fn dcr_for(&self, table: &str) -> String {
        let groups = aad_schemas::loganalytics::dcr_groups();
        let i = groups
            .iter()
            .position(|g| g.iter().any(|t| t.name == table))
            .unwrap_or_else(|| panic!("{table} is in no DCR"));
        self.dcrs[i].clone()
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the double");
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.0 2") || head.starts_with("HTTP/1.1 2"),
            "{method} {path}: {head}"
        );
        if body.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(body).expect("JSON from the control API")
        }
    }

    /// Queue faults: `{"status": 429, "count": 3, "retry_after": 1}` and the like.
    pub fn inject(&self, fault: Value) {
        self.call("POST", "/_control/inject", Some(&fault));
    }

    /// Every request fails with `status` until [`Self::clear`].
    pub fn fail_always(&self, status: u16) {
        self.call(
            "POST",
            "/_control/fail_always",
            Some(&serde_json::json!({ "status": status })),
        );
    }

    pub fn clear(&self) {
        self.call("POST", "/_control/clear", None);
    }

    /// Every row that arrived on `stream`, in arrival order.
    pub fn rows(&self, stream: &str) -> Vec<Value> {
        match self.call("GET", &format!("/_control/rows?stream={stream}"), None) {
            Value::Array(rows) => rows,
            other => panic!("rows of {stream}: {other}"),
        }
    }

    /// One record per ingestion request: dcr, stream, rows, status, sizes, client request id.
    pub fn requests(&self) -> Vec<Value> {
        match self.call("GET", "/_control/requests", None) {
            Value::Array(r) => r,
            other => panic!("requests: {other}"),
        }
    }

    /// No request over `max_bytes` before or after gzip, every one with a client request id,
    /// and no column the DCR does not declare (the service would drop it silently).
    pub fn assert_within_limits(&self, max_bytes: u64) {
        let stats = self.stats();
        assert!(
            stats["max_body_bytes"].as_u64().unwrap() <= max_bytes,
            "{stats}"
        );
        assert!(
            stats["max_decompressed_bytes"].as_u64().unwrap() <= max_bytes,
            "{stats}"
        );
        assert_eq!(stats["missing_client_request_id"], 0, "{stats}");
        assert_eq!(
            stats["undeclared_columns"],
            serde_json::json!({}),
            "the sink sent columns the DCR does not declare: {stats}"
        );
    }

    pub fn stats(&self) -> Value {
        self.call("GET", "/_control/stats", None)
    }
}

impl Drop for LogAnalyticsDouble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the double lives (for messages).
pub fn double_path() -> PathBuf {
    repo_root().join("tests/doubles/loganalytics.py")
}
