//! Did-you-mean on typos an input method makes, generated from the corpus's own vocabulary:
//! each common word of the archive with one character replaced by another character of the
//! same reading (as a pinyin IME offers them). How many does `did_you_mean` bring back to
//! the word, and how many real words of the archive does it wrongly "correct"?

use std::collections::{BTreeMap, BTreeSet};

use reply_search::engine::{Engine, SearchRequest, SearchResponse};
use reply_search::text::pinyin::reading;

use crate::util;

/// A search for `q`; `correct: Some(false)` searches as written only.
fn search(engine: &Engine, q: &str, limit: usize, correct: Option<bool>) -> SearchResponse {
    engine
        .search(&SearchRequest {
            q: q.to_string(),
            limit: Some(limit),
            correct,
            ..SearchRequest::default()
        })
        .unwrap()
}

fn did_you_mean(engine: &Engine, q: &str) -> Option<String> {
    search(engine, q, 0, None).did_you_mean
}

/// Letters holding `text` anywhere (a phrase search, as written).
fn holding(engine: &Engine, text: &str) -> usize {
    search(engine, &format!("\"{text}\""), 0, Some(false)).total
}

#[test]
fn homophone_typos_are_corrected_and_real_words_are_left_alone() {
    let engine = util::shared_engine();
    let speller = engine.speller().unwrap();
    let mut vocabulary: Vec<(&str, u64)> = speller.words().collect();
    vocabulary.sort();
    let known: BTreeSet<&str> = vocabulary.iter().map(|(w, _)| *w).collect();
    // Characters of the archive by reading: what an IME lists for a syllable.
    let mut by_reading: BTreeMap<&str, BTreeSet<char>> = BTreeMap::new();
    for (word, _) in &vocabulary {
        for c in word.chars() {
            if let Some(r) = reading(c) {
                by_reading.entry(r).or_default().insert(c);
            }
        }
    }

    // Typos: words in 5+ letters, one character (cycling through the positions) replaced by
    // the next character of the same reading, when the result is no word of the archive and,
    // from three characters on, no letter holds it (else it is no typo to the archive).
    let mut typos: Vec<(String, &str)> = Vec::new();
    for (i, (word, letters)) in vocabulary.iter().enumerate() {
        if *letters < 5 || word.chars().count() > 4 {
            continue;
        }
        let chars: Vec<char> = word.chars().collect();
        let at = i % chars.len();
        let Some(r) = reading(chars[at]) else {
            continue;
        };
        let Some(other) = by_reading[r].iter().find(|c| **c != chars[at]) else {
            continue;
        };
        let mut typo = chars.clone();
        typo[at] = *other;
        let typo: String = typo.into_iter().collect();
        if known.contains(typo.as_str()) || (chars.len() >= 3 && holding(&engine, &typo) > 0) {
            continue;
        }
        typos.push((typo, word));
    }
    assert!(typos.len() >= 100, "only {} typos generated", typos.len());
    let corrected = typos
        .iter()
        .filter(|(typo, word)| did_you_mean(&engine, typo).as_deref() == Some(*word))
        .count();
    let missed: Vec<String> = typos
        .iter()
        .filter(|(typo, word)| did_you_mean(&engine, typo).as_deref() != Some(*word))
        .take(15)
        .map(|(typo, word)| format!("{typo}→{word} ({:?})", did_you_mean(&engine, typo)))
        .collect();

    // Real words: 200 words of the archive, spread over the vocabulary.
    let real: Vec<&str> = vocabulary
        .iter()
        .filter(|(_, letters)| *letters >= 2)
        .map(|(w, _)| *w)
        .collect();
    let step = (real.len() / 200).max(1);
    let sample: Vec<&str> = real.iter().step_by(step).take(200).copied().collect();
    let wrongly: Vec<(&str, String)> = sample
        .iter()
        .filter_map(|w| did_you_mean(&engine, w).map(|d| (*w, d)))
        .collect();

    // Real queries: the judged evaluation queries (typed by people, some in traditional or
    // full-width characters, some absent from this small corpus).
    let mut queries: Vec<String> = Vec::new();
    for file in ["eval/queries.jsonl", "eval/compound.jsonl"] {
        let text =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                .unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            queries.push(v["q"].as_str().unwrap().to_string());
        }
    }
    let changed_queries: Vec<(String, String)> = queries
        .iter()
        .filter_map(|q| did_you_mean(&engine, q).map(|d| (q.clone(), d)))
        .collect();
    println!(
        "real queries changed: {}/{}: {changed_queries:?}",
        changed_queries.len(),
        queries.len()
    );

    let rate = corrected as f64 / typos.len() as f64;
    let false_rate = wrongly.len() as f64 / sample.len() as f64;
    println!(
        "homophone typos corrected: {corrected}/{} ({:.1} %); real words changed: {}/{} ({:.1} %)",
        typos.len(),
        rate * 100.0,
        wrongly.len(),
        sample.len(),
        false_rate * 100.0
    );
    println!("missed (first 15): {missed:?}\nwrongly corrected: {wrongly:?}");
    assert!(sample.len() >= 200, "{}", sample.len());
    assert!(rate >= 0.8, "corrected {rate:.3}; missed {missed:?}");
    assert!(false_rate <= 0.01, "{wrongly:?}");
    assert!(changed_queries.len() <= 1, "{changed_queries:?}");
}

#[test]
fn a_query_that_finds_nothing_shows_the_results_of_its_correction() {
    let engine = util::shared_engine();
    // 教育 typed with 玉 (same reading, yu): as written it finds nothing, so the hits are
    // those of the correction, and the response says so.
    let typed = search(&engine, "教玉", 10, Some(false));
    assert_eq!(typed.total, 0);
    let meant = search(&engine, "教育", 10, None);
    let r = search(&engine, "教玉", 10, None);
    assert_eq!(r.did_you_mean.as_deref(), Some("教育"), "{r:?}");
    assert!(r.showing_did_you_mean);
    assert_eq!(r.query, "教玉");
    assert_eq!(r.total, meant.total);
    let ids = |r: &SearchResponse| -> Vec<String> { r.hits.iter().map(|h| h.id.clone()).collect() };
    assert_eq!(ids(&r), ids(&meant));
    // 停车南 finds letters on 停车 as written: the correction is offered, not imposed.
    let r = search(&engine, "停车南", 10, None);
    assert_eq!(r.did_you_mean.as_deref(), Some("停车难"));
    assert!(!r.showing_did_you_mean && r.total > 0);
    // correct=false searches for what was written only.
    let r = search(&engine, "停车南", 10, Some(false));
    assert_eq!(r.did_you_mean, None);
}
