//! The query log's admin page (`/admin/queries`): searches per hour or day as a chart, the
//! most searched queries, those that found nothing and those corrected. Behind the admin
//! key: the browser asks for it (HTTP Basic, the key as password).

use axum::http::HeaderMap;

use super::*;
use crate::error::Error;
use crate::server::api::ReportParams;
use crate::server::auth::{self, Access, Schemes};
use crate::server::querylog::{Bucket, QueryCount, Report};

/// The windows offered as tabs: (days, label).
const WINDOWS: [(u32, &str); 3] = [(1, "近24小时"), (7, "近7天"), (30, "近30天")];

pub(super) async fn admin_queries(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ReportParams>, QueryRejection>,
) -> Response {
    match auth::check(&state, &headers, Schemes::BearerOrBasic) {
        Access::Granted => {}
        Access::NoKeyConfigured => {
            return admin_notice(
                StatusCode::FORBIDDEN,
                "本服务为只读，未配置管理密钥（REPLY_SEARCH_ADMIN_KEY），检索日志报告不可查看。",
            );
        }
        Access::Denied => {
            // The browser shows its password prompt again; Cancel shows this page.
            let mut page = admin_notice(
                StatusCode::UNAUTHORIZED,
                "需要管理密钥：在浏览器弹出的登录框中，用户名任意，密码填写管理密钥。",
            );
            page.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(
                    "Basic realm=\"reply-search admin\", charset=\"UTF-8\"",
                ),
            );
            return page;
        }
    }
    let Ok(Query(params)) = query else {
        return admin_notice(StatusCode::BAD_REQUEST, "网址中的参数无法解析。");
    };
    let (days, limit) = match params.checked() {
        Ok(checked) => checked,
        Err(e) => return admin_notice(e.status, &e.message),
    };
    let report = bounded(&state, move |s| {
        s.query_log.report(days, limit).map_err(Error::from)
    })
    .await;
    let mut page = match report {
        Ok(report) => html(StatusCode::OK, report_page(&report)),
        Err(e) => api_error_page(&e, "检索日志", &Params::default()),
    };
    no_store(&mut page);
    page
}

fn admin_notice(status: StatusCode, message: &str) -> Response {
    let mut page = html(
        status,
        layout(
            "检索日志",
            &Params::default(),
            html! { div.notice role="alert" { h1 { "检索日志" } p { (message) } } },
        ),
    );
    no_store(&mut page);
    page
}

