//! The HTML pages end to end: an in-memory index with real letters, the whole app, requests
//! through `oneshot`. Every page is also checked against the CSP rules (no inline script or
//! style) and, for hostile documents, against script injection.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::ingest::{Letter, letter_from_json, letter_from_text};
use reply_search::server::{Shared, app};

use crate::util::{self, FUTIAN as FUTIAN_ID, enc, futian_text};

/// The 福田区 letter, the first three records of replies-more.jsonl (one undated) and a
/// short related letter so that "similar" has something to find.
fn base_letters() -> Vec<Letter> {
    let mut letters = vec![letter_from_text(FUTIAN_ID, &futian_text(), None).unwrap()];
    let jsonl = std::fs::read_to_string(util::corpus_dir().join("replies-more.jsonl")).unwrap();
    for line in jsonl.lines().take(3) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        letters.push(letter_from_json(&value).unwrap());
    }
    letters.push(Letter {
        id: "related-1".into(),
        title: "关于加快培育新质生产力的建议的答复".into(),
        kind: "建议".into(),
        proposal_no: Some("20230011".into()),
        session: Some("八届三次".into()),
        proposal_title: Some("关于加快培育新质生产力的建议".into()),
        respondent: Some("深圳市科技创新局".into()),
        addressee: Some("王代表".into()),
        date: Some("2023-07-01".into()),
        text: "关于加快培育新质生产力的建议收悉。\n我局将围绕战略性新兴产业和未来产业，\
               推动科技创新合作区建设，加快科技成果转化，培育新质生产力。\n感谢您的关心。"
            .into(),
        source: Some("https://www.sz.gov.cn/example".into()),
    });
    letters
}

fn app_with(letters: &[Letter]) -> Router {
    let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
    for letter in letters {
        engine.put(letter).unwrap();
    }
    app(Shared::new(engine, Default::default()))
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let (status, headers, body) = util::respond(app, request).await;
    (status, headers, String::from_utf8(body).unwrap())
}

async fn get(app: &Router, uri: &str) -> (StatusCode, HeaderMap, String) {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    send(app, request).await
}

async fn post_text(app: &Router, text: &str) -> (StatusCode, HeaderMap, String) {
    let request = Request::builder()
        .method("POST")
        .uri("/similar")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("text={}", enc(text))))
        .unwrap();
    send(app, request).await
}

/// The markup tags of a page. Escaped text has no literal `<`, so whatever is found here is
/// real markup.
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start..];
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

/// href values, with `&amp;` undone.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .collect()
}

/// Attribute (name, value) pairs of one tag, honouring quotes.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let inner = tag
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let mut chars = inner.chars().peekable();
    // Skip the tag name.
    while chars.peek().is_some_and(|c| !c.is_whitespace()) {
        chars.next();
    }
    let mut out = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() && chars.peek().is_none() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        out.push((name.to_lowercase(), value));
    }
}

/// CSP rules and basic shape every HTML page must keep.
fn assert_page_ok(html: &str, headers: &HeaderMap) {
    let ct = headers[header::CONTENT_TYPE].to_str().unwrap();
    assert!(ct.starts_with("text/html"), "content type {ct}");
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("name=\"viewport\""));
    assert!(!html.contains("style=\""), "style attribute in page");
    assert!(
        !html.to_lowercase().contains("<style"),
        "style block in page"
    );
    for tag in tags(html) {
        if tag.starts_with("</") || tag.starts_with("<!") {
            continue;
        }
        let attrs = attributes(tag);
        if tag.to_lowercase().starts_with("<script") {
            assert!(
                attrs.iter().any(|(n, _)| n == "src"),
                "inline script: {tag}"
            );
        }
        for (name, value) in &attrs {
            assert!(!name.starts_with("on"), "event handler in {tag}");
            assert!(name != "style", "style attribute in {tag}");
            if name == "href" || name == "src" || name == "action" {
                let v = value.trim().to_lowercase();
                assert!(!v.starts_with("javascript:"), "javascript: URL in {tag}");
            }
        }
    }
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/static/page.js\" defer></script>")
            .count()
    );
}

