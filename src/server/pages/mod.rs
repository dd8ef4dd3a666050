//! Server-rendered HTML pages: search with facets and a year chart, the document page,
//! "find similar replies" for pasted text, the query log's admin page, and the pages'
//! CSS/JS.
//!
//! The server sends a strict Content-Security-Policy on HTML, so pages carry no inline
//! script, style or event handlers: markup is built here, looks live in `assets/page.css`,
//! and `assets/page.js` only adds niceties (pages work without it). Markup is written as
//! maud templates, which escape every value they insert; the engine's highlights are data
//! (`Highlighted`) and become `<mark>` elements here, never pre-rendered HTML.

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, PreEscaped, Render, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::{AppState, bounded};
use crate::engine::highlight::Highlighted;
use crate::engine::similar::{MAX_TEXT_CHARS, SimilarHit, SimilarRequest, SimilarResponse};
use crate::engine::{
    FacetCounts, Filters, Hit, MAX_OFFSET, MatchMode, Note, SearchRequest, SearchResponse,
    SortOrder,
};
use crate::ingest::Letter;

/// Hits per result page.
const PER_PAGE: usize = 10;
/// Deepest page reachable (the engine stops at offset `MAX_OFFSET`).
const MAX_PAGE: usize = MAX_OFFSET / PER_PAGE + 1;
/// Facet values shown before the rest fold into a "more" disclosure.
const FACET_SHOWN: usize = 8;
/// Similar documents listed on a document page and for pasted text.
const SIMILAR_ON_DOC: usize = 5;
const SIMILAR_FOR_TEXT: usize = 10;

mod admin;
mod doc;
mod params;
mod search;
mod similar;

use doc::doc_page;
use params::Params;
use search::search_page;
use similar::{similar_form, similar_page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(search_page))
        .route("/similar", get(similar_form).post(similar_page))
        .route("/docs/{id}", get(doc_page))
        .route("/admin/queries", get(admin::admin_queries))
        .route("/static/page.css", get(css))
        .route("/static/page.js", get(js))
}

// ---------------------------------------------------------------------------------------
// URLs

/// Everything outside the RFC 3986 unreserved set (letters, digits, `-_.~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes every byte outside the RFC 3986 unreserved set, so the result is safe
/// as a query value and as one path segment (a document id in `/docs/{id}`).
pub fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// `path` with `query` (a flat struct of strings and numbers) as its query string; `path`
/// alone when every field is left out.
fn with_query(path: &str, query: &impl Serialize) -> String {
    // Only nested values fail to serialise, and the query structs here are flat.
    let query = serde_urlencoded::to_string(query).expect("a flat query struct serialises");
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// A document's page, opened from the search `q` (whose words it then marks).
fn doc_url(id: &str, q: &str) -> String {
    #[derive(Serialize)]
    struct DocQuery<'a> {
        #[serde(skip_serializing_if = "str::is_empty")]
        q: &'a str,
    }
    with_query(
        &format!("/docs/{}", url_encode(id)),
        &DocQuery { q: q.trim() },
    )
}

