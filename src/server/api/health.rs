//! `GET /health` and `GET /metrics`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::docs::authorize;
use crate::error::Code;
use crate::server::AppState;
use crate::server::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the corpus watcher is not watching (the folder is missing) or
    /// its last round failed; searches are answered either way.
    pub status: &'static str,
    pub docs: u64,
    /// The corpus watcher, when the server runs with `--watch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchHealth>,
}

/// What the corpus watcher is doing.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchHealth {
    /// The corpus folder exists and is watched.
    pub watching: bool,
    /// Syncs done since the server started.
    pub syncs: u64,
    /// Seconds since the last sync ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_seconds_ago: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Liveness, the number of documents and the corpus watcher's state.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let watch = state.watch.get().map(|w| {
        let w = w.snapshot();
        WatchHealth {
            watching: w.watching,
            syncs: w.syncs,
            last_sync_seconds_ago: w
                .last_sync
                .and_then(|t| t.elapsed().ok())
                .map(|d| (d.as_secs_f64() * 10.0).round() / 10.0),
            last_error: w.last_error,
        }
    });
    let degraded = watch
        .as_ref()
        .is_some_and(|w| !w.watching || w.last_error.is_some());
    Json(Health {
        status: if degraded { "degraded" } else { "ok" },
        docs: state.engine.num_docs(),
        watch,
    })
}

/// Prometheus metrics: requests and latency by route, documents, index size. For operators:
/// answered to clients on loopback (a scraper on the same host), to requests with the admin
/// key, or to anyone when the server runs with `--public-metrics`.
#[utoipa::path(get, path = "/metrics", responses((status = 200, content_type = "text/plain", body = String),
    (status = 401, body = crate::server::error::ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<impl IntoResponse, ApiError> {
    // In-process calls (tests) carry no peer address and count as local.
    let local = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_none_or(|peer| peer.0.ip().is_loopback());
    if !(state.options.public_metrics || local) {
        authorize(&state, &headers).map_err(|_| {
            ApiError::new(
                Code::Unauthorized,
                "metrics are served to loopback clients or with Authorization: Bearer <admin key> (or start the server with --public-metrics)",
            )
        })?;
    }
    let docs = state.engine.num_docs() as f64;
    let bytes = state.engine.size_bytes() as f64;
    let uptime = state.started.elapsed().as_secs_f64();
    let text = state.metrics.render(&[
        ("reply_search_documents", "Documents in the index.", docs),
        (
            "reply_search_index_bytes",
            "Size of the index files.",
            bytes,
        ),
        (
            "reply_search_uptime_seconds",
            "Seconds since the server started.",
            uptime,
        ),
    ]);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    ))
}