#[tokio::test]
async fn search_page_shows_marked_hit_facets_and_year_chart() {
    let app = app_with(&base_letters());
    let (status, headers, html) =
        get(&app, "/?q=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B").await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&html, &headers);
    // The query is echoed in the box and the heading.
    assert!(html.contains("value=\"新质生产力\""));
    assert!(html.contains("<mark>新质生产力</mark>"));
    assert!(html.contains(&format!("href=\"/docs/{FUTIAN_ID}?q=")));
    assert!(html.contains("共找到 <strong>2</strong> 条答复"), "{html}");
    // Facets with counts, and the year chart with a bar linking to each year.
    assert!(html.contains("<h2>承办单位</h2>"));
    assert!(html.contains("<h2>年份</h2>"));
    assert!(html.contains("<h2>类别</h2>"));
    assert!(html.contains("深圳市科技创新局</a> <span class=\"count\">1</span>"));
    assert!(html.contains("<svg class=\"years\""));
    assert!(html.contains(">2024</text>"));
    assert!(html.contains(">2023</text>"));
    let links = hrefs(&html);
    assert!(
        links
            .iter()
            .any(|h| h.starts_with("/?q=%E6%96%B0") && h.ends_with("year=2024"))
    );
    assert!(html.contains("action=\"/similar\""));
    // Sort links.
    assert!(links.iter().any(|h| h.ends_with("sort=date")));
}

#[tokio::test]
async fn filter_links_round_trip_and_chips_remove_them() {
    let app = app_with(&base_letters());
    let (_, _, html) = get(&app, "/?q=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B").await;
    let year_link = hrefs(&html)
        .into_iter()
        .find(|h| h.contains("year=2023"))
        .expect("a year=2023 filter link");
    let (status, headers, filtered) = get(&app, &year_link).await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&filtered, &headers);
    assert!(filtered.contains("共找到 <strong>1</strong> 条答复"));
    assert!(filtered.contains("/docs/related-1"));
    assert!(!filtered.contains(&format!("/docs/{FUTIAN_ID}")));
    // The chip removes the filter and keeps the query; the form keeps the filter hidden.
    assert!(filtered.contains("× 2023</a>"));
    assert!(filtered.contains("<input type=\"hidden\" name=\"year\" value=\"2023\">"));
    let chip = hrefs(&filtered)
        .into_iter()
        .find(|h| h.starts_with("/?q=") && !h.contains("year="))
        .expect("a link without the year");
    let (_, _, back) = get(&app, &chip).await;
    assert!(back.contains("共找到 <strong>2</strong> 条答复"));

    // A respondent facet link (non-ASCII value, percent-encoded) round-trips too.
    let respondent_link = hrefs(&filtered)
        .into_iter()
        .find(|h| h.contains("respondent="))
        .expect("respondent facet link");
    let (status, _, by_respondent) = get(&app, &respondent_link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_respondent.contains("× 深圳市科技创新局</a>"));
    assert!(by_respondent.contains("/docs/related-1"));
}

#[tokio::test]
async fn landing_page_shows_corpus_size_latest_chart_and_facets() {
    let app = app_with(&base_letters());
    let (status, headers, html) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&html, &headers);
    assert!(html.contains("共收录 <strong>5</strong> 份答复"));
    assert!(html.contains("最新答复"));
    assert!(html.contains(&format!("/docs/{FUTIAN_ID}")));
    assert!(html.contains("<svg class=\"years\""));
    assert!(html.contains("<h2>承办单位</h2>"));
    assert!(html.contains("粘贴建议/提案查找相似答复"));
    assert!(html.contains("<textarea id=\"paste-text\" name=\"text\""));
    // Newest first: the 2024 letter comes before the 2017 one.
    let futian = html.find(&format!("/docs/{FUTIAN_ID}")).unwrap();
    let older = html.find("/docs/pages-508c4dee3524").unwrap();
    assert!(futian < older);
}

#[tokio::test]
async fn empty_result_explains_and_offers_filter_removal() {
    let app = app_with(&base_letters());
    let (status, headers, html) = get(
        &app,
        "/?q=%22xyzzyqwv%22&year=2024&kind=%E5%BB%BA%E8%AE%AE&match=all",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&html, &headers);
    assert!(html.contains("没有找到相关答复"));
    assert!(html.contains("减少关键词"));
    assert!(html.contains("去掉引号"));
    assert!(html.contains("检查筛选条件"));
    let links = hrefs(&html);
    // One link drops the year, one drops the kind, one drops the quotes, one drops match=all.
    assert!(
        links
            .iter()
            .any(|h| h.contains("kind=") && !h.contains("year="))
    );
    assert!(
        links
            .iter()
            .any(|h| h.contains("year=") && !h.contains("kind="))
    );
    assert!(links.iter().any(|h| h.starts_with("/?q=xyzzyqwv&")));
    assert!(
        links
            .iter()
            .any(|h| h.starts_with("/?q=%22") && !h.contains("match="))
    );
    assert!(!html.contains("class=\"pages\""));
}

