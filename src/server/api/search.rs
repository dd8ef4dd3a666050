//! `GET/POST /api/search`.

use axum::Json;
use axum::extract::State;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::engine::{
    FacetField, Filters, Hit, MatchMode, SearchRequest, SearchResponse, SortOrder,
};
use crate::error::Error;
use crate::server::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::server::querylog::Source;
use crate::server::{AppState, bounded};

/// One hit as the API answers it: the engine's fields, the title, and the title and snippet
/// as escaped HTML with matches in `<mark>`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Hit)]
pub struct HitBody {
    #[serde(flatten)]
    pub hit: Hit,
    pub title: String,
    /// The title as escaped HTML with matches in `<mark>`.
    pub title_html: String,
    /// Escaped document text in which only `<mark>` and `</mark>` are markup.
    pub snippet: String,
}

/// A search result as the API (and `reply-search search --json`) answers it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SearchResponse)]
pub struct SearchBody {
    #[serde(flatten)]
    pub response: SearchResponse,
    pub hits: Vec<HitBody>,
}

impl From<SearchResponse> for SearchBody {
    fn from(mut response: SearchResponse) -> Self {
        let hits = std::mem::take(&mut response.hits)
            .into_iter()
            .map(|mut hit| HitBody {
                title_html: hit.title.to_html(),
                snippet: hit.snippet.to_html(),
                title: std::mem::take(&mut hit.title.text),
                hit,
            })
            .collect();
        SearchBody { response, hits }
    }
}

/// Query parameters of `GET /api/search` besides the filters (read from the same query string
/// as `Filters`); `facets` is comma-separated.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words, "exact phrase", -excluded, A OR B, field:value (title, respondent, kind, year, session).
    q: Option<String>,
    /// Hits to return, 0–100 (default 10).
    limit: Option<usize>,
    /// Hits to skip, up to 10000.
    offset: Option<usize>,
    sort: Option<SortOrder>,
    /// Facets to count, comma-separated: respondent, year, kind, session. None unless asked
    /// for (counting them visits every match, and makes `total` exact).
    facets: Option<String>,
    /// `most` (default) or `all`.
    #[serde(rename = "match")]
    match_mode: Option<MatchMode>,
    /// Correct words the archive does not know (default true; see `did_you_mean`).
    correct: Option<bool>,
    /// Where the search was typed, for the query log: `widget` (the embeddable box) or
    /// `api` (default). The log keeps no trace of who searched.
    source: Option<Source>,
}

impl SearchParams {
    /// The GET form converts into the POST form, so there is one code path.
    fn into_request(self, filters: Filters) -> Result<(SearchRequest, Source), ApiError> {
        let facets = match self.facets {
            None => None,
            Some(list) => Some(
                list.split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(FacetField::parse)
                    .collect::<Result<Vec<_>, Error>>()?,
            ),
        };
        let request = SearchRequest {
            q: self.q.unwrap_or_default(),
            limit: self.limit,
            offset: self.offset.unwrap_or(0),
            filters,
            sort: self.sort,
            facets,
            match_mode: self.match_mode.unwrap_or_default(),
            correct: self.correct,
        };
        // The page logs its own searches; through the API a search is a program's or the
        // widget's.
        let source = match self.source {
            Some(Source::Widget) => Source::Widget,
            _ => Source::Api,
        };
        Ok((request, source))
    }
}

async fn run_search(
    state: &AppState,
    request: SearchRequest,
    source: Source,
) -> Result<Json<SearchBody>, ApiError> {
    let response = bounded(state, move |s| s.search(&request, source)).await?;
    Ok(Json(SearchBody::from(response)))
}

/// Search reply letters.
#[utoipa::path(get, path = "/api/search", params(SearchParams, Filters),
    responses((status = 200, body = SearchBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn search_get(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
    ApiQuery(filters): ApiQuery<Filters>,
) -> Result<Json<SearchBody>, ApiError> {
    let (request, source) = params.into_request(filters)?;
    run_search(&state, request, source).await
}

/// Search reply letters, parameters as a JSON body.
#[utoipa::path(post, path = "/api/search", request_body = SearchRequest,
    responses((status = 200, body = SearchBody), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Result<Json<SearchBody>, ApiError> {
    run_search(&state, request, Source::Api).await
}
