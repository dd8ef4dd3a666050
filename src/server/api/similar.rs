//! `GET /api/docs/{id}/similar` and `POST /api/similar`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::docs::doc_id;
use crate::engine::{Filters, SimilarHit, SimilarRequest, SimilarResponse};
use crate::server::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::server::{AppState, bounded};

/// A similar letter as the API answers it: the engine's fields and the snippet as escaped
/// HTML with the shared words in `<mark>`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SimilarHit)]
pub struct SimilarHitBody {
    #[serde(flatten)]
    pub hit: SimilarHit,
    /// Escaped text with the shared words in `<mark>`.
    pub snippet: String,
}

/// Similar letters as the API (and `reply-search similar --json`) answers them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SimilarResponse)]
pub struct SimilarBody {
    #[serde(flatten)]
    pub response: SimilarResponse,
    pub hits: Vec<SimilarHitBody>,
}

impl From<SimilarResponse> for SimilarBody {
    fn from(mut response: SimilarResponse) -> Self {
        let hits = std::mem::take(&mut response.hits)
            .into_iter()
            .map(|hit| SimilarHitBody {
                snippet: hit.snippet.to_html(),
                hit,
            })
            .collect();
        SimilarBody { response, hits }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// Hits to return, 1–50 (default 5).
    limit: Option<usize>,
}

/// Documents most similar to this one (itself excluded).
#[utoipa::path(get, path = "/api/docs/{id}/similar", params(("id" = String, Path, description = "Document id"), SimilarParams, Filters),
    responses((status = 200, body = SimilarBody), (status = 404, body = ErrorBody)))]
pub async fn similar_by_id(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<SimilarParams>,
    ApiQuery(filters): ApiQuery<Filters>,
) -> Result<Json<SimilarBody>, ApiError> {
    let id = doc_id(&id)?.into_string();
    let request = SimilarRequest {
        text: String::new(),
        limit: p.limit,
        filters,
    };
    let response = bounded(&state, move |s| s.engine.similar_to_id(&id, &request)).await?;
    Ok(Json(SimilarBody::from(response)))
}

/// Documents most similar to a pasted text.
#[utoipa::path(post, path = "/api/similar", request_body = SimilarRequest,
    responses((status = 200, body = SimilarBody), (status = 400, body = ErrorBody)))]
pub async fn similar_by_text(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SimilarRequest>,
) -> Result<Json<SimilarBody>, ApiError> {
    let response = bounded(&state, move |s| s.engine.similar_to_text(&request)).await?;
    Ok(Json(SimilarBody::from(response)))
}
