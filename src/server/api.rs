//! The JSON API handlers and their OpenAPI description (generated from these definitions).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::error::{ApiBytes, ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::{AppState, blocking, bounded};
use crate::error::Error;
use crate::ingest::{self, Letter};
use crate::search::{FacetField, MatchMode, SearchRequest, SearchResponse, SortOrder};
use crate::similar::{SimilarRequest, SimilarResponse};
use crate::suggest::{MAX_SUGGESTIONS, Suggestion};

/// Longest accepted document id, in bytes.
pub const MAX_ID_BYTES: usize = 200;

/// Routes that only read: these get CORS when origins are configured.
pub fn read_routes() -> Router<AppState> {
    Router::new()
        .route("/api/search", get(search_get).post(search_post))
        .route("/api/docs/{id}/similar", get(similar_by_id))
        .route("/api/similar", post(similar_by_text))
        .route("/api/suggest", get(suggest))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi_json))
}

/// Routes that write, and the document route whose GET is a read: writes never get CORS,
/// so a page on another origin can read but never write.
pub fn write_routes() -> Router<AppState> {
    Router::new().route(
        "/api/docs/{id}",
        get(get_doc).put(put_doc).delete(delete_doc),
    )
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "reply-search",
        description = "Search over Chinese government reply letters (建议/提案答复)."
    ),
    paths(
        search_get,
        search_post,
        get_doc,
        similar_by_id,
        similar_by_text,
        suggest,
        put_doc,
        delete_doc,
        health,
        metrics,
        openapi_json
    ),
    components(schemas(
        SearchRequest,
        SearchResponse,
        SimilarRequest,
        SimilarResponse,
        SuggestResponse,
        Suggestion,
        Letter,
        Health,
        WriteResult,
        ErrorBody
    ))
)]
pub struct ApiDoc;

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

/// Rejects ids no document can have, before touching the index.
pub fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_BYTES || id.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_id",
            format!("a document id is 1–{MAX_ID_BYTES} bytes without control characters"),
        ));
    }
    Ok(())
}

/// One document: all fields and the cleaned text.
#[utoipa::path(get, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id (URL-encoded)")),
    responses((status = 200, body = Letter), (status = 404, body = ErrorBody)))]
pub async fn get_doc(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Letter>, ApiError> {
    check_id(&id)?;
    let letter = blocking(&state, move |s| {
        s.engine.get(&id)?.ok_or(Error::NotFound(id))
    })
    .await?;
    Ok(Json(letter))
}

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

/// Completions for a prefix, for the search box.
#[utoipa::path(get, path = "/api/suggest", params(SuggestParams),
    responses((status = 200, body = SuggestResponse), (status = 400, body = ErrorBody)))]
pub async fn suggest(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> Result<Json<SuggestResponse>, ApiError> {
    let limit = p.limit.unwrap_or(8);
    if !(1..=MAX_SUGGESTIONS).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_limit",
            format!("limit must be between 1 and {MAX_SUGGESTIONS}"),
        ));
    }
    let q = p.q.unwrap_or_default();
    if q.chars().count() > crate::query::MAX_QUERY_CHARS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "q is too long",
        ));
    }
    let prefix = q.clone();
    let suggestions = bounded(&state, move |s| Ok(s.suggester()?.suggest(&prefix, limit))).await?;
    Ok(Json(SuggestResponse {
        query: q,
        suggestions,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResult {
    pub id: String,
    /// `indexed` or `deleted`.
    pub status: &'static str,
}

/// Checks the bearer key in constant time: 403 when the server has no key (read-only),
/// 401 when the request's key is missing or wrong.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.options.admin_key.as_deref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "read_only",
            "this server has no admin key configured, so it is read-only",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "writes need Authorization: Bearer <admin key>",
        ))
    }
}

/// Adds or replaces a document: a JSON document (fields as in the corpus JSONL; missing ones
/// are extracted from the text) or a `text/plain` letter. Needs the admin key.
#[utoipa::path(put, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id")),
    request_body(content = String, description = "A JSON document, or the letter as text/plain", content_type = "application/json"),
    responses((status = 200, body = WriteResult), (status = 201, body = WriteResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_doc(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Letters as departments publish them: PDF and Word files, read like corpus files.
    const BINARY_TYPES: [&str; 2] = [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ];
    if BINARY_TYPES.iter().any(|t| content_type.starts_with(t)) {
        let letter = ingest::letter_from_bytes(&id, &body, &content_type, None)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_document", e.to_string()))?;
        return store(&state, letter).await;
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "the body is not valid UTF-8",
        )
    })?;
    let bad = |e: ingest::IngestError| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_document", e.to_string())
    };
    let letter = if content_type.starts_with("application/json") {
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("invalid JSON: {e}"),
            )
        })?;
        let object = value.as_object_mut().ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                "the body must be a JSON object",
            )
        })?;
        object.insert("id".into(), serde_json::Value::String(id.clone()));
        ingest::letter_from_json(&value).map_err(bad)?
    } else if content_type.starts_with("text/plain") {
        ingest::letter_from_text(&id, text, None).map_err(bad)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_content_type",
            "send application/json or text/plain",
        ));
    };
    store(&state, letter).await
}

/// Writes a letter: 201 when it is new, 200 when it replaced one.
async fn store(state: &AppState, letter: Letter) -> Result<Response, ApiError> {
    let id = letter.id.clone();
    let created = blocking(state, move |s| {
        let existed = s.engine.get(&letter.id)?.is_some();
        s.engine.put(&letter)?;
        Ok(!existed)
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WriteResult {
            id,
            status: "indexed",
        }),
    )
        .into_response())
}

/// Deletes a document. Needs the admin key.
#[utoipa::path(delete, path = "/api/docs/{id}", params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = WriteResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_doc(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<WriteResult>, ApiError> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let target = id.clone();
    let deleted = blocking(&state, move |s| s.engine.delete(&target)).await?;
    if !deleted {
        return Err(Error::NotFound(id).into());
    }
    Ok(Json(WriteResult {
        id,
        status: "deleted",
    }))
}

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

/// This API's OpenAPI 3 description.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI document")))]
pub async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// Unknown paths: JSON for the API, a short page otherwise.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("no API route {}", uri.path()),
        )
        .into_response()
    } else {
        super::pages::not_found_page().into_response()
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed on this path",
    )
}
