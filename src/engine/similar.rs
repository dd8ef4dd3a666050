//! "Has this been asked before?": documents similar to a stored one or to pasted text, by a
//! more-like-this over the text's most distinctive words (tf-idf over the word fields, title
//! words counted double), with the source document excluded and the usual filters.

use std::collections::HashMap;

use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::{DocAddress, Score, Term};

use crate::engine::Engine;
use crate::engine::Filters;
use crate::engine::dedup::NearDuplicate;
use crate::engine::highlight::{self, Highlighted};
use crate::engine::plan::{boosted_term, term_filter};
use crate::error::{Code, Error};
use crate::ingest::Letter;
use crate::semantic;
use crate::text::normalize;

/// Near-duplicate candidates measured exactly per request.
const DUPLICATE_CANDIDATES: usize = 20;
/// Letters taken from each of the lexical and the semantic ranking before they are fused.
const FUSED_CANDIDATES: usize = 20;
/// Reciprocal-rank fusion constant: a letter's share from a list at rank r is 1 / (K + r).
const FUSION_K: f32 = 60.0;
/// Concepts named per hit as the reason for "similar topic".
const TOPIC_TERMS: usize = 4;
/// Chars of a hit's text searched for those concepts.
const TOPIC_OPENING: usize = 600;
/// Words kept from the source text.
const MAX_QUERY_TERMS: usize = 30;
/// Longest pasted text considered, in chars (the rest adds little and costs time).
pub const MAX_TEXT_CHARS: usize = 20_000;

#[derive(Debug, Clone, Default, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SimilarRequest {
    /// Pasted text of a proposal or letter (for POST /api/similar).
    pub text: String,
    /// Hits to return (1–50, default 5).
    pub limit: Option<usize>,
    /// Only letters meeting these (as for searches).
    #[serde(flatten)]
    pub filters: Filters,
}

/// A letter similar to the source, and why. Serialising it gives everything but the snippet,
/// which the caller renders.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SimilarHit {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub respondent: Option<String>,
    pub date: Option<String>,
    pub proposal_no: Option<String>,
    /// The lexical (more-like-this) score; 0 when the letter was found by meaning alone.
    pub score: f32,
    /// How close the letter is to the source in meaning: the cosine of their vectors in
    /// the archive's semantic space, 0–1 (1 for a near-duplicate's own text). Comparable
    /// across requests; 0 when the archive is too small for a space.
    pub similarity: f32,
    /// The distinctive words this document shares with the source.
    pub shared_terms: Vec<String>,
    /// The letter's words closest to the source's topic in the semantic space: why it is a
    /// "similar topic" even when it shares few words (自来水 for a source about 饮水).
    pub topic_terms: Vec<String>,
    /// Set when the document repeats the source's text: the exact overlap and the passages
    /// both contain. Near-duplicates come first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_duplicate: Option<NearDuplicate>,
    /// A passage with the shared words (or a near-duplicate's shared passages) marked.
    #[serde(skip)]
    pub snippet: Highlighted,
}

/// The letters most similar to a source. Serialising it gives everything but the hits.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SimilarResponse {
    /// The source document's id, when searching by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The distinctive words the search used, most distinctive first.
    pub terms: Vec<String>,
    pub took_ms: f64,
    #[serde(skip)]
    pub hits: Vec<SimilarHit>,
}

/// What the words of a source find: its distinctive words with their weights, its
/// near-duplicates (closest first) and the more-like-this ranking.
struct ByWords {
    terms: Vec<(String, Score)>,
    duplicates: Vec<(f32, DocAddress, Letter, NearDuplicate)>,
    found: Vec<(Score, DocAddress)>,
}

impl Engine {
    /// Documents most similar to the stored document `id` (itself excluded).
    pub fn similar_to_id(&self, id: &str, req: &SimilarRequest) -> Result<SimilarResponse, Error> {
        let letter = self
            .get(id)?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        self.similar_to_letter(&letter, req)
    }

