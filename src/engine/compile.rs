//! Compiling a plan into tantivy queries. Matching is defined on the normalised text: a
//! word or phrase matches a document when the document's title or body contains it
//! (answered by the n-gram fields, so segmentation cannot lose a match). Ranking: every
//! plain query word is a clause; a document scores a fixed `TIER` per word it holds, a
//! fraction of it (`PARTIAL`, more when near: `NEAR`) per compound word it holds only in
//! parts, `CHUNK` per typed chunk it holds verbatim, plus BM25 (word field preferred). So
//! documents with all the words come first, the typed string itself before its scattered
//! words, then those with most of them.

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur,
    PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, Term};

use super::Engine;
use super::plan::{Clause, Plan, boosted_term};
use super::request::MatchMode;
use super::score_shift::ShiftQuery;
use crate::analysis::bigram_cover;
use crate::text::compact;

/// Score given per matched query word; larger than any BM25 sum so that it orders tiers.
pub(super) const TIER: Score = 1000.0;

/// Credit for a compound word whose parts all occur but not the word itself. Less than
/// half a word: the verbatim word always ranks first, and a letter with another whole word
/// beats one with a compound in parts. (On the judged compound queries every value between
/// 0.2 and 0.7 measured the same; it matters only between words of one query.)
const PARTIAL: Score = 0.4 * TIER;
/// Extra credit when those parts occur in order within `NEAR_SLACK` chars of each other
/// (职业教育培训机构 near, 培训…机构 scattered over a page not).
const NEAR: Score = 0.2 * TIER;
const NEAR_SLACK: u32 = 6;
/// Credit for a typed chunk found verbatim (stopwords included). A letter holding the chunk
/// holds all its words too, so this lifts it above every letter holding only the same
/// words; it stays below `TIER`, so with several chunks a letter holding more of the query's
/// words still comes first.
const CHUNK: Score = 0.5 * TIER;

/// What a built query is for: ranking the documents the plan matches, or only counting
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// Every document the plan matches (with `MatchMode::Most`, those holding a third of the
    /// counted words), scored.
    Plan,
    /// The same documents, matched only: no clause that only adds to the score (whole
    /// words, adjacency of parts, typed chunks, words that do not count). For counting.
    Count,
}

