//! The search page: results, facets, the year chart, pagination and help when nothing is found.

use super::similar::paste_section;
use super::*;
use crate::server::querylog::Source;

pub(super) async fn search_page(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Ok(Query(pairs)) = query else {
        let message = "网址中的检索参数无法解析，请重新输入。";
        return error_page(
            StatusCode::BAD_REQUEST,
            "参数错误",
            &Params::default(),
            message,
        );
    };
    let (params, error) = Params::parse(&pairs);
    if let Some(message) = error {
        return error_page(StatusCode::BAD_REQUEST, "参数错误", &params, &message);
    }
    let request = params.request();
    let landing_page = params.is_landing();
    let answered = bounded(&state, move |s| {
        let response = s.search(&request, Source::Page)?;
        let hot = (landing_page && s.options.hot_searches).then(|| s.query_log.hot(HOT_ON_PAGE));
        Ok((response, hot))
    })
    .await;
    match answered {
        Ok((response, hot)) if landing_page => html(
            StatusCode::OK,
            landing(
                &params,
                &response,
                hot.as_deref().map_or(&[], Vec::as_slice),
            ),
        ),
        Ok((response, _)) => html(StatusCode::OK, results(&params, &response)),
        Err(e) => api_error_page(&e, "检索出错", &params),
    }
}

/// 热门搜索 listed on the landing page (when the server shows them).
const HOT_ON_PAGE: usize = 10;

fn landing(params: &Params, r: &SearchResponse, hot: &[String]) -> Markup {
    let content = html! {
        section.intro {
            h1 { "答复检索" }
            p {
                "检索政府部门对人大代表建议、政协委员提案的答复。目前共收录 "
                strong { (r.total) } " 份答复。"
            }
            ul.tips {
                li { code { "\"精确短语\"" } " 原样匹配" }
                li { code { "-排除词" } " 排除" }
                li { code { "停车 OR 车位" } " 任一" }
                li { code { "respondent:单位" } "、" code { "year:2024" } " 按字段" }
            }
            @if !hot.is_empty() {
                nav.hot aria-labelledby="hot-h" {
                    h2 #hot-h { "热门搜索" }
                    ul {
                        @for q in hot {
                            li { a href=(params.url_with(|p| p.q = q.clone())) { (q) } }
                        }
                    }
                }
            }
        }
        div.layout {
            section.results aria-labelledby="latest" {
                h2 #latest { "最新答复" }
                @if r.hits.is_empty() {
                    p.muted { "索引中还没有文档。" }
                } @else {
                    ol.hits { @for hit in &r.hits { (hit_card(hit, "", 0)) } }
                }
            }
            (sidebar(params, r))
        }
        (paste_section("", false))
    };
    layout("首页", params, content)
}

/// A note on how the query was answered, in the page's language.
fn note_text(note: &Note) -> String {
    match note {
        Note::WordsIgnored { dropped, kept } => {
            format!("提示：检索词过多，只使用了前 {kept} 个，其余 {dropped} 个已忽略。")
        }
        Note::SearchedParts { word, parts } => format!(
            "提示：没有答复包含“{word}”，已改为检索：{}。",
            parts.join("、")
        ),
        Note::NoneHasAllWords => "没有同时包含全部词语的答复，以下为部分匹配。".to_string(),
    }
}

fn results(params: &Params, r: &SearchResponse) -> Markup {
    let q = params.q.trim();
    let expanded = r.expanded_query.trim();
    let content = html! {
        div.layout {
            section.results aria-labelledby="results-h" {
                h1 #results-h .rh {
                    @if q.is_empty() { "筛选结果" } @else { "“" (q) "”的检索结果" }
                }
                p.summary {
                    "共找到 " strong { (r.total) @if !r.total_is_exact { "+" } } " 条答复"
                    span.muted { "（用时 " (r.took_ms) " 毫秒）" }
                }
                @if let Some(meant) = &r.did_you_mean {
                    @let meant_url = params.url_with(|p| p.q = meant.clone());
                    @if r.showing_did_you_mean {
                        p.did-you-mean {
                            "已显示“" a href=(meant_url) { strong { (meant) } } "”的结果，仍然搜索“"
                            a href=(params.url_with(|p| p.as_written = true)) { (q) } "”"
                        }
                    } @else {
                        p.did-you-mean {
                            "您是不是要找：" a href=(meant_url) { strong { (meant) } }
                        }
                    }
                }
                @if r.expanded && !expanded.is_empty() {
                    p.expanded { "已扩展为: " code { (expanded) } " " small { "（含同义词）" } }
                }
                @for note in &r.notes {
                    p.note { (note_text(note)) }
                }
                (chips(params))
                @if r.total > 0 { (sort_links(params)) }
                @if r.total == 0 {
                    (empty_help(params))
                } @else if r.hits.is_empty() {
                    div.notice {
                        p {
                            "第 " (params.page) " 页没有结果。"
                            a href=(params.page_url(1)) { "回到第 1 页" }
                        }
                    }
                } @else {
                    ol.hits start=(r.offset + 1) {
                        @for hit in &r.hits { (hit_card(hit, &params.q, r.words)) }
                    }
                }
                (pagination(params, r.total))
            }
            (sidebar(params, r))
        }
        (paste_section("", true))
    };
    let title = if q.is_empty() {
        "筛选结果".to_string()
    } else {
        format!("{q} - 检索")
    };
    layout(&title, params, content)
}