/// Only web links become hrefs; anything else (javascript:, data:, relative junk) is text.
fn is_web_url(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

// ---------------------------------------------------------------------------------------
// Small helpers shared by the pages

fn html(status: StatusCode, page: Markup) -> Response {
    (status, Html(page.into_string())).into_response()
}

fn kind_label(kind: &str) -> &str {
    if kind == "other" { "其他" } else { kind }
}

/// "20240294" → "第20240294号" (values that already carry 第/号 keep them once).
fn number_label(no: &str) -> String {
    let core = no
        .trim()
        .trim_start_matches('第')
        .trim_end_matches('号')
        .trim();
    format!("第{core}号")
}

fn truncate_chars(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// A passage as the pages show it: `…` where the text was cut and `<mark>` around each
/// match. Every piece goes through maud's escaping, so the engine's text never becomes
/// markup.
impl Render for Highlighted {
    fn render(&self) -> Markup {
        html! {
            @if self.cut_before { "…" }
            @for (piece, matched) in self.pieces() {
                @if matched { mark { (piece) } } @else { (piece) }
            }
            @if self.cut_after { "…" }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Page frame

fn layout(title: &str, form: &Params, content: Markup) -> Markup {
    html! {
        // A fixed literal: maud's `DOCTYPE` is upper case, and the pages have always sent
        // (and their tests expect) the lower-case form.
        (PreEscaped("<!doctype html>\n"))
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 答复检索" }
                link rel="stylesheet" href="/static/page.css";
                // No icon: without this line browsers ask for /favicon.ico, a 404 per visit.
                link rel="icon" href="data:,";
                script src="/static/page.js" defer {}
            }
            body {
                a.skip href="#main" { "跳到正文" }
                header.site {
                    div.bar {
                        a.brand href="/" { "答复检索 " small lang="en" { "reply-search" } }
                        (search_form(form))
                    }
                }
                main #main { (content) }
                footer.site {
                    p {
                        "检索政府部门对人大代表建议、政协委员提案的答复。"
                        a href="/similar" { "查找相似答复" }
                        " · "
                        a href="/api/openapi.json" lang="en" { "API" }
                    }
                    p.keys {
                        "快捷键：" kbd { "/" } " 或 " kbd { "Ctrl" } "+" kbd { "K" } " 聚焦搜索框"
                    }
                }
            }
        }
    }
}

/// The search box in the header; active filters ride along as hidden fields, so a new
/// query keeps them.
fn search_form(p: &Params) -> Markup {
    let sort = p.sort.unwrap_or(SortOrder::Relevance);
    html! {
        form.search action="/" method="get" role="search" {
            label.vh for="q" { "搜索关键词" }
            input #q name="q" type="search" value=(p.q)
                placeholder="输入关键词，如：新质生产力、停车难" maxlength="1000"
                autocomplete="off" enterkeyhint="search";
            label.vh for="sort" { "排序" }
            select #sort name="sort" data-autosubmit {
                option value="relevance" selected[sort == SortOrder::Relevance] { "相关度" }
                option value="date" selected[sort == SortOrder::Date] { "日期" }
            }
            label.opt { input type="checkbox" name="match" value="all" checked[p.all]; " 全部词语" }
            @for (name, value) in p.active_filters() {
                input type="hidden" name=(name) value=(value);
            }
            button type="submit" { "搜索" }
        }
    }
}

fn error_box(message: &str, detail: Option<&str>) -> Markup {
    html! {
        div.notice.error role="alert" {
            p { (message) }
            @if let Some(detail) = detail.filter(|d| !d.is_empty()) {
                p.detail lang="en" { (detail) }
            }
            p { a href="/" { "返回首页" } }
        }
    }
}

/// A page that only says what went wrong, with the search form as `form` left it.
fn error_page(status: StatusCode, title: &str, form: &Params, message: &str) -> Response {
    html(status, layout(title, form, error_box(message, None)))
}

/// The page for an engine/API error: its Chinese explanation and the original detail.
fn api_error_page(e: &ApiError, title: &str, form: &Params) -> Response {
    let content = error_box(e.code.message_zh(), Some(&e.message));
    html(e.status, layout(title, form, content))
}

/// A "not here" notice (unknown path or document) pointing back to the search.
fn not_found_notice(heading: &str, explanation: Markup) -> Response {
    let content = html! {
        div.notice {
            h1 { (heading) }
            p { (explanation) }
            p { a href="/" { "返回首页" } "，或在上方搜索框中检索。" }
        }
    };
    html(
        StatusCode::NOT_FOUND,
        layout(heading, &Params::default(), content),
    )
}

/// 404 page for unknown paths.
pub fn not_found_page() -> impl IntoResponse {
    not_found_notice(
        "页面不存在",
        html! { "您访问的地址不存在，可能已被移动或输入有误。" },
    )
}

/// A hit's fields as a definition list; absent or empty values are left out.
fn meta_list(fields: &[(&str, Option<String>)]) -> Markup {
    html! {
        dl.meta {
            @for (label, value) in fields {
                @if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                    div { dt { (label) } dd { (value) } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Static assets

const CACHE: &str = "public, max-age=3600";

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../../assets/page.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../../assets/page.js"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_outside_unreserved() {
        assert_eq!(url_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(url_encode("a b/&?#+*"), "a%20b%2F%26%3F%23%2B%2A");
        assert_eq!(url_encode("年"), "%E5%B9%B4");
    }

    #[test]
    fn document_urls_encode_the_id_as_one_segment() {
        assert_eq!(doc_url("a/b c", ""), "/docs/a%2Fb%20c");
        assert_eq!(doc_url("x", "  "), "/docs/x");
        assert_eq!(
            doc_url("x", " 停车 & 收费 "),
            "/docs/x?q=%E5%81%9C%E8%BD%A6+%26+%E6%94%B6%E8%B4%B9"
        );
    }

    #[test]
    fn highlighted_escapes_text_and_marks_exactly_the_ranges() {
        /// The byte range of `word` in `text`.
        fn range(text: &str, word: &str) -> std::ops::Range<usize> {
            let at = text.find(word).unwrap();
            at..at + word.len()
        }
        let text = "<script>x</script>停车难 & \"收费\"";
        let h = Highlighted {
            text: text.into(),
            marks: vec![range(text, "停车"), range(text, "收费")],
            cut_before: true,
            cut_after: false,
        };
        assert_eq!(
            html! { (h) }.into_string(),
            "…&lt;script&gt;x&lt;/script&gt;<mark>停车</mark>难 &amp; &quot;<mark>收费</mark>&quot;"
        );
        let whole = Highlighted {
            text: "停车".into(),
            marks: vec![range("停车", "停车")],
            cut_before: false,
            cut_after: true,
        };
        assert_eq!(html! { (whole) }.into_string(), "<mark>停车</mark>…");
    }

    #[test]
    fn error_box_escapes_and_skips_an_empty_detail() {
        let page = error_box("<b>错误</b>", Some("")).into_string();
        assert!(page.starts_with("<div class=\"notice error\" role=\"alert\"><p>&lt;b&gt;"));
        assert!(!page.contains("detail"));
    }

    #[test]
    fn web_urls_only() {
        assert!(is_web_url("https://example.org/x"));
        assert!(is_web_url("HTTP://example.org/x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("data:text/html,x"));
    }
}
