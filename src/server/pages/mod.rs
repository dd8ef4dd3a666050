//! Server-rendered HTML pages: search with facets and a year chart, the document page,
//! "find similar replies" for pasted text, and the pages' CSS/JS.
//!
//! The server sends a strict Content-Security-Policy on HTML, so pages carry no inline
//! script, style or event handlers: markup is built here, looks live in `assets/page.css`,
//! and `assets/page.js` only adds niceties (pages work without it). Every piece of text goes
//! through `esc`; only the engine's `snippet` / `title_html` (already escaped, `<mark>` only)
//! are inserted as they are.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::error::ApiError;
use super::{AppState, bounded};
use crate::engine::similar::{MAX_TEXT_CHARS, SimilarHit, SimilarRequest, SimilarResponse};
use crate::engine::{
    FacetCounts, Hit, MAX_OFFSET, MatchMode, SearchRequest, SearchResponse, SortOrder,
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
        .route("/static/page.css", get(css))
        .route("/static/page.js", get(js))
}

// ---------------------------------------------------------------------------------------
// Escaping and URLs

/// HTML-escapes text for element content and quoted attribute values.
pub use crate::engine::highlight::escape_html as esc;

/// Percent-encodes every byte outside the RFC 3986 unreserved set, so the result is safe
/// as a query value and as one path segment.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn doc_url(id: &str, q: &str) -> String {
    if q.trim().is_empty() {
        format!("/docs/{}", url_encode(id))
    } else {
        format!("/docs/{}?q={}", url_encode(id), url_encode(q.trim()))
    }
}

/// Only web links become hrefs; anything else (javascript:, data:, relative junk) is text.
fn is_web_url(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
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

/// A Chinese explanation of an engine/API error (from the one error table); the original
/// (English) detail is shown in small print next to it.
fn friendly(e: &ApiError) -> String {
    e.code.message_zh().to_string()
}

// ---------------------------------------------------------------------------------------
// Page frame

fn layout(title: &str, form: &Params, main: &str) -> String {
    let mut out = String::with_capacity(main.len() + 4096);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · 答复检索</title>\n\
         <link rel=\"stylesheet\" href=\"/static/page.css\">\n\
         <script src=\"/static/page.js\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">跳到正文</a>\n\
         <header class=\"site\">\n<div class=\"bar\">\n\
         <a class=\"brand\" href=\"/\">答复检索 <small lang=\"en\">reply-search</small></a>\n{form}\
         </div>\n</header>\n<main id=\"main\">\n{main}</main>\n\
         <footer class=\"site\"><p>检索政府部门对人大代表建议、政协委员提案的答复。\
         <a href=\"/similar\">查找相似答复</a> · <a href=\"/api/openapi.json\" lang=\"en\">API</a></p>\
         <p class=\"keys\">快捷键：<kbd>/</kbd> 或 <kbd>Ctrl</kbd>+<kbd>K</kbd> 聚焦搜索框</p></footer>\n\
         </body>\n</html>\n",
        title = esc(title),
        form = search_form(form),
    );
    out
}

fn search_form(p: &Params) -> String {
    let sort = p.sort.unwrap_or(SortOrder::Relevance);
    let selected = |s: SortOrder| if s == sort { " selected" } else { "" };
    let mut hidden = String::new();
    for (k, v) in [
        ("kind", p.kind.clone()),
        ("respondent", p.respondent.clone()),
        ("year", p.year.map(|y| y.to_string())),
        ("session", p.session.clone()),
        ("from", p.from.clone()),
        ("to", p.to.clone()),
    ] {
        if let Some(v) = v {
            let _ = writeln!(
                hidden,
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                esc(&v)
            );
        }
    }
    format!(
        "<form class=\"search\" action=\"/\" method=\"get\" role=\"search\">\n\
         <label class=\"vh\" for=\"q\">搜索关键词</label>\n\
         <input id=\"q\" name=\"q\" type=\"search\" value=\"{q}\" placeholder=\"输入关键词，如：新质生产力、停车难\" maxlength=\"1000\" autocomplete=\"off\" enterkeyhint=\"search\">\n\
         <label class=\"vh\" for=\"sort\">排序</label>\n\
         <select id=\"sort\" name=\"sort\" data-autosubmit>\
         <option value=\"relevance\"{r}>相关度</option><option value=\"date\"{d}>日期</option></select>\n\
         <label class=\"opt\"><input type=\"checkbox\" name=\"match\" value=\"all\"{all}> 全部词语</label>\n\
         {hidden}<button type=\"submit\">搜索</button>\n</form>\n",
        q = esc(&p.q),
        r = selected(SortOrder::Relevance),
        d = selected(SortOrder::Date),
        all = if p.all { " checked" } else { "" },
    )
}

