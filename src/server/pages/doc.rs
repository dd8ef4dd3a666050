//! The document page: a letter with its fields, matches of the query it was opened from, and similar letters.

use super::similar::similar_card;
use super::*;
use crate::engine::highlight;
use crate::error::Code;
use crate::ingest::id::DocId;

/// What the document page shows, gathered on the blocking pool.
struct Found {
    letter: Letter,
    /// The letter's paragraphs with the query's matches marked.
    paragraphs: Vec<Highlighted>,
    /// Absent when finding similar letters failed: the page is useful without them.
    similar: Option<SimilarResponse>,
}

pub(super) async fn doc_page(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Some(id) = path
        .ok()
        .map(|Path(id)| id)
        .filter(|id| DocId::parse(id).is_ok())
    else {
        let message = Code::BadId.message_zh();
        return error_page(
            StatusCode::BAD_REQUEST,
            "文档编号无效",
            &Params::default(),
            message,
        );
    };
    let q = query
        .ok()
        .and_then(|Query(pairs)| pairs.into_iter().rev().find(|(k, _)| k == "q"))
        .map(|(_, v)| v)
        .unwrap_or_default();
    let (lookup, query) = (id.clone(), q.clone());
    let found = bounded(&state, move |s| {
        // The query is read (and a bad one refused) before the letter is looked up; the
        // marking runs here, on the blocking pool, not on the async threads.
        let needles = s.engine.query_needles(&query)?;
        let Some(letter) = s.engine.get(&lookup)? else {
            return Ok(None);
        };
        let paragraphs = highlight::paragraphs(&letter.text, &needles);
        let request = SimilarRequest {
            limit: Some(SIMILAR_ON_DOC),
            ..Default::default()
        };
        let similar = s.engine.similar_to_letter(&letter, &request).ok();
        Ok(Some(Found {
            letter,
            paragraphs,
            similar,
        }))
    })
    .await;
    match found {
        Ok(Some(found)) => html(StatusCode::OK, document(&found, &q)),
        Ok(None) => not_found_notice(
            "未找到该文档",
            html! {
                "编号为 " code { (truncate_chars(&id, 200)) } " 的答复不存在，可能已被删除。"
            },
        ),
        Err(e) => api_error_page(&e, "出错了", &Params::default()),
    }
}

/// One row of the fields table.
fn row(label: &str, value: impl Render) -> Markup {
    html! { tr { th scope="row" { (label) } td { (value) } } }
}

/// The letter's fields: kind, number, session, the proposal's title, who answered whom
/// when, and where it came from.
fn fields(letter: &Letter) -> Markup {
    html! {
        table.fields {
            tbody {
                (row("类别", kind_label(&letter.kind)))
                @if let Some(v) = &letter.proposal_no { (row("编号", number_label(v))) }
                @if let Some(v) = &letter.session { (row("届次", v)) }
                @if let Some(v) = &letter.proposal_title { (row("建议/提案标题", format!("《{v}》"))) }
                @if let Some(v) = &letter.respondent {
                    @let others = Params {
                        filters: Filters { respondent: Some(v.clone()), ..Filters::default() },
                        ..Params::default()
                    };
                    (row("答复单位", html! {
                        (v) " " a.small href=(others.url()) { "该单位的其他答复" }
                    }))
                }
                @if let Some(v) = &letter.addressee { (row("收件人", v)) }
                @if let Some(v) = &letter.date { (row("日期", v)) }
                @if let Some(v) = &letter.source {
                    (row("来源", html! {
                        @if is_web_url(v) {
                            a href=(v.trim()) rel="noopener noreferrer nofollow" { (v) }
                        } @else {
                            (v)
                        }
                    }))
                }
            }
        }
    }
}

fn document(found: &Found, q: &str) -> Markup {
    let Found {
        letter,
        paragraphs,
        similar,
    } = found;
    let form = Params {
        q: q.to_string(),
        ..Params::default()
    };
    let content = html! {
        nav.crumbs aria-label="位置" {
            a href="/" { "首页" }
            @if !q.trim().is_empty() {
                " › " a href=(form.url()) { "“" (q.trim()) "”的检索结果" }
            }
            " › 答复全文"
        }
        article.doc {
            h1 { (letter.title) }
            (fields(letter))
            div.letter { @for paragraph in paragraphs { p { (paragraph) } } }
        }
        section.similar aria-labelledby="similar-h" {
            h2 #similar-h { "相似答复" }
            @match similar {
                Some(s) if !s.hits.is_empty() => {
                    ol.hits { @for hit in &s.hits { (similar_card(hit, false)) } }
                }
                _ => { p.muted { "暂无相似答复。" } }
            }
        }
        p.muted.small {
            "机器可读：" a href={ "/api/docs/" (url_encode(&letter.id)) } lang="en" { "JSON" }
        }
    };
    layout(&letter.title, &form, content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::engine::Engine;
    use crate::error::Code;
    use crate::server::Shared;

    fn state() -> AppState {
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        engine
            .put(&Letter {
                id: "a/1".into(),
                title: "关于停车收费的答复".into(),
                kind: "建议".into(),
                proposal_no: None,
                session: None,
                proposal_title: None,
                respondent: None,
                addressee: None,
                date: None,
                text: "停车收费<b>问题</b>\n\n  老旧小区停车难。".into(),
                source: None,
            })
            .unwrap();
        Shared::new(engine, Default::default())
    }

    async fn page(state: &AppState, id: &str, q: &str) -> (StatusCode, String) {
        let query = Query(vec![("q".to_string(), q.to_string())]);
        let response = doc_page(State(state.clone()), Ok(Path(id.into())), Ok(query)).await;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn marks_the_query_in_escaped_paragraphs() {
        let (status, html) = page(&state(), "a/1", "停车").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(
            "<div class=\"letter\"><p><mark>停车</mark>收费&lt;b&gt;问题&lt;/b&gt;</p>\
             <p>老旧小区<mark>停车</mark>难。</p></div>"
        ));
        assert!(html.contains("href=\"/api/docs/a%2F1\""));
    }

    #[tokio::test]
    async fn a_query_the_engine_refuses_is_a_400_page_and_a_missing_letter_a_404() {
        let state = state();
        let (status, html) = page(&state, "a/1", &"停".repeat(1200)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains(Code::BadQuery.message_zh()), "{html}");
        assert!(html.contains("role=\"alert\""));
        let (status, html) = page(&state, "nothing", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("编号为 <code>nothing</code> 的答复不存在"));
    }
}
