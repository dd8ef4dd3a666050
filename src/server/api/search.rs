//! `GET/POST /api/search`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::engine::{FacetField, MatchMode, SearchRequest, SearchResponse, SortOrder};
use crate::error::Error;
use crate::server::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::server::{AppState, bounded};

/// Query parameters of `GET /api/search`; `facets` is comma-separated.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words, "exact phrase", -excluded, A OR B, field:value (title, respondent, kind, year, session).
    q: Option<String>,
    /// Hits to return, 0–100 (default 10).
    limit: Option<usize>,
    /// Hits to skip, up to 10000.
    offset: Option<usize>,
    respondent: Option<String>,
    kind: Option<String>,
    year: Option<u32>,
    session: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD.
    from: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD.
    to: Option<String>,
    sort: Option<SortOrder>,
    /// Comma-separated: respondent, year, kind, session. Empty for none.
    facets: Option<String>,
    /// `most` (default) or `all`.
    #[serde(rename = "match")]
    match_mode: Option<MatchMode>,
}

impl SearchParams {
    /// The GET form converts into the POST form, so there is one code path.
    fn into_request(self) -> Result<SearchRequest, ApiError> {
        let facets = match self.facets {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(FacetField::parse)
                    .collect::<Result<Vec<_>, Error>>()?,
            ),
        };
        Ok(SearchRequest {
            q: self.q.unwrap_or_default(),
            limit: self.limit,
            offset: self.offset.unwrap_or(0),
            respondent: self.respondent,
            kind: self.kind,
            year: self.year,
            session: self.session,
            from: self.from,
            to: self.to,
            sort: self.sort,
            facets,
            match_mode: self.match_mode.unwrap_or_default(),
        })
    }
}

async fn run_search(
    state: &AppState,
    request: SearchRequest,
) -> Result<Json<SearchResponse>, ApiError> {
    Ok(Json(
        bounded(state, move |s| s.engine.search(&request)).await?,
    ))
}

/// Search reply letters.
#[utoipa::path(get, path = "/api/search", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn search_get(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    run_search(&state, params.into_request()?).await
}

/// Search reply letters, parameters as a JSON body.
#[utoipa::path(post, path = "/api/search", request_body = SearchRequest,
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Result<Json<SearchResponse>, ApiError> {
    run_search(&state, request).await
}
