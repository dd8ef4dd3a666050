//! The query log: searches from the page, the widget and the API are logged without who
//! made them; the report (JSON and admin page) is behind the admin key; 热门搜索 shows only
//! when switched on; a broken log never breaks search; and a kill -9 loses at most the last
//! second of searches.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use reply_search::server::ServerOptions;
use reply_search::server::querylog::FILE_NAME;
use serde_json::Value;

use crate::util::{self, ServerProcess, enc, respond};

const KEY: &str = "query-log-test-key";

fn logged(dir: &Path, hot_searches: bool) -> Router {
    util::router(ServerOptions {
        admin_key: Some(KEY.into()),
        query_log: Some(dir.join(FILE_NAME)),
        hot_searches,
        ..Default::default()
    })
}

async fn get_with(app: &Router, uri: &str, authorization: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(uri);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let (status, _, body) = respond(app, request.body(Body::empty()).unwrap()).await;
    (status, String::from_utf8(body).unwrap())
}

async fn search(app: &Router, uri: &str) {
    let (status, body) = get_with(app, uri, None).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
}

/// The JSON report, once it holds `searches` searches (the writer runs on its own thread).
async fn report(app: &Router, days: u32, searches: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let uri = format!("/api/admin/queries?days={days}");
        let (status, body) = get_with(app, &uri, Some(&format!("Bearer {KEY}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let report: Value = serde_json::from_str(&body).unwrap();
        if report["searches"].as_u64() >= Some(searches) || Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn basic(password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"));
    format!("Basic {encoded}")
}

#[tokio::test]
async fn searches_are_logged_by_origin_and_reported_behind_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let app = logged(dir.path(), false);
    // 停车 from the page twice, the widget and the API (POST); a query nothing holds; a typo
    // shown corrected; a later page and a filter-only search, which are not logged.
    search(&app, &format!("/?q={}", enc("停车"))).await;
    search(&app, &format!("/?q={}", enc("  停车 "))).await;
    search(
        &app,
        &format!("/api/search?q={}&source=widget", enc("停车")),
    )
    .await;
    let post = Request::post("/api/search")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"q": "停车"}"#))
        .unwrap();
    assert_eq!(respond(&app, post).await.0, StatusCode::OK);
    search(&app, &format!("/api/search?q={}", enc("琥珀蜻蜓"))).await;
    search(&app, &format!("/api/search?q={}", enc("教玉"))).await;
    search(&app, &format!("/api/search?q={}&offset=10", enc("停车"))).await;
    search(&app, "/api/search?kind=%E5%BB%BA%E8%AE%AE").await;
    search(&app, "/").await;

    let week = report(&app, 7, 6).await;
    assert_eq!(week["searches"], 6, "{week}");
    assert_eq!(week["by_source"]["page"], 2, "{week}");
    assert_eq!(week["by_source"]["widget"], 1, "{week}");
    assert_eq!(week["by_source"]["api"], 3, "{week}");
    assert_eq!(week["top"][0]["query"], "停车", "{week}");
    assert_eq!(week["top"][0]["searches"], 4, "{week}");
    assert!(week["top"][0]["hits"].as_u64().unwrap() > 0, "{week}");
    assert_eq!(week["zero_results"][0]["query"], "琥珀蜻蜓", "{week}");
    assert_eq!(week["zero_results"].as_array().unwrap().len(), 1, "{week}");
    assert_eq!(week["corrected"][0]["query"], "教玉", "{week}");
    assert_eq!(week["corrected"][0]["corrected_to"], "教育", "{week}");
    assert_eq!(week["bucket"], "day");
    assert_eq!(week["buckets"].as_array().unwrap().len(), 7);
    assert_eq!(week["log"]["written"], 6, "{week}");
    let day = report(&app, 1, 6).await;
    assert_eq!(day["bucket"], "hour");
    assert_eq!(day["buckets"].as_array().unwrap().len(), 24);
    let last_hour = &day["buckets"][23];
    assert_eq!(last_hour["searches"], 6, "{day}");
    assert_eq!(last_hour["zero_results"], 1, "{day}");

    // Nothing of the person: no addresses or agents in the file, only the log's columns.
    let bytes = std::fs::read(dir.path().join(FILE_NAME)).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("127.0.0.1"));

    // The key: missing or wrong 401, bad parameters 400, and a read-only server 403.
    let uri = "/api/admin/queries";
    let (status, body) = get_with(&app, uri, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!body.contains("停车"));
    let (status, _) = get_with(&app, uri, Some("Bearer wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Basic credentials, which browsers resend on their own, open the admin page only.
    let (status, _) = get_with(&app, uri, Some(&basic(KEY))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the API takes Bearer only"
    );
    let (status, body) = get_with(
        &app,
        "/api/admin/queries?days=31",
        Some(&format!("Bearer {KEY}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = get_with(
        &app,
        "/api/admin/queries?days=abc",
        Some(&format!("Bearer {KEY}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let read_only = util::router(ServerOptions {
        query_log: Some(dir.path().join("other.sqlite")),
        ..Default::default()
    });
    let (status, body) = get_with(&read_only, uri, Some(&format!("Bearer {KEY}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A server without a log says so.
    let off = util::router(ServerOptions {
        admin_key: Some(KEY.into()),
        ..Default::default()
    });
    let (status, body) = get_with(&off, uri, Some(&format!("Bearer {KEY}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no_query_log"), "{body}");
}

#[tokio::test]
async fn the_admin_page_asks_the_browser_for_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let app = logged(dir.path(), false);
    search(&app, &format!("/?q={}", enc("停车"))).await;
    search(&app, &format!("/?q={}", enc("琥珀蜻蜓"))).await;
    report(&app, 7, 2).await;

    let (status, headers, body) = respond(
        &app,
        Request::get("/admin/queries").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic "),
        "the browser is asked for the key"
    );
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("需要管理密钥") && !body.contains("琥珀蜻蜓"),
        "{body}"
    );
    let (status, body) = get_with(&app, "/admin/queries", Some(&basic("wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("琥珀蜻蜓"));

    let (status, body) = get_with(&app, "/admin/queries?days=30", Some(&basic(KEY))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("近30天") && body.contains("热门检索词") && body.contains("无结果检索词")
    );
    assert!(
        body.contains("<svg") && body.contains("每日检索次数"),
        "{body}"
    );
    assert!(body.contains("琥珀蜻蜓") && body.contains("停车"), "{body}");
    assert_eq!(
        body.matches("class=\"bucket\"").count(),
        30,
        "a column per day"
    );
    let (status, body) = get_with(&app, "/admin/queries?days=0", Some(&basic(KEY))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A read-only server has no admin page at all.
    let read_only = util::router(Default::default());
    let (status, body) = get_with(&read_only, "/admin/queries", Some(&basic(KEY))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn hot_searches_show_only_when_switched_on() {
    let dir = tempfile::tempdir().unwrap();
    let off = logged(dir.path(), false);
    let (status, body) = get_with(&off, "/api/hot", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"enabled":false,"queries":[]}"#);

    let dir = tempfile::tempdir().unwrap();
    let on = logged(dir.path(), true);
    for _ in 0..3 {
        search(&on, &format!("/api/search?q={}", enc("停车"))).await;
        search(&on, &format!("/api/search?q={}", enc("琥珀蜻蜓"))).await;
    }
    search(&on, &format!("/api/search?q={}", enc("养老"))).await;
    report(&on, 7, 7).await;
    let (status, body) = get_with(&on, "/api/hot?limit=5", None).await;
    assert_eq!(status, StatusCode::OK);
    let hot: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(hot["enabled"], true);
    // Searched three times and found letters; nothing found, or searched once: not hot.
    assert_eq!(hot["queries"], serde_json::json!(["停车"]), "{body}");
    let (status, _) = get_with(&on, "/api/hot?limit=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, landing) = get_with(&on, "/", None).await;
    assert!(landing.contains("热门搜索"), "{landing}");
    assert!(
        landing.contains(&format!("href=\"/?q={}\"", enc("停车"))),
        "{landing}"
    );
    let (_, landing) = get_with(&off, "/", None).await;
    assert!(!landing.contains("热门搜索"));
}

#[tokio::test]
async fn a_broken_log_never_breaks_search() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the log's file should be: it cannot be opened.
    std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
    let app = logged(dir.path(), true);
    search(&app, &format!("/?q={}", enc("停车"))).await;
    search(&app, &format!("/api/search?q={}", enc("停车"))).await;
    let (status, body) = get_with(&app, "/api/hot", None).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"enabled":true,"queries":[]}"#)
    );
    let (status, body) = get_with(&app, "/api/admin/queries", Some(&format!("Bearer {KEY}"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("query_log_unavailable"), "{body}");
    let (status, body) = get_with(&app, "/admin/queries", Some(&basic(KEY))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// The real server, killed with SIGKILL a second after a burst of searches: every one of them
/// is in the log when it starts again, and the report still reads.
#[test]
fn the_log_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let start = || {
        ServerProcess::start(
            |cmd| {
                cmd.arg("--corpus")
                    .arg(util::corpus_dir())
                    .arg("--index")
                    .arg(&index)
                    .env("REPLY_SEARCH_ADMIN_KEY", KEY)
                    .env("RUST_LOG", "warn");
            },
            None,
        )
    };
    let mut server = start();
    let searches = 200;
    for i in 0..searches {
        let uri = format!("/api/search?q={}&limit=1", enc(&format!("停车 第{i}次")));
        let (status, body) = util::http_get(server.addr, &uri).expect("search answered");
        assert_eq!(status, 200, "{body}");
    }
    std::thread::sleep(Duration::from_secs(1));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    drop(server);

    let server = start();
    let request = format!(
        "GET /api/admin/queries?days=1&limit=100 HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
    );
    let (status, body) =
        util::exchange(server.addr, request.as_bytes(), Duration::from_secs(20)).unwrap();
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        report["searches"], searches,
        "every search answered a second before the kill"
    );
    assert_eq!(report["distinct_queries"], searches);
}

#[tokio::test]
async fn suggestions_put_what_people_searched_first() {
    let dir = tempfile::tempdir().unwrap();
    let app = logged(dir.path(), false);
    let terms = |body: &str| util::suggested_terms(&serde_json::from_str(body).unwrap());
    let uri = format!("/api/suggest?q={}&limit=8", enc("停车"));
    let (status, body) = get_with(&app, &uri, None).await;
    assert_eq!(status, StatusCode::OK);
    let before = terms(&body);
    assert!(before.len() >= 2, "{body}");
    // The least ranked term, searched three times (and finding letters): it comes first.
    let chosen = before.last().unwrap().clone();
    for _ in 0..3 {
        search(&app, &format!("/api/search?q={}", enc(&chosen))).await;
    }
    report(&app, 7, 3).await;
    // The counts are kept a while (at least a second) and then recomputed, in the background
    // when computing them was slow: ask until the new order shows.
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let (_, body) = get_with(&app, &uri, None).await;
        let after = terms(&body);
        if after.first() == Some(&chosen) || Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(after[0], chosen, "{before:?} → {after:?}");
    let mut sorted_before = before.clone();
    let mut sorted_after = after.clone();
    sorted_before.sort();
    sorted_after.sort();
    assert_eq!(sorted_before, sorted_after, "the same terms, reordered");
}

#[tokio::test]
async fn strings_an_owner_hides_never_show_in_hot_searches() {
    let dir = tempfile::tempdir().unwrap();
    let hidden = dir.path().join("hidden.txt");
    std::fs::write(&hidden, "# 不公开的检索词\n停车\n").unwrap();
    let app = util::router(ServerOptions {
        query_log: Some(dir.path().join(FILE_NAME)),
        hot_searches: true,
        hot_hidden: Some(hidden),
        ..Default::default()
    });
    for _ in 0..3 {
        search(&app, &format!("/api/search?q={}", enc("停车场"))).await;
        search(&app, &format!("/api/search?q={}", enc("养老"))).await;
    }
    // The log is written on its own thread: wait until both queries would be hot.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, body) = get_with(&app, "/api/hot", None).await;
        let hot: Value = serde_json::from_str(&body).unwrap();
        if hot["queries"] == serde_json::json!(["养老"]) {
            break;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, landing) = get_with(&app, "/", None).await;
    let start = landing.find("<nav class=\"hot\"").expect("热门搜索 listed");
    let hot = &landing[start..start + landing[start..].find("</nav>").unwrap()];
    assert!(hot.contains("养老") && !hot.contains("停车"), "{hot}");
}
