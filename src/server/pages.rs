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
use crate::ingest::Letter;
use crate::search::{
    FacetCounts, Hit, MAX_OFFSET, MatchMode, SearchRequest, SearchResponse, SortOrder,
};
use crate::similar::{MAX_TEXT_CHARS, SimilarHit, SimilarRequest, SimilarResponse};

/// Hits per result page.
const PER_PAGE: usize = 10;
/// Deepest page reachable (the engine stops at offset `MAX_OFFSET`).
const MAX_PAGE: usize = MAX_OFFSET / PER_PAGE + 1;
/// Facet values shown before the rest fold into a "more" disclosure.
const FACET_SHOWN: usize = 8;
/// Similar documents listed on a document page and for pasted text.
const SIMILAR_ON_DOC: usize = 5;
const SIMILAR_FOR_TEXT: usize = 10;

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
pub use crate::highlight::escape_html as esc;

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

// ---------------------------------------------------------------------------------------
// Search parameters

/// The search page's query string, parsed leniently.
#[derive(Debug, Clone)]
struct Params {
    q: String,
    kind: Option<String>,
    respondent: Option<String>,
    year: Option<u32>,
    session: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<SortOrder>,
    /// 1-based.
    page: usize,
    all: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            q: String::new(),
            kind: None,
            respondent: None,
            year: None,
            session: None,
            from: None,
            to: None,
            sort: None,
            page: 1,
            all: false,
        }
    }
}

impl Params {
    /// Unknown keys are ignored and empty values count as absent; the first bad value is
    /// returned as a Chinese message while the good ones still fill the form.
    fn parse(pairs: &[(String, String)]) -> (Params, Option<String>) {
        let mut p = Params::default();
        let mut error: Option<String> = None;
        let mut fail = |msg: String| {
            error.get_or_insert(msg);
        };
        for (key, value) in pairs {
            let v = value.trim();
            let opt = || (!v.is_empty()).then(|| v.to_string());
            let shown = truncate_chars(v, 40);
            match key.as_str() {
                "q" => p.q = value.clone(),
                "kind" => p.kind = opt(),
                "respondent" => p.respondent = opt(),
                "session" => p.session = opt(),
                "from" => p.from = opt(),
                "to" => p.to = opt(),
                "year" if v.is_empty() => p.year = None,
                "year" => match v.parse::<u32>() {
                    Ok(y) if (1900..=2100).contains(&y) => p.year = Some(y),
                    _ => fail(format!(
                        "年份“{shown}”无效：请填写 1900–2100 之间的四位年份。"
                    )),
                },
                "page" if v.is_empty() => p.page = 1,
                "page" => match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_PAGE).contains(&n) => p.page = n,
                    Ok(n) if n > MAX_PAGE => fail(format!(
                        "页码 {n} 超出范围：最多只能翻到第 {MAX_PAGE} 页，请缩小检索范围。"
                    )),
                    _ => fail(format!("页码“{shown}”无效：页码应为正整数。")),
                },
                "sort" => match v {
                    "" => p.sort = None,
                    "relevance" => p.sort = Some(SortOrder::Relevance),
                    "date" => p.sort = Some(SortOrder::Date),
                    _ => fail(format!(
                        "排序方式“{shown}”无效：可选 relevance（相关度）或 date（日期）。"
                    )),
                },
                "match" => match v {
                    "" | "most" => p.all = false,
                    "all" => p.all = true,
                    _ => fail(format!(
                        "匹配方式“{shown}”无效：可选 most（多数词语）或 all（全部词语）。"
                    )),
                },
                _ => {}
            }
        }
        (p, error)
    }

    fn has_filter(&self) -> bool {
        self.kind.is_some()
            || self.respondent.is_some()
            || self.year.is_some()
            || self.session.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }

    fn is_landing(&self) -> bool {
        self.q.trim().is_empty() && !self.has_filter()
    }

    fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            limit: Some(PER_PAGE),
            offset: (self.page - 1) * PER_PAGE,
            respondent: self.respondent.clone(),
            kind: self.kind.clone(),
            year: self.year,
            session: self.session.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            sort: self.sort,
            facets: None,
            match_mode: if self.all {
                MatchMode::All
            } else {
                MatchMode::Most
            },
        }
    }

    /// The URL of this search (not yet HTML-escaped).
    fn url(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut add = |k: &str, v: &str| parts.push(format!("{k}={}", url_encode(v)));
        if !self.q.trim().is_empty() {
            add("q", self.q.trim());
        }
        for (k, v) in [
            ("kind", &self.kind),
            ("respondent", &self.respondent),
            ("session", &self.session),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v {
                add(k, v);
            }
        }
        if let Some(y) = self.year {
            add("year", &y.to_string());
        }
        match self.sort {
            Some(SortOrder::Relevance) => add("sort", "relevance"),
            Some(SortOrder::Date) => add("sort", "date"),
            None => {}
        }
        if self.all {
            add("match", "all");
        }
        if self.page > 1 {
            add("page", &self.page.to_string());
        }
        if parts.is_empty() {
            "/".into()
        } else {
            format!("/?{}", parts.join("&"))
        }
    }

    /// A changed copy, back on page 1 (a new filter or order invalidates the page).
    fn with(&self, change: impl FnOnce(&mut Params)) -> Params {
        let mut p = self.clone();
        p.page = 1;
        change(&mut p);
        p
    }

    fn href_with(&self, change: impl FnOnce(&mut Params)) -> String {
        esc(&self.with(change).url())
    }

    fn page_href(&self, page: usize) -> String {
        let mut p = self.clone();
        p.page = page;
        esc(&p.url())
    }

    /// Active filters as (label, shown value, URL without it).
    fn chips(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.respondent {
            out.push((
                "承办单位",
                v.clone(),
                self.href_with(|p| p.respondent = None),
            ));
        }
        if let Some(y) = self.year {
            out.push(("年份", y.to_string(), self.href_with(|p| p.year = None)));
        }
        if let Some(v) = &self.kind {
            out.push((
                "类别",
                kind_label(v).to_string(),
                self.href_with(|p| p.kind = None),
            ));
        }
        if let Some(v) = &self.session {
            out.push(("届次", v.clone(), self.href_with(|p| p.session = None)));
        }
        if let Some(v) = &self.from {
            out.push((
                "起始日期",
                format!("{v} 起"),
                self.href_with(|p| p.from = None),
            ));
        }
        if let Some(v) = &self.to {
            out.push((
                "截止日期",
                format!("至 {v}"),
                self.href_with(|p| p.to = None),
            ));
        }
        out
    }
}

