//! The service's HTTP endpoint (`service.listen`, loopback by default): `/metrics` in the
//! Prometheus text format, `/healthz` (live) and `/readyz` (ready, or 503 with the reasons).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::health::Health;

/// The Prometheus text format's content type.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Bind `listen` and serve until the task is dropped. Binding fails at start, with the key.
pub async fn serve(listen: &str, health: Arc<Health>) -> Result<tokio::task::JoinHandle<()>> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("service.listen: {listen:?} is not an address:port"))?;
    super::metrics::install();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("service.listen: cannot listen on {addr}"))?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(health);
    tracing::info!(address = %listener.local_addr().unwrap_or(addr), "serving /metrics, /healthz and /readyz");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    }))
}

async fn metrics() -> impl IntoResponse {
    // Rendering walks every series: off the runtime's workers.
    let text = tokio::task::spawn_blocking(super::metrics::render)
        .await
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, EXPOSITION)], text)
}

async fn ready(
    axum::extract::State(health): axum::extract::State<Arc<Health>>,
) -> impl IntoResponse {
    match health.ready() {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready:\n{}\n", why.join("\n")),
        ),
    }
}