#[tokio::test]
async fn pagination_links_pages_and_neighbours() {
    let mut letters = base_letters();
    for i in 0..25 {
        letters.push(Letter {
            id: format!("parking-{i:02}"),
            title: format!("关于解决老旧小区停车难问题的建议答复（{i}）"),
            kind: "建议".into(),
            proposal_no: Some(format!("{}", 100 + i)),
            session: None,
            proposal_title: None,
            respondent: Some("交通运输局".into()),
            addressee: None,
            date: Some(format!("2022-03-{:02}", i + 1)),
            text: format!("老旧小区停车难问题突出，我局将新增停车泊位{i}个。"),
            source: None,
        });
    }
    let app = app_with(&letters);
    let q = "/?q=%E5%81%9C%E8%BD%A6";
    let (status, headers, first) = get(&app, q).await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&first, &headers);
    assert!(first.contains("共找到 <strong>25</strong> 条答复"));
    assert_eq!(first.matches("<li class=\"hit\">").count(), 10);
    let links = hrefs(&first);
    assert!(links.contains(&format!("{q}&page=2")));
    assert!(links.contains(&format!("{q}&page=3")));
    assert!(!links.contains(&format!("{q}&page=4")));
    assert!(first.contains("下一页"));
    assert!(!first.contains("上一页"));
    assert!(first.contains("aria-current=\"page\">1</span>"));

    let (status, _, last) = get(&app, &format!("{q}&page=3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(last.matches("<li class=\"hit\">").count(), 5);
    assert!(last.contains("<ol class=\"hits\" start=\"21\">"));
    assert!(last.contains("上一页"));
    assert!(!last.contains("下一页"));
    // Page 1 is the bare URL.
    assert!(hrefs(&last).contains(&q.to_string()));

    // Past the end: a note and a way back, not an error.
    let (status, _, beyond) = get(&app, &format!("{q}&page=9")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(beyond.contains("第 9 页没有结果"));
}

#[tokio::test]
async fn document_page_shows_fields_paragraphs_highlight_and_similar() {
    let app = app_with(&base_letters());
    let uri = format!(
        "/docs/{FUTIAN_ID}?q=%E6%96%B0%E8%B4%A8%E7%94%9F%E4%BA%A7%E5%8A%9B+-%E6%94%B6%E8%B4%B9"
    );
    let (status, headers, html) = get(&app, &uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&html, &headers);
    for label in ["类别", "编号", "答复单位", "日期"] {
        assert!(
            html.contains(&format!("<th scope=\"row\">{label}</th>")),
            "{label}"
        );
    }
    assert!(html.contains("2024-06-12"));
    assert!(html.contains("<div class=\"letter\">"));
    assert!(html.matches("<p>").count() > 10);
    assert!(html.contains("<mark>新质生产力</mark>"));
    assert!(html.contains("<h2 id=\"similar-h\">相似答复</h2>"));
    let similar = &html[html.find("id=\"similar-h\"").unwrap()..];
    assert!(similar.contains("href=\"/docs/related-1\""));
    // The breadcrumb leads back to the search.
    assert!(hrefs(&html).iter().any(|h| h.starts_with("/?q=%E6%96%B0")));

    // A web source is a link with safe rel; the related letter has one.
    let (_, _, related) = get(&app, "/docs/related-1").await;
    assert!(related.contains(
        "<a href=\"https://www.sz.gov.cn/example\" rel=\"noopener noreferrer nofollow\">"
    ));
    assert!(related.contains("《关于加快培育新质生产力的建议》"));
    assert!(related.contains("<th scope=\"row\">收件人</th><td>王代表</td>"));
    let letter = &related[related.find("<div class=\"letter\">").unwrap()..];
    let letter = &letter[..letter.find("</div>").unwrap()];
    assert!(!letter.contains("<mark>"), "no q, no highlight");
}