impl Engine {
    /// The tantivy query for a plan.
    pub(super) fn build(&self, plan: &Plan, mode: MatchMode, reach: Reach) -> Box<dyn Query> {
        let mut top: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !plan.tiered.is_empty() {
            let any_counts = plan.tiered.iter().any(|c| counts(c, mode));
            let mut core: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for c in &plan.tiered {
                let is_core = counts(c, mode) || !any_counts;
                if reach == Reach::Count {
                    // Held as written, or in all its parts; a word that does not count
                    // decides nothing.
                    if is_core {
                        let held: Box<dyn Query> = if c.parts.is_empty() {
                            self.matcher(c)
                        } else {
                            Box::new(BooleanQuery::new(vec![
                                (Occur::Should, self.matcher(c)),
                                (Occur::Should, self.all_parts(c)),
                            ]))
                        };
                        core.push((Occur::Should, held));
                    }
                    continue;
                }
                let mut matcher = self.matcher(c);
                if is_core {
                    // A counted word lifts its documents by a tier (see `TIER`).
                    matcher = Box::new(ShiftQuery::new(matcher, TIER));
                }
                if is_core && !c.parts.is_empty() {
                    // The word or its parts, whichever scores more: a letter holding the
                    // word through a synonym (公厕) is not ranked below one holding it as
                    // typed (公共厕所) for also holding the parts.
                    matcher = Box::new(DisjunctionMaxQuery::new(vec![
                        matcher,
                        self.parts_matcher(c),
                    ]));
                }
                let scored: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Should, matcher),
                    (Occur::Should, self.word_terms(c)),
                ];
                let clause: Box<dyn Query> = Box::new(BooleanQuery::new(scored));
                if is_core {
                    core.push((Occur::Should, clause));
                } else {
                    top.push((Occur::Should, clause));
                }
            }
            // All the words first, then fewer: down to a third of them, so a natural
            // question is answered by documents holding its rarest words.
            let n = core.len();
            let minimum = match mode {
                MatchMode::All => n,
                MatchMode::Most => n.div_ceil(3),
            };
            top.push((
                Occur::Must,
                Box::new(BooleanQuery::with_minimum_required_clauses(core, minimum)),
            ));
        }
        for c in &plan.required {
            top.push((Occur::Must, self.matcher(c)));
        }
        for c in plan.chunks.iter().filter(|_| reach != Reach::Count) {
            top.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(self.matcher(c), CHUNK)),
            ));
        }
        for c in &plan.excluded {
            top.push((Occur::MustNot, self.matcher(c)));
        }
        for filter in &plan.filters {
            top.push((Occur::Must, filter.box_clone()));
        }
        for filter in &plan.excluded_filters {
            top.push((Occur::MustNot, filter.box_clone()));
        }
        if !top.iter().any(|(o, _)| *o == Occur::Must) {
            top.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(top))
    }

    /// Matches documents containing any alternative in any of the clause's fields.
    pub(super) fn matcher(&self, clause: &Clause) -> Box<dyn Query> {
        any_substring(&clause.alternatives, &clause.fields)
    }

    /// Documents holding every part of a compound word, scoring `PARTIAL`, plus `NEAR` when
    /// the parts occur in order within a few chars of each other.
    fn parts_matcher(&self, clause: &Clause) -> Box<dyn Query> {
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, self.all_parts(clause))];
        // Near: the parts as written, in order, with a few chars of slack in all.
        let joined: Vec<String> = clause.parts.iter().map(|p| compact(&p[0])).collect();
        let mut near_any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for &(field, _) in &clause.fields {
            let mut terms = Vec::new();
            let mut offset = 0;
            for part in &joined {
                for (i, gram) in bigram_cover(part) {
                    terms.push((offset + i, Term::from_field_text(field, &gram)));
                }
                offset += part.chars().count();
            }
            if terms.len() > 1 {
                near_any.push((
                    Occur::Should,
                    Box::new(PhraseQuery::new_with_offset_and_slop(terms, NEAR_SLACK)),
                ));
            }
        }
        if !near_any.is_empty() {
            all.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(near_any)),
                    NEAR,
                )),
            ));
        }
        Box::new(ShiftQuery::new(Box::new(BooleanQuery::new(all)), PARTIAL))
    }

    /// Documents holding every part of a compound word (scoring nothing).
    fn all_parts(&self, clause: &Clause) -> Box<dyn Query> {
        let all = clause
            .parts
            .iter()
            .map(|part| {
                let any = ConstScoreQuery::new(any_substring(part, &clause.fields), 0.0);
                (Occur::Must, Box::new(any) as Box<dyn Query>)
            })
            .collect();
        Box::new(BooleanQuery::new(all))
    }

    /// Whole-word matches in the word fields, which rank above sub-word n-gram matches.
    pub(super) fn word_terms(&self, clause: &Clause) -> Box<dyn Query> {
        let f = &self.fields;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for alt in clause
            .alternatives
            .iter()
            .filter(|a| !a.contains(char::is_whitespace))
        {
            for (field, boost) in [(f.title, 3.0), (f.body, 1.5)] {
                any.push((Occur::Should, boosted_term(field, alt, boost)));
            }
        }
        Box::new(BooleanQuery::new(any))
    }
}

/// Whether a word counts toward "all / most of the words". A one-char word (局 of 改革局, 难
/// of 停车难) or a word in most documents says little alone: it ranks a document up when
/// present but cannot make it match, unless the query has nothing else or every word is
/// required.
fn counts(c: &Clause, mode: MatchMode) -> bool {
    mode == MatchMode::All
        || (!c.common
            && c.alternatives
                .iter()
                .any(|a| compact(a).chars().count() > 1))
}

/// Matches documents containing any of `alternatives` in any of `fields` (n-gram fields,
/// with boosts).
fn any_substring(alternatives: &[String], fields: &[(Field, Score)]) -> Box<dyn Query> {
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for alt in alternatives {
        let s = compact(alt);
        for &(field, boost) in fields {
            if let Some(q) = substring_query(field, &s) {
                any.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
            }
        }
    }
    if any.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(any))
}

/// The n-gram query for "field contains `s`" (`s` compacted): one char → any bigram starting
/// with it or the final unigram; two → one bigram; more → a phrase of covering bigrams.
fn substring_query(field: Field, s: &str) -> Option<Box<dyn Query>> {
    let n = s.chars().count();
    match n {
        0 => None,
        1 => {
            let pattern = format!("{}.?", regex_escape(s));
            RegexQuery::from_pattern(&pattern, field)
                .ok()
                .map(|q| Box::new(q) as Box<dyn Query>)
        }
        2 => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, s),
            IndexRecordOption::WithFreqs,
        ))),
        _ => {
            let terms = bigram_cover(s)
                .into_iter()
                .map(|(i, g)| (i, Term::from_field_text(field, &g)))
                .collect();
            Some(Box::new(PhraseQuery::new_with_offset(terms)))
        }
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
