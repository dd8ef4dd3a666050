//! Search behaviour over the real default corpus: the 福田区 letter's fields and queries,
//! substring recall and phrase exactness against brute force, synonyms, traditional and
//! full-width input, filters, facets, sorting and paging.

use std::collections::BTreeSet;

use crate::util::{self, FUTIAN, shared_engine};
use reply_search::engine::{
    FacetField, Filters, MatchMode, Note, SearchRequest, SearchResponse, SortOrder,
};
use reply_search::text::compact;

fn search(q: &str) -> SearchResponse {
    shared_engine()
        .search(&SearchRequest {
            q: q.into(),
            limit: Some(100),
            ..Default::default()
        })
        .unwrap()
}

fn ids(r: &SearchResponse) -> Vec<String> {
    r.hits.iter().map(|h| h.id.clone()).collect()
}

/// Every matching id, paging through all results.
fn all_ids(q: &str) -> BTreeSet<String> {
    let engine = shared_engine();
    let mut out = BTreeSet::new();
    let mut offset = 0;
    loop {
        let r = engine
            .search(&SearchRequest {
                q: q.into(),
                limit: Some(100),
                offset,
                facets: Some(vec![]),
                ..Default::default()
            })
            .unwrap();
        out.extend(ids(&r));
        offset += 100;
        if offset >= r.total {
            return out;
        }
    }
}

#[test]
fn futian_letter_comes_first_with_every_field() {
    let r = search("新质生产力");
    let hit = &r.hits[0];
    assert_eq!(hit.id, FUTIAN);
    assert_eq!(hit.kind, "建议");
    assert_eq!(hit.proposal_no.as_deref(), Some("20240294"));
    assert_eq!(
        hit.session.as_deref(),
        Some("深圳市福田区第八届人民代表大会第四次会议")
    );
    assert_eq!(hit.respondent.as_deref(), Some("福田区发展和改革局"));
    assert_eq!(hit.date.as_deref(), Some("2024-06-12"));
    assert!(
        hit.snippet.to_html().contains("<mark>新质生产力</mark>"),
        "{:?}",
        hit.snippet
    );
    let letter = shared_engine().get(FUTIAN).unwrap().unwrap();
    assert_eq!(
        letter.proposal_title.as_deref(),
        Some("关于致力形成福田区优势生产力的建议")
    );
    assert_eq!(letter.addressee.as_deref(), Some("周常委"));
}

#[test]
fn sub_words_phrases_and_exclusions() {
    assert_eq!(ids(&search("生产力"))[0], FUTIAN);
    assert_eq!(ids(&search("免申即享")), vec![FUTIAN]);
    assert_eq!(ids(&search("\"深港科技创新\"")), vec![FUTIAN]);
    assert!(!ids(&search("新质生产力 -福田")).contains(&FUTIAN.to_string()));
}

