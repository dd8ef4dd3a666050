//! Similar documents and near-duplicates on the real corpus: the source is excluded,
//! filters hold, and a lightly edited copy of a real letter is found first as a duplicate.

use crate::util::{FUTIAN, corpus_engine};
use reply_search::engine::{Engine, Filters, SimilarRequest, SimilarResponse};

/// The `limit` letters most similar to the 福田区 letter, with no filters.
fn futian_similar(engine: &Engine, limit: usize) -> SimilarResponse {
    engine
        .similar_to_id(
            FUTIAN,
            &SimilarRequest {
                limit: Some(limit),
                ..Default::default()
            },
        )
        .unwrap()
}

#[test]
fn similar_by_id_excludes_the_source_and_respects_filters() {
    let engine = corpus_engine();
    let r = futian_similar(&engine, 10);
    assert!(!r.hits.is_empty());
    assert!(r.hits.iter().all(|h| h.id != FUTIAN));
    assert!(r.terms.iter().any(|t| t == "新质生产力"), "{:?}", r.terms);
    let only = engine
        .similar_to_id(
            FUTIAN,
            &SimilarRequest {
                limit: Some(10),
                filters: Filters {
                    kind: Some("提案".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!only.hits.is_empty() && only.hits.iter().all(|h| h.kind == "提案"));
    assert!(
        engine
            .similar_to_id("no-such-id", &SimilarRequest::default())
            .is_err()
    );
}

#[test]
fn a_lightly_edited_copy_of_a_real_letter_is_found_first_as_a_near_duplicate() {
    let engine = corpus_engine();
    let original = engine.get("pages-145abd4f9386").unwrap().unwrap();
    // The same reply a year later, with a changed date, a changed name and a sentence cut.
    let edited = original
        .text
        .replace("张明魁", "李明")
        .replace("2020年10月12日", "2021年9月30日")
        .replace("首先,非常感谢您对我市城市建设工作的关心和支持!", "");
    assert_ne!(edited, original.text);
    let r = engine
        .similar_to_text(&SimilarRequest {
            text: edited,
            limit: Some(5),
            ..Default::default()
        })
        .unwrap();
    let first = &r.hits[0];
    assert_eq!(first.id, original.id);
    let d = first
        .near_duplicate
        .as_ref()
        .expect("marked as a near-duplicate");
    assert!(d.similarity >= 0.8, "{d:?}");
    assert!(d.passages[0].chars().count() >= 40, "{:?}", d.passages);
    assert!(!first.snippet.marks.is_empty());
    // Letters on the same topic that do not repeat the text are not marked.
    assert!(
        r.hits[1..]
            .iter()
            .all(|h| h.near_duplicate.is_none() || h.id != original.id)
    );
}

#[test]
fn an_unrelated_text_has_no_near_duplicates() {
    let engine = corpus_engine();
    let r = engine
        .similar_to_text(&SimilarRequest {
            text: "关于在河套地区建设量子计算与芯片接口联合实验室、加快新质生产力形成的提案".into(),
            ..Default::default()
        })
        .unwrap();
    assert!(r.hits.iter().all(|h| h.near_duplicate.is_none()));
}

#[test]
fn similar_by_meaning_says_how_close_and_why() {
    let engine = corpus_engine();
    let r = futian_similar(&engine, 10);
    // The shipped corpus is big enough for a space: every hit has a bounded similarity,
    // in order within the fused list it came from, and a reason.
    assert!(r.hits.iter().all(|h| (0.0..=1.0).contains(&h.similarity)));
    assert!(r.hits.iter().any(|h| h.similarity > 0.2), "{:?}", r.hits);
    assert!(
        r.hits
            .iter()
            .all(|h| !h.shared_terms.is_empty() || !h.topic_terms.is_empty()),
        "a hit without a reason"
    );
}

#[test]
fn the_space_and_vectors_persist_and_follow_the_committed_index() {
    use reply_search::analysis::Analyzer;
    let dir = tempfile::tempdir().unwrap();
    let similar = |engine: &Engine| -> Vec<(String, u32)> {
        futian_similar(engine, 8)
            .hits
            .into_iter()
            .map(|h| (h.id, (h.similarity * 1000.0).round() as u32))
            .collect()
    };
    let before = {
        let engine = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
        engine
            .sync_corpus(&crate::util::corpus_dir(), &|_| {})
            .unwrap();
        similar(&engine)
    };
    let space = dir.path().join("semantic.space");
    let vectors = dir.path().join("semantic.vectors");
    assert!(space.exists() && vectors.exists());
    let saved = std::fs::read(&vectors).unwrap();
    // Reopened: the same space and vectors, the same answer.
    let engine = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
    assert_eq!(similar(&engine), before);
    // A letter written through the API gets its vector at once...
    let mut copy = engine.get(FUTIAN).unwrap().unwrap();
    copy.id = "api-copy".into();
    copy.source = None;
    engine.put(&copy).unwrap();
    let with_copy = similar(&engine);
    assert_eq!(with_copy[0].0, "api-copy");
    drop(engine);
    // ...and when a crash lost the vectors written after the commit, or damaged the file,
    // the next sync embeds what is missing.
    for damage in [saved.clone(), saved[..saved.len() / 2].to_vec()] {
        std::fs::write(&vectors, &damage).unwrap();
        let engine = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
        engine
            .sync_corpus(&crate::util::corpus_dir(), &|_| {})
            .unwrap();
        assert_eq!(similar(&engine), with_copy);
        drop(engine);
    }
}