/// The active filters, each a link that removes it, and one that removes them all.
fn chips(params: &Params) -> Markup {
    let chips = params.chips();
    html! {
        @if !chips.is_empty() {
            div.chips aria-label="当前筛选" {
                span.muted { "筛选：" }
                @for (label, value, url) in &chips {
                    a.chip href=(url) title={ "移除筛选：" (label) } { "× " (value) }
                }
                a.chip.clear href=(params.unfiltered_url()) { "清除全部" }
            }
        }
    }
}

/// "Sort by relevance · date", the current order as text and the other as a link.
fn sort_links(params: &Params) -> Markup {
    let current = params.sort.unwrap_or(if params.q.trim().is_empty() {
        SortOrder::Date
    } else {
        SortOrder::Relevance
    });
    let link = |order: SortOrder, label: &str| {
        html! {
            @if order == current {
                span.current aria-current="true" { (label) }
            } @else {
                a href=(params.url_with(|p| p.sort = Some(order))) { (label) }
            }
        }
    };
    html! {
        p.sorts {
            "排序：" (link(SortOrder::Relevance, "相关度")) " · " (link(SortOrder::Date, "日期"))
        }
    }
}

/// One result: title link, fields, snippet, and how many of the query's `words` it has.
fn hit_card(hit: &Hit, q: &str, words: usize) -> Markup {
    let fields = [
        ("承办单位", hit.respondent.clone()),
        ("日期", hit.date.clone()),
        ("类别", Some(kind_label(&hit.kind).to_string())),
        ("编号", hit.proposal_no.as_deref().map(number_label)),
    ];
    html! {
        li.hit {
            // A line break after the opening tag, as the pages have always had: readers of
            // the HTML (and its tests) find a hit as `<li class="hit">\n<h3>`.
            "\n"
            h3 { a href=(doc_url(&hit.id, q)) { (hit.title) } }
            (meta_list(&fields))
            @if !hit.snippet.is_empty() {
                p.snippet { (hit.snippet) }
            }
            @if words > 1 && hit.matched_terms > 0 {
                p.matched { "命中 " (hit.matched_terms.min(words)) " / " (words) " 个词" }
            }
        }
    }
}

/// Suggestions when nothing matched: fewer words, no quotes, "most" words, fewer filters.
fn empty_help(params: &Params) -> Markup {
    const QUOTES: [char; 5] = ['"', '“', '”', '「', '」'];
    let q = params.q.trim();
    let unquoted: String = q.chars().filter(|c| !QUOTES.contains(c)).collect();
    let chips = params.chips();
    html! {
        div.empty {
            h2 { "没有找到相关答复" }
            p { "可以试试：" }
            ul {
                li { "减少关键词，或换一种说法（例如“停车难”可试“停车位”）。" }
                @if q.contains(QUOTES) {
                    li {
                        "去掉引号：引号内的短语必须原样出现。"
                        a href=(params.url_with(|p| p.q = unquoted)) { "不加引号检索" }
                    }
                }
                @if params.all {
                    li {
                        "不要求全部词语都出现："
                        a href=(params.url_with(|p| p.all = false)) { "改为匹配多数词语" }
                    }
                }
                @if chips.is_empty() {
                    li { "检查是否有错别字，或改用更常见的说法。" }
                } @else {
                    li {
                        "检查筛选条件，移除其中一项："
                        @for (label, value, url) in &chips {
                            " " a.chip href=(url) { "× " (label) "：" (value) }
                        }
                    }
                }
            }
        }
    }
}

/// The page numbers a pagination bar shows: the first, the last and three either side of
/// the current one, each with whether a gap (`…`) comes before it.
fn page_numbers(current: usize, last: usize) -> Vec<(bool, usize)> {
    let window = current.saturating_sub(3).max(1)..=(current + 3).min(last);
    let mut shown: Vec<usize> = vec![1];
    shown.extend(window);
    shown.push(last);
    shown.sort_unstable();
    shown.dedup();
    let mut previous = 0;
    shown
        .into_iter()
        .map(|n| {
            let gap = n > previous + 1;
            previous = n;
            (gap, n)
        })
        .collect()
}

