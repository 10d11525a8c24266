//! A real Prometheus server (Debian's `prometheus` package, installed by the test command)
//! scraping the service every second, queried through its HTTP API.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use simd_json::prelude::*;

use crate::http_get;

pub struct Prometheus {
    child: Child,
    pub address: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Start it scraping `target` (`host:port` of `/metrics`); panics when it cannot start.
    pub fn start(target: &str) -> Prometheus {
        let bin = std::env::var("AAD_PROMETHEUS").unwrap_or_else(|_| "prometheus".into());
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: aad-ingest\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin} (scripts/test installs Debian's prometheus): {e}")
            });
        let p = Prometheus {
            child,
            address,
            _dir: dir,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(&p.address).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "prometheus did not listen on {}: {}",
                p.address,
                p.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        p
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query: each series' labels and value.
    pub fn query(&self, promql: &str) -> Vec<(Vec<(String, String)>, f64)> {
        let (status, body) = http_get(
            &self.address,
            &format!("/api/v1/query?query={}", percent_encode(promql)),
        );
        assert_eq!(status, 200, "{promql}: {body}");
        let mut bytes = body.into_bytes();
        let v = simd_json::to_owned_value(&mut bytes).unwrap();
        let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
        result
            .iter()
            .map(|s| {
                let labels = s["metric"]
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.to_string(), v.as_str().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let value = s["value"][1].as_str().unwrap().parse::<f64>().unwrap();
                (labels, value)
            })
            .collect()
    }

    /// The value of a query that yields one series (0 when none).
    pub fn scalar(&self, promql: &str) -> f64 {
        let r = self.query(promql);
        assert!(r.len() <= 1, "{promql} gave {} series: {r:?}", r.len());
        r.first().map_or(0.0, |(_, v)| *v)
    }

    /// Wait until Prometheus has scraped the target at least once after `since`.
    pub fn wait_for_scrape(&self, within: Duration) {
        let start = Instant::now();
        while self.scalar("up") != 1.0 {
            assert!(
                start.elapsed() < within,
                "prometheus never scraped the service: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `promtool check metrics` on an exposition: its complaints (empty when clean).
pub fn promtool_check_metrics(exposition: &str, work: &Path) -> String {
    let file = work.join("exposition.prom");
    std::fs::write(&file, exposition).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("promtool check metrics < '{}'", file.display()))
        .output()
        .expect("promtool (scripts/test installs Debian's prometheus)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The samples of one metric family in an exposition (the service's `/metrics` text): its label
/// set as written (`{reason="idle"}`, or empty) → value.
pub fn series(exposition: &str, name: &str) -> std::collections::BTreeMap<String, f64> {
    exposition
        .lines()
        .filter_map(|l| l.strip_prefix(name))
        .filter(|rest| rest.starts_with(['{', ' ']))
        .filter_map(|rest| {
            let (labels, value) = rest.rsplit_once(' ')?;
            Some((labels.trim().to_string(), value.parse().ok()?))
        })
        .collect()
}