#[tokio::test]
async fn unknown_document_and_path_give_chinese_404_pages() {
    let app = app_with(&base_letters());
    let (status, headers, html) = get(&app, "/docs/no-such-letter").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_page_ok(&html, &headers);
    assert!(html.contains("未找到该文档"));
    assert!(html.contains("href=\"/\""));

    let (status, headers, html) = get(&app, "/nowhere/at/all").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_page_ok(&html, &headers);
    assert!(html.contains("页面不存在"));

    // Control characters in an id are rejected before the index is asked.
    let (status, headers, html) = get(&app, "/docs/a%01b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_page_ok(&html, &headers);
    assert!(html.contains("文档编号无效"));
}

#[tokio::test]
async fn bad_parameters_give_400_pages_not_500() {
    let app = app_with(&base_letters());
    for (uri, needle) in [
        ("/?q=x&page=abc", "页码"),
        ("/?page=0", "页码"),
        ("/?q=x&page=99999", "页码"),
        ("/?year=x", "年份"),
        ("/?q=x&sort=sideways", "排序"),
        ("/?q=x&match=some", "匹配"),
        ("/?q=x&from=2024-13", "日期格式不正确"),
        ("/?q=x&from=2024&to=2020", "日期格式不正确"),
    ] {
        let (status, headers, html) = get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_page_ok(&html, &headers);
        assert!(html.contains("role=\"alert\""), "{uri}");
        assert!(html.contains(needle), "{uri}: {needle}");
        // The form survives with what was typed.
        assert!(html.contains("<form class=\"search\""));
    }
    let (status, _, html) = get(&app, "/?q=%3Cb%3E&page=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("value=\"&lt;b&gt;\""));
    // Overlong queries are the engine's 400, shown as a page.
    let long = "/?q=".to_string() + &"%E5%81%9C".repeat(1200);
    let (status, headers, html) = get(&app, &long).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_page_ok(&html, &headers);
    assert!(html.contains("查询无法处理"));
}

#[tokio::test]
async fn pasted_text_finds_the_letter_first_with_year_and_closeness() {
    let app = app_with(&base_letters());
    let (status, headers, form) = get(&app, "/similar").await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&form, &headers);
    assert!(form.contains("<form class=\"paste\" method=\"post\" action=\"/similar\">"));

    // The first paragraphs of the 福田区 letter, as a user would paste them.
    let pasted: String = futian_text()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .skip(6)
        .take(14)
        .collect::<Vec<_>>()
        .join("\r\n");
    let (status, headers, html) = post_text(&app, &pasted).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_page_ok(&html, &headers);
    let first_hit = html.find("<li class=\"hit\">").expect("a hit");
    assert!(html[first_hit..].starts_with(&format!(
        "<li class=\"hit\">\n<h3><a href=\"/docs/{FUTIAN_ID}\">"
    )));
    // In similarity order, not grouped by year: each hit says its year and how close it is.
    assert!(!html.contains("class=\"year\""));
    assert!(
        html.contains("<div><dt>年份</dt><dd>2024</dd></div>"),
        "{html}"
    );
    // Five letters are too few for a semantic space: no closeness is made up, the shared
    // words say why.
    assert!(!html.contains("<dt>相似度</dt>"), "{html}");
    assert!(html.contains("共同词语"));
    assert!(html.contains("<span class=\"tag\">"));
    // The pasted text stays in the box.
    assert!(html.contains("福田区"));

    let (status, headers, html) = post_text(&app, "   ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_page_ok(&html, &headers);
    assert!(html.contains("请先粘贴"));

    let (status, headers, html) = post_text(&app, &"停".repeat(20_001)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_page_ok(&html, &headers);
    assert!(html.contains("文本过长"));
}

#[tokio::test]
async fn static_assets_have_types_and_caching() {
    let app = app_with(&[]);
    for (uri, ct, needle) in [
        ("/static/page.css", "text/css; charset=utf-8", "mark"),
        (
            "/static/page.js",
            "text/javascript; charset=utf-8",
            "addEventListener",
        ),
    ] {
        let (status, headers, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], ct);
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=3600");
        assert!(body.contains(needle));
    }
    let (_, _, css) = get(&app, "/static/page.css").await;
    assert!(css.contains("\"PingFang SC\""));
    assert!(!css.contains("@import") && !css.contains("url(http"));
}

