//! `GET /api/docs/{id}/similar` and `POST /api/similar`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::docs::doc_id;
use crate::engine::dedup::NearDuplicate;
use crate::engine::{Filters, SimilarRequest, SimilarResponse};
use crate::server::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::server::{AppState, bounded};

/// A similar letter as the API answers it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SimilarHit)]
pub struct SimilarHitBody {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub respondent: Option<String>,
    pub date: Option<String>,
    pub proposal_no: Option<String>,
    pub score: f32,
    /// The distinctive words this document shares with the source.
    pub shared_terms: Vec<String>,
    /// Set when the document repeats the source's text: the exact overlap and the passages
    /// both contain. Near-duplicates come first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_duplicate: Option<NearDuplicate>,
    /// Escaped text with the shared words in `<mark>`.
    pub snippet: String,
}

/// Similar letters as the API (and `reply-search similar --json`) answers them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SimilarResponse)]
pub struct SimilarBody {
    /// The source document's id, when searching by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The distinctive words the search used, most distinctive first.
    pub terms: Vec<String>,
    pub took_ms: f64,
    pub hits: Vec<SimilarHitBody>,
}

impl From<SimilarResponse> for SimilarBody {
    fn from(r: SimilarResponse) -> Self {
        SimilarBody {
            id: r.id,
            terms: r.terms,
            took_ms: r.took_ms,
            hits: r
                .hits
                .into_iter()
                .map(|h| SimilarHitBody {
                    snippet: h.snippet.to_html(),
                    id: h.id,
                    title: h.title,
                    kind: h.kind,
                    respondent: h.respondent,
                    date: h.date,
                    proposal_no: h.proposal_no,
                    score: h.score,
                    shared_terms: h.shared_terms,
                    near_duplicate: h.near_duplicate,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// Hits to return, 1–50 (default 5).
    limit: Option<usize>,
    respondent: Option<String>,
    kind: Option<String>,
    year: Option<u32>,
    session: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD.
    from: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD.
    to: Option<String>,
}

/// Documents most similar to this one (itself excluded).
#[utoipa::path(get, path = "/api/docs/{id}/similar", params(("id" = String, Path, description = "Document id"), SimilarParams),
    responses((status = 200, body = SimilarBody), (status = 404, body = ErrorBody)))]
pub async fn similar_by_id(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> Result<Json<SimilarBody>, ApiError> {
    let id = doc_id(&id)?.into_string();
    let request = SimilarRequest {
        text: String::new(),
        limit: p.limit,
        filters: Filters {
            respondent: p.respondent,
            kind: p.kind,
            year: p.year,
            session: p.session,
            from: p.from,
            to: p.to,
        },
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
