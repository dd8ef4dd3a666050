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
        p.muted { "粘贴一份建议或提案，按共同的关键词和相近的主题查找已有答复，最相似的排在前面。" }
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

/// How close a letter is, in words a clerk reads: the semantic similarity (0–1) as a level
/// and a percentage. Near-duplicates say so on their own line.
fn closeness(similarity: f32) -> String {
    let level = match similarity {
        s if s >= 0.6 => "高",
        s if s >= 0.35 => "中",
        _ => "低",
    };
    format!("{level}（{:.0}%）", similarity * 100.0)
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
                // In similarity order (near-duplicates first), as the engine ranks them.
                ol.hits { @for hit in &r.hits { (similar_card(hit, true)) } }
            }
        }
    }
}

/// One similar letter with its year, how close it is and why; `detailed` (for pasted
/// text) also lists the shared words.
pub(super) fn similar_card(hit: &SimilarHit, detailed: bool) -> Markup {
    let mut fields = vec![
        ("答复单位", hit.respondent.clone()),
        ("年份", year_of(hit.date.as_deref()).map(str::to_string)),
        ("日期", hit.date.clone()),
    ];
    if hit.similarity > 0.0 {
        fields.push(("相似度", Some(closeness(hit.similarity))));
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
            @if !hit.topic_terms.is_empty() {
                p.terms {
                    span.muted { "主题相近：" }
                    @for term in &hit.topic_terms { span.tag { (term) } }
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
            similarity: 0.5,
            shared_terms: vec![],
            topic_terms: vec!["供水".into()],
            near_duplicate: None,
            snippet: Highlighted::default(),
        }
    }

    #[test]
    fn closeness_is_a_level_and_a_percentage() {
        assert_eq!(closeness(0.82), "高（82%）");
        assert_eq!(closeness(0.4), "中（40%）");
        assert_eq!(closeness(0.1), "低（10%）");
        let card = similar_card(&hit("a", Some("2021-06-01")), true).into_string();
        assert!(
            card.contains("2021") && card.contains("中（50%）"),
            "{card}"
        );
        assert!(card.contains("主题相近") && card.contains("供水"), "{card}");
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