#[tokio::test]
async fn hostile_documents_are_escaped_everywhere() {
    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "<img src=x onerror=alert(1)>";
    const JS: &str = "javascript:alert(1)";
    let mut letters = base_letters();
    let hostile_id = "x\"><script>alert(1)</script>&/停车";
    letters.push(Letter {
        id: hostile_id.into(),
        title: format!("{SCRIPT}关于停车收费的建议的答复{IMG}"),
        kind: format!("建议{IMG}"),
        proposal_no: Some(format!("{IMG}1")),
        session: Some(SCRIPT.into()),
        proposal_title: Some(format!("{IMG}停车")),
        respondent: Some(format!("{IMG}交通局")),
        addressee: Some(SCRIPT.into()),
        date: Some("2021-05-05".into()),
        text: format!("停车收费{SCRIPT}问题\n{IMG}停车场\n{JS} 停车收费标准"),
        source: Some(JS.into()),
    });
    let app = app_with(&letters);
    let check = |html: &str| {
        assert!(!html.contains("<script>alert"), "script injected");
        assert!(!html.contains("<img src=x"), "img injected");
        // Escaped text inside attribute values is harmless; real attributes are not.
        for tag in tags(html) {
            assert!(!tag.to_lowercase().starts_with("<img"), "img tag {tag}");
            let attrs = attributes(tag);
            assert!(
                attrs.iter().all(|(n, _)| n != "onerror"),
                "handler in {tag}"
            );
        }
        let outside_attributes: String = tags(html)
            .iter()
            .map(|t| t.split('"').step_by(2).collect::<String>())
            .collect();
        assert!(
            !outside_attributes.contains("onerror="),
            "onerror= outside a value"
        );
        for href in hrefs(html) {
            assert!(
                !href.trim().to_lowercase().starts_with("javascript:"),
                "{href}"
            );
        }
    };

    let search = "/?q=%E5%81%9C%E8%BD%A6%E6%94%B6%E8%B4%B9";
    let (status, headers, html) = get(&app, search).await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&html, &headers);
    check(&html);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The hostile id is percent-encoded into the link and round-trips to its page.
    let link = format!("/docs/{}?q=", enc(hostile_id));
    assert!(html.contains(&link), "{html}");

    // Facet links for hostile values, and the landing page.
    for uri in [
        "/".to_string(),
        format!("/?respondent={}", enc(&format!("{IMG}交通局"))),
        format!("/?q={}", enc(SCRIPT)),
    ] {
        let (status, headers, html) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_page_ok(&html, &headers);
        check(&html);
    }

    let (status, headers, doc) = get(
        &app,
        &format!("/docs/{}?q={}", enc(hostile_id), enc(SCRIPT)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&doc, &headers);
    check(&doc);
    // The javascript: source is shown as text, not as a link.
    assert!(doc.contains("<th scope=\"row\">来源</th><td>javascript:alert(1)</td>"));

    let (status, headers, similar) = post_text(
        &app,
        &format!("</textarea>{SCRIPT}停车收费标准 停车场{IMG}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&similar, &headers);
    check(&similar);
    assert!(!similar.contains("</textarea><script"));
    assert!(similar.contains(&format!("href=\"/docs/{}\"", enc(hostile_id))));
}

#[tokio::test]
async fn notes_are_in_chinese_and_only_real_synonyms_are_called_expansions() {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let app = app_with(&base_letters());
    let page = |q: &str| {
        let uri = format!("/?q={}", utf8_percent_encode(q, NON_ALPHANUMERIC));
        let app = app.clone();
        async move {
            let (status, headers, html) = get(&app, &uri).await;
            assert_eq!(status, StatusCode::OK);
            assert_page_ok(&html, &headers);
            html
        }
    };
    // A word no letter holds, searched in parts: said in Chinese, nothing in English.
    let html = page("量子引力波").await;
    assert!(
        html.contains("没有答复包含“引力波”，已改为检索：引力。"),
        "{html}"
    );
    assert!(!html.contains("no document") && !html.contains("searched for"));
    // No letter holds both words: said above the partial matches.
    let html = page("新质生产力 火星").await;
    assert!(
        html.contains("没有同时包含全部词语的答复，以下为部分匹配。"),
        "{html}"
    );
    assert!(html.contains("<mark>新质生产力</mark>"));
    assert!(!page("新质生产力").await.contains("部分匹配"));
    // Traditional → simplified, width and case folding are not synonyms.
    for q in ["國際", "５G", "新質生產力"] {
        assert!(!page(q).await.contains("已扩展为"), "{q}");
    }
    let html = page("福田区发改局").await;
    assert!(html.contains("已扩展为"), "{html}");
    assert!(html.contains("发展和改革局"));
}

/// Did-you-mean on the search page: a typo that finds nothing shows the correction's results
/// with the way back to the query as written; one that finds something offers the correction.
#[tokio::test]
async fn search_page_shows_did_you_mean() {
    let app = util::router(Default::default());
    let (status, headers, html) = get(&app, &format!("/?q={}", enc("教玉"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_page_ok(&html, &headers);
    assert!(html.contains("已显示“"), "{html}");
    assert!(html.contains("<strong>教育</strong>"), "{html}");
    assert!(html.contains("correct=false"), "{html}");
    assert!(html.contains("<mark>教育</mark>"), "{html}");
    // The way back: the query as written only, nothing found, no correction shown.
    let (_, _, html) = get(&app, &format!("/?q={}&correct=false", enc("教玉"))).await;
    assert!(
        !html.contains("已显示“") && !html.contains("您是不是要找"),
        "{html}"
    );
    let (_, _, html) = get(&app, &format!("/?q={}", enc("停车南"))).await;
    assert!(
        html.contains("您是不是要找：") && html.contains("<strong>停车难</strong>"),
        "{html}"
    );
}