/// Quoted phrases, excluded words and field prefixes stripped: the strings to mark in a
/// document opened from a result list.
fn query_needles(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in q.split_whitespace() {
        if item.starts_with('-') || item == "OR" || item == "|" {
            continue;
        }
        let item = item
            .split_once([':', '：'])
            .map_or(item, |(_, value)| value);
        let cleaned: String = item
            .chars()
            .filter(|c| !matches!(c, '"' | '“' | '”' | '「' | '」' | '(' | ')'))
            .collect();
        if !cleaned.is_empty() {
            out.push(cleaned);
        }
    }
    crate::highlight::needles(out.iter().map(String::as_str))
}

/// How many word clauses `expanded_query` holds (top-level parts that are neither phrases
/// nor exclusions), to tell whether "matched N of M words" is worth showing.
fn word_clauses(expanded: &str) -> usize {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut current) = (0i32, false, String::new());
    for c in expanded.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ' ' if !quoted && depth <= 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.is_empty() && !p.starts_with('-') && !p.starts_with('"'))
        .count()
}

/// A Chinese explanation of an engine/API error; the original (English) detail is shown
/// in small print next to it.
fn friendly(e: &ApiError) -> String {
    match e.code {
        "bad_date" => {
            "日期格式不正确：请使用 YYYY、YYYY-MM 或 YYYY-MM-DD，且起始日期不能晚于截止日期。"
        }
        "bad_year" => "年份超出范围：请填写 1900–2100 之间的年份。",
        "bad_offset" => "页码过大：请缩小检索范围。",
        "bad_query" => "查询无法处理：可能过长（最多 1000 字），请精简关键词。",
        "empty_text" => "请先粘贴建议或提案的文本。",
        "not_found" => "未找到该文档。",
        "busy" => "服务器繁忙，请稍后重试。",
        "internal" => "服务器内部出错，已记录，请稍后重试。",
        _ if e.status.is_server_error() => "服务器暂时无法完成请求，请稍后重试。",
        _ => "请求无效，请检查检索条件。",
    }
    .to_string()
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

fn doc_not_found(id: &str) -> Response {
    let main = format!(
        "<div class=\"notice\"><h1>未找到该文档</h1>\
         <p>编号为 <code>{}</code> 的答复不存在，可能已被删除。</p>\
         <p><a href=\"/\">返回首页</a>，或在上方搜索框中检索。</p></div>\n",
        esc(&truncate_chars(id, 200))
    );
    html(
        StatusCode::NOT_FOUND,
        layout("未找到该文档", &Params::default(), &main),
    )
}

// ---------------------------------------------------------------------------------------
// Search page

async fn search_page(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Ok(Query(pairs)) = query else {
        let main = error_box("网址中的检索参数无法解析，请重新输入。", None);
        return html(
            StatusCode::BAD_REQUEST,
            layout("参数错误", &Params::default(), &main),
        );
    };
    let (params, error) = Params::parse(&pairs);
    if let Some(message) = error {
        let main = error_box(&message, None);
        return html(StatusCode::BAD_REQUEST, layout("参数错误", &params, &main));
    }
    let request = params.request();
    match bounded(&state, move |s| s.engine.search(&request)).await {
        Ok(response) if params.is_landing() => html(StatusCode::OK, landing(&params, &response)),
        Ok(response) => html(StatusCode::OK, results(&params, &response)),
        Err(e) => {
            let main = error_box(&friendly(&e), Some(&e.message));
            html(e.status, layout("检索出错", &params, &main))
        }
    }
}

fn landing(params: &Params, r: &SearchResponse) -> String {
    let mut main = String::new();
    let _ = write!(
        main,
        "<section class=\"intro\">\n<h1>答复检索</h1>\n\
         <p>检索政府部门对人大代表建议、政协委员提案的答复。目前共收录 <strong>{}</strong> 份答复。</p>\n\
         <ul class=\"tips\"><li><code>\"精确短语\"</code> 原样匹配</li>\
         <li><code>-排除词</code> 排除</li><li><code>停车 OR 车位</code> 任一</li>\
         <li><code>respondent:单位</code>、<code>year:2024</code> 按字段</li></ul>\n</section>\n",
        r.total
    );
    main.push_str(
        "<div class=\"layout\">\n<section class=\"results\" aria-labelledby=\"latest\">\n",
    );
    main.push_str("<h2 id=\"latest\">最新答复</h2>\n");
    if r.hits.is_empty() {
        main.push_str("<p class=\"muted\">索引中还没有文档。</p>\n");
    } else {
        main.push_str("<ol class=\"hits\">\n");
        for hit in &r.hits {
            main.push_str(&hit_card(hit, "", 0));
        }
        main.push_str("</ol>\n");
    }
    main.push_str("</section>\n");
    main.push_str(&sidebar(params, r));
    main.push_str("</div>\n");
    main.push_str(&paste_section("", false));
    layout("首页", params, &main)
}

fn results(params: &Params, r: &SearchResponse) -> String {
    let mut main = String::new();
    main.push_str(
        "<div class=\"layout\">\n<section class=\"results\" aria-labelledby=\"results-h\">\n",
    );
    let heading = if params.q.trim().is_empty() {
        "筛选结果".to_string()
    } else {
        format!("“{}”的检索结果", esc(params.q.trim()))
    };
    let _ = writeln!(main, "<h1 id=\"results-h\" class=\"rh\">{heading}</h1>");
    let _ = writeln!(
        main,
        "<p class=\"summary\">共找到 <strong>{}</strong> 条答复<span class=\"muted\">（用时 {} 毫秒）</span></p>",
        r.total, r.took_ms
    );
    let expanded = r.expanded_query.trim();
    if !expanded.is_empty() && expanded != params.q.trim() {
        let _ = writeln!(
            main,
            "<p class=\"expanded\">已扩展为: <code>{}</code> <small>（含同义词）</small></p>",
            esc(expanded)
        );
    }
    for note in &r.notes {
        let _ = writeln!(
            main,
            "<p class=\"note\">提示：<span lang=\"en\">{}</span></p>",
            esc(note)
        );
    }
    let chips = params.chips();
    if !chips.is_empty() {
        main.push_str(
            "<div class=\"chips\" aria-label=\"当前筛选\"><span class=\"muted\">筛选：</span>",
        );
        for (label, value, href) in &chips {
            let _ = write!(
                main,
                "<a class=\"chip\" href=\"{href}\" title=\"移除筛选：{label}\">× {}</a>",
                esc(value)
            );
        }
        let clear = params.href_with(|p| {
            p.kind = None;
            p.respondent = None;
            p.year = None;
            p.session = None;
            p.from = None;
            p.to = None;
        });
        let _ = writeln!(
            main,
            "<a class=\"chip clear\" href=\"{clear}\">清除全部</a></div>"
        );
    }
    if r.total > 0 {
        let sort = params.sort.unwrap_or(if params.q.trim().is_empty() {
            SortOrder::Date
        } else {
            SortOrder::Relevance
        });
        let link = |s: SortOrder, label: &str| {
            if s == sort {
                format!("<span class=\"current\" aria-current=\"true\">{label}</span>")
            } else {
                format!(
                    "<a href=\"{}\">{label}</a>",
                    params.href_with(|p| p.sort = Some(s))
                )
            }
        };
        let _ = writeln!(
            main,
            "<p class=\"sorts\">排序：{} · {}</p>",
            link(SortOrder::Relevance, "相关度"),
            link(SortOrder::Date, "日期")
        );
    }

    if r.total == 0 {
        main.push_str(&empty_help(params));
    } else if r.hits.is_empty() {
        let _ = writeln!(
            main,
            "<div class=\"notice\"><p>第 {} 页没有结果。<a href=\"{}\">回到第 1 页</a></p></div>",
            params.page,
            params.page_href(1)
        );
    } else {
        let words = word_clauses(&r.expanded_query);
        let _ = writeln!(main, "<ol class=\"hits\" start=\"{}\">", r.offset + 1);
        for hit in &r.hits {
            main.push_str(&hit_card(hit, &params.q, words));
        }
        main.push_str("</ol>\n");
    }
    main.push_str(&pagination(params, r.total));
    main.push_str("</section>\n");
    main.push_str(&sidebar(params, r));
    main.push_str("</div>\n");
    main.push_str(&paste_section("", true));
    let title = if params.q.trim().is_empty() {
        "筛选结果".to_string()
    } else {
        format!("{} - 检索", params.q.trim())
    };
    layout(&title, params, &main)
}

/// One result: title link, fields, snippet.
fn hit_card(hit: &Hit, q: &str, words: usize) -> String {
    let mut out = String::from("<li class=\"hit\">\n");
    let _ = writeln!(
        out,
        "<h3><a href=\"{}\">{}</a></h3>",
        esc(&doc_url(&hit.id, q)),
        hit.title_html
    );
    out.push_str(&meta_list(&[
        ("承办单位", hit.respondent.clone()),
        ("日期", hit.date.clone()),
        ("类别", Some(kind_label(&hit.kind).to_string())),
        ("编号", hit.proposal_no.as_deref().map(number_label)),
    ]));
    if !hit.snippet.is_empty() {
        // Engine output: escaped text whose only markup is <mark>.
        let _ = writeln!(out, "<p class=\"snippet\">{}</p>", hit.snippet);
    }
    if words > 1 && hit.matched_terms > 0 {
        let _ = writeln!(
            out,
            "<p class=\"matched\">命中 {} / {} 个词</p>",
            hit.matched_terms.min(words),
            words
        );
    }
    out.push_str("</li>\n");
    out
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

fn empty_help(params: &Params) -> String {
    let mut out = String::from(
        "<div class=\"empty\">\n<h2>没有找到相关答复</h2>\n<p>可以试试：</p>\n<ul>\n\
         <li>减少关键词，或换一种说法（例如“停车难”可试“停车位”）。</li>\n",
    );
    let q = params.q.trim();
    if q.contains(['"', '“', '”', '「', '」']) {
        let unquoted: String = q
            .chars()
            .filter(|c| !matches!(c, '"' | '“' | '”' | '「' | '」'))
            .collect();
        let _ = writeln!(
            out,
            "<li>去掉引号：引号内的短语必须原样出现。<a href=\"{}\">不加引号检索</a></li>",
            params.href_with(|p| p.q = unquoted)
        );
    }
    if params.all {
        let _ = writeln!(
            out,
            "<li>不要求全部词语都出现：<a href=\"{}\">改为匹配多数词语</a></li>",
            params.href_with(|p| p.all = false)
        );
    }
    let chips = params.chips();
    if chips.is_empty() {
        out.push_str("<li>检查是否有错别字，或改用更常见的说法。</li>\n");
    } else {
        out.push_str("<li>检查筛选条件，移除其中一项：");
        for (label, value, href) in &chips {
            let _ = write!(
                out,
                " <a class=\"chip\" href=\"{href}\">× {label}：{}</a>",
                esc(value)
            );
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</div>\n");
    out
}

fn pagination(params: &Params, total: usize) -> String {
    let last = total.div_ceil(PER_PAGE).min(MAX_PAGE);
    if last <= 1 {
        return String::new();
    }
    let current = params.page;
    let mut out = String::from("<nav class=\"pages\" aria-label=\"分页\">\n");
    if current > 1 {
        let _ = write!(
            out,
            "<a rel=\"prev\" href=\"{}\">上一页</a>",
            params.page_href((current - 1).min(last))
        );
    }
    let window = current.saturating_sub(3).max(1)..=(current + 3).min(last);
    let mut shown: Vec<usize> = vec![1];
    shown.extend(window);
    shown.push(last);
    shown.sort_unstable();
    shown.dedup();
    let mut previous = 0;
    for n in shown {
        if n > previous + 1 {
            out.push_str("<span class=\"gap\">…</span>");
        }
        if n == current {
            let _ = write!(
                out,
                "<span class=\"current\" aria-current=\"page\">{n}</span>"
            );
        } else {
            let _ = write!(out, "<a href=\"{}\">{n}</a>", params.page_href(n));
        }
        previous = n;
    }
    if current < last {
        let _ = write!(
            out,
            "<a rel=\"next\" href=\"{}\">下一页</a>",
            params.page_href(current + 1)
        );
    }
    out.push_str("\n</nav>\n");
    out
}

fn sidebar(params: &Params, r: &SearchResponse) -> String {
    let mut out = String::from("<aside class=\"sidebar\" aria-label=\"筛选\">\n");
    if let Some(years) = r.facets.get("year") {
        out.push_str(&year_chart(params, years));
    }
    let empty = FacetCounts::default();
    let facet = |name: &str| r.facets.get(name).unwrap_or(&empty);
    out.push_str(&facet_block(
        "承办单位",
        facet("respondent"),
        params.respondent.as_deref(),
        |v| params.href_with(|p| p.respondent = Some(v.to_string())),
        params.href_with(|p| p.respondent = None),
        |v| v.to_string(),
    ));
    let year = params.year.map(|y| y.to_string());
    out.push_str(&facet_block(
        "年份",
        facet("year"),
        year.as_deref(),
        |v| params.href_with(|p| p.year = v.parse().ok()),
        params.href_with(|p| p.year = None),
        |v| v.to_string(),
    ));
    out.push_str(&facet_block(
        "类别",
        facet("kind"),
        params.kind.as_deref(),
        |v| params.href_with(|p| p.kind = Some(v.to_string())),
        params.href_with(|p| p.kind = None),
        |v| kind_label(v).to_string(),
    ));
    out.push_str("</aside>\n");
    out
}

/// One facet: values with counts as filter links; the active value links to its removal.
fn facet_block(
    title: &str,
    counts: &FacetCounts,
    active: Option<&str>,
    add: impl Fn(&str) -> String,
    remove: String,
    label: impl Fn(&str) -> String,
) -> String {
    if counts.0.is_empty() {
        return String::new();
    }
    let mut out = format!("<section class=\"facet\">\n<h2>{title}</h2>\n<ul>\n");
    for (i, (value, count)) in counts.0.iter().enumerate() {
        if i == FACET_SHOWN {
            let _ = write!(
                out,
                "</ul>\n<details><summary>更多 {} 项</summary>\n<ul>\n",
                counts.0.len() - FACET_SHOWN
            );
        }
        let shown = esc(&label(value));
        if active == Some(value.as_str()) {
            let _ = writeln!(
                out,
                "<li class=\"active\"><a href=\"{remove}\" title=\"取消该筛选\">× {shown}</a> <span class=\"count\">{count}</span></li>"
            );
        } else {
            let _ = writeln!(
                out,
                "<li><a href=\"{}\">{shown}</a> <span class=\"count\">{count}</span></li>",
                add(value)
            );
        }
    }
    if counts.0.len() > FACET_SHOWN {
        out.push_str("</ul>\n</details>\n");
    } else {
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

/// Results per year as an inline SVG bar chart, one horizontal bar per year (newest first,
/// so it stays legible in a narrow sidebar however many years there are); each bar links to
/// that year's filter. Presentation attributes only: the CSP forbids style attributes.
fn year_chart(params: &Params, years: &FacetCounts) -> String {
    let mut data: Vec<(u32, u64)> = years
        .0
        .iter()
        .filter_map(|(y, n)| Some((y.parse().ok()?, *n)))
        .collect();
    if data.is_empty() {
        return String::new();
    }
    data.sort_unstable_by_key(|&(year, _)| std::cmp::Reverse(year));
    const WIDTH: usize = 280;
    const ROW: usize = 22;
    const BAR_X: usize = 46;
    const BAR_MAX: usize = 190;
    let height = data.len() * ROW + 4;
    let max = data.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let mut out = String::from("<section class=\"chart\">\n<h2>年份分布</h2>\n");
    let _ = writeln!(
        out,
        "<svg class=\"years\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"各年份答复数量\">"
    );
    for (i, (year, count)) in data.iter().enumerate() {
        let bar = ((*count as f64 / max as f64) * BAR_MAX as f64)
            .round()
            .max(2.0) as usize;
        let top = 2 + i * ROW;
        let baseline = top + 15;
        let active = params.year == Some(*year);
        let href = if active {
            params.href_with(|p| p.year = None)
        } else {
            params.href_with(|p| p.year = Some(*year))
        };
        let _ = writeln!(
            out,
            "<a href=\"{href}\"{cls}><title>{year} 年：{count} 条</title>\
             <text x=\"0\" y=\"{baseline}\" font-size=\"12\" fill=\"#444\">{year}</text>\
             <rect x=\"{BAR_X}\" y=\"{bar_y}\" width=\"{bar}\" height=\"16\" rx=\"3\" fill=\"{fill}\"></rect>\
             <text x=\"{count_x}\" y=\"{baseline}\" font-size=\"12\" fill=\"#333\">{count}</text></a>",
            cls = if active { " class=\"active\"" } else { "" },
            fill = if active { "#c2410c" } else { "#3b6fd8" },
            bar_y = top + 2,
            count_x = BAR_X + bar + 5,
        );
    }
    out.push_str("</svg>\n</section>\n");
    out
}

// ---------------------------------------------------------------------------------------
// Similar to pasted text

fn paste_form(text: &str) -> String {
    // The newline after <textarea> keeps a leading newline of the text (the parser drops one).
    format!(
        "<form class=\"paste\" method=\"post\" action=\"/similar\">\n\
         <label for=\"paste-text\">粘贴建议或提案的全文或主要段落：</label>\n\
         <textarea id=\"paste-text\" name=\"text\" rows=\"8\" data-maxchars=\"{MAX_TEXT_CHARS}\" data-counter=\"paste-count\" \
         placeholder=\"例如：关于加强中小学生心理健康教育的建议……\">\n{}</textarea>\n\
         <div class=\"paste-foot\"><span id=\"paste-count\" class=\"counter\" aria-live=\"polite\">最多 {MAX_TEXT_CHARS} 字</span>\
         <button type=\"submit\">查找相似答复</button></div>\n</form>\n",
        esc(text)
    )
}

fn paste_section(text: &str, folded: bool) -> String {
    let intro = "<p class=\"muted\">想知道某个问题以前是否有人提过、哪个部门答复过？粘贴建议或提案的文本即可查找相似答复。</p>\n";
    if folded {
        format!(
            "<details class=\"paste-box\">\n<summary>粘贴建议/提案查找相似答复</summary>\n{intro}{}</details>\n",
            paste_form(text)
        )
    } else {
        format!(
            "<section class=\"paste-box\" aria-labelledby=\"paste-h\">\n<h2 id=\"paste-h\">粘贴建议/提案查找相似答复</h2>\n{intro}{}</section>\n",
            paste_form(text)
        )
    }
}

fn similar_layout(text: &str, extra: &str) -> String {
    let main = format!(
        "<h1>查找相似答复</h1>\n\
         <p class=\"muted\">粘贴一份建议或提案，按其中最有区分度的词语查找内容相近的已有答复。</p>\n{}{extra}",
        paste_form(text)
    );
    layout("查找相似答复", &Params::default(), &main)
}

async fn similar_form() -> Response {
    html(StatusCode::OK, similar_layout("", ""))
}

#[derive(Deserialize)]
struct PasteForm {
    #[serde(default)]
    text: String,
}

async fn similar_page(
    State(state): State<AppState>,
    form: Result<Form<PasteForm>, FormRejection>,
) -> Response {
    let Ok(Form(PasteForm { text })) = form else {
        return html(
            StatusCode::BAD_REQUEST,
            similar_layout(
                "",
                &error_box("表单无法解析，请在下方文本框中重新粘贴。", None),
            ),
        );
    };
    // Browsers send textarea line breaks as CRLF; count them as one char, like the counter.
    let text = text.replace("\r\n", "\n");
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        let message = format!(
            "文本过长：最多 {MAX_TEXT_CHARS} 字，当前 {chars} 字。下方已保留前 {MAX_TEXT_CHARS} 字，可删减后重新提交。"
        );
        let kept: String = text.chars().take(MAX_TEXT_CHARS).collect();
        return html(
            StatusCode::BAD_REQUEST,
            similar_layout(&kept, &error_box(&message, None)),
        );
    }
    if text.trim().is_empty() {
        return html(
            StatusCode::BAD_REQUEST,
            similar_layout("", &error_box("请先粘贴建议或提案的文本。", None)),
        );
    }
    let request = SimilarRequest {
        text: text.clone(),
        limit: Some(SIMILAR_FOR_TEXT),
        ..Default::default()
    };
    match bounded(&state, move |s| s.engine.similar_to_text(&request)).await {
        Ok(response) => html(
            StatusCode::OK,
            similar_layout(&text, &similar_results(&response)),
        ),
        Err(e) => html(
            e.status,
            similar_layout(&text, &error_box(&friendly(&e), Some(&e.message))),
        ),
    }
}

fn year_of(date: Option<&str>) -> Option<&str> {
    let d = date?;
    let y = d.get(..4)?;
    y.chars().all(|c| c.is_ascii_digit()).then_some(y)
}

fn similar_results(r: &SimilarResponse) -> String {
    let mut out = String::from("<section class=\"similar-results\" aria-labelledby=\"sim-h\">\n");
    if r.hits.is_empty() {
        out.push_str(
            "<h2 id=\"sim-h\">没有找到相似答复</h2>\n\
             <p>可以多粘贴几段正文，或换一份更具体的文本再试。</p>\n</section>\n",
        );
        return out;
    }
    let _ = writeln!(
        out,
        "<h2 id=\"sim-h\">最相似的 {} 份答复 <small class=\"muted\">（用时 {} 毫秒）</small></h2>",
        r.hits.len(),
        r.took_ms
    );
    if !r.terms.is_empty() {
        out.push_str("<p class=\"terms\">依据的关键词：");
        for t in r.terms.iter().take(15) {
            let _ = write!(out, "<span class=\"tag\">{}</span>", esc(t));
        }
        out.push_str("</p>\n");
    }
    // Group by year, newest first; undated last. Within a year keep the similarity order.
    let mut groups: Vec<(Option<&str>, Vec<&SimilarHit>)> = Vec::new();
    for hit in &r.hits {
        let year = year_of(hit.date.as_deref());
        match groups.iter_mut().find(|(y, _)| *y == year) {
            Some((_, list)) => list.push(hit),
            None => groups.push((year, vec![hit])),
        }
    }
    groups.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => y.cmp(x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    for (year, hits) in groups {
        let heading = year.map_or("日期不详".to_string(), |y| format!("{y} 年"));
        let _ = writeln!(
            out,
            "<h3 class=\"year\">{heading}</h3>\n<ol class=\"hits\">"
        );
        for hit in hits {
            out.push_str(&similar_card(hit, true));
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</section>\n");
    out
}

fn similar_card(hit: &SimilarHit, detailed: bool) -> String {
    let mut out = String::from("<li class=\"hit\">\n");
    let _ = writeln!(
        out,
        "<h3><a href=\"{}\">{}</a></h3>",
        esc(&doc_url(&hit.id, "")),
        esc(&hit.title)
    );
    let mut fields = vec![
        ("答复单位", hit.respondent.clone()),
        ("日期", hit.date.clone()),
    ];
    if detailed {
        fields.push(("相似度", Some(format!("{:.2}", hit.score))));
    }
    out.push_str(&meta_list(&fields));
    if let Some(d) = &hit.near_duplicate {
        let _ = writeln!(
            out,
            "<p class=\"duplicate\"><strong>疑似重复</strong> 文本重合度 {:.0}%（较短一方有 {:.0}% 出现在另一方）</p>",
            d.similarity * 100.0,
            d.containment * 100.0
        );
        if !d.passages.is_empty() {
            out.push_str("<details class=\"passages\"><summary>共同段落</summary><ol>");
            for p in &d.passages {
                let _ = write!(out, "<li><mark>{}</mark></li>", esc(p));
            }
            out.push_str("</ol></details>\n");
        }
    }
    if detailed && !hit.shared_terms.is_empty() {
        out.push_str("<p class=\"terms\"><span class=\"muted\">共同词语：</span>");
        for t in &hit.shared_terms {
            let _ = write!(out, "<span class=\"tag\">{}</span>", esc(t));
        }
        out.push_str("</p>\n");
    }
    if !hit.snippet.is_empty() {
        // Engine output: escaped text whose only markup is <mark>.
        let _ = writeln!(out, "<p class=\"snippet\">{}</p>", hit.snippet);
    }
    out.push_str("</li>\n");
    out
}

// ---------------------------------------------------------------------------------------
// Document page

async fn doc_page(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let bad_id = || {
        let main = error_box("文档编号无效：编号不能为空、过长或包含控制字符。", None);
        html(
            StatusCode::BAD_REQUEST,
            layout("文档编号无效", &Params::default(), &main),
        )
    };
    let Ok(Path(id)) = path else {
        return bad_id();
    };
    if super::api::check_id(&id).is_err() {
        return bad_id();
    }
    let q = query
        .ok()
        .and_then(|Query(pairs)| pairs.into_iter().rev().find(|(k, _)| k == "q"))
        .map(|(_, v)| v)
        .unwrap_or_default();
    let lookup = id.clone();
    let found = bounded(&state, move |s| {
        let Some(letter) = s.engine.get(&lookup)? else {
            return Ok(None);
        };
        let request = SimilarRequest {
            limit: Some(SIMILAR_ON_DOC),
            ..Default::default()
        };
        // The page is useful without its "similar" section, so a failure there is dropped.
        let similar = s.engine.similar_to_id(&lookup, &request).ok();
        Ok(Some((letter, similar)))
    })
    .await;
    match found {
        Ok(Some((letter, similar))) => {
            html(StatusCode::OK, document(&letter, similar.as_ref(), &q))
        }
        Ok(None) => doc_not_found(&id),
        Err(e) => {
            let main = error_box(&friendly(&e), Some(&e.message));
            html(e.status, layout("出错了", &Params::default(), &main))
        }
    }
}

fn document(letter: &Letter, similar: Option<&SimilarResponse>, q: &str) -> String {
    let form = Params {
        q: q.to_string(),
        ..Params::default()
    };
    let mut main = String::from("<nav class=\"crumbs\" aria-label=\"位置\"><a href=\"/\">首页</a>");
    if !q.trim().is_empty() {
        let _ = write!(
            main,
            " › <a href=\"{}\">“{}”的检索结果</a>",
            esc(&form.url()),
            esc(q.trim())
        );
    }
    main.push_str(" › 答复全文</nav>\n<article class=\"doc\">\n");
    let _ = writeln!(main, "<h1>{}</h1>", esc(&letter.title));

    main.push_str("<table class=\"fields\">\n<tbody>\n");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(
            main,
            "<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>"
        );
    };
    row("类别", esc(kind_label(&letter.kind)));
    if let Some(v) = letter.proposal_no.as_deref() {
        row("编号", esc(&number_label(v)));
    }
    if let Some(v) = letter.session.as_deref() {
        row("届次", esc(v));
    }
    if let Some(v) = letter.proposal_title.as_deref() {
        row("建议/提案标题", format!("《{}》", esc(v)));
    }
    if let Some(v) = letter.respondent.as_deref() {
        let href = esc(&Params {
            respondent: Some(v.to_string()),
            ..Params::default()
        }
        .url());
        row(
            "答复单位",
            format!(
                "{} <a class=\"small\" href=\"{href}\">该单位的其他答复</a>",
                esc(v)
            ),
        );
    }
    if let Some(v) = letter.addressee.as_deref() {
        row("收件人", esc(v));
    }
    if let Some(v) = letter.date.as_deref() {
        row("日期", esc(v));
    }
    if let Some(v) = letter.source.as_deref() {
        let value = if is_web_url(v) {
            format!(
                "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>",
                esc(v.trim()),
                esc(v)
            )
        } else {
            esc(v)
        };
        row("来源", value);
    }
    main.push_str("</tbody>\n</table>\n<div class=\"letter\">\n");

    let needles = query_needles(q);
    for paragraph in letter.text.split('\n') {
        let paragraph = paragraph.trim();
        if paragraph.is_empty() {
            continue;
        }
        let body = if needles.is_empty() {
            esc(paragraph)
        } else {
            crate::highlight::highlight_all(paragraph, &needles)
        };
        let _ = writeln!(main, "<p>{body}</p>");
    }
    main.push_str("</div>\n</article>\n");

    main.push_str("<section class=\"similar\" aria-labelledby=\"similar-h\">\n<h2 id=\"similar-h\">相似答复</h2>\n");
    match similar {
        Some(s) if !s.hits.is_empty() => {
            main.push_str("<ol class=\"hits\">\n");
            for hit in &s.hits {
                main.push_str(&similar_card(hit, false));
            }
            main.push_str("</ol>\n");
        }
        _ => main.push_str("<p class=\"muted\">暂无相似答复。</p>\n"),
    }
    let _ = writeln!(
        main,
        "</section>\n<p class=\"muted small\">机器可读：<a href=\"/api/docs/{}\" lang=\"en\">JSON</a></p>",
        url_encode(&letter.id)
    );
    layout(&letter.title, &form, &main)
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
        include_str!("../../assets/page.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../assets/page.js"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
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
