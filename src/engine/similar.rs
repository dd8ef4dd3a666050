//! "Has this been asked before?": documents similar to a stored one or to pasted text, by a
//! more-like-this over the text's most distinctive words (tf-idf over the word fields, title
//! words counted double), with the source document excluded and the usual filters.

use std::collections::HashMap;

use serde::Deserialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::tokenizer::{TokenStream, Tokenizer};
use tantivy::{DocAddress, Score, Term};

use crate::analysis::WordTokenizer;
use crate::engine::Engine;
use crate::engine::Filters;
use crate::engine::dedup::NearDuplicate;
use crate::engine::highlight::{self, Highlighted};
use crate::engine::plan::{boosted_term, term_filter};
use crate::error::{Code, Error};
use crate::ingest::Letter;
use crate::text::normalize;

/// Near-duplicate candidates measured exactly per request.
const DUPLICATE_CANDIDATES: usize = 20;
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
    pub score: f32,
    /// The distinctive words this document shares with the source.
    pub shared_terms: Vec<String>,
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
        let mut response = self.similar(title, &letter.text, Some(id), &letterhead, req)?;
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
        self.similar("", &text, None, "", req)
    }

    fn similar(
        &self,
        title: &str,
        body: &str,
        exclude: Option<&str>,
        letterhead: &str,
        req: &SimilarRequest,
    ) -> Result<SimilarResponse, Error> {
        let started = std::time::Instant::now();
        let limit = req.limit.unwrap_or(5);
        if !(1..=50).contains(&limit) {
            return Err(Error::bad(Code::BadLimit, "limit must be between 1 and 50"));
        }
        // The source is normalised once, for its words, its bands and the exact comparison.
        let body = normalize(body);
        let source = crate::engine::dedup::Shingled::from_normalized(&body);
        let terms = self.distinctive_terms(title, &body, letterhead);
        let f = &self.fields;
        // The conditions every hit meets: not the source, and the request's filters.
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
        let searcher = self.reader.searcher();

        // Near-duplicates first: candidates sharing a MinHash band, measured exactly.
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
        let mut duplicates: Vec<(f32, DocAddress, Letter, NearDuplicate)> = Vec::new();
        if !bands.is_empty() {
            let candidates = searcher.search(
                &with_filters(Box::new(BooleanQuery::new(bands))),
                &TopDocs::with_limit(DUPLICATE_CANDIDATES).order_by_score(),
            )?;
            for (_, address) in candidates {
                let letter = self.letter_at(&searcher, address)?;
                if let Some(d) = source.compare(&letter.text) {
                    duplicates.push((d.similarity.max(d.containment), address, letter, d));
                }
            }
            duplicates.sort_by(|a, b| b.0.total_cmp(&a.0));
        }

        let term_list: Vec<String> = terms.iter().map(|(t, _)| t.clone()).collect();
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
                &TopDocs::with_limit(limit).order_by_score(),
            )?
        };

        let mlt_scores: HashMap<DocAddress, Score> = found.iter().map(|(s, a)| (*a, *s)).collect();
        let mut hits = Vec::with_capacity(limit);
        let mut seen = std::collections::HashSet::new();
        let dup_hits = duplicates
            .into_iter()
            .map(|(_, a, l, d)| (None, a, Some(l), Some(d)));
        let mlt_hits = found
            .into_iter()
            .map(|(score, a)| (Some(score), a, None, None));
        for (score, address, letter, duplicate) in dup_hits.chain(mlt_hits) {
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
            let score = score
                .or_else(|| mlt_scores.get(&address).copied())
                .unwrap_or(0.0);
            hits.push(SimilarHit {
                snippet: highlight::snippet(&letter.text, &needles, 160),
                id: letter.id,
                title: letter.title,
                kind: letter.kind,
                respondent: letter.respondent,
                date: letter.date,
                proposal_no: letter.proposal_no,
                score,
                shared_terms: shared,
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

    /// The words of the text that best tell it apart: tf × idf over the body field, words of
    /// two or more chars that are not stopwords or bare numbers; title words count double.
    /// `body` is normalised already; `title` and `letterhead` are not.
    fn distinctive_terms(&self, title: &str, body: &str, letterhead: &str) -> Vec<(String, Score)> {
        let mut tf: HashMap<String, f32> = HashMap::new();
        let mut tokenizer = WordTokenizer::new(self.analyzer.clone());
        let mut excluded = std::collections::HashSet::new();
        // The tokenizer expects normalised text, as the index gives it.
        let letterhead = normalize(letterhead);
        let mut stream = tokenizer.token_stream(&letterhead);
        while let Some(t) = stream.next() {
            excluded.insert(t.text.clone());
        }
        let title = normalize(title);
        for (text, weight) in [(title.as_str(), 2.0), (body, 1.0)] {
            let mut stream = tokenizer.token_stream(text);
            while let Some(t) = stream.next() {
                if t.text.chars().count() >= 2
                    && !t.text.chars().all(|c| c.is_ascii_digit())
                    && !self.analyzer.vocab.stopwords.contains(&t.text)
                    && !excluded.contains(&t.text)
                {
                    *tf.entry(t.text.clone()).or_default() += weight;
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
