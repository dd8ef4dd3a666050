//! The JSON API: one file per resource, and the OpenAPI description generated from the
//! handlers' annotations.

mod docs;
mod health;
mod queries;
mod search;
mod similar;
mod suggest;

use axum::Json;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use utoipa::OpenApi;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::querylog;
use crate::engine::suggest::Suggestion;
use crate::engine::{SearchRequest, SimilarRequest};
use crate::error::Code;
use crate::ingest::Letter;

pub use docs::doc_id;
pub use queries::ReportParams;
pub use search::SearchBody;
pub use similar::SimilarBody;

/// A request's `limit`: `default` when absent, else 1 to `max` (400 `bad_limit` outside).
fn limit_in(limit: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::new(
            Code::BadLimit,
            format!("limit must be between 1 and {max}"),
        ))
    }
}

/// Routes that only read: these get CORS when origins are configured.
pub fn read_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/search",
            get(search::search_get).post(search::search_post),
        )
        .route("/api/docs/{id}/similar", get(similar::similar_by_id))
        .route("/api/similar", post(similar::similar_by_text))
        .route("/api/suggest", get(suggest::suggest))
        .route("/api/hot", get(queries::hot))
        .route("/health", get(health::health))
        .route("/api/openapi.json", get(openapi_json))
}

/// The document route, whose GET is a read and whose PUT and DELETE are writes, and
/// `/metrics` and the query report, which are for operators rather than pages (see
/// `health::metrics`). Only the
/// document GET gets CORS (as a route layer, so a preflight for a write is not answered):
/// a page on another origin can read but never write.
pub fn write_routes(cors: Option<tower_http::cors::CorsLayer>) -> Router<AppState> {
    let read = get(docs::get_doc);
    let read = match cors {
        Some(cors) => read.route_layer(cors),
        None => read,
    };
    Router::new()
        .route(
            "/api/docs/{id}",
            read.put(docs::put_doc).delete(docs::delete_doc),
        )
        .route("/metrics", get(health::metrics))
        .route("/api/admin/queries", get(queries::query_report))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reply-search",
        description = "Search over Chinese government reply letters (建议/提案答复)."
    ),
    paths(
        search::search_get,
        search::search_post,
        docs::get_doc,
        similar::similar_by_id,
        similar::similar_by_text,
        suggest::suggest,
        queries::hot,
        queries::query_report,
        docs::put_doc,
        docs::delete_doc,
        health::health,
        health::metrics,
        openapi_json
    ),
    components(schemas(
        SearchRequest,
        search::SearchBody,
        search::HitBody,
        SimilarRequest,
        similar::SimilarBody,
        similar::SimilarHitBody,
        suggest::SuggestResponse,
        Suggestion,
        queries::HotBody,
        querylog::Report,
        querylog::Bucket,
        querylog::QueryCount,
        querylog::Correction,
        querylog::LogStatus,
        querylog::Source,
        Letter,
        health::Health,
        docs::WriteResult,
        ErrorBody
    ))
)]
pub struct ApiDoc;

/// This API's OpenAPI 3 description.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI document")))]
pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