    /// Documents most similar to a stored letter the caller has already read (itself
    /// excluded).
    pub fn similar_to_letter(
        &self,
        letter: &Letter,
        req: &SimilarRequest,
    ) -> Result<SimilarResponse, Error> {
        // The proposal's own title says what it is about; the letter's heading mostly names
        // the department and the session, which would make letters of one department look
        // alike. Those names are kept out of the words altogether.
        let title = letter.proposal_title.as_deref().unwrap_or(&letter.title);
        let letterhead = [letter.respondent.as_deref(), letter.session.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let id = letter.id.as_str();
        // Its stored vector, or (after a crash lost it) its text folded in.
        let target = self.with_meaning(|m| match m.vector(id) {
            Some(v) => v.to_vec(),
            None => m.space.embed(&self.letter_bag(letter)),
        });
        let mut response = self.similar(title, &letter.text, Some(id), &letterhead, target, req)?;
        response.id = Some(id.to_string());
        Ok(response)
    }

    /// Documents most similar to a pasted text.
    pub fn similar_to_text(&self, req: &SimilarRequest) -> Result<SimilarResponse, Error> {
        if req.text.trim().is_empty() {
            return Err(Error::bad(
                Code::EmptyText,
                "text is empty: paste the proposal or letter to compare",
            ));
        }
        let text: String = req.text.chars().take(MAX_TEXT_CHARS).collect();
        let target = self.with_meaning(|m| m.space.embed(&self.semantic_bag(&[], &text)));
        self.similar("", &text, None, "", target, req)
    }

    fn similar(
        &self,
        title: &str,
        body: &str,
        exclude: Option<&str>,
        letterhead: &str,
        target: Option<Vec<f32>>,
        req: &SimilarRequest,
    ) -> Result<SimilarResponse, Error> {
        let started = std::time::Instant::now();
        let limit = req.limit.unwrap_or(5);
        if !(1..=50).contains(&limit) {
            return Err(Error::bad(Code::BadLimit, "limit must be between 1 and 50"));
        }
        let target = target.filter(|t| t.iter().any(|x| *x != 0.0));
        let searcher = self.reader.searcher();
        // The conditions every hit meets: not the source, and the request's filters.
        let f = &self.fields;
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(id) = exclude {
            filters.push((Occur::MustNot, term_filter(Term::from_field_text(f.id, id))));
        }
        filters.extend(
            self.filter_queries(&req.filters)?
                .into_iter()
                .map(|q| (Occur::Must, q)),
        );
        let with_filters = |q: Box<dyn Query>| -> BooleanQuery {
            let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, q)];
            all.extend(filters.iter().map(|(o, q)| (*o, q.box_clone())));
            BooleanQuery::new(all)
        };

        // By meaning, the letters nearest the source's vector; the scan of every vector
        // (the longest part of a request at 100k letters) runs beside the word work.
        let (closest, by_words) = std::thread::scope(|scope| {
            let scan = scope.spawn(|| {
                let target = target.as_ref()?;
                self.with_meaning(|m| {
                    m.nearest(target, FUSED_CANDIDATES * 3, exclude)
                        .into_iter()
                        .map(|(_, id)| id.to_string())
                        .collect::<Vec<String>>()
                })
            });
            let by_words =
                self.similar_by_words(&searcher, title, body, letterhead, limit, &with_filters);
            let closest = scan.join().expect("vector scan thread panicked");
            (closest.unwrap_or_default(), by_words)
        });
        let ByWords {
            terms,
            duplicates,
            found,
        } = by_words?;
        // The nearest letters that meet the filters.
        let allowed = if req.filters.is_empty() || closest.is_empty() {
            None
        } else {
            let ids: Vec<(Occur, Box<dyn Query>)> = closest
                .iter()
                .map(|id| (Occur::Should, term_filter(Term::from_field_text(f.id, id))))
                .collect();
            Some(searcher.search(
                &with_filters(Box::new(BooleanQuery::new(ids))),
                &tantivy::collector::DocSetCollector,
            )?)
        };
        let mut nearest: Vec<DocAddress> = Vec::new();
        for id in &closest {
            if let Some(address) = self.address_of(&searcher, id)?
                && allowed.as_ref().is_none_or(|a| a.contains(&address))
            {
                nearest.push(address);
                if nearest.len() == FUSED_CANDIDATES {
                    break;
                }
            }
        }
        let term_list: Vec<String> = terms.iter().map(|(t, _)| t.clone()).collect();

