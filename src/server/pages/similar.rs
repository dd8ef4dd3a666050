//! "Find similar replies" for a pasted proposal.

use super::*;

pub(super) fn paste_form(text: &str) -> String {
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

pub(super) fn paste_section(text: &str, folded: bool) -> String {
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

pub(super) fn similar_layout(text: &str, extra: &str) -> String {
    let main = format!(
        "<h1>查找相似答复</h1>\n\
         <p class=\"muted\">粘贴一份建议或提案，按其中最有区分度的词语查找内容相近的已有答复。</p>\n{}{extra}",
        paste_form(text)
    );
    layout("查找相似答复", &Params::default(), &main)
}

pub(super) async fn similar_form() -> Response {
    html(StatusCode::OK, similar_layout("", ""))
}

#[derive(Deserialize)]
pub(super) struct PasteForm {
    #[serde(default)]
    text: String,
}

pub(super) async fn similar_page(
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

pub(super) fn year_of(date: Option<&str>) -> Option<&str> {
    let d = date?;
    let y = d.get(..4)?;
    y.chars().all(|c| c.is_ascii_digit()).then_some(y)
}

pub(super) fn similar_results(r: &SimilarResponse) -> String {
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

pub(super) fn similar_card(hit: &SimilarHit, detailed: bool) -> String {
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
        let _ = writeln!(out, "<p class=\"snippet\">{}</p>", hit.snippet.to_html());
    }
    out.push_str("</li>\n");
    out
}
