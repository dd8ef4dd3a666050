//! The query log's admin page and 热门搜索 in real headless Chromium: searches typed on the
//! search page and in the widget are logged; the admin page asks the browser for the key
//! (401 without it or with a wrong one, 403 on a read-only server) and shows the chart and the
//! lists; 热门搜索 appear on the landing page and in the widget. Runs
//! tests/browser/admin.test.mjs (prerequisites: see `util::browser_or_skip`).

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use reply_search::server::querylog::FILE_NAME;
use reply_search::server::{ServerOptions, Shared, app};

use crate::util::{self, serve_on_loopback};

const KEY: &str = "admin-browser-test-key";

#[tokio::test]
async fn admin_page_and_hot_searches_work_in_headless_chromium() {
    if !util::browser_or_skip(
        "admin_browser::admin_page_and_hot_searches_work_in_headless_chromium",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let logged = serve_on_loopback(app(Shared::new(
        util::corpus_engine(),
        ServerOptions {
            admin_key: Some(KEY.into()),
            query_log: Some(dir.path().join(FILE_NAME)),
            hot_searches: true,
            ..Default::default()
        },
    )))
    .await;
    let read_only = serve_on_loopback(util::router(ServerOptions::default())).await;
    let engine_url = format!("http://{}", logged.addr);
    // A portal page on another origin embedding the widget.
    let host_page = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>门户</title>
<link rel="icon" href="data:,"></head><body>
<script src="{engine_url}/widget.js" defer></script>
<reply-search endpoint="{engine_url}"></reply-search></body></html>"#
    );
    let host = serve_on_loopback(
        Router::new()
            .route("/", get(move || async move { Html(host_page) }))
            .fallback(|| async { StatusCode::NOT_FOUND }),
    )
    .await;

    let output = util::run_browser_script(
        "admin.test.mjs",
        &[
            ("ENGINE_URL", engine_url),
            ("READONLY_URL", format!("http://{}", read_only.addr)),
            ("HOST_URL", format!("http://{}", host.addr)),
            ("ADMIN_KEY", KEY.to_string()),
        ],
    )
    .await;
    logged.stop().await;
    read_only.stop().await;
    host.stop().await;
    util::assert_browser_script_passed(output);
}