#[test]
fn natural_query_with_a_missing_word_still_finds_the_letter() {
    let r = search("新质生产力 路线图 进展如何");
    assert_eq!(r.hits[0].id, FUTIAN);
    let strict = shared_engine()
        .search(&SearchRequest {
            q: "新质生产力 火星".into(),
            match_mode: MatchMode::All,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(strict.total, 0);
    let most = search("新质生产力 火星");
    assert_eq!(most.hits[0].id, FUTIAN);
    assert_eq!(most.hits[0].matched_terms, 1);
}

#[test]
fn compound_words_count_in_parts_below_the_word_itself() {
    // jieba keeps each of these whole; the archive often says them in parts.
    for q in ["交通拥堵", "农村公路"] {
        let engine = shared_engine();
        let r = search(q);
        let verbatim = all_ids(&format!("\"{q}\""));
        // Every letter with the word (as written or as a synonym) comes first...
        let n = r.hits.iter().take_while(|h| h.matched_terms == 1).count();
        let head: BTreeSet<String> = ids(&r)[..n].iter().cloned().collect();
        assert!(
            head.is_superset(&verbatim),
            "{q}: a letter with the word is not first"
        );
        // ...then letters holding all its parts but not the word.
        let rest = &r.hits[n..];
        assert!(!rest.is_empty(), "{q}: no letter found through its parts");
        for hit in rest {
            assert_eq!(hit.matched_terms, 0, "{q}: {} is out of order", hit.id);
            let l = engine.get(&hit.id).unwrap().unwrap();
            let text = compact(&format!("{}{}", l.title, l.text));
            assert!(!text.contains(q), "{q}: {} holds the word", hit.id);
        }
    }
    // A word with a leftover char (停车 of 停车难) is not stood in for by its part.
    let r = search("停车难");
    assert!(r.hits.iter().all(|h| h.matched_terms == 1));
}

#[test]
fn the_typed_string_with_its_stopwords_ranks_first() {
    // 为了 is a stopword: alone it matches nothing, but the typed string is searched as is.
    for q in ["为了解决", "现将办理意见", "根据实际"] {
        let verbatim = all_ids(&format!("\"{q}\""));
        assert!(!verbatim.is_empty(), "{q} is in no letter");
        let r = search(q);
        assert!(
            r.total > verbatim.len(),
            "{q}: only the verbatim letters match"
        );
        let head: BTreeSet<String> = ids(&r)[..verbatim.len().min(100)].iter().cloned().collect();
        if verbatim.len() <= 100 {
            assert_eq!(head, verbatim, "{q}: the letters holding it are not first");
        }
    }
    // Stopwords alone still match nothing more than the content words do.
    assert_eq!(all_ids("的 解决"), all_ids("解决"));
}

#[test]
fn a_missing_word_is_searched_in_parts_and_said_so() {
    let r = search("量子引力波");
    assert!(
        r.notes
            .iter()
            .any(|n| matches!(n, Note::SearchedParts { word, .. } if word == "引力波")),
        "{:?}",
        r.notes
    );
    if r.total > 0 {
        assert!(r.notes.contains(&Note::NoneHasAllWords), "{:?}", r.notes);
    }
    // A query whose words are all in the first letter says nothing of the kind.
    assert!(search("新质生产力 路线图").notes.is_empty());
}

#[test]
fn recall_does_not_depend_on_segmentation() {
    // jieba cuts 发展和改革局对 as …改革 / 局对…: the n-gram field still finds 改革局.
    assert_eq!(search("改革局").hits[0].id, FUTIAN);
    assert!(all_ids("\"改革局\"").contains(FUTIAN));
}

#[test]
fn abbreviations_traditional_and_full_width_find_what_the_standard_form_finds() {
    let full = all_ids("\"发展和改革局\"");
    let abbrev = all_ids("发改局");
    assert!(
        full.is_subset(&abbrev),
        "发改局 misses documents with 发展和改革局"
    );
    assert!(search("发改局").expanded_query.contains("发展和改革局"));
    assert_eq!(all_ids("發展和改革局"), all_ids("发展和改革局"));
    assert_eq!(all_ids("國際"), all_ids("国际"));
    assert_eq!(all_ids("２０２４年"), all_ids("2024年"));
    assert_eq!(all_ids("ＰＭ"), all_ids("pm"));
    // Dates in Chinese numerals and document-number brackets find the Arabic / ASCII forms.
    assert_eq!(all_ids("二〇二四年六月"), all_ids("2024年6月"));
    assert!(all_ids("二〇二四年六月十二日").contains(FUTIAN));
    assert_eq!(all_ids("\"[2024]\""), all_ids("\"〔2024〕\""));
}

/// A deterministic pseudo-random sequence (xorshift), so the sample is the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn substring_recall_first_page_and_phrase_exactness_match_brute_force() {
    let engine = shared_engine();
    let docs: Vec<(String, String, String)> = engine
        .search(&SearchRequest {
            limit: Some(0),
            ..Default::default()
        })
        .map(|_| ())
        .and_then(|_| {
            let mut out = Vec::new();
            for id in all_ids("") {
                let l = engine.get(&id)?.unwrap();
                let title = format!(
                    "{}{}",
                    compact(&l.title),
                    l.proposal_title.as_deref().map(compact).unwrap_or_default()
                );
                out.push((id, title, compact(&l.text)));
            }
            Ok(out)
        })
        .unwrap();
    let mut rng = Rng(0x5eed_2024);
    let mut checked = 0;
    while checked < 150 {
        let (_, _, text) = &docs[rng.below(docs.len())];
        let chars: Vec<char> = text.chars().collect();
        let len = 2 + rng.below(7);
        if chars.len() <= len {
            continue;
        }
        let start = rng.below(chars.len() - len);
        let needle: String = chars[start..start + len].iter().collect();
        // Quote characters delimit phrases in the query language, so a phrase cannot hold one.
        if needle.contains(['"', '“', '”', '「', '」', '『', '』']) || needle.starts_with('-')
        {
            continue;
        }
        let expected: BTreeSet<String> = docs
            .iter()
            .filter(|(_, t, b)| t.contains(&needle) || b.contains(&needle))
            .map(|(id, _, _)| id.clone())
            .collect();
        let phrase = all_ids(&format!("\"{needle}\""));
        assert_eq!(phrase, expected, "phrase \"{needle}\" is not exact");
        let plain = all_ids(&needle);
        assert!(
            expected.is_subset(&plain),
            "plain query {needle} misses documents that contain it"
        );
        // The string as typed ranks first: when the letters holding it fit on a page of
        // 100, the plain query's first page holds them all (stopwords in the string
        // included, which alone would match nothing).
        if expected.len() <= 60 {
            let first: BTreeSet<String> = ids(&engine
                .search(&SearchRequest {
                    q: needle.clone(),
                    limit: Some(100),
                    ..Default::default()
                })
                .unwrap())
            .into_iter()
            .collect();
            let missing: Vec<&String> = expected.difference(&first).collect();
            assert!(
                missing.is_empty(),
                "plain query {needle}: {} of {} letters holding it are not on the first page: {missing:?}",
                missing.len(),
                expected.len()
            );
        }
        checked += 1;
    }
}

#[test]
fn filters_facets_sort_and_paging() {
    let engine = shared_engine();
    let all = engine
        .search(&SearchRequest {
            q: "建议".into(),
            limit: Some(5),
            facets: Some(FacetField::PAGE.to_vec()),
            ..Default::default()
        })
        .unwrap();
    let kinds = &all.facets["kind"].0;
    assert!(kinds.iter().any(|(k, _)| k == "建议") && kinds.iter().any(|(k, _)| k == "提案"));
    let proposals = engine
        .search(&SearchRequest {
            q: "建议".into(),
            filters: Filters {
                kind: Some("提案".into()),
                ..Default::default()
            },
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    let expected = kinds.iter().find(|(k, _)| k == "提案").unwrap().1 as usize;
    assert_eq!(proposals.total, expected);
    assert!(proposals.hits.iter().all(|h| h.kind == "提案"));

    let by_date = engine
        .search(&SearchRequest {
            q: "道路".into(),
            sort: Some(SortOrder::Date),
            limit: Some(50),
            ..Default::default()
        })
        .unwrap();
    let dates: Vec<&str> = by_date
        .hits
        .iter()
        .filter_map(|h| h.date.as_deref())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {dates:?}"
    );

    let year = engine
        .search(&SearchRequest {
            filters: Filters {
                year: Some(2024),
                ..Default::default()
            },
            facets: Some(vec![FacetField::Year]),
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    assert!(
        year.total > 0
            && year
                .hits
                .iter()
                .all(|h| h.date.as_deref().unwrap().starts_with("2024"))
    );
    let ranged = engine
        .search(&SearchRequest {
            filters: Filters {
                from: Some("2024-06".into()),
                to: Some("2024-06-30".into()),
                ..Default::default()
            },
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    assert!(ranged.hits.iter().any(|h| h.id == FUTIAN));
    assert!(
        ranged
            .hits
            .iter()
            .all(|h| h.date.as_deref().unwrap().starts_with("2024-06"))
    );

    let page1 = engine
        .search(&SearchRequest {
            q: "道路".into(),
            limit: Some(3),
            ..Default::default()
        })
        .unwrap();
    let page2 = engine
        .search(&SearchRequest {
            q: "道路".into(),
            limit: Some(3),
            offset: 3,
            ..Default::default()
        })
        .unwrap();
    let both = engine
        .search(&SearchRequest {
            q: "道路".into(),
            limit: Some(6),
            ..Default::default()
        })
        .unwrap();
    assert_eq!([ids(&page1), ids(&page2)].concat(), ids(&both));
}

#[test]
fn malformed_queries_are_read_leniently_or_rejected_clearly() {
    for q in [
        "\"深港科技",
        "OR OR -",
        "((停车",
        "-",
        "\"\"",
        "a\u{0}b",
        "停车 OR",
        "kind:",
        "year:abc",
    ] {
        let r = shared_engine().search(&SearchRequest {
            q: q.into(),
            ..Default::default()
        });
        match r {
            Ok(_) => {}
            Err(e) => assert!(e.is_user_error(), "{q:?}: {e}"),
        }
    }
    let long = "字".repeat(2000);
    let err = shared_engine()
        .search(&SearchRequest {
            q: long,
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.is_user_error() && err.to_string().contains("too long"));
}

/// Browsing (no query, no filter) answers from cached whole-index facet counts; they must
/// equal a fresh count and follow writes.
#[test]
fn browse_facets_are_exact_and_follow_writes() {
    let engine = util::corpus_engine();
    let with_facets = || SearchRequest {
        facets: Some(FacetField::PAGE.to_vec()),
        ..Default::default()
    };
    let browse = || engine.search(&with_facets()).unwrap();
    let first = browse();
    assert_eq!(first.total as u64, engine.num_docs());
    // A query that matches everything through the normal path ("-" of a word no letter has).
    let counted = engine
        .search(&SearchRequest {
            q: "-zzzqqqxxx".into(),
            ..with_facets()
        })
        .unwrap();
    assert_eq!(counted.total, first.total);
    assert_eq!(counted.facets, first.facets);
    assert_eq!(browse().facets, first.facets, "cached answer differs");

    let mut letter = engine.get(FUTIAN).unwrap().unwrap();
    letter.id = "browse-cache-test".into();
    letter.kind = "提案".into();
    engine.put(&letter).unwrap();
    let after = browse();
    assert_eq!(after.total, first.total + 1);
    let kind_count = |r: &SearchResponse, k: &str| {
        r.facets["kind"]
            .0
            .iter()
            .find(|(v, _)| v == k)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(kind_count(&after, "提案"), kind_count(&first, "提案") + 1);
}

/// Facets are counted only when asked for, and a request for no hits only counts matches
/// (with a query that leaves out what only scores): pages and totals must not depend on
/// either (the corpus is far below `TRACK_TOTAL`, so every total is exact).
#[test]
fn the_page_does_not_depend_on_how_much_is_counted() {
    let engine = shared_engine();
    let queries = [
        "停车 收费",
        "老旧小区 加装电梯",
        "新质生产力 路线图 进展如何",
        "养老 服务 社区",
        "学校 教师 培训",
        "交通 信号灯 路口",
        "垃圾分类 小区",
        "农村 饮水 安全",
        "公共厕所 建设",
        "就业 创业 补贴 青年",
    ];
    for q in queries {
        for (offset, limit) in [(0, 0), (0, 3), (0, 10), (5, 5), (20, 10)] {
            let run = |facets: Option<Vec<FacetField>>| {
                engine
                    .search(&SearchRequest {
                        q: q.into(),
                        limit: Some(limit),
                        offset,
                        facets,
                        ..Default::default()
                    })
                    .unwrap()
            };
            let (fast, full) = (run(None), run(Some(FacetField::PAGE.to_vec())));
            assert!(fast.facets.is_empty() && !full.facets.is_empty(), "{q}");
            assert_eq!(ids(&fast), ids(&full), "{q} at {offset}+{limit}");
            let scores = |r: &SearchResponse| r.hits.iter().map(|h| h.score).collect::<Vec<_>>();
            assert_eq!(scores(&fast), scores(&full), "{q} at {offset}+{limit}");
            assert_eq!((fast.total, fast.total_is_exact), (full.total, true), "{q}");
        }
    }
}
