//! What people search for: `GET /api/admin/queries`, the query log's report (behind the
//! admin key), and `GET /api/hot`, the 热门搜索 list for search boxes (when the server shows
//! it).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::docs::authorize;
use super::limit_in;
use crate::error::{Code, Error};
use crate::server::error::{ApiError, ApiQuery, ErrorBody};
use crate::server::querylog::{MAX_REPORT_DAYS, ReportError};
use crate::server::{AppState, blocking};

/// Queries in each list of a report unless `limit` says otherwise, and at most.
const DEFAULT_REPORT_LIMIT: usize = 20;
const MAX_REPORT_LIMIT: usize = 100;
/// Hot queries for a search box unless `limit` says otherwise, and at most.
const DEFAULT_HOT_LIMIT: usize = 8;
const MAX_HOT_LIMIT: usize = 20;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The last N days, today included: 1 (the last 24 hours, by hour) to 30. Default 7.
    pub days: Option<u32>,
    /// Queries in each list, 1–100 (default 20).
    pub limit: Option<usize>,
}

impl ReportParams {
    /// (days, limit), checked.
    pub fn checked(&self) -> Result<(u32, usize), ApiError> {
        let days = self.days.unwrap_or(7);
        if !(1..=MAX_REPORT_DAYS).contains(&days) {
            return Err(ApiError::new(
                Code::BadParameter,
                format!("days must be between 1 and {MAX_REPORT_DAYS}"),
            ));
        }
        let limit = limit_in(self.limit, DEFAULT_REPORT_LIMIT, MAX_REPORT_LIMIT)?;
        Ok((days, limit))
    }
}

impl From<ReportError> for Error {
    fn from(e: ReportError) -> Self {
        let code = match e {
            ReportError::Off => Code::NoQueryLog,
            ReportError::Unavailable(_) => Code::QueryLogUnavailable,
        };
        Error::bad(code, e.to_string())
    }
}

/// What people searched for: the most searched queries, those that found nothing, those
/// corrected, and searches per hour or day. Needs the admin key.
#[utoipa::path(get, path = "/api/admin/queries", params(ReportParams),
    responses((status = 200, body = crate::server::querylog::Report), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "the server keeps no query log", body = ErrorBody),
        (status = 503, description = "the query log cannot be read", body = ErrorBody)))]
pub async fn query_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers)?;
    let (days, limit) = params.checked()?;
    let report = blocking(&state, move |s| {
        s.query_log.report(days, limit).map_err(Error::from)
    })
    .await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(report)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotParams {
    /// Queries to return, 1–20 (default 8).
    limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HotBody {
    /// The server shows 热门搜索 (started with `--hot-searches`).
    pub enabled: bool,
    /// The week's most searched queries that found letters, each searched at least a few
    /// times; empty when `enabled` is false.
    pub queries: Vec<String>,
}

/// 热门搜索 for the empty search box.
#[utoipa::path(get, path = "/api/hot", params(HotParams),
    responses((status = 200, body = HotBody), (status = 400, body = ErrorBody)))]
pub async fn hot(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<HotParams>,
) -> Result<Json<HotBody>, ApiError> {
    let limit = limit_in(params.limit, DEFAULT_HOT_LIMIT, MAX_HOT_LIMIT)?;
    let enabled = state.options.hot_searches;
    let queries = if enabled {
        blocking(&state, move |s| Ok(s.query_log.hot(limit).to_vec())).await?
    } else {
        Vec::new()
    };
    Ok(Json(HotBody { enabled, queries }))
}
