//! `GET /api/docs/{id}/similar` and `POST /api/similar`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::docs::check_id;
use crate::engine::{SimilarRequest, SimilarResponse};
use crate::server::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::server::{AppState, bounded};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// Hits to return, 1–50 (default 5).
    limit: Option<usize>,
    kind: Option<String>,
    respondent: Option<String>,
    year: Option<u32>,
}

/// Documents most similar to this one (itself excluded).
#[utoipa::path(get, path = "/api/docs/{id}/similar", params(("id" = String, Path, description = "Document id"), SimilarParams),
    responses((status = 200, body = SimilarResponse), (status = 404, body = ErrorBody)))]
pub async fn similar_by_id(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> Result<Json<SimilarResponse>, ApiError> {
    check_id(&id)?;
    let request = SimilarRequest {
        text: String::new(),
        limit: p.limit,
        kind: p.kind,
        respondent: p.respondent,
        year: p.year,
    };
    Ok(Json(
        bounded(&state, move |s| s.engine.similar_to_id(&id, &request)).await?,
    ))
}

/// Documents most similar to a pasted text.
#[utoipa::path(post, path = "/api/similar", request_body = SimilarRequest,
    responses((status = 200, body = SimilarResponse), (status = 400, body = ErrorBody)))]
pub async fn similar_by_text(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SimilarRequest>,
) -> Result<Json<SimilarResponse>, ApiError> {
    Ok(Json(
        bounded(&state, move |s| s.engine.similar_to_text(&request)).await?,
    ))
}