fn no_store(page: &mut Response) {
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn report_page(r: &Report) -> Markup {
    let source = |name: &str| r.by_source.get(name).copied().unwrap_or(0);
    let content = html! {
        section.admin {
            h1 { "检索日志" }
            nav.tabs aria-label="时间范围" {
                @for (days, label) in WINDOWS {
                    @if days == r.days {
                        strong aria-current="page" { (label) }
                    } @else {
                        a href=(format!("/admin/queries?days={days}")) { (label) }
                    }
                }
            }
            p.summary {
                "检索 " strong { (r.searches) } " 次，不同检索词 " strong { (r.distinct_queries) } " 个；"
                "无结果 " strong { (r.zero_result_searches) } " 次（" (percent(r.zero_result_searches, r.searches)) "）；"
                "纠错提示 " strong { (r.corrected_searches) } " 次。"
                span.muted {
                    "来源：检索页 " (source("page")) "，嵌入搜索框 " (source("widget")) "，API " (source("api")) "。"
                }
            }
            (bucket_chart(r))
            div.tables {
                (query_table("热门检索词", "top-h", &r.top, true))
                (query_table("无结果检索词", "zero-h", &r.zero_results, false))
                section aria-labelledby="corrected-h" {
                    h2 #corrected-h { "纠错提示" }
                    @if r.corrected.is_empty() {
                        p.muted { "这段时间没有检索被纠错。" }
                    } @else {
                        table.report {
                            thead { tr { th scope="col" { "输入" } th scope="col" { "提示为" } th.n scope="col" { "次数" } } }
                            tbody {
                                @for c in &r.corrected {
                                    tr {
                                        td { (c.query) }
                                        td { a href=(search_url(&c.corrected_to)) { (c.corrected_to) } }
                                        td.n { (c.searches) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.muted.log-status {
                "日志只记录规范化后的检索词、时间、结果数和来源，不记录 IP、Cookie 等任何个人信息；保留 31 天。"
                "本次启动以来：已写入 " (r.log.written) " 条，未记录 " (r.log.dropped) " 条，写入失败 " (r.log.failed) " 条。"
                @if let Some(problem) = &r.log.problem {
                    " 问题：" span lang="en" { (problem) }
                }
            }
        }
    };
    layout("检索日志", &Params::default(), content)
}

/// The search page's URL for a query of the report.
fn search_url(q: &str) -> String {
    Params::default().url_with(|p| p.q = q.to_string())
}

fn query_table(heading: &str, id: &str, rows: &[QueryCount], with_hits: bool) -> Markup {
    let max = rows.iter().map(|r| r.searches).max().unwrap_or(1).max(1);
    html! {
        section aria-labelledby=(id) {
            h2 #(id) { (heading) }
            @if rows.is_empty() {
                p.muted { "这段时间没有记录。" }
            } @else {
                table.report {
                    thead {
                        tr {
                            th scope="col" { "检索词" }
                            th.n scope="col" { "次数" }
                            @if with_hits { th.n scope="col" { "结果数" } }
                        }
                    }
                    tbody {
                        @for row in rows {
                            tr {
                                td { a href=(search_url(&row.query)) { (row.query) } }
                                td.n {
                                    // A bar proportional to the count, drawn as SVG (the CSP
                                    // forbids style attributes).
                                    svg.bar width="60" height="10" aria-hidden="true" {
                                        rect x="0" y="1" height="8" rx="2" fill="#3b6fd8"
                                            width=(((row.searches as f64 / max as f64) * 60.0).round().max(2.0)) {}
                                    }
                                    " " (row.searches)
                                }
                                @if with_hits { td.n { (row.hits) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Searches per hour or day as an SVG column chart: a column per bucket, the part that found
/// nothing in a second colour; every column has a tooltip with its figures.
fn bucket_chart(r: &Report) -> Markup {
    const HEIGHT: f64 = 160.0;
    const TOP: f64 = 10.0;
    const LABELS: f64 = 22.0;
    const LEFT: f64 = 36.0;
    const WIDTH: f64 = 720.0;
    let n = r.buckets.len().max(1);
    let slot = (WIDTH - LEFT) / n as f64;
    let bar = (slot * 0.7).max(2.0);
    let max = r
        .buckets
        .iter()
        .map(|b| b.searches)
        .max()
        .unwrap_or(0)
        .max(1);
    let y = |count: u64| TOP + HEIGHT - (count as f64 / max as f64) * HEIGHT;
    let by_hour = r.bucket == "hour";
    // At most about 10 labels along the bottom.
    let label_every = n.div_ceil(10);
    let label = |b: &Bucket| -> String {
        if by_hour {
            // "2026-12-02T14:00+08:00" → "14时"
            b.start
                .get(11..13)
                .map_or_else(String::new, |h| format!("{h}时"))
        } else {
            // "2026-12-02" → "12-02"
            b.start.get(5..).unwrap_or(&b.start).to_string()
        }
    };
    let tooltip = |b: &Bucket| -> String {
        let when = if by_hour {
            b.start.replace('T', " ").replace("+08:00", "")
        } else {
            b.start.clone()
        };
        format!(
            "{when}：检索 {} 次，无结果 {} 次",
            b.searches, b.zero_results
        )
    };
    let total_height = TOP + HEIGHT + LABELS;
    html! {
        figure.chart {
            figcaption {
                (if by_hour { "每小时检索次数" } else { "每日检索次数" })
                span.legend {
                    svg width="10" height="10" aria-hidden="true" { rect width="10" height="10" fill="#3b6fd8" {} }
                    " 有结果 "
                    svg width="10" height="10" aria-hidden="true" { rect width="10" height="10" fill="#c2410c" {} }
                    " 无结果"
                }
            }
            svg.buckets xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(total_height)
                viewBox={ "0 0 " (WIDTH) " " (total_height) } role="img"
                aria-label=(if by_hour { "近24小时每小时检索次数" } else { "每日检索次数" }) {
                line x1=(LEFT) y1=(TOP + HEIGHT) x2=(WIDTH) y2=(TOP + HEIGHT) stroke="#999" {}
                text x=(LEFT - 4.0) y=(TOP + 4.0) font-size="11" text-anchor="end" fill="#555" { (max) }
                text x=(LEFT - 4.0) y=(TOP + HEIGHT) font-size="11" text-anchor="end" fill="#555" { "0" }
                @for (i, b) in r.buckets.iter().enumerate() {
                    @let x = LEFT + i as f64 * slot + (slot - bar) / 2.0;
                    g.bucket data-start=(b.start) data-searches=(b.searches) data-zero=(b.zero_results) {
                        title { (tooltip(b)) }
                        @if b.searches > 0 {
                            rect x=(x) y=(y(b.searches)) width=(bar) height=(TOP + HEIGHT - y(b.searches)) fill="#3b6fd8" {}
                        }
                        @if b.zero_results > 0 {
                            rect x=(x) y=(y(b.zero_results)) width=(bar) height=(TOP + HEIGHT - y(b.zero_results)) fill="#c2410c" {}
                        }
                        @if i % label_every == 0 || i + 1 == n {
                            text x=(x + bar / 2.0) y=(TOP + HEIGHT + 15.0) font-size="11" text-anchor="middle" fill="#444" {
                                (label(b))
                            }
                        }
                    }
                }
            }
        }
    }
}
