//! The HTTP API through `app(state).oneshot(...)`: every route, its errors, write
//! permissions, CORS, escaping, the OpenAPI description, and one real server on loopback.

use crate::util::{self, enc, respond as call, router};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use reply_search::ingest::Letter;
use reply_search::server::{CorsPolicy, ServerOptions};
use serde_json::{Value, json};

const KEY: &str = "test-admin-key";

fn writable() -> axum::Router {
    util::writable(KEY)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = call(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// An error response: 4xx with the documented body shape.
fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn search_get_and_post_answer_the_same() {
    let app = router(ServerOptions::default());
    let (status, body) = get(
        &app,
        &format!(
            "/api/search?q={}&limit=3&facets=respondent,year",
            enc("新质生产力")
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let hit = &body["hits"][0];
    // The public shape of a hit, pinned (score and timing vary, so they are checked apart).
    assert!(hit["score"].as_f64().unwrap() > 0.0 && body["took_ms"].as_f64().is_some());
    let mut pinned = hit.clone();
    pinned.as_object_mut().unwrap().remove("score");
    pinned.as_object_mut().unwrap().remove("snippet");
    assert_eq!(
        pinned,
        json!({"id": util::FUTIAN, "title": "福田区发展和改革局对福田区八届人大四次会议第20240294号建议的答复函",
               "title_html": "福田区发展和改革局对福田区八届人大四次会议第20240294号建议的答复函",
               "kind": "建议", "respondent": "福田区发展和改革局", "date": "2024-06-12", "proposal_no": "20240294",
               "session": "深圳市福田区第八届人民代表大会第四次会议", "matched_terms": 1})
    );
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>新质生产力</mark>")
    );
    assert_eq!(body["total"], 1);
    assert_eq!(body["total_is_exact"], true);
    assert_eq!(
        body["facets"]["respondent"],
        json!({"福田区发展和改革局": 1})
    );
    assert_eq!(body["facets"]["year"], json!({"2024": 1}));

    let request = Request::post("/api/search")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"q": "新质生产力", "limit": 3, "facets": ["respondent", "year"]}).to_string(),
        ))
        .unwrap();
    let (status, _, posted) = call(&app, request).await;
    assert_eq!(status, StatusCode::OK);
    let posted: Value = serde_json::from_slice(&posted).unwrap();
    assert_eq!(posted["hits"][0]["id"], body["hits"][0]["id"]);
    assert_eq!(posted["total"], body["total"]);
    assert_eq!(posted["facets"], body["facets"]);

    // Facets are counted only when asked for.
    let (status, plain) = get(
        &app,
        &format!("/api/search?q={}&limit=3", enc("新质生产力")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plain["facets"], json!({}));
    assert_eq!(plain["total"], body["total"]);
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let app = router(ServerOptions::default());
    for (uri, code) in [
        ("/api/search?q=a&limit=abc", "bad_parameter"),
        ("/api/search?q=a&limit=-1", "bad_parameter"),
        ("/api/search?q=a&limit=101", "bad_limit"),
        ("/api/search?q=a&offset=99999999", "bad_offset"),
        ("/api/search?q=a&facets=colour", "bad_facet"),
        ("/api/search?q=a&from=2024-02-30", "bad_date"),
        ("/api/search?q=a&year=3000", "bad_year"),
        ("/api/search?q=a&sort=sideways", "bad_parameter"),
        ("/api/suggest?q=a&limit=0", "bad_limit"),
    ] {
        let (status, body) = get(&app, uri).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, code);
    }
    let long = enc(&"字".repeat(1001));
    let (status, body) = get(&app, &format!("/api/search?q={long}")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_query");
    let (status, body) = get(&app, "/api/docs/no-such-doc").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = get(&app, "/api/docs/no-such-doc/similar").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = get(&app, "/api/docs/a%00b").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_id");
    let (status, body) = get(&app, "/api/no-such-route").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "no_route");

    let post = |body: &'static str, content_type: &'static str| {
        Request::post("/api/search")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    for (request, status, code) in [
        (
            post("{not json", "application/json"),
            StatusCode::BAD_REQUEST,
            "bad_body",
        ),
        (
            post(r#"{"q": "a", "bogus": 1}"#, "application/json"),
            StatusCode::BAD_REQUEST,
            "bad_body",
        ),
        (
            post(r#"{"q": 5}"#, "application/json"),
            StatusCode::BAD_REQUEST,
            "bad_body",
        ),
        (
            post(r#"{"q": "a"}"#, "text/plain"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_body",
        ),
    ] {
        let (got, _, body) = call(&app, request).await;
        assert_error(got, &serde_json::from_slice(&body).unwrap(), status, code);
    }
    let huge = Request::post("/api/similar")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            r#"{{"text": "{}"}}"#,
            "长".repeat(3 * 1024 * 1024)
        )))
        .unwrap();
    let (status, _, body) = call(&app, huge).await;
    assert_error(
        status,
        &serde_json::from_slice(&body).unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "bad_body",
    );
    // Pinned error body.
    let (_, body) = get(&app, "/api/search?q=a&limit=101").await;
    assert_eq!(
        body,
        json!({"error": {"code": "bad_limit", "message": "limit must be between 0 and 100"}})
    );
}