        // Reciprocal-rank fusion of the two rankings.
        let mut fused: HashMap<DocAddress, f32> = HashMap::new();
        for list in [found.iter().map(|(_, a)| *a).collect::<Vec<_>>(), nearest] {
            for (rank, address) in list.into_iter().enumerate() {
                *fused.entry(address).or_default() += 1.0 / (FUSION_K + rank as f32 + 1.0);
            }
        }
        let mut fused: Vec<(f32, DocAddress)> = fused.into_iter().map(|(a, s)| (s, a)).collect();
        fused.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));

        let mlt_scores: HashMap<DocAddress, Score> = found.iter().map(|(s, a)| (*a, *s)).collect();
        let mut hits = Vec::with_capacity(limit);
        let mut seen = std::collections::HashSet::new();
        let dup_hits = duplicates
            .into_iter()
            .map(|(_, a, l, d)| (a, Some(l), Some(d)));
        let fused_hits = fused.into_iter().map(|(_, a)| (a, None, None));
        for (address, letter, duplicate) in dup_hits.chain(fused_hits) {
            if hits.len() >= limit || !seen.insert(address) {
                continue;
            }
            let letter = match letter {
                Some(l) => l,
                None => self.letter_at(&searcher, address)?,
            };
            let present = highlight::contains_each(&letter.text, &term_list);
            let shared: Vec<String> = term_list
                .iter()
                .zip(present)
                .filter(|(_, p)| *p)
                .map(|(t, _)| t.clone())
                .collect();
            // A duplicate's snippet shows the passages it shares; others show shared words.
            let marked: Vec<&str> = match &duplicate {
                Some(d) if !d.passages.is_empty() => {
                    d.passages.iter().map(String::as_str).collect()
                }
                _ => shared.iter().map(String::as_str).collect(),
            };
            let needles = highlight::needles(marked);
            let score = mlt_scores.get(&address).copied().unwrap_or(0.0);
            let (similarity, topic_terms) = match &target {
                Some(t) => self
                    .with_meaning(|m| {
                        let v = m.vector(&letter.id).map(|v| semantic::cosine(t, v));
                        // The title and the opening, where a letter states its problem:
                        // cutting the whole letter into words cost more than the search.
                        let opening: String = letter.text.chars().take(TOPIC_OPENING).collect();
                        let bag = self.semantic_bag(
                            &[letter.proposal_title.as_deref().unwrap_or(&letter.title)],
                            &opening,
                        );
                        let topic: Vec<String> = m
                            .space
                            .nearest_terms(&bag, t, TOPIC_TERMS + shared.len())
                            .into_iter()
                            .filter(|w| !shared.contains(w))
                            .take(TOPIC_TERMS)
                            .collect();
                        (v.unwrap_or(0.0).clamp(0.0, 1.0), topic)
                    })
                    .unwrap_or_default(),
                None => (0.0, Vec::new()),
            };
            let similarity = match &duplicate {
                Some(d) => similarity.max(d.similarity.max(d.containment)),
                None => similarity,
            };
            hits.push(SimilarHit {
                snippet: highlight::snippet(&letter.text, &needles, 160),
                id: letter.id,
                title: letter.title,
                kind: letter.kind,
                respondent: letter.respondent,
                date: letter.date,
                proposal_no: letter.proposal_no,
                score,
                similarity,
                shared_terms: shared,
                topic_terms,
                near_duplicate: duplicate,
            });
        }
        Ok(SimilarResponse {
            id: None,
            terms: term_list,
            took_ms: (started.elapsed().as_secs_f64() * 1e5).round() / 100.0,
            hits,
        })
    }

    /// The word side of a similar request: the source's distinctive words, its
    /// near-duplicates (candidates sharing a MinHash band, measured exactly, closest first)
    /// and a more-like-this over those words. `body` is not normalised yet.
    fn similar_by_words(
        &self,
        searcher: &tantivy::Searcher,
        title: &str,
        body: &str,
        letterhead: &str,
        limit: usize,
        with_filters: &dyn Fn(Box<dyn Query>) -> BooleanQuery,
    ) -> Result<ByWords, Error> {
        let f = &self.fields;
        // The source is normalised once, for its words, its bands and the exact comparison.
        let body = normalize(body);
        let source = crate::engine::dedup::Shingled::from_normalized(&body);
        let terms = self.distinctive_terms(title, &body, letterhead);
        let bands: Vec<(Occur, Box<dyn Query>)> = source
            .band_terms()
            .into_iter()
            .map(|b| {
                (
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(
                        term_filter(Term::from_field_text(f.lsh, &b)),
                        1.0,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        let mut duplicates = Vec::new();
        if !bands.is_empty() {
            let candidates = searcher.search(
                &with_filters(Box::new(BooleanQuery::new(bands))),
                &TopDocs::with_limit(DUPLICATE_CANDIDATES).order_by_score(),
            )?;
            for (_, address) in candidates {
                let letter = self.letter_at(searcher, address)?;
                if let Some(d) = source.compare(&letter.text) {
                    duplicates.push((d.similarity.max(d.containment), address, letter, d));
                }
            }
            duplicates.sort_by(|a, b| b.0.total_cmp(&a.0));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in &terms {
            for (field, boost) in [(f.body, 1.0), (f.title, 2.0)] {
                clauses.push((Occur::Should, boosted_term(field, term, weight * boost)));
            }
        }
        let found = if clauses.is_empty() {
            Vec::new()
        } else {
            searcher.search(
                &with_filters(Box::new(BooleanQuery::new(clauses))),
                &TopDocs::with_limit(limit.max(FUSED_CANDIDATES)).order_by_score(),
            )?
        };
        Ok(ByWords {
            terms,
            duplicates,
            found,
        })
    }

    /// The words of the text that best tell it apart: tf × idf over the body field, jieba
    /// search-mode words (生产力 inside 新质生产力 counts) of two or more chars that are not
    /// stopwords, numbers or position fragments (东侧, 北角, 八路: see
    /// `is_position_fragment`); title words count double. (Precise-mode words alone, or
    /// search mode without its two-char pieces of longer words, measured worse on the judged
    /// pairs.) `body` is normalised already; `title` and `letterhead` are not.
    fn distinctive_terms(&self, title: &str, body: &str, letterhead: &str) -> Vec<(String, Score)> {
        let mut tf: HashMap<String, f32> = HashMap::new();
        let jieba = &self.analyzer.jieba;
        let excluded: std::collections::HashSet<String> = jieba
            .cut_for_search(&normalize(letterhead), false)
            .into_iter()
            .map(|t| t.word.to_string())
            .collect();
        let title = normalize(title);
        for (text, weight) in [(title.as_str(), 2.0), (body, 1.0)] {
            for t in jieba.cut_for_search(text, false) {
                let w = t.word.trim();
                if self.analyzer.is_content_word(w)
                    && !is_position_fragment(w)
                    && !excluded.contains(w)
                {
                    *tf.entry(w.to_string()).or_default() += weight;
                }
            }
        }
        let searcher = self.reader.searcher();
        let n = searcher.num_docs().max(1) as f32;
        let mut scored: Vec<(String, Score)> = tf
            .into_iter()
            .filter_map(|(term, freq)| {
                let df = self.body_doc_freq(&searcher, &term) as f32;
                // Words in no other document cannot find anything; words in most documents
                // (答复, 建议) cannot tell documents apart.
                if df < 1.0 || (n >= 20.0 && df > n * 0.5) {
                    return None;
                }
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                Some((term, (1.0 + freq.ln()) * idf))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(MAX_QUERY_TERMS);
        scored
    }
}

/// A word that only says where or which one (东侧, 东北, 北角, 八路, 3号): a direction with a
/// position or another direction, or a number with one counter char. Such words are in
/// letters on every topic and must not make two letters look alike.
fn is_position_fragment(word: &str) -> bool {
    const DIRECTION: &str = "东西南北中上下左右前后内外";
    const POSITION: &str = "侧路边面部角方口段门街巷头端";
    const NUMERAL: &str = "一二三四五六七八九十百千零〇两0123456789";
    let chars: Vec<char> = word.chars().collect();
    match chars.as_slice() {
        [a, b] if DIRECTION.contains(*a) && (POSITION.contains(*b) || DIRECTION.contains(*b)) => {
            true
        }
        [numbers @ .., _]
            if !numbers.is_empty() && numbers.iter().all(|c| NUMERAL.contains(*c)) =>
        {
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_fragments_are_not_distinctive() {
        for w in [
            "东路",
            "东北",
            "北角",
            "东侧",
            "八路",
            "四路",
            "3号",
            "十二栋",
        ] {
            assert!(is_position_fragment(w), "{w}");
        }
        for w in [
            "停车场",
            "东莞",
            "十字路口",
            "路灯",
            "中学",
            "西瓜",
            "二手房",
        ] {
            assert!(!is_position_fragment(w), "{w}");
        }
    }
}
