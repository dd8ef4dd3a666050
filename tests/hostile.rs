//! Hostile input against the HTTP service through `app(state).oneshot(...)` (and, for what
//! only a real connection can send, a server on loopback): every malformed, oversized or
//! malicious request is answered with a 4xx JSON error or a sane 200, never a 5xx, a panic
//! or a hang. Also load shedding, searches during writes, security headers and the admin key
//! never being echoed or logged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use reply_search::server::{ServerOptions, app};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;

use crate::util::{self, corpus_state as shared_state, enc, raw_exchange, router, status_of};

const KEY: &str = "hostile-admin-key-7f3a";
/// Every call must be answered within this.
const DEADLINE: Duration = Duration::from_secs(5);

fn writable() -> axum::Router {
    util::writable(KEY)
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn call(app: &axum::Router, request: Request<Body>) -> Reply {
    let what = format!("{} {}", request.method(), short(&request.uri().to_string()));
    let work = async {
        let (status, headers, body) = util::respond(app, request).await;
        Reply {
            status,
            headers,
            body,
        }
    };
    tokio::time::timeout(DEADLINE, work)
        .await
        .unwrap_or_else(|_| panic!("{what} was not answered within {DEADLINE:?}"))
}

fn short(s: &str) -> String {
    if s.len() <= 120 {
        s.to_string()
    } else {
        format!("{}… ({} bytes)", &s[..s.floor_char_boundary(120)], s.len())
    }
}

fn get_req(uri: &str) -> Request<Body> {
    empty_req(Method::GET, uri)
}

/// A request without a body.
fn empty_req(method: Method, uri: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap()
}

fn json_req(method: Method, uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

fn put_req(
    uri: &str,
    key: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut b = Request::put(uri).header(header::CONTENT_TYPE, content_type);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    b.body(body.into()).unwrap()
}

/// Not a server error, and for API paths a well-formed error body whenever it fails.
fn assert_sane(what: &str, reply: &Reply) {
    assert!(
        reply.status.as_u16() < 500,
        "{what}: {} {}",
        reply.status,
        short(&reply.text())
    );
    if reply.status.is_client_error() && is_api(what) && !what.starts_with("HEAD") {
        assert_error_body(what, reply);
    }
}

fn is_api(what: &str) -> bool {
    what.split_whitespace()
        .nth(1)
        .is_some_and(|p| p.starts_with("/api/"))
}

fn assert_error_body(what: &str, reply: &Reply) {
    let body = reply.json();
    assert!(
        body["error"]["code"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
        "{what}: {} is not a JSON error body: {}",
        reply.status,
        short(&reply.text())
    );
    assert!(
        reply.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{what}"
    );
}

/// Exactly this status, with a JSON error body.
fn assert_status(what: &str, reply: &Reply, expected: StatusCode) {
    assert_eq!(reply.status, expected, "{what}: {}", short(&reply.text()));
    if !expected.is_success() && !what.starts_with("HEAD") {
        assert_error_body(what, reply);
    }
}

async fn check_get(app: &axum::Router, uri: &str) -> Reply {
    let reply = call(app, get_req(uri)).await;
    assert_sane(&format!("GET {}", short(uri)), &reply);
    reply
}

async fn check_post(app: &axum::Router, uri: &str, body: impl Into<Body>) -> Reply {
    let reply = call(app, json_req(Method::POST, uri, body)).await;
    assert_sane(&format!("POST {}", short(uri)), &reply);
    reply
}

// ---------------------------------------------------------------------------------------
// Queries

#[tokio::test]
async fn hostile_query_strings_get_200_or_json_4xx() {
    let app = router(ServerOptions::default());
    let long_ok = "字".repeat(1000);
    let kinds = "kind:".repeat(1000);
    let kinds_fit = "kind:".repeat(199);
    let kinds_spaced = "kind: ".repeat(166);
    let parens = "(".repeat(1000);
    let quotes = "\"".repeat(999);
    let queries: Vec<String> = [
        "",
        " ",
        "\u{0}",
        "a\u{0}b",
        "\u{202E}停车\u{202D}",
        "\u{200B}\u{200C}\u{200D}\u{FEFF}",
        "停\u{200B}车",
        "🚗🅿️ 停车 👨‍👩‍👧‍👦",
        "\u{1F600}\u{1F600}\u{1F600}",
        "e\u{301}\u{301}\u{301}\u{301}",
        "\"停车",
        "停车\"",
        "\"\"\"",
        "((停车",
        "停车))",
        ")(",
        "OR OR -",
        "- - -",
        "-",
        "--停车",
        // Excluding a word that few letters hold (a tantivy debug assertion, see
        // docs/hardening.md).
        "-新质生产力",
        "住房 -新质生产力",
        "-300",
        "-\"",
        "| || OR",
        "停车 OR",
        "OR 停车",
        "field:",
        "title:",
        "title:\"",
        "title:\"\"",
        "year:abc",
        "year:99999999999999999999",
        "year:-1",
        "year:",
        "year:2024 year:2023",
        "respondent:\u{0}",
        "kind:kind:kind:",
        "“停车」『電梯』＂泊位＂",
        "－停车　ＯＲ　泊位",
        "＂",
        "「",
        "*",
        "?",
        "\\",
        "停车~2",
        "停车^10",
        "[1 TO 2]",
        "{!}",
        "a:b:c:d",
        "<script>alert(1)</script>",
        "'; DROP TABLE letters; --",
        "%00",
        "%FF%FE",
        "..\\..\\",
        "\r\n\r\nX-Injected: 1",
        "\u{7F}\u{1B}[31m",
        "\u{FFFD}",
        "\u{10FFFF}",
        "𠀀𪚥𰻞",
        &long_ok,
        &kinds,
        &kinds_fit,
        &kinds_spaced,
        &parens,
        &quotes,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for q in &queries {
        for extra in [
            "",
            "&match=all",
            "&sort=date&facets=respondent,year,kind,session",
        ] {
            let reply = check_get(&app, &format!("/api/search?q={}{extra}", enc(q))).await;
            if q.chars().count() <= 1000 {
                // Nothing a user types is a syntax error: within the length limit, a query
                // either answers or is refused with a user error naming the query.
                if reply.status != StatusCode::OK {
                    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "q={}", short(q));
                    assert_eq!(reply.json()["error"]["code"], "bad_query", "q={}", short(q));
                }
            } else {
                assert_status(
                    &format!("GET q={}", short(q)),
                    &reply,
                    StatusCode::BAD_REQUEST,
                );
            }
            if reply.status == StatusCode::OK {
                let body = reply.json();
                for hit in body["hits"].as_array().unwrap() {
                    for field in ["snippet", "title_html"] {
                        let html = hit[field].as_str().unwrap();
                        let rest = html.replace("<mark>", "").replace("</mark>", "");
                        assert!(!rest.contains('<'), "q={}: {field} {html}", short(q));
                    }
                }
            }
            let reply = check_post(&app, "/api/search", json!({ "q": q }).to_string()).await;
            assert!(reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST);
        }
        check_get(&app, &format!("/api/suggest?q={}", enc(q))).await;
        check_get(&app, &format!("/?q={}", enc(q))).await;
        check_post(&app, "/api/similar", json!({ "text": q }).to_string()).await;
    }
    // Raw bytes that are not UTF-8, in a query string: decoded lossily, never a 5xx.
    for raw in [
        "%FF%FE",
        "%C0%AF",
        "%ED%A0%80",
        "%F4%90%80%80",
        "%",
        "%Z",
        "%%",
        "%E5%AD",
    ] {
        check_get(&app, &format!("/api/search?q={raw}")).await;
        check_get(
            &app,
            &format!("/api/search?q=a&respondent={raw}&kind={raw}&session={raw}"),
        )
        .await;
        check_get(&app, &format!("/api/suggest?q={raw}")).await;
        check_get(&app, &format!("/?q={raw}")).await;
        check_get(&app, &format!("/api/search?{raw}={raw}")).await;
    }
}

#[tokio::test]
async fn oversized_queries_are_refused() {
    let app = router(ServerOptions::default());
    // 1 MB through POST.
    let huge = "停".repeat(350_000);
    let reply = check_post(&app, "/api/search", json!({ "q": huge }).to_string()).await;
    assert_status("POST 1 MB q", &reply, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], "bad_query");
    // The largest URI the http crate can carry (a real 1 MB request line is tried on
    // loopback below): refused as too long, not searched.
    let q = "a".repeat(60_000);
    let reply = check_get(&app, &format!("/api/search?q={q}")).await;
    assert_status("GET 60 kB q", &reply, StatusCode::BAD_REQUEST);
    let reply = check_get(&app, &format!("/api/suggest?q={q}")).await;
    assert_status("GET 60 kB suggest", &reply, StatusCode::BAD_REQUEST);
    check_get(&app, &format!("/?q={q}")).await;
    // A pasted text far over the limit is cut, not refused or choked on.
    let text = "关于加装电梯的建议。".repeat(25_000);
    check_post(&app, "/api/similar", json!({ "text": text }).to_string()).await;
    // Many parameters, many repeats of one parameter.
    let many: String = (0..2000).map(|i| format!("p{i}=x&")).collect();
    check_get(&app, &format!("/api/search?{many}q=a")).await;
    let repeated = "q=a&".repeat(2000);
    check_get(&app, &format!("/api/search?{repeated}")).await;
    check_get(&app, &format!("/?{repeated}")).await;
    let facets = "year,".repeat(5000);
    check_get(&app, &format!("/api/search?q=a&facets={facets}")).await;
}

#[tokio::test]
async fn unknown_parameters_and_fields() {
    let app = router(ServerOptions::default());
    let reply = check_get(&app, "/api/search?q=a&bogus=1&__proto__=x&constructor=y").await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "unknown query parameters are ignored"
    );
    for body in [
        json!({"q": "a", "bogus": 1}),
        json!({"q": "a", "__proto__": {"admin": true}}),
        json!({"text": "停车", "limit": 5, "bogus": true}),
    ] {
        let uri = if body.get("text").is_some() {
            "/api/similar"
        } else {
            "/api/search"
        };
        let reply = check_post(&app, uri, body.to_string()).await;
        assert!(reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST);
    }
    let reply = check_post(
        &app,
        "/api/search",
        json!({"q": "a", "bogus": 1}).to_string(),
    )
    .await;
    assert_status("unknown JSON field", &reply, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn numbers_out_of_range_and_not_numbers() {
    let app = router(ServerOptions::default());
    for (param, value) in [
        ("limit", "-1"),
        ("limit", "99999999999999999999"),
        ("limit", "18446744073709551616"),
        ("limit", "1.5"),
        ("limit", "1e3"),
        ("limit", "abc"),
        ("limit", "0x10"),
        ("limit", "101"),
        ("limit", "%00"),
        ("offset", "-1"),
        ("offset", "99999999999999999999"),
        ("offset", "18446744073709551615"),
        ("offset", "10001"),
        ("offset", "2.5"),
        ("offset", "NaN"),
        ("year", "abc"),
        ("year", "-2024"),
        ("year", "99999999999"),
        ("year", "0"),
        ("year", "4294967295"),
        ("sort", "sideways"),
        ("match", "some"),
        ("facets", "colour"),
        ("facets", ",,,"),
    ] {
        let uri = format!("/api/search?q=a&{param}={value}");
        let reply = check_get(&app, &uri).await;
        let fine = (param == "facets" && value == ",,,") || (param == "limit" && value == "%00");
        if !fine {
            assert_status(&uri, &reply, StatusCode::BAD_REQUEST);
        }
    }
    check_get(&app, "/api/search?q=a&limit=").await;
    check_get(&app, "/api/search?q=a&offset=10000").await;
    check_get(&app, "/api/search?q=a&limit=0").await;
    for body in [
        r#"{"q":"a","limit":-1}"#,
        r#"{"q":"a","limit":99999999999999999999}"#,
        r#"{"q":"a","limit":1.5}"#,
        r#"{"q":"a","limit":1e308}"#,
        r#"{"q":"a","limit":"10"}"#,
        r#"{"q":"a","offset":-5}"#,
        r#"{"q":"a","offset":1e30}"#,
        r#"{"q":"a","year":-1}"#,
        r#"{"q":"a","year":1e10}"#,
        r#"{"q":"a","year":99999}"#,
    ] {
        let reply = check_post(&app, "/api/search", body).await;
        assert_status(body, &reply, StatusCode::BAD_REQUEST);
    }
    for limit in ["0", "-1", "51", "99999999999999999999", "x"] {
        let uri = format!("/api/docs/{}/similar?limit={limit}", util::FUTIAN);
        let reply = check_get(&app, &uri).await;
        assert_status(&uri, &reply, StatusCode::BAD_REQUEST);
        let body = format!(r#"{{"text":"停车","limit":{limit}}}"#);
        check_post(&app, "/api/similar", body).await;
    }
    for limit in ["0", "21", "-1", "99999999999999999999", "x"] {
        let uri = format!("/api/suggest?q=a&limit={limit}");
        let reply = check_get(&app, &uri).await;
        assert_status(&uri, &reply, StatusCode::BAD_REQUEST);
    }
    for page in ["0", "-1", "99999999999999999999", "1002", "abc", "1.5"] {
        check_get(&app, &format!("/?q=a&page={page}")).await;
    }
}

#[tokio::test]
async fn impossible_dates() {
    let app = router(ServerOptions::default());
    for (from, to) in [
        ("2024-02-30", ""),
        ("2024-13-01", ""),
        ("2023-02-29", ""),
        ("2024-00-10", ""),
        ("2024-01-32", ""),
        ("", "2024-02-30"),
        ("abcd", ""),
        ("2024-1-1-1", ""),
        ("99999999999999999999", ""),
        ("-2024", ""),
        ("2024-06-01", "2024-01-01"),
        ("2025", "2024"),
    ] {
        let uri = format!("/api/search?q=a&from={}&to={}", enc(from), enc(to));
        let reply = check_get(&app, &uri).await;
        assert_status(&uri, &reply, StatusCode::BAD_REQUEST);
        assert_eq!(reply.json()["error"]["code"], "bad_date", "{uri}");
        let body = json!({"q": "a", "from": from, "to": to}).to_string();
        let reply = check_post(&app, "/api/search", body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    }
    for date in [
        "0000-01-01",
        "0001",
        "9999-12-31",
        "2024/02/29",
        "2024.2.29",
        " 2024 ",
        "２０２４",
        "2024-02-29T00:00",
    ] {
        check_get(&app, &format!("/api/search?q=a&from={}", enc(date))).await;
        check_get(&app, &format!("/api/search?q=a&to={}", enc(date))).await;
        check_get(&app, &format!("/?q=a&from={}", enc(date))).await;
    }
}

// ---------------------------------------------------------------------------------------
// Bodies

#[tokio::test]
async fn malformed_json_bodies() {
    let app = router(ServerOptions::default());
    let nested_arrays = "[".repeat(10_000);
    let nested_objects = r#"{"q":"#.repeat(10_000);
    let nested_closed = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let nested_in_field = format!(
        r#"{{"q":"a","facets":{}{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let bodies: Vec<String> = [
        "",
        " ",
        "{",
        "}",
        "{not json",
        "null",
        "true",
        "123",
        "\"q\"",
        "[]",
        "[{\"q\":\"a\"}]",
        r#"{"q": 5}"#,
        r#"{"q": ["a"]}"#,
        r#"{"q": {"a": 1}}"#,
        r#"{"q": null}"#,
        r#"{"q": "\ud800"}"#,
        r#"{"q": "\udc00\ud800"}"#,
        r#"{"q": "a\u0000b"}"#,
        r#"{"q": "a", "q": "b"}"#,
        r#"{"facets": "year"}"#,
        r#"{"facets": ["colour"]}"#,
        r#"{"facets": [1, 2]}"#,
        r#"{"sort": 1}"#,
        r#"{"match": "none"}"#,
        r#"{"q": "a"} trailing"#,
        r#"{"q": "a"}{"q": "b"}"#,
        "\u{FEFF}{\"q\":\"a\"}",
        "{'q': 'a'}",
        r#"{"q": "\x"}"#,
        r#"{"q": "a
b"}"#,
        &nested_arrays,
        &nested_objects,
        &nested_closed,
        &nested_in_field,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for body in &bodies {
        for uri in ["/api/search", "/api/similar"] {
            let reply = check_post(&app, uri, body.clone()).await;
            assert!(
                reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST,
                "POST {uri} {}: {}",
                short(body),
                reply.status
            );
        }
    }
    // Invalid UTF-8 in a JSON body.
    for raw in [
        &b"{\"q\":\"\xFF\xFE\"}"[..],
        b"\xC0\xAF",
        b"{\"text\":\"\xED\xA0\x80\"}",
    ] {
        for uri in ["/api/search", "/api/similar"] {
            let reply = check_post(&app, uri, raw.to_vec()).await;
            assert_status(uri, &reply, StatusCode::BAD_REQUEST);
        }
    }
}

#[tokio::test]
async fn wrong_content_types_and_sizes() {
    let app = writable();
    let body = json!({"q": "a"}).to_string();
    for uri in ["/api/search", "/api/similar"] {
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
            Some(""),
            Some("application/jsonx"),
            None,
        ] {
            let mut b = Request::post(uri);
            if let Some(ct) = content_type {
                b = b.header(header::CONTENT_TYPE, ct);
            }
            let reply = call(&app, b.body(Body::from(body.clone())).unwrap()).await;
            assert_status(
                &format!("POST {uri} as {content_type:?}"),
                &reply,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            );
        }
        // Content types that are JSON are accepted.
        for ct in [
            "application/json; charset=utf-8",
            "application/vnd.api+json",
        ] {
            let reply = call(
                &app,
                Request::post(uri)
                    .header(header::CONTENT_TYPE, ct)
                    .body(Body::from(r#"{"q":"a","text":"a"}"#))
                    .unwrap(),
            )
            .await;
            assert_sane(&format!("POST {uri} as {ct}"), &reply);
        }
    }

    // 10 MB bodies: 413 with a JSON error on every API route that reads a body, whoever
    // sends them.
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    let big_json = format!(r#"{{"q":"{}"}}"#, "a".repeat(10 * 1024 * 1024));
    for (what, request) in [
        (
            "POST /api/search",
            json_req(Method::POST, "/api/search", big_json.clone()),
        ),
        (
            "POST /api/similar",
            json_req(Method::POST, "/api/similar", big_json.clone()),
        ),
        (
            "PUT /api/docs/big json",
            put_req(
                "/api/docs/big",
                Some(KEY),
                "application/json",
                big_json.clone(),
            ),
        ),
        (
            "PUT /api/docs/big text",
            put_req("/api/docs/big", Some(KEY), "text/plain", ten_mb.clone()),
        ),
        (
            "PUT /api/docs/big unauthenticated",
            put_req("/api/docs/big", None, "text/plain", ten_mb.clone()),
        ),
    ] {
        let reply = call(&app, request).await;
        assert_status(what, &reply, StatusCode::PAYLOAD_TOO_LARGE);
    }
    // The pasted-text page too (an HTML answer, but never a 5xx).
    let reply = call(
        &app,
        Request::post("/similar")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from([b"text=".as_slice(), &ten_mb].concat()))
            .unwrap(),
    )
    .await;
    assert!(
        reply.status.is_client_error(),
        "POST /similar 10 MB: {}",
        reply.status
    );

    // Under the limit but over the letter size the engine takes, or empty, or not UTF-8.
    for (ct, body) in [
        ("text/plain", Vec::new()),
        ("text/plain", b"   \n\t ".to_vec()),
        ("text/plain", b"\xFF\xFE\x00".to_vec()),
        ("text/plain", "\u{0}".repeat(1000).into_bytes()),
        ("application/json", b"{}".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", br#"{"text": 5}"#.to_vec()),
        ("application/json", br#"{"text": ""}"#.to_vec()),
        (
            "application/json",
            br#"{"text": "a", "date": "2024-02-30"}"#.to_vec(),
        ),
        (
            "application/json",
            br#"{"text": "a", "year": "abc", "kind": ["x"]}"#.to_vec(),
        ),
        ("application/json", "[".repeat(10_000).into_bytes()),
        ("application/xml", b"<x/>".to_vec()),
        ("", b"x".to_vec()),
    ] {
        let reply = call(&app, put_req("/api/docs/odd", Some(KEY), ct, body.clone())).await;
        assert_sane(
            &format!(
                "PUT /api/docs/odd {ct} {}",
                short(&String::from_utf8_lossy(&body))
            ),
            &reply,
        );
    }
}

// ---------------------------------------------------------------------------------------
/// Titles are indexed as words, bigrams and a fast-field column (for suggestions): a huge
/// title, or one enormous "word" with no break for jieba, must be stored and served.
#[tokio::test]
async fn huge_titles_are_indexed_and_served() {
    let app = writable();
    let titles = [
        "关于加装电梯的建议".repeat(60_000),
        "电".repeat(300_000),
        "x".repeat(1_500_000),
    ];
    for (i, title) in titles.iter().enumerate() {
        let body =
            serde_json::json!({"title": title, "text": "老旧小区加装电梯的答复。"}).to_string();
        let uri = format!("/api/docs/huge-title-{i}");
        let reply = call(&app, put_req(&uri, Some(KEY), "application/json", body)).await;
        assert_sane(&format!("PUT {uri}"), &reply);
        assert!(reply.status.is_success(), "PUT {uri}: {}", reply.status);
    }
    for uri in [
        "/api/search?q=%E5%8A%A0%E8%A3%85%E7%94%B5%E6%A2%AF",
        "/api/suggest?q=%E5%85%B3%E4%BA%8E",
        "/api/suggest?q=%E7%94%B5",
        "/api/suggest?q=x",
        "/api/docs/huge-title-1",
        "/api/docs/huge-title-0/similar",
    ] {
        let reply = check_get(&app, uri).await;
        assert_status(uri, &reply, StatusCode::OK);
    }
}

// Paths and methods

#[tokio::test]
async fn path_tricks_in_document_ids() {
    let app = writable();
    let long_id = "x".repeat(10 * 1024);
    let ids = [
        "..",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%5C..%5Cwindows",
        "%00",
        "a%00b",
        "%0D%0AX-Injected:%201",
        "%FF%FE",
        "%C0%AE%C0%AE",
        "%ED%A0%80",
        "%",
        "%2",
        "%252e%252e",
        "%20",
        "%E2%80%AE",
        "%F0%9F%9A%97",
        "CON",
        "index",
        "meta.json",
        &long_id,
    ];
    for id in ids {
        for suffix in ["", "/similar", "/similar?limit=3"] {
            let reply = check_get(&app, &format!("/api/docs/{id}{suffix}")).await;
            assert!(
                matches!(reply.status.as_u16(), 400 | 404),
                "GET /api/docs/{}{suffix}: {}",
                short(id),
                reply.status
            );
        }
        let reply = check_get(&app, &format!("/docs/{id}")).await;
        assert!(
            reply.status.is_client_error(),
            "GET /docs/{}: {}",
            short(id),
            reply.status
        );
        // Without the key: refused before anything else.
        let reply = call(
            &app,
            put_req(
                &format!("/api/docs/{id}"),
                None,
                "text/plain",
                "尊敬的代表：答复如下。",
            ),
        )
        .await;
        assert_sane(&format!("PUT /api/docs/{}", short(id)), &reply);
        assert!(
            matches!(reply.status.as_u16(), 400 | 401),
            "PUT {}: {}",
            short(id),
            reply.status
        );
        let reply = call(
            &app,
            Request::delete(format!("/api/docs/{id}"))
                .header(header::AUTHORIZATION, "Bearer wrong")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert!(
            matches!(reply.status.as_u16(), 400 | 401),
            "DELETE {}: {}",
            short(id),
            reply.status
        );
        // With the key: stored under exactly that id (an id is a name, never a file path),
        // or refused as a bad id.
        let reply = call(
            &app,
            put_req(
                &format!("/api/docs/{id}"),
                Some(KEY),
                "text/plain",
                "尊敬的代表：答复如下，已列入计划。",
            ),
        )
        .await;
        assert_sane(&format!("PUT(key) /api/docs/{}", short(id)), &reply);
        if reply.status.is_success() {
            let stored = reply.json()["id"].as_str().unwrap().to_string();
            let back = check_get(&app, &format!("/api/docs/{}", enc(&stored))).await;
            assert_eq!(back.status, StatusCode::OK, "{}", short(id));
            assert_eq!(back.json()["id"], stored.as_str());
            let reply = call(
                &app,
                Request::delete(format!("/api/docs/{}", enc(&stored)))
                    .header(header::AUTHORIZATION, format!("Bearer {KEY}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "DELETE {}", short(id));
        } else {
            assert_status(
                &format!("PUT {}", short(id)),
                &reply,
                StatusCode::BAD_REQUEST,
            );
        }
    }
    // Literal dot segments and extra slashes route nowhere (or to a page), never to a file.
    for uri in [
        "/api/docs/../../etc/passwd",
        "/api/docs/./x",
        "/api/docs//similar",
        "/api/docs/",
        "/api/docs",
        "/api//search?q=a",
        "/static/../Cargo.toml",
        "/static/..%2F..%2FCargo.toml",
        "/static/page.css/../../Cargo.toml",
        "/docs/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let reply = check_get(&app, uri).await;
        assert!(!reply.text().contains("[package]"), "{uri} served a file");
        assert!(!reply.text().contains("root:"), "{uri} served a file");
    }
    // Unknown ids: 404 with the documented body.
    let reply = check_get(&app, "/api/docs/..%2F..%2Fetc%2Fpasswd").await;
    assert_status("GET traversal id", &reply, StatusCode::NOT_FOUND);
    let reply = check_get(&app, "/api/docs/%00").await;
    assert_status("GET NUL id", &reply, StatusCode::BAD_REQUEST);
    let reply = check_get(&app, &format!("/api/docs/{long_id}")).await;
    assert_status("GET 10 kB id", &reply, StatusCode::BAD_REQUEST);
    let reply = call(
        &app,
        put_req(
            &format!("/api/docs/{long_id}"),
            Some(KEY),
            "text/plain",
            "答复",
        ),
    )
    .await;
    assert_status("PUT 10 kB id", &reply, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn methods_and_headers() {
    let app = writable();
    let doc = format!("/api/docs/{}", util::FUTIAN);
    let similar = format!("{doc}/similar");
    // HEAD is answered like GET, without a body.
    for uri in ["/api/search?q=a", "/health", "/", doc.as_str()] {
        let reply = call(&app, Request::head(uri).body(Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "HEAD {uri}");
        assert!(reply.body.is_empty(), "HEAD {uri} has a body");
    }
    let custom = Method::from_bytes(b"FOOBAR").unwrap();
    for method in [
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
        custom.clone(),
    ] {
        for uri in [
            "/api/search",
            "/api/similar",
            "/api/suggest",
            doc.as_str(),
            similar.as_str(),
            "/health",
        ] {
            let reply = call(&app, empty_req(method.clone(), uri)).await;
            assert_status(
                &format!("{method} {uri}"),
                &reply,
                StatusCode::METHOD_NOT_ALLOWED,
            );
        }
        let reply = call(&app, empty_req(method.clone(), "/")).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} /");
    }
    for (method, uri) in [
        (Method::GET, "/api/similar"),
        (Method::PUT, "/api/search"),
        (Method::DELETE, "/api/search"),
        (Method::POST, doc.as_str()),
        (Method::POST, "/api/suggest"),
        (Method::DELETE, "/health"),
    ] {
        let reply = call(&app, empty_req(method.clone(), uri)).await;
        assert_status(
            &format!("{method} {uri}"),
            &reply,
            StatusCode::METHOD_NOT_ALLOWED,
        );
    }

    // Very long header values.
    let long = "x".repeat(64 * 1024);
    let reply = call(
        &app,
        Request::get("/api/search?q=a")
            .header("X-Long", long.as_str())
            .header(header::USER_AGENT, long.as_str())
            .header(header::ACCEPT, long.as_str())
            .header(header::ACCEPT_LANGUAGE, long.as_str())
            .header(header::COOKIE, long.as_str())
            .header(header::ORIGIN, long.as_str())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = call(
        &app,
        put_req("/api/docs/x", Some(&long), "text/plain", "答复"),
    )
    .await;
    assert_status("PUT with a 64 kB key", &reply, StatusCode::UNAUTHORIZED);
    let reply = call(&app, put_req("/api/docs/x", Some(KEY), &long, "答复")).await;
    assert_status(
        "PUT with a 64 kB content type",
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    );
    let reply = call(
        &app,
        Request::post("/api/search")
            .header(header::CONTENT_TYPE, format!("application/json; {long}"))
            .body(Body::from(r#"{"q":"a"}"#))
            .unwrap(),
    )
    .await;
    assert_sane("POST with a 64 kB content type", &reply);
    // The scheme is case-insensitive and may be followed by more than one space (RFC 9110);
    // anything that is not Bearer and the key, or not text, is refused.
    let accepted = [
        format!("bearer {KEY}"),
        format!("BEARER {KEY}"),
        format!("Bearer  {KEY}"),
    ];
    let refused = [
        format!("Basic {KEY}"),
        format!("Bearer {KEY}x"),
        KEY.to_string(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
    ];
    for (auth, ok) in accepted
        .iter()
        .map(|a| (a, true))
        .chain(refused.iter().map(|a| (a, false)))
    {
        let reply = call(
            &app,
            Request::put("/api/docs/x")
                .header(header::CONTENT_TYPE, "text/plain")
                .header(header::AUTHORIZATION, auth.as_str())
                .body(Body::from("答复"))
                .unwrap(),
        )
        .await;
        let what = format!("PUT with Authorization {auth:?}");
        if ok {
            assert!(reply.status.is_success(), "{what}: {}", reply.status);
        } else {
            assert_status(&what, &reply, StatusCode::UNAUTHORIZED);
        }
    }
    let reply = call(
        &app,
        Request::put("/api/docs/x")
            .header(header::CONTENT_TYPE, "text/plain")
            .header(
                header::AUTHORIZATION,
                axum::http::HeaderValue::from_bytes(b"Bearer \xFF\xFE").unwrap(),
            )
            .body(Body::from("答复"))
            .unwrap(),
    )
    .await;
    assert_status("PUT with a non-UTF-8 key", &reply, StatusCode::UNAUTHORIZED);
    // A read-only server refuses writes with 403 whatever the key.
    let read_only = router(ServerOptions::default());
    for key in [None, Some(""), Some(KEY)] {
        let reply = call(
            &read_only,
            put_req("/api/docs/x", key, "text/plain", "答复"),
        )
        .await;
        assert_status("PUT read-only", &reply, StatusCode::FORBIDDEN);
        let mut b = Request::delete(format!("/api/docs/{}", util::FUTIAN));
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        let reply = call(&read_only, b.body(Body::empty()).unwrap()).await;
        assert_status("DELETE read-only", &reply, StatusCode::FORBIDDEN);
    }
    // An empty admin key does not enable writes.
    let blank = router(ServerOptions {
        admin_key: Some("  ".into()),
        ..Default::default()
    });
    let reply = call(
        &blank,
        put_req("/api/docs/x", Some("  "), "text/plain", "答复"),
    )
    .await;
    assert_status(
        "PUT with a blank key configured",
        &reply,
        StatusCode::FORBIDDEN,
    );
}

#[tokio::test]
async fn metrics_labels_stay_bounded() {
    // Every distinct method or path must not become a new metrics series, or a client could
    // grow the server's memory and its /metrics answer without bound.
    let app = router(ServerOptions::default());
    for i in 0..300 {
        let method = Method::from_bytes(format!("M{i}").as_bytes()).unwrap();
        call(
            &app,
            Request::builder()
                .method(method)
                .uri(format!("/nowhere/{i}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        call(&app, get_req(&format!("/api/nowhere-{i}"))).await;
    }
    let metrics = call(&app, get_req("/metrics")).await.text();
    let series = metrics
        .lines()
        .filter(|l| l.starts_with("reply_search_requests_total{"))
        .count();
    assert!(
        series < 20,
        "{series} request series after 600 odd requests:\n{metrics}"
    );
    assert!(
        !metrics.contains("nowhere"),
        "raw paths leak into metric labels"
    );
}

// ---------------------------------------------------------------------------------------
// Load

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn load_is_shed_with_503_and_retry_after() {
    let state = shared_state(ServerOptions {
        max_concurrent_searches: 1,
        ..Default::default()
    });
    let app = app(state.clone());

    // Deterministic: hold the only slot, then every search-like request is shed.
    let held = state.search_slots.acquire().await.unwrap();
    for request in [
        get_req("/api/search?q=a"),
        json_req(
            Method::POST,
            "/api/similar",
            json!({"text": "停车"}).to_string(),
        ),
        get_req("/api/suggest?q=停"),
        get_req(&format!("/api/docs/{}/similar", util::FUTIAN)),
    ] {
        let what = format!("{} {}", request.method(), request.uri());
        let reply = call(&app, request).await;
        assert_status(&what, &reply, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.json()["error"]["code"], "busy");
        assert!(
            reply.headers.get(header::RETRY_AFTER).is_some(),
            "{what}: no Retry-After"
        );
    }
    // Cheap routes do not need a slot.
    assert_eq!(call(&app, get_req("/health")).await.status, StatusCode::OK);
    assert_eq!(
        call(&app, get_req(&format!("/api/docs/{}", util::FUTIAN)))
            .await
            .status,
        StatusCode::OK
    );
    drop(held);
    assert_eq!(
        call(&app, get_req("/api/search?q=a")).await.status,
        StatusCode::OK
    );

    // A flood of expensive requests: some are shed, none fail.
    let text: String =
        std::fs::read_to_string(util::corpus_dir().join("futian-fgj-reply-20240294.txt"))
            .unwrap()
            .repeat(4);
    let body = json!({"text": text, "limit": 50}).to_string();
    let mut flood = tokio::task::JoinSet::new();
    // Enough requests that one slot cannot serve them all within the second a request
    // waits, however fast a similar request has become.
    for _ in 0..192 {
        let app = app.clone();
        let body = body.clone();
        flood.spawn(async move {
            let request = json_req(Method::POST, "/api/similar", body);
            let response = tokio::time::timeout(Duration::from_secs(30), app.oneshot(request))
                .await
                .expect("flooded request answered")
                .unwrap();
            (
                response.status(),
                response.headers().get(header::RETRY_AFTER).cloned(),
            )
        });
    }
    let (mut ok, mut shed) = (0, 0);
    while let Some(done) = flood.join_next().await {
        let (status, retry_after) = done.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(retry_after.is_some(), "503 without Retry-After");
                shed += 1;
            }
            other => panic!("flooded request answered {other}"),
        }
    }
    eprintln!("flood of 48 similar requests, one slot: {ok} answered, {shed} shed");
    assert!(ok >= 1, "nothing was answered");
    assert!(
        shed >= 1,
        "nothing was shed: the flood was not concurrent enough"
    );
    // And the server recovers.
    assert_eq!(
        call(&app, get_req("/api/search?q=a")).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn searches_keep_succeeding_while_documents_are_written() {
    // What is tested is that readers see consistent commits during writes, not load
    // shedding: every request gets a slot, however slow the machine running the tests.
    let app = router(ServerOptions {
        admin_key: Some(KEY.into()),
        max_concurrent_searches: 1000,
        ..Default::default()
    });
    let writer = {
        let app = app.clone();
        tokio::spawn(async move {
            for i in 0..30 {
                let letter = json!({
                    "text": format!("尊敬的代表：您提出的关于第{i}号路口增设红绿灯的建议收悉。现答复如下：已列入计划。\n某某区交通局\n2024年5月{}日", i % 28 + 1),
                    "kind": "建议"
                });
                let reply = call(
                    &app,
                    put_req(
                        &format!("/api/docs/during-{i}"),
                        Some(KEY),
                        "application/json",
                        letter.to_string(),
                    ),
                )
                .await;
                assert_eq!(
                    reply.status,
                    StatusCode::CREATED,
                    "PUT {i}: {}",
                    reply.text()
                );
            }
        })
    };
    let queries = [
        "停车",
        "\"加装电梯\"",
        "红绿灯",
        "新质生产力 OR 电梯",
        "year:2024 -福田",
        "路口",
    ];
    let mut searches = tokio::task::JoinSet::new();
    for i in 0..200 {
        let app = app.clone();
        let q = queries[i % queries.len()];
        searches.spawn(async move {
            let reply = call(
                &app,
                get_req(&format!("/api/search?q={}&facets=respondent,year", enc(q))),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "search {q}: {}", reply.text());
            let body = reply.json();
            assert!(body["total"].as_u64().is_some());
        });
        if i % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    while let Some(done) = searches.join_next().await {
        done.unwrap();
    }
    writer.await.unwrap();
    let reply = call(
        &app,
        get_req(&format!("/api/search?q={}&limit=50", enc("红绿灯"))),
    )
    .await;
    let ids: Vec<String> = reply.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids.iter().filter(|i| i.starts_with("during-")).count(),
        30,
        "{ids:?}"
    );
    let health = call(&app, get_req("/health")).await.json();
    assert_eq!(health["docs"], 254 + 30);
}

// ---------------------------------------------------------------------------------------
// Security headers and the admin key

#[tokio::test]
async fn html_pages_carry_security_headers() {
    let app = router(ServerOptions::default());
    for uri in [
        "/".to_string(),
        "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_string(),
        "/?q=a&page=abc".to_string(),
        "/similar".to_string(),
        format!("/docs/{}", util::FUTIAN),
        "/docs/no-such".to_string(),
        "/no-such-page".to_string(),
    ] {
        let reply = call(&app, get_req(&uri)).await;
        assert!(reply.status.as_u16() < 500, "{uri}");
        let ct = reply.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(ct.starts_with("text/html"), "{uri}: {ct}");
        let csp = reply
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap_or_else(|| panic!("{uri}: no CSP"))
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{uri}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{uri}: {csp}"
        );
        assert_eq!(
            reply.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{uri}"
        );
        let text = reply.text();
        assert!(!text.contains("<script>alert"), "{uri}: reflected markup");
    }
    for uri in [
        "/api/search?q=a",
        "/api/nowhere",
        "/widget.js",
        "/static/page.js",
        "/metrics",
    ] {
        let reply = call(&app, get_req(uri)).await;
        assert_eq!(
            reply.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{uri}"
        );
    }
}

/// Collects everything the library logs, at every level, for the key check.
#[derive(Clone, Default)]
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = LogSink;
    fn make_writer(&'a self) -> LogSink {
        self.clone()
    }
}

#[tokio::test]
async fn the_admin_key_is_never_echoed_or_logged() {
    const SECRET: &str = "S3cret-admin-key-never-shown-91c2";
    let sink = LogSink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(sink.clone())
        .finish();
    // Global, so that work on the blocking pool is captured too.
    tracing::subscriber::set_global_default(subscriber).expect("no other test sets a subscriber");

    let app = router(ServerOptions {
        admin_key: Some(SECRET.into()),
        ..Default::default()
    });
    let near = [
        format!("{SECRET}x"),
        SECRET[..SECRET.len() - 1].to_string(),
        SECRET.to_uppercase(),
        format!("x{SECRET}"),
        String::new(),
    ];
    let mut bodies = Vec::new();
    for wrong in &near {
        for request in [
            put_req("/api/docs/key-test", Some(wrong), "text/plain", "答复"),
            put_req(
                "/api/docs/key-test",
                Some(wrong),
                "application/json",
                "{bad json",
            ),
            put_req(
                &format!("/api/docs/{}", "k".repeat(300)),
                Some(SECRET),
                "text/plain",
                "答复",
            ),
            put_req(
                "/api/docs/key-test",
                Some(SECRET),
                "application/xml",
                "<x/>",
            ),
            put_req(
                "/api/docs/key-test",
                Some(SECRET),
                "application/json",
                "{bad json",
            ),
            put_req("/api/docs/key-test", Some(SECRET), "text/plain", ""),
            put_req(
                "/api/docs/key-test",
                Some(SECRET),
                "text/plain",
                vec![b'a'; 3 * 1024 * 1024],
            ),
            Request::delete("/api/docs/no-such")
                .header(header::AUTHORIZATION, format!("Bearer {SECRET}"))
                .body(Body::empty())
                .unwrap(),
            Request::delete("/api/docs/no-such")
                .header(header::AUTHORIZATION, format!("Bearer {wrong}"))
                .body(Body::empty())
                .unwrap(),
            Request::get("/api/search?q=a&limit=1000")
                .header(header::AUTHORIZATION, format!("Bearer {SECRET}"))
                .body(Body::empty())
                .unwrap(),
            Request::patch("/api/docs/key-test")
                .header(header::AUTHORIZATION, format!("Bearer {SECRET}"))
                .body(Body::empty())
                .unwrap(),
        ] {
            let reply = call(&app, request).await;
            assert!(!reply.status.is_success(), "{}", reply.text());
            assert!(reply.status.as_u16() < 500);
            bodies.push(reply.text());
            for (name, value) in &reply.headers {
                assert!(
                    !value
                        .as_bytes()
                        .windows(SECRET.len())
                        .any(|w| w == SECRET.as_bytes()),
                    "the key is in the {name} header"
                );
            }
        }
    }
    for page in ["/metrics", "/api/openapi.json", "/health", "/"] {
        bodies.push(call(&app, get_req(page)).await.text());
    }
    for body in &bodies {
        assert!(
            !body.contains(SECRET),
            "the admin key is in a response: {}",
            short(body)
        );
    }
    let logs = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    assert!(
        !logs.contains(SECRET),
        "the admin key is in the logs:\n{logs}"
    );
}

// ---------------------------------------------------------------------------------------
// A real server: what only a raw connection can send.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_server_survives_malformed_http() {
    let server = util::serve_on_loopback(writable()).await;
    let addr = server.addr;

    let one_mb_q = "a".repeat(1024 * 1024);
    let long_header = "x".repeat(1024 * 1024);
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("1 MB request line", format!("GET /api/search?q={one_mb_q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()),
        ("1 MB header", format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Long: {long_header}\r\nConnection: close\r\n\r\n").into_bytes()),
        ("10k headers", format!("GET /health HTTP/1.1\r\nHost: x\r\n{}Connection: close\r\n\r\n", "X-A: b\r\n".repeat(10_000)).into_bytes()),
        ("garbage", b"\x00\x01\x02\xFF\xFE GARBAGE\r\n\r\n".to_vec()),
        ("bad version", b"GET / HTTP/9.9\r\n\r\n".to_vec()),
        ("no path", b"GET HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("raw non-UTF-8 path", b"GET /api/docs/\xFF\xFE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("raw dot segments", b"GET /api/docs/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("absolute URI", b"GET http://evil.example/api/search?q=a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        ("negative content length", b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}".to_vec()),
        ("two content lengths", b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{}".to_vec()),
        ("huge content length, short body", b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n{}".to_vec()),
        ("bad chunked body", b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n".to_vec()),
        ("chunked and content length", b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n".to_vec()),
    ];
    let mut big_put = format!(
        "PUT /api/docs/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        ten_mb.len()
    )
    .into_bytes();
    big_put.extend_from_slice(&ten_mb);
    cases.push(("10 MB PUT", big_put));
    let mut big_post = format!(
        "POST /api/similar HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        ten_mb.len()
    )
    .into_bytes();
    big_post.extend_from_slice(&ten_mb);
    cases.push(("10 MB POST", big_post));

    for (what, request) in &cases {
        let response = raw_exchange(addr, request).await;
        if let Some(status) = status_of(&response) {
            assert!(status < 500, "{what}: {}", short(&response));
        }
        if what.starts_with("10 MB") {
            assert_eq!(
                status_of(&response),
                Some(413),
                "{what}: {}",
                short(&response)
            );
        }
        // Whatever it was, the server still answers.
        let health = raw_exchange(
            addr,
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(
            status_of(&health),
            Some(200),
            "after {what}: {}",
            short(&health)
        );
    }

    // A client that opens connections and sends nothing, or half a request, does not stop
    // others from being served.
    let mut idle = Vec::new();
    for i in 0..50 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        if i % 2 == 0 {
            let _ = s
                .write_all(b"GET /api/search?q=a HTTP/1.1\r\nHost: x\r\n")
                .await;
        }
        idle.push(s);
    }
    let health = raw_exchange(
        addr,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&health), Some(200), "{health}");
    drop(idle);

    server.stop().await;
}