#[tokio::test]
async fn documents_similar_and_suggest() {
    let app = router(ServerOptions::default());
    let (status, doc) = get(&app, &format!("/api/docs/{}", util::FUTIAN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["addressee"], "周常委");
    assert!(doc["text"].as_str().unwrap().contains("2024年4月初"));

    let (status, similar) = get(&app, "/api/docs/pages-145abd4f9386/similar?limit=3").await;
    assert_eq!(status, StatusCode::OK);
    let hits = similar["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h["id"] != "pages-145abd4f9386"));

    let pasted = Request::post("/api/similar")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"text": "关于加快老旧小区加装电梯的建议：老旧小区居民上下楼难，建议政府补贴加装电梯", "limit": 5}).to_string()))
        .unwrap();
    let (status, _, body) = call(&app, pasted).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["hits"][0]["title"].as_str().unwrap().contains("电梯"),
        "{body}"
    );

    let (status, body) = get(&app, &format!("/api/suggest?q={}", enc("新质"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["text"] == "新质生产力"),
        "{body}"
    );
}

/// Pinyin typed before the input method converts it completes to archive words: full
/// syllables, with spaces, initials, and Han characters followed by either.
#[tokio::test]
async fn suggest_completes_pinyin_full_initials_and_mixed() {
    let app = router(ServerOptions::default());
    for (typed, expected) in [
        ("tingche", "停车"),
        ("ting che", "停车"),
        ("tingchechang", "停车场"),
        ("tcc", "停车场"),
        ("jiaoyu", "教育"),
        ("jy", "教育"),
        ("停车c", "停车场"),
        ("xinzhishengchanli", "新质生产力"),
        ("xzsc", "新质生产力"),
    ] {
        let (status, body) = get(&app, &format!("/api/suggest?q={}&limit=10", enc(typed))).await;
        assert_eq!(status, StatusCode::OK);
        let found = util::suggested_terms(&body);
        assert!(found.iter().any(|t| t == expected), "{typed}: {found:?}");
        // Every completion is a word whose search finds letters.
        for s in body["suggestions"].as_array().unwrap() {
            if s["type"] == "term" {
                assert!(s["docs"].as_u64().is_none_or(|n| n > 0), "{typed}: {s}");
            }
        }
    }
    // Latin text that spells no archive word completes to nothing.
    let (_, body) = get(&app, "/api/suggest?q=qqqzzz").await;
    assert!(util::suggested_terms(&body).is_empty(), "{body}");
}

