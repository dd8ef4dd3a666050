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
    pub status: &'static str,
    pub docs: u64,
}

/// Liveness and the number of documents.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        docs: state.engine.num_docs(),
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
