//! `GET /api/suggest`: completions for the search box.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::limit_in;
use crate::engine::suggest::{MAX_SUGGESTIONS, Suggestion};
use crate::error::Code;
use crate::server::error::{ApiError, ApiQuery, ErrorBody};
use crate::server::querylog::normalise;
use crate::server::{AppState, bounded};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What has been typed so far.
    q: Option<String>,
    /// Suggestions to return, 1–20 (default 8).
    limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestResponse {
    pub query: String,
    pub suggestions: Vec<Suggestion>,
}

/// Completions for a prefix, for the search box: archive terms (those people searched most
/// first, when the server keeps a query log; then by the letters holding them), then titles.
#[utoipa::path(get, path = "/api/suggest", params(SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 400, body = ErrorBody)))]
pub async fn suggest(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> Result<Json<SuggestResponse>, ApiError> {
    let limit = limit_in(p.limit, 8, MAX_SUGGESTIONS)?;
    let q = p.q.unwrap_or_default();
    if q.chars().count() > crate::engine::query::MAX_QUERY_CHARS {
        return Err(ApiError::new(Code::BadQuery, "q is too long"));
    }
    let prefix = q.clone();
    let suggestions = bounded(&state, move |s| {
        // What people searched most comes first (the query log's counts, by normalised
        // query); only the archive's own terms are suggested, so the log can reorder them
        // but never put a string of its own in the box.
        let popular = s.query_log.popularity();
        let popularity = |term: &str| {
            if popular.is_empty() {
                // No log, or nothing searched often enough: no term to normalise.
                return 0;
            }
            normalise(term)
                .and_then(|q| popular.get(&q).copied())
                .unwrap_or(0)
        };
        Ok(s.suggester()?
            .suggest(&s.engine, &prefix, limit, &popularity))
    })
    .await?;
    Ok(Json(SuggestResponse {
        query: q,
        suggestions,
    }))
}