/// Regression: a suggested term showed how many letters hold it as a word in the title or
/// the text, counted twice when in both (停车场 "15 篇" where a search finds 12).
#[tokio::test]
async fn a_suggested_term_shows_the_number_of_letters_its_search_finds() {
    let app = router(ServerOptions::default());
    let mut checked = 0;
    for prefix in [
        "停车", "养老", "加装", "新质", "老旧", "教育", "医疗", "交通",
    ] {
        let (status, body) = get(&app, &format!("/api/suggest?q={}&limit=10", enc(prefix))).await;
        assert_eq!(status, StatusCode::OK);
        for s in body["suggestions"].as_array().unwrap() {
            if s["type"] != "term" {
                continue;
            }
            let text = s["text"].as_str().unwrap();
            let (_, found) = get(&app, &format!("/api/search?q={}&limit=0", enc(text))).await;
            assert!(
                found["total"].as_u64().unwrap() > 0,
                "{text}: suggested but finds nothing"
            );
            if found["total_is_exact"] == true {
                assert_eq!(s["docs"], found["total"], "{text}");
                checked += 1;
            } else {
                assert!(s.get("docs").is_none(), "{text}");
            }
        }
    }
    assert!(checked >= 10, "only {checked} terms suggested");
}

/// The `<mark>…</mark>` contents of an HTML fragment, in order.
fn marks(html: &str) -> Vec<&str> {
    html.split("<mark>")
        .skip(1)
        .filter_map(|m| m.split("</mark>").next())
        .collect()
}