fn pagination(params: &Params, total: usize) -> Markup {
    let last = total.div_ceil(PER_PAGE).min(MAX_PAGE);
    let current = params.page;
    html! {
        @if last > 1 {
            nav.pages aria-label="分页" {
                @if current > 1 {
                    a rel="prev" href=(params.page_url((current - 1).min(last))) { "上一页" }
                }
                @for (gap, n) in page_numbers(current, last) {
                    @if gap { span.gap { "…" } }
                    @if n == current {
                        span.current aria-current="page" { (n) }
                    } @else {
                        a href=(params.page_url(n)) { (n) }
                    }
                }
                @if current < last {
                    a rel="next" href=(params.page_url(current + 1)) { "下一页" }
                }
            }
        }
    }
}

fn sidebar(params: &Params, r: &SearchResponse) -> Markup {
    let empty = FacetCounts::default();
    let facet = |name: &str| r.facets.get(name).unwrap_or(&empty);
    html! {
        aside.sidebar aria-label="筛选" {
            (year_chart(params, facet("year")))
            (facet_block(params, "承办单位", facet("respondent"), params.filters.respondent.as_deref(),
                |p, v| p.filters.respondent = v.map(str::to_string), |v| v.to_string()))
            (facet_block(params, "年份", facet("year"), params.filters.year.map(|y| y.to_string()).as_deref(),
                |p, v| p.filters.year = v.and_then(|v| v.parse().ok()), |v| v.to_string()))
            (facet_block(params, "类别", facet("kind"), params.filters.kind.as_deref(),
                |p, v| p.filters.kind = v.map(str::to_string), |v| kind_label(v).to_string()))
        }
    }
}

/// One facet: values with counts as filter links; the active value links to its removal.
/// `set` puts a value into (or, given `None`, removes it from) the search; `label` shows a
/// value.
fn facet_block(
    params: &Params,
    title: &str,
    counts: &FacetCounts,
    active: Option<&str>,
    set: impl Fn(&mut Params, Option<&str>),
    label: impl Fn(&str) -> String,
) -> Markup {
    let (shown, more) = counts.0.split_at(counts.0.len().min(FACET_SHOWN));
    let items = |values: &[(String, u64)]| {
        html! {
            ul {
                @for (value, count) in values {
                    @if active == Some(value.as_str()) {
                        li.active {
                            a href=(params.url_with(|p| set(p, None))) title="取消该筛选" {
                                "× " (label(value))
                            }
                            " " span.count { (count) }
                        }
                    } @else {
                        li {
                            a href=(params.url_with(|p| set(p, Some(value)))) { (label(value)) }
                            " " span.count { (count) }
                        }
                    }
                }
            }
        }
    };
    html! {
        @if !shown.is_empty() {
            section.facet {
                h2 { (title) }
                (items(shown))
                @if !more.is_empty() {
                    details {
                        summary { "更多 " (more.len()) " 项" }
                        (items(more))
                    }
                }
            }
        }
    }
}

/// Results per year as an inline SVG bar chart, one horizontal bar per year (newest first,
/// so it stays legible in a narrow sidebar however many years there are); each bar links to
/// that year's filter. Presentation attributes only: the CSP forbids style attributes.
fn year_chart(params: &Params, years: &FacetCounts) -> Markup {
    const WIDTH: usize = 280;
    const ROW: usize = 22;
    const BAR_X: usize = 46;
    const BAR_MAX: usize = 190;
    let mut data: Vec<(u32, u64)> = years
        .0
        .iter()
        .filter_map(|(y, n)| Some((y.parse().ok()?, *n)))
        .collect();
    data.sort_unstable_by_key(|&(year, _)| std::cmp::Reverse(year));
    let height = data.len() * ROW + 4;
    let max = data.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let bar_width = |count: u64| {
        ((count as f64 / max as f64) * BAR_MAX as f64)
            .round()
            .max(2.0) as usize
    };
    html! {
        @if !data.is_empty() {
            section.chart {
                h2 { "年份分布" }
                svg.years xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(height)
                    viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label="各年份答复数量" {
                    @for (i, &(year, count)) in data.iter().enumerate() {
                        @let active = params.filters.year == Some(year);
                        @let top = 2 + i * ROW;
                        @let bar = bar_width(count);
                        @let href = params.url_with(|p| p.filters.year = (!active).then_some(year));
                        a class=[active.then_some("active")] href=(href) {
                            title { (year) " 年：" (count) " 条" }
                            text x="0" y=(top + 15) font-size="12" fill="#444" { (year) }
                            rect x=(BAR_X) y=(top + 2) width=(bar) height="16" rx="3"
                                fill=(if active { "#c2410c" } else { "#3b6fd8" }) {}
                            text x=(BAR_X + bar + 5) y=(top + 15) font-size="12" fill="#333" {
                                (count)
                            }
                        }
                    }
                }
            }
        }
    }
}
