//! `GET /health` and `GET /metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::server::AppState;

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

/// Prometheus metrics: requests and latency by route, documents, index size.
#[utoipa::path(get, path = "/metrics", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
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
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