#[tokio::test]
async fn letters_keep_their_characters_and_highlights_cover_them() {
    let app = router(ServerOptions::default());
    let (status, doc) = get(&app, &format!("/api/docs/{}", util::FUTIAN)).await;
    assert_eq!(status, StatusCode::OK);
    let text = doc["text"].as_str().unwrap();
    // The letter's own punctuation, as the corpus file writes it.
    for written in [
        "尊敬的周常委：",
        "优势，并制订",
        "（一）创新动能竞相迸发",
        "回复如下：",
    ] {
        assert!(text.contains(written), "{written:?} in {text}");
    }
    assert!(
        !text.contains("周常委:") && !text.contains("(一)"),
        "{text}"
    );
    // The heading wrapped over two lines of the PDF is one paragraph, as the title.
    assert_eq!(text.lines().next(), doc["title"].as_str());
    assert_eq!(
        doc["title"],
        "福田区发展和改革局对福田区八届人大四次会议第20240294号建议的答复函"
    );

    // Typed half-width or full-width, a phrase matches and marks the characters as written.
    for (query, written) in [
        ("\"周常委:\"", "周常委："),
        ("\"周常委：\"", "周常委："),
        ("\"（一）创新\"", "（一）创新"),
        ("\"(一)创新\"", "（一）创新"),
    ] {
        let (status, body) = get(&app, &format!("/api/search?q={}", enc(query))).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        let hit = &body["hits"][0];
        assert_eq!(hit["id"], util::FUTIAN, "{query}: {body}");
        let snippet = hit["snippet"].as_str().unwrap();
        assert_eq!(marks(snippet), [written], "{query}: {snippet}");

        let uri = format!("/docs/{}?q={}", util::FUTIAN, enc(query));
        let (status, _, page) = call(&app, Request::get(&uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let page = String::from_utf8(page).unwrap();
        let letter = &page[page.find("<div class=\"letter\">").unwrap()..];
        let letter = &letter[..letter.find("</div>").unwrap()];
        assert_eq!(marks(letter), [written], "{query}");
    }
}

#[tokio::test]
async fn writes_need_the_admin_key() {
    let letter = json!({"text": "尊敬的王代表：您提出的关于增设公交站台的建议收悉。现答复如下：我局将在城北新区增设公交站台。\n某某市交通运输局\n2023年5月6日", "kind": "建议"});
    let put = |key: Option<&str>| {
        let mut b =
            Request::put("/api/docs/api-test-1").header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        b.body(Body::from(letter.to_string())).unwrap()
    };
    // A server without a key is read-only.
    let read_only = router(ServerOptions::default());
    let (status, _, body) = call(&read_only, put(Some(KEY))).await;
    assert_error(
        status,
        &serde_json::from_slice(&body).unwrap(),
        StatusCode::FORBIDDEN,
        "read_only",
    );

    let app = writable();
    for key in [None, Some("wrong"), Some("test-admin-ke")] {
        let (status, _, body) = call(&app, put(key)).await;
        assert_error(
            status,
            &serde_json::from_slice(&body).unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
    }
    let (status, _, _) = call(&app, put(Some(KEY))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = call(&app, put(Some(KEY))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, found) = get(&app, &format!("/api/search?q={}", enc("城北新区公交站台"))).await;
    assert_eq!(found["hits"][0]["id"], "api-test-1");
    assert_eq!(found["hits"][0]["respondent"], "某某市交通运输局");

    let text = Request::put("/api/docs/api-test-2")
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::AUTHORIZATION, format!("Bearer {KEY}"))
        .body(Body::from(
            "关于修缮古桥的建议的答复\n张委员：您的提案收悉。\n2022年3月1日",
        ))
        .unwrap();
    assert_eq!(call(&app, text).await.0, StatusCode::CREATED);
    // PDF and DOCX uploads are read like corpus files; a scan is refused with a reason.
    for (name, content_type) in [
        ("futian-20240294.pdf", "application/pdf"),
        (
            "futian-20240294.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("scanned.pdf", "application/pdf"),
    ] {
        let bytes = util::fixture(name);
        let upload = Request::put(format!("/api/docs/upload-{name}"))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::AUTHORIZATION, format!("Bearer {KEY}"))
            .body(Body::from(bytes))
            .unwrap();
        let (status, _, body) = call(&app, upload).await;
        if name == "scanned.pdf" {
            assert_error(
                status,
                &serde_json::from_slice(&body).unwrap(),
                StatusCode::BAD_REQUEST,
                "bad_document",
            );
        } else {
            assert_eq!(status, StatusCode::CREATED, "{name}");
            let (_, doc) = get(&app, &format!("/api/docs/upload-{}", enc(name))).await;
            assert_eq!(doc["proposal_no"], "20240294", "{name}");
            assert_eq!(doc["respondent"], "福田区发展和改革局", "{name}");
        }
    }
    let wrong_type = Request::put("/api/docs/api-test-3")
        .header(header::CONTENT_TYPE, "application/xml")
        .header(header::AUTHORIZATION, format!("Bearer {KEY}"))
        .body(Body::from("<x/>"))
        .unwrap();
    assert_eq!(
        call(&app, wrong_type).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let delete = |id: &str, key: &str| {
        Request::delete(format!("/api/docs/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        call(&app, delete("api-test-1", "nope")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, delete("api-test-1", KEY)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, delete("api-test-1", KEY)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/docs/api-test-1").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn document_markup_is_escaped_in_snippets() {
    let app = writable();
    let evil = Letter {
        id: "evil".into(),
        title: "<script>alert(1)</script>关于停车<img src=x onerror=alert(1)>的建议".into(),
        kind: "建议".into(),
        text: "<script>alert(1)</script>停车难问题 <a href=\"javascript:alert(1)\">点击</a>".into(),
        ..Default::default()
    };
    let put = Request::put("/api/docs/evil")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {KEY}"))
        .body(Body::from(serde_json::to_string(&evil).unwrap()))
        .unwrap();
    assert!(call(&app, put).await.0.is_success());
    let (_, _, raw) = call(
        &app,
        Request::get(format!("/api/search?q={}", enc("停车难问题")))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let body: Value = serde_json::from_slice(&raw).unwrap();
    let hit = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "evil")
        .unwrap();
    for field in ["snippet", "title_html"] {
        let html = hit[field].as_str().unwrap();
        let without_marks = html.replace("<mark>", "").replace("</mark>", "");
        assert!(
            !without_marks.contains('<') && !without_marks.contains('>'),
            "{field}: {html}"
        );
        assert!(!html.contains("href=\"javascript"), "{field}: {html}");
    }
}

#[tokio::test]
async fn cors_open_to_any_origin_by_default_restrictable_and_never_on_writes() {
    let origin = "http://portal.example";
    let preflight = |method: &str, path: &str| {
        Request::options(path)
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
            .body(Body::empty())
            .unwrap()
    };
    // By default any page may read (the widget works on a portal without configuration),
    // and no page may write.
    let default = router(ServerOptions {
        admin_key: Some(KEY.into()),
        ..Default::default()
    });
    for path in ["/api/search?q=a", "/api/suggest?q=a", "/api/docs/none"] {
        let (_, headers, _) = call(
            &default,
            Request::get(path)
                .header(header::ORIGIN, "http://any-portal.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*", "{path}");
    }
    let (_, headers, _) = call(&default, preflight("POST", "/api/search")).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_some());
    for method in ["PUT", "DELETE"] {
        let (_, headers, _) = call(&default, preflight(method, "/api/docs/x")).await;
        assert!(
            headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{method} must not be open cross-origin"
        );
    }

    let closed = router(ServerOptions {
        cors: CorsPolicy::Off,
        ..Default::default()
    });
    let (_, headers, _) = call(
        &closed,
        Request::get("/api/search?q=a")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    let open = router(ServerOptions {
        cors: CorsPolicy::from_list(&[format!("{origin}/"), " ".into()]),
        admin_key: Some(KEY.into()),
        ..Default::default()
    });
    let (_, headers, _) = call(
        &open,
        Request::get("/api/search?q=a")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
        origin
    );
    let (_, headers, _) = call(&open, preflight("POST", "/api/search")).await;
    assert_eq!(
        headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
        origin
    );
    let (_, headers, _) = call(&open, preflight("PUT", "/api/docs/x")).await;
    assert!(
        headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
        "writes must not be open cross-origin"
    );
    let (_, headers, _) = call(
        &open,
        Request::get("/api/search?q=a")
            .header(header::ORIGIN, "http://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let app = router(ServerOptions::default());
    let (status, health) = get(&app, "/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["docs"], 254);
    get(&app, "/api/search?q=a").await;
    let (status, headers, body) =
        call(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(
            "reply_search_requests_total{method=\"GET\",route=\"/api/search\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("reply_search_request_duration_seconds_bucket{method=\"GET\",route=\"/api/search\",le=\"+Inf\"} 1"));
    assert!(text.contains("reply_search_documents 254"));

    let (status, spec) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    // Every API route of the router is described, with the methods it answers.
    for (path, methods) in [
        ("/api/search", vec!["get", "post"]),
        ("/api/docs/{id}", vec!["get", "put", "delete"]),
        ("/api/docs/{id}/similar", vec!["get"]),
        ("/api/similar", vec!["post"]),
        ("/api/suggest", vec!["get"]),
        ("/api/hot", vec!["get"]),
        ("/api/admin/queries", vec!["get"]),
        ("/health", vec!["get"]),
        ("/metrics", vec!["get"]),
        ("/api/openapi.json", vec!["get"]),
    ] {
        for m in methods {
            assert!(
                spec["paths"][path][m].is_object(),
                "{m} {path} missing from the OpenAPI description"
            );
            let uri = path.replace("{id}", util::FUTIAN);
            let request = Request::builder()
                .method(m.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let (status, _, _) = call(&app, request).await;
            assert_ne!(
                status,
                StatusCode::NOT_FOUND,
                "{m} {uri} documented but not routed"
            );
            assert_ne!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{m} {uri} documented but not routed"
            );
        }
    }
    let described = spec["paths"].as_object().unwrap().len();
    assert_eq!(
        described, 10,
        "the description lists routes the test does not know: update both"
    );
}

#[tokio::test]
async fn a_real_server_on_loopback_answers_and_shuts_down() {
    let server = util::serve_on_loopback(router(ServerOptions::default())).await;
    let response = util::raw_exchange(
        server.addr,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#"{"status":"ok","docs":254}"#),
        "{response}"
    );
    server.stop().await;
}
