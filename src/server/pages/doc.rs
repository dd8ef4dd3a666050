//! The document page: a letter with its fields, matches of the query it was opened from, and similar letters.

use super::similar::similar_card;
use super::*;

pub(super) async fn doc_page(
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
    if crate::ingest::id::DocId::parse(&id).is_err() {
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

pub(super) fn document(letter: &Letter, similar: Option<&SimilarResponse>, q: &str) -> String {
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
            crate::engine::highlight::highlight_all(paragraph, &needles).to_html()
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

pub(super) fn doc_not_found(id: &str) -> Response {
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

/// Quoted phrases, excluded words and field prefixes stripped: the strings to mark in a
/// document opened from a result list.
pub(super) fn query_needles(q: &str) -> Vec<String> {
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
    crate::engine::highlight::needles(out.iter().map(String::as_str))
}
