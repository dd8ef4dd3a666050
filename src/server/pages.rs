//! TEMPORARY: replaced by the real pages module.
use super::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
pub fn routes() -> Router<AppState> {
    Router::new()
}
pub fn not_found_page() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>404</title><p>页面不存在"),
    )
}
