//! `GET/POST /api/search`.

use axum::Json;
use axum::extract::State;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::engine::{
    FacetCounts, FacetField, Filters, MatchMode, SearchRequest, SearchResponse, SortOrder,
};
use crate::error::Error;
use crate::server::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use crate::server::{AppState, bounded};

/// One hit as the API answers it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Hit)]
pub struct HitBody {
    pub id: String,
    pub title: String,
    /// The title as escaped HTML with matches in `<mark>`.
    pub title_html: String,
    pub kind: String,
    pub respondent: Option<String>,
    pub date: Option<String>,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    pub score: f32,
    /// How many of the query's words this document contains.
    pub matched_terms: usize,
    /// Escaped document text in which only `<mark>` and `</mark>` are markup.
    pub snippet: String,
}

/// A search result as the API (and `reply-search search --json`) answers it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SearchResponse)]
pub struct SearchBody {
    pub query: String,
    /// How the query was read: words with their synonym expansions, phrases, exclusions.
    pub expanded_query: String,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
    pub hits: Vec<HitBody>,
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: BTreeMap<String, FacetCounts>,
    /// Notes on what was ignored or adjusted, e.g. words beyond the limit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl From<SearchResponse> for SearchBody {
    fn from(r: SearchResponse) -> Self {
        SearchBody {
            query: r.query,
            expanded_query: r.expanded_query,
            total: r.total,
            offset: r.offset,
            limit: r.limit,
            took_ms: r.took_ms,
            hits: r
                .hits
                .into_iter()
                .map(|h| HitBody {
                    title_html: h.title.to_html(),
                    snippet: h.snippet.to_html(),
                    id: h.id,
                    title: h.title.text,
                    kind: h.kind,
                    respondent: h.respondent,
                    date: h.date,
                    proposal_no: h.proposal_no,
                    session: h.session,
                    score: h.score,
                    matched_terms: h.matched_terms,
                })
                .collect(),
            facets: r.facets,
            notes: r.notes,
        }
    }
}

/// Query parameters of `GET /api/search`; `facets` is comma-separated. A query string cannot
/// carry a nested struct with numbers (serde_urlencoded reads flattened values as strings), so
/// the GET form lists the fields and converts into `SearchRequest` here, in one place.
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
            filters: Filters {
                respondent: self.respondent,
                kind: self.kind,
                year: self.year,
                session: self.session,
                from: self.from,
                to: self.to,
            },
            sort: self.sort,
            facets,
            match_mode: self.match_mode.unwrap_or_default(),
        })
    }
}

async fn run_search(
    state: &AppState,
    request: SearchRequest,
) -> Result<Json<SearchBody>, ApiError> {
    let response = bounded(state, move |s| s.engine.search(&request)).await?;
    Ok(Json(SearchBody::from(response)))
}

/// Search reply letters.
#[utoipa::path(get, path = "/api/search", params(SearchParams),
    responses((status = 200, body = SearchBody), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn search_get(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchBody>, ApiError> {
    run_search(&state, params.into_request()?).await
}

/// Search reply letters, parameters as a JSON body.
#[utoipa::path(post, path = "/api/search", request_body = SearchRequest,
    responses((status = 200, body = SearchBody), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SearchRequest>,
) -> Result<Json<SearchBody>, ApiError> {
    run_search(&state, request).await
}
