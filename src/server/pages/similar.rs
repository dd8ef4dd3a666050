//! "Find similar replies" for a pasted proposal.

use super::*;

const PASTE_HEADING: &str = "粘贴建议/提案查找相似答复";

fn paste_form(text: &str) -> Markup {
    html! {
        form.paste method="post" action="/similar" {
            label for="paste-text" { "粘贴建议或提案的全文或主要段落：" }
            textarea #paste-text name="text" rows="8" data-maxchars=(MAX_TEXT_CHARS)
                data-counter="paste-count" placeholder="例如：关于加强中小学生心理健康教育的建议……" {
                // The parser drops one line break right after <textarea>; this one, so that
                // a line break the text starts with survives.
                "\n" (text)
            }
            div.paste-foot {
                span #paste-count .counter aria-live="polite" { "最多 " (MAX_TEXT_CHARS) " 字" }
                button type="submit" { "查找相似答复" }
            }
        }
    }
}

/// The paste box under search results: open on the landing page, `folded` under results.
pub(super) fn paste_section(text: &str, folded: bool) -> Markup {
    let body = html! {
        p.muted {
            "想知道某个问题以前是否有人提过、哪个部门答复过？粘贴建议或提案的文本即可查找相似答复。"
        }
        (paste_form(text))
    };
    html! {
        @if folded {
            details.paste-box { summary { (PASTE_HEADING) } (body) }
        } @else {
            section.paste-box aria-labelledby="paste-h" { h2 #paste-h { (PASTE_HEADING) } (body) }
        }
    }
}

/// The "find similar" page: the form holding `text`, then `extra` (results or an error).
fn similar_layout(text: &str, extra: Markup) -> Markup {
    let content = html! {
        h1 { "查找相似答复" }
        p.muted { "粘贴一份建议或提案，按其中最有区分度的词语查找内容相近的已有答复。" }
        (paste_form(text))
        (extra)
    };
    layout("查找相似答复", &Params::default(), content)
}

pub(super) async fn similar_form() -> Response {
    html(StatusCode::OK, similar_layout("", html! {}))
}

#[derive(Deserialize)]
pub(super) struct PasteForm {
    #[serde(default)]
    text: String,
}

/// The form again with `text` in it and a notice of what is wrong.
fn rejected(text: &str, message: &str) -> Response {
    html(
        StatusCode::BAD_REQUEST,
        similar_layout(text, error_box(message, None)),
    )
}

pub(super) async fn similar_page(
    State(state): State<AppState>,
    form: Result<Form<PasteForm>, FormRejection>,
) -> Response {
    let Ok(Form(PasteForm { text })) = form else {
        return rejected("", "表单无法解析，请在下方文本框中重新粘贴。");
    };
    // Browsers send textarea line breaks as CRLF; count them as one char, like the counter.
    let text = text.replace("\r\n", "\n");
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        let message = format!(
            "文本过长：最多 {MAX_TEXT_CHARS} 字，当前 {chars} 字。下方已保留前 {MAX_TEXT_CHARS} 字，可删减后重新提交。"
        );
        let kept: String = text.chars().take(MAX_TEXT_CHARS).collect();
        return rejected(&kept, &message);
    }
    if text.trim().is_empty() {
        return rejected("", "请先粘贴建议或提案的文本。");
    }
    let request = SimilarRequest {
        text: text.clone(),
        limit: Some(SIMILAR_FOR_TEXT),
        ..Default::default()
    };
    match bounded(&state, move |s| s.engine.similar_to_text(&request)).await {
        Ok(response) => html(
            StatusCode::OK,
            similar_layout(&text, similar_results(&response)),
        ),
        Err(e) => html(
            e.status,
            similar_layout(&text, error_box(e.code.message_zh(), Some(&e.message))),
        ),
    }
}

fn year_of(date: Option<&str>) -> Option<&str> {
    let d = date?;
    let y = d.get(..4)?;
    y.chars().all(|c| c.is_ascii_digit()).then_some(y)
}

/// Hits grouped by year, newest first, undated last; within a year in similarity order.
fn by_year(hits: &[SimilarHit]) -> Vec<(Option<&str>, Vec<&SimilarHit>)> {
    let mut groups: Vec<(Option<&str>, Vec<&SimilarHit>)> = Vec::new();
    for hit in hits {
        let year = year_of(hit.date.as_deref());
        match groups.iter_mut().find(|(y, _)| *y == year) {
            Some((_, list)) => list.push(hit),
            None => groups.push((year, vec![hit])),
        }
    }
    groups.sort_by_key(|&(year, _)| (year.is_none(), std::cmp::Reverse(year)));
    groups
}

