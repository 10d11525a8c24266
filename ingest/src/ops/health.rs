//! Liveness and readiness. Live while the process answers. Ready once a load-balancing round
//! finished (owning no partition is fine: more replicas than partitions is normal) and every
//! destination accepted a write or a probe; not ready while a destination fails, while the
//! processor restarts, or once the service stops (turned off first, before anything else).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use metrics::gauge;

use super::metrics::{DESTINATION_UP, READY};

/// A destination's last answer.
#[derive(Debug, Clone)]
struct Answer {
    outcome: Result<(), String>,
    from: From,
}

/// Where an answer came from. A failed write is retried by its commit, whose success says
/// the destination is back; a failed probe only by probing again; a trouble the destination
/// reports while it retries inside a write, by its report ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    Write,
    Probe,
    Trouble,
}

/// What `/readyz` reports.
pub struct Health {
    balanced: AtomicBool,
    stopping: AtomicBool,
    /// Per destination (in plan order): its name, and `None` until it answered, then whether
    /// its last write or probe succeeded (with why not).
    destinations: Mutex<Vec<(String, Option<Answer>)>>,
}

impl Health {
    pub fn new(destinations: impl IntoIterator<Item = String>) -> Health {
        let destinations: Vec<_> = destinations.into_iter().map(|d| (d, None)).collect();
        for (name, _) in &destinations {
            gauge!(DESTINATION_UP, "destination" => name.clone()).set(0.0);
            super::metrics::destination(name);
        }
        let h = Health {
            balanced: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            destinations: Mutex::new(destinations),
        };
        h.publish();
        h
    }

    /// The processor finished a load-balancing round (`true`), or its session ended (`false`).
    pub fn set_balanced(&self, balanced: bool) {
        if self.balanced.swap(balanced, Ordering::Relaxed) != balanced {
            self.publish();
        }
    }

    /// The service stops: not ready from now on.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.publish();
    }

    /// Destination `i` took a segment's write (`Ok`), or failed it (`Err(why)`).
    pub fn destination(&self, i: usize, outcome: Result<(), String>) {
        self.answer(i, outcome, From::Write)
    }

    /// Destination `i` reports a trouble while it retries inside a write (`Some`), or none.
    pub fn trouble(&self, i: usize, trouble: Option<String>) {
        let failing_by_trouble = {
            let ds = self.destinations.lock().unwrap_or_else(|e| e.into_inner());
            ds.get(i)
                .and_then(|(_, s)| s.as_ref())
                .is_some_and(|a| a.from == From::Trouble && a.outcome.is_err())
        };
        match trouble {
            Some(why) => self.answer(i, Err(why), From::Trouble),
            None if failing_by_trouble => self.answer(i, Ok(()), From::Trouble),
            None => {}
        }
    }

    /// Destination `i` answered a probe.
    pub fn probed(&self, i: usize, outcome: Result<(), String>) {
        self.answer(i, outcome, From::Probe)
    }

    /// Does destination `i` need a probe: it never answered, or its last probe failed?
    pub fn needs_probe(&self, i: usize) -> bool {
        let ds = self.destinations.lock().unwrap_or_else(|e| e.into_inner());
        ds.get(i).is_some_and(|(_, s)| match s {
            None => true,
            Some(a) => a.from == From::Probe && a.outcome.is_err(),
        })
    }

    fn answer(&self, i: usize, outcome: Result<(), String>, from: From) {
        let up = outcome.is_ok();
        let outcome = outcome.map_err(|e| super::logs::redact(&e).into_owned());
        {
            let mut ds = self.destinations.lock().unwrap_or_else(|e| e.into_inner());
            let Some((name, state)) = ds.get_mut(i) else {
                return;
            };
            gauge!(DESTINATION_UP, "destination" => name.clone()).set(if up { 1.0 } else { 0.0 });
            *state = Some(Answer { outcome, from });
        }
        self.publish();
    }

    /// `Ok` when ready, else every reason why not.
    pub fn ready(&self) -> Result<(), Vec<String>> {
        let mut why = Vec::new();
        if self.stopping.load(Ordering::Relaxed) {
            why.push("stopping".to_string());
        }
        if !self.balanced.load(Ordering::Relaxed) {
            why.push("no load-balancing round finished yet".to_string());
        }
        let ds = self.destinations.lock().unwrap_or_else(|e| e.into_inner());
        for (name, state) in ds.iter() {
            match state.as_ref().map(|a| &a.outcome) {
                None => why.push(format!(
                    "destination {name}: no write or probe answered yet"
                )),
                Some(Err(e)) => why.push(format!("destination {name}: failing: {e}")),
                Some(Ok(())) => {}
            }
        }
        if why.is_empty() {
            Ok(())
        } else {
            Err(why)
        }
    }

    /// Keep the `ready` gauge in step with `/readyz`.
    fn publish(&self) {
        gauge!(READY).set(if self.ready().is_ok() { 1.0 } else { 0.0 });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_needs_a_round_and_every_destination_and_not_stopping() {
        let h = Health::new(["lake".to_string(), "sentinel".to_string()]);
        assert_eq!(h.ready().unwrap_err().len(), 3);
        h.set_balanced(true);
        h.probed(0, Ok(()));
        assert!(!h.needs_probe(0) && h.needs_probe(1));
        let why = h.ready().unwrap_err();
        assert_eq!(
            why,
            ["destination sentinel: no write or probe answered yet"]
        );
        h.destination(1, Err("HTTP 503".into()));
        assert_eq!(
            h.ready().unwrap_err(),
            ["destination sentinel: failing: HTTP 503"]
        );
        assert!(
            !h.needs_probe(1),
            "a failed write is retried by its commit, not probed"
        );
        h.probed(1, Ok(()));
        h.destination(1, Err("HTTP 503".into()));
        h.probed(0, Err("refused".into()));
        assert!(h.needs_probe(0), "a failed probe is probed again");
        h.probed(0, Ok(()));
        h.destination(1, Ok(()));
        assert_eq!(h.ready(), Ok(()));
        h.trouble(1, Some("HTTP 503 ServiceUnavailable, retrying".into()));
        assert_eq!(
            h.ready().unwrap_err(),
            ["destination sentinel: failing: HTTP 503 ServiceUnavailable, retrying"]
        );
        h.trouble(1, None);
        assert_eq!(h.ready(), Ok(()), "the trouble ended");
        h.destination(1, Err("refused".into()));
        h.trouble(1, None);
        assert!(
            h.ready().is_err(),
            "no trouble report clears a failed write"
        );
        h.destination(1, Ok(()));
        h.set_balanced(false);
        assert!(h.ready().is_err(), "a restarting processor is not ready");
        h.set_balanced(true);
        h.stopping();
        assert_eq!(h.ready().unwrap_err(), ["stopping"]);
    }
}