fn error_box(message: &str, detail: Option<&str>) -> String {
    let mut out = format!(
        "<div class=\"notice error\" role=\"alert\"><p>{}</p>",
        esc(message)
    );
    if let Some(d) = detail.filter(|d| !d.is_empty()) {
        let _ = write!(out, "<p class=\"detail\" lang=\"en\">{}</p>", esc(d));
    }
    out.push_str("<p><a href=\"/\">返回首页</a></p></div>\n");
    out
}

/// 404 page for unknown paths.
pub fn not_found_page() -> impl IntoResponse {
    let main = "<div class=\"notice\"><h1>页面不存在</h1>\
                <p>您访问的地址不存在，可能已被移动或输入有误。</p>\
                <p><a href=\"/\">返回首页</a>，或在上方搜索框中检索。</p></div>\n";
    html(
        StatusCode::NOT_FOUND,
        layout("页面不存在", &Params::default(), main),
    )
}

fn meta_list(fields: &[(&str, Option<String>)]) -> String {
    let mut out = String::from("<dl class=\"meta\">");
    for (label, value) in fields {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            let _ = write!(out, "<div><dt>{label}</dt><dd>{}</dd></div>", esc(v));
        }
    }
    out.push_str("</dl>\n");
    out
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
    use super::doc::query_needles;
    use super::search::word_clauses;
    use super::*;

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn encodes_everything_outside_unreserved() {
        assert_eq!(url_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(url_encode("a b/&?#"), "a%20b%2F%26%3F%23");
        assert_eq!(url_encode("年"), "%E5%B9%B4");
    }

    #[test]
    fn lenient_params() {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let (p, e) = Params::parse(&pairs(&[
            ("q", "停车"),
            ("year", ""),
            ("page", "2"),
            ("x", "y"),
        ]));
        assert!(e.is_none());
        assert_eq!((p.q.as_str(), p.year, p.page), ("停车", None, 2));
        assert_eq!(p.url(), "/?q=%E5%81%9C%E8%BD%A6&page=2");
        assert!(Params::parse(&pairs(&[("page", "abc")])).1.is_some());
        assert!(Params::parse(&pairs(&[("page", "0")])).1.is_some());
        assert!(Params::parse(&pairs(&[("year", "x")])).1.is_some());
        assert!(Params::parse(&pairs(&[("sort", "up")])).1.is_some());
    }

    #[test]
    fn counts_word_clauses() {
        assert_eq!(word_clauses("新质 生产力"), 2);
        assert_eq!(
            word_clauses("(停车难 OR 停车位紧张) 小区 \"河套\" -收费"),
            2
        );
        assert_eq!(word_clauses(""), 0);
    }

    #[test]
    fn needles_skip_exclusions_and_quotes() {
        let n = query_needles("\"新质生产力\" -收费 title:河套 OR");
        assert!(n.contains(&"新质生产力".to_string()));
        assert!(n.contains(&"河套".to_string()));
        assert!(!n.iter().any(|s| s.contains("收费")));
    }

    #[test]
    fn web_urls_only() {
        assert!(is_web_url("https://example.org/x"));
        assert!(is_web_url("HTTP://example.org/x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("data:text/html,x"));
    }
}
