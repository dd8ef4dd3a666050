//! The embeddable widget in real headless Chromium: indexes the repo's corpus, serves the
//! engine and, on a second port (so a different origin, as on a real embedding site), a
//! host page with the two-line embed; then runs tests/browser/widget.test.mjs against both.
//!
//! Needs node, tests/browser/node_modules/playwright-core and Chromium (see
//! `util::browser_or_skip`).

use std::path::Path;
use std::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::server::{self, ServerOptions, Shared};
use tokio::net::TcpListener;

use crate::util;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A host page with the documented embed and hostile CSS that must not reach the widget.
fn host_page(engine: &str, with_endpoint: bool) -> String {
    let endpoint = if with_endpoint {
        format!(r##" endpoint="{engine}" limit="5" accent-color="#0b6e4f""##)
    } else {
        String::new()
    };
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>宿主页面</title>
<style>
  * {{ color: red }}
  input {{ font-size: 40px }}
  body {{ margin: 8px; font-family: serif }}
  ul, ol, li {{ list-style: square; padding: 40px; margin: 20px }}
  mark {{ background: black }}
  a {{ text-decoration: line-through }}
</style>
<link rel="icon" href="data:,">
</head>
<body>
<h1>某区人民政府门户网站</h1>
<script src="{engine}/widget.js" defer></script>
<reply-search{endpoint} placeholder="搜索答复"></reply-search>
<p>页面其他内容</p>
</body>
</html>
"#
    )
}

#[tokio::test]
async fn widget_works_in_headless_chromium() {
    if !util::browser_or_skip("widget_browser::widget_works_in_headless_chromium") {
        return;
    }

    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
    engine
        .sync_corpus(&Path::new(ROOT).join("corpus"), &|_| {})
        .unwrap();
    println!("indexed corpus in {:?}", started.elapsed());

    // The host page is served on another port, so it is another origin: the engine runs
    // with the default options, as a server started without configuration does.
    let host_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let engine_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host_url = format!("http://{}", host_listener.local_addr().unwrap());
    let engine_url = format!("http://{}", engine_listener.local_addr().unwrap());

    let app = server::app(Shared::new(engine, ServerOptions::default()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let engine_task = tokio::spawn(server::serve(
        engine_listener,
        app,
        stopped(stop_rx.clone()),
    ));

    let page = host_page(&engine_url, true);
    let bare = host_page(&engine_url, false);
    let host = Router::new()
        .route("/", get(move || async move { Html(page) }))
        .route("/bare", get(move || async move { Html(bare) }))
        .fallback(|| async { StatusCode::NOT_FOUND });
    let host_task = tokio::spawn(async move {
        axum::serve(host_listener, host)
            .with_graceful_shutdown(stopped(stop_rx))
            .await
    });

    let output = util::run_browser_script(
        "widget.test.mjs",
        &[("ENGINE_URL", engine_url), ("HOST_URL", host_url)],
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = engine_task.await;
    let _ = host_task.await;

    util::assert_browser_script_passed(output);
}