fn similar_results(r: &SimilarResponse) -> Markup {
    html! {
        section.similar-results aria-labelledby="sim-h" {
            @if r.hits.is_empty() {
                h2 #sim-h { "没有找到相似答复" }
                p { "可以多粘贴几段正文，或换一份更具体的文本再试。" }
            } @else {
                h2 #sim-h {
                    "最相似的 " (r.hits.len()) " 份答复 "
                    small.muted { "（用时 " (r.took_ms) " 毫秒）" }
                }
                @if !r.terms.is_empty() {
                    p.terms {
                        "依据的关键词："
                        @for term in r.terms.iter().take(15) { span.tag { (term) } }
                    }
                }
                @for (year, hits) in by_year(&r.hits) {
                    h3.year {
                        @match year { Some(y) => { (y) " 年" } None => { "日期不详" } }
                    }
                    ol.hits { @for hit in hits { (similar_card(hit, true)) } }
                }
            }
        }
    }
}

/// One similar letter; `detailed` (for pasted text) adds the score and the shared words.
pub(super) fn similar_card(hit: &SimilarHit, detailed: bool) -> Markup {
    let mut fields = vec![
        ("答复单位", hit.respondent.clone()),
        ("日期", hit.date.clone()),
    ];
    if detailed {
        fields.push(("相似度", Some(format!("{:.2}", hit.score))));
    }
    html! {
        li.hit {
            // See `hit_card`: a hit starts `<li class="hit">\n<h3>`.
            "\n"
            h3 { a href=(doc_url(&hit.id, "")) { (hit.title) } }
            (meta_list(&fields))
            @if let Some(d) = &hit.near_duplicate {
                p.duplicate {
                    strong { "疑似重复" }
                    " 文本重合度 " (format!("{:.0}", d.similarity * 100.0))
                    "%（较短一方有 " (format!("{:.0}", d.containment * 100.0)) "% 出现在另一方）"
                }
                @if !d.passages.is_empty() {
                    details.passages {
                        summary { "共同段落" }
                        ol { @for passage in &d.passages { li { mark { (passage) } } } }
                    }
                }
            }
            @if detailed && !hit.shared_terms.is_empty() {
                p.terms {
                    span.muted { "共同词语：" }
                    @for term in &hit.shared_terms { span.tag { (term) } }
                }
            }
            @if !hit.snippet.is_empty() {
                p.snippet { (hit.snippet) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, date: Option<&str>) -> SimilarHit {
        SimilarHit {
            id: id.into(),
            title: format!("<b>{id}</b>"),
            kind: "建议".into(),
            respondent: None,
            date: date.map(str::to_string),
            proposal_no: None,
            score: 0.5,
            shared_terms: vec![],
            near_duplicate: None,
            snippet: Highlighted::default(),
        }
    }

    #[test]
    fn groups_by_year_newest_first_and_undated_last() {
        let hits = [
            hit("a", Some("2021-01-01")),
            hit("b", None),
            hit("c", Some("2024-05-01")),
            hit("d", Some("2021-06-01")),
            hit("e", Some("未知")),
        ];
        let groups: Vec<(Option<&str>, Vec<&str>)> = by_year(&hits)
            .into_iter()
            .map(|(y, hits)| (y, hits.iter().map(|h| h.id.as_str()).collect()))
            .collect();
        assert_eq!(
            groups,
            vec![
                (Some("2024"), vec!["c"]),
                (Some("2021"), vec!["a", "d"]),
                (None, vec!["b", "e"]),
            ]
        );
    }

    #[test]
    fn cards_escape_titles_and_keep_the_textarea_line_break() {
        let card = similar_card(&hit("x/y", None), false).into_string();
        assert!(
            card.starts_with("<li class=\"hit\">\n<h3><a href=\"/docs/x%2Fy\">&lt;b&gt;x/y"),
            "{card}"
        );
        let form = paste_form("\n</textarea>").into_string();
        assert!(form.contains(">\n\n&lt;/textarea&gt;</textarea>"), "{form}");
    }
}
