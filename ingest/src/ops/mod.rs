//! Operating the service: [`metrics`] (what it counts, under Prometheus names), [`health`]
//! (liveness and readiness), [`http`] (the endpoint that serves both), [`logs`] (text or JSON
//! lines, redacted and rate-limited) and [`status`] (`aad-ingest status`).

pub mod health;
pub mod http;
pub mod logs;
pub mod metrics;
pub mod status;
