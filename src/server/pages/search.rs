//! The search page: results, facets, the year chart, pagination and help when nothing is found.

use super::similar::paste_section;
use super::*;

pub(super) async fn search_page(
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

pub(super) fn landing(params: &Params, r: &SearchResponse) -> String {
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

pub(super) fn results(params: &Params, r: &SearchResponse) -> String {
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
pub(super) fn hit_card(hit: &Hit, q: &str, words: usize) -> String {
    let mut out = String::from("<li class=\"hit\">\n");
    let _ = writeln!(
        out,
        "<h3><a href=\"{}\">{}</a></h3>",
        esc(&doc_url(&hit.id, q)),
        hit.title.to_html()
    );
    out.push_str(&meta_list(&[
        ("承办单位", hit.respondent.clone()),
        ("日期", hit.date.clone()),
        ("类别", Some(kind_label(&hit.kind).to_string())),
        ("编号", hit.proposal_no.as_deref().map(number_label)),
    ]));
    if !hit.snippet.is_empty() {
        // Engine output: escaped text whose only markup is <mark>.
        let _ = writeln!(out, "<p class=\"snippet\">{}</p>", hit.snippet.to_html());
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

pub(super) fn empty_help(params: &Params) -> String {
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

pub(super) fn pagination(params: &Params, total: usize) -> String {
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

pub(super) fn sidebar(params: &Params, r: &SearchResponse) -> String {
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
pub(super) fn facet_block(
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
pub(super) fn year_chart(params: &Params, years: &FacetCounts) -> String {
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

/// How many word clauses `expanded_query` holds (top-level parts that are neither phrases
/// nor exclusions), to tell whether "matched N of M words" is worth showing.
pub(super) fn word_clauses(expanded: &str) -> usize {
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
