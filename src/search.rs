//! Searching: the query plan (words, phrases, synonyms, exclusions, filters), ranking,
//! facets, sorting and highlighted hits. Returns plain structs; no HTTP here.
//!
//! Matching is defined on the normalised text: a word or phrase matches a document when the
//! document's title or body contains it (answered by the n-gram fields, so segmentation
//! cannot lose a match). Ranking: every plain query word is a clause; a document scores a
//! fixed `TIER` per clause it matches plus BM25 (word field preferred, whole-chunk adjacency
//! rewarded), so documents with all the words come first, then those with most of them.

use crate::score_shift::ShiftQuery;
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Order, Score, SegmentReader, Term};

use crate::analysis::{bigram_cover, compact, normalize};
use crate::error::Error;
use crate::highlight;
use crate::index::{Engine, date_number};
use crate::query::{self, Atom, ParsedQuery, QueryField};

/// Score given per matched query word; larger than any BM25 sum so that it orders tiers.
const TIER: Score = 1000.0;
pub const MAX_LIMIT: usize = 100;
/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;
const SNIPPET_CHARS: usize = 120;
/// Values listed per facet.
const FACET_VALUES: usize = 50;
/// A query word in more than this fraction of documents does not count as a matched word.
const COMMON_FRACTION: f64 = 0.3;
/// Synonym variants tried per query word.
const MAX_VARIANTS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Relevance,
    Date,
}

/// `most`: documents with all the words first, then those with most of them (at least half).
/// `all`: every word required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    #[default]
    Most,
    All,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FacetField {
    Respondent,
    Year,
    Kind,
    Session,
}

impl FacetField {
    pub const DEFAULT: [FacetField; 3] =
        [FacetField::Respondent, FacetField::Year, FacetField::Kind];

    pub fn name(self) -> &'static str {
        match self {
            FacetField::Respondent => "respondent",
            FacetField::Year => "year",
            FacetField::Kind => "kind",
            FacetField::Session => "session",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        Ok(match s.trim() {
            "respondent" => FacetField::Respondent,
            "year" => FacetField::Year,
            "kind" => FacetField::Kind,
            "session" => FacetField::Session,
            other => {
                return Err(Error::bad(
                    "bad_facet",
                    format!("unknown facet {other:?}; facets are respondent, year, kind, session"),
                ));
            }
        })
    }
}

/// A search, as the API and the CLI take it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// The query: words, "exact phrase", -excluded, A OR B, field:value.
    pub q: String,
    /// Hits to return (0–100, default 10).
    pub limit: Option<usize>,
    pub offset: usize,
    /// Exact answering body, as listed in the respondent facet.
    pub respondent: Option<String>,
    /// 建议, 提案, 议案, 留言 or other.
    pub kind: Option<String>,
    pub year: Option<u32>,
    /// Exact session, as listed in the session facet.
    pub session: Option<String>,
    /// Earliest date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Latest date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub to: Option<String>,
    /// `relevance` (default when there is a query) or `date` (newest first; default without one).
    pub sort: Option<SortOrder>,
    /// Facets to count; default respondent, year, kind.
    pub facets: Option<Vec<FacetField>>,
    #[serde(rename = "match")]
    pub match_mode: MatchMode,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: String,
    pub title: String,
    /// The title as escaped HTML with matches in `<mark>`.
    pub title_html: String,
    pub kind: String,
    pub respondent: Option<String>,
    pub date: Option<String>,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    pub score: f32,
    /// How many of the query's words this document contains.
    pub matched_terms: usize,
    /// Escaped document text in which only `<mark>` and `</mark>` are markup.
    pub snippet: String,
}

/// Value → count, serialised as a JSON object in display order (most frequent first; years
/// newest first).
#[derive(Debug, Clone, Default, PartialEq, utoipa::ToSchema)]
#[schema(value_type = HashMap<String, u64>)]
pub struct FacetCounts(pub Vec<(String, u64)>);

impl Serialize for FacetCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    pub query: String,
    /// How the query was read: words with their synonym expansions, phrases, exclusions.
    pub expanded_query: String,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: std::collections::BTreeMap<String, FacetCounts>,
    /// Notes on what was ignored or adjusted, e.g. words beyond the limit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One condition of the plan with the strings that satisfy it.
#[derive(Debug, Clone)]
struct Clause {
    /// Alternative strings (synonym variants or OR alternatives), normalised.
    alternatives: Vec<String>,
    /// The fields searched (n-gram fields) with boosts.
    fields: Vec<(Field, Score)>,
    phrase: bool,
    /// In so many documents that it cannot tell them apart (e.g. 小区 in a corpus of
    /// housing complaints): it adds to the score but does not count as a matched word.
    common: bool,
}

/// A parsed query turned into what to match.
#[derive(Debug, Default)]
struct Plan {
    /// Clauses that count toward "all / most of the words".
    tiered: Vec<Clause>,
    /// Clauses every hit must satisfy (phrases, field:value).
    required: Vec<Clause>,
    excluded: Vec<Clause>,
    /// Whole query chunks whose contiguous occurrence earns a bonus.
    adjacency: Vec<Clause>,
    filters: Vec<Box<dyn Query>>,
    /// Filters from `-kind:` / `-year:`.
    excluded_filters: Vec<Box<dyn Query>>,
    notes: Vec<String>,
}

impl Engine {
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, Error> {
        let started = Instant::now();
        let limit = req.limit.unwrap_or(10);
        if limit > MAX_LIMIT {
            return Err(Error::bad(
                "bad_limit",
                format!("limit must be between 0 and {MAX_LIMIT}"),
            ));
        }
        if req.offset > MAX_OFFSET {
            return Err(Error::bad(
                "bad_offset",
                format!("offset must be between 0 and {MAX_OFFSET}"),
            ));
        }
        let parsed = query::parse(&req.q)?;
        let plan = self.plan(&parsed, req)?;
        let tantivy_query = self.build(&plan, req.match_mode);
        let sort = req.sort.unwrap_or(if plan.is_empty() {
            SortOrder::Date
        } else {
            SortOrder::Relevance
        });
        let facet_fields = req
            .facets
            .clone()
            .unwrap_or_else(|| FacetField::DEFAULT.to_vec());

        let searcher = self.reader.searcher();
        let facets = FacetCollector {
            fields: facet_fields.clone(),
            values: self.facet_values.clone(),
        };
        let (addresses, total, facet_counts): (Vec<(Score, DocAddress)>, usize, _) = if plan
            .matches_everything()
        {
            // Browsing (no query, no filter): the counts are those of the whole index, the
            // same for every such request until the next commit, so they are cached.
            let counts = self
                .browse_facets
                .get_or_compute(&searcher, &facet_fields, || {
                    searcher.search(&AllQuery, &facets)
                })?;
            let total = searcher.num_docs() as usize;
            let docs = if limit == 0 {
                Vec::new()
            } else {
                let top = TopDocs::with_limit(limit).and_offset(req.offset);
                match sort {
                    SortOrder::Relevance => searcher.search(&AllQuery, &top.order_by_score())?,
                    SortOrder::Date => searcher
                        .search(
                            &AllQuery,
                            &top.order_by_fast_field::<i64>("date", Order::Desc),
                        )?
                        .into_iter()
                        .map(|(_, a)| (0.0, a))
                        .collect(),
                }
            };
            (docs, total, counts)
        } else if limit == 0 {
            let (total, counts) = searcher.search(&tantivy_query, &(Count, facets))?;
            (Vec::new(), total, counts)
        } else {
            let top = TopDocs::with_limit(limit).and_offset(req.offset);
            match sort {
                SortOrder::Relevance => {
                    searcher.search(&tantivy_query, &(top.order_by_score(), Count, facets))?
                }
                SortOrder::Date => {
                    // Score still matters for display; date decides the order.
                    let by_date = top.order_by_fast_field::<i64>("date", Order::Desc);
                    let (docs, total, counts) =
                        searcher.search(&tantivy_query, &(by_date, Count, facets))?;
                    (
                        docs.into_iter().map(|(_, a)| (0.0, a)).collect(),
                        total,
                        counts,
                    )
                }
            }
        };

        let needles = highlight::needles(plan.positive_strings());
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let letter = self.letter_at(&searcher, address)?;
            let matched = (score / TIER).floor() as usize;
            let snippet = highlight::snippet(&letter.text, &needles, SNIPPET_CHARS);
            hits.push(Hit {
                title_html: highlight::highlight_all(&letter.title, &needles),
                id: letter.id,
                title: letter.title,
                kind: letter.kind,
                respondent: letter.respondent,
                date: letter.date,
                proposal_no: letter.proposal_no,
                session: letter.session,
                score: score - matched as Score * TIER,
                matched_terms: matched,
                snippet,
            });
        }
        let facets = facet_counts
            .into_iter()
            .map(|(field, counts)| (field.name().to_string(), counts))
            .collect();
        Ok(SearchResponse {
            query: req.q.clone(),
            expanded_query: plan.describe(),
            total,
            offset: req.offset,
            limit,
            took_ms: (started.elapsed().as_secs_f64() * 1e5).round() / 100.0,
            hits,
            facets,
            notes: plan.notes,
        })
    }

    /// Turns the parsed query and the request's filters into a plan.
    fn plan(&self, parsed: &ParsedQuery, req: &SearchRequest) -> Result<Plan, Error> {
        let f = &self.fields;
        let text_fields = vec![(f.title_ng, 2.0), (f.body_ng, 1.0)];
        let mut plan = Plan::default();
        if parsed.dropped > 0 {
            plan.notes.push(format!(
                "{} words beyond the first {} were ignored",
                parsed.dropped,
                query::MAX_TERMS
            ));
        }
        let syn = &self.analyzer.vocab.synonyms;
        let variants = |s: &str| syn.variants(&normalize(s), MAX_VARIANTS);

        // Words of plain chunks, with stopwords dropped unless nothing else is left.
        let plain_words: Vec<Vec<String>> = parsed
            .groups
            .iter()
            .map(|g| match g.as_slice() {
                [
                    Atom {
                        field: None,
                        phrase: false,
                        text,
                    },
                ] => self.analyzer.query_words(text),
                _ => Vec::new(),
            })
            .collect();
        let stop = &self.analyzer.vocab.stopwords;
        let has_content = plain_words.iter().flatten().any(|w| !stop.contains(w))
            || parsed
                .groups
                .iter()
                .any(|g| g.len() > 1 || g[0].phrase || g[0].field.is_some());

        for (group, words) in parsed.groups.iter().zip(&plain_words) {
            match group.as_slice() {
                [
                    Atom {
                        field: None,
                        phrase: false,
                        text,
                    },
                ] => {
                    let kept: Vec<&String> = words
                        .iter()
                        .filter(|w| !has_content || !stop.contains(*w))
                        .collect();
                    for w in &kept {
                        self.plan_word(w, &mut plan);
                    }
                    let chunk = compact(text);
                    if kept.len() > 1 && chunk.chars().count() > 1 {
                        plan.adjacency.push(Clause {
                            alternatives: variants(&chunk),
                            fields: text_fields.clone(),
                            phrase: false,
                            common: false,
                        });
                    }
                }
                [atom] if atom.phrase && atom.field.is_none() => {
                    plan.required.push(Clause {
                        alternatives: vec![normalize(&atom.text)],
                        fields: text_fields.clone(),
                        phrase: true,
                        common: false,
                    });
                }
                [atom] if atom.field.is_some() => self.plan_field(atom, &mut plan)?,
                alternatives => {
                    // A OR B: one clause satisfied by any alternative (field atoms become
                    // required conditions of their own; mixing them into OR is not supported).
                    let mut alts = Vec::new();
                    for atom in alternatives {
                        if atom.field.is_some() {
                            self.plan_field(atom, &mut plan)?;
                        } else if atom.phrase {
                            alts.push(normalize(&atom.text));
                        } else {
                            alts.extend(variants(&atom.text));
                        }
                    }
                    if !alts.is_empty() {
                        plan.tiered.push(Clause {
                            alternatives: alts,
                            fields: text_fields.clone(),
                            phrase: false,
                            common: false,
                        });
                    }
                }
            }
        }
        for atom in &parsed.excluded {
            let alternatives = if atom.phrase {
                vec![normalize(&atom.text)]
            } else {
                variants(&atom.text)
            };
            let fields = match atom.field {
                Some(QueryField::Title) => vec![(f.title_ng, 1.0)],
                Some(QueryField::Respondent) => vec![(f.respondent_ng, 1.0)],
                Some(QueryField::Session) => vec![(f.session_ng, 1.0)],
                Some(QueryField::Kind) => {
                    plan.excluded_filters
                        .push(term_filter(Term::from_field_text(f.kind, atom.text.trim())));
                    continue;
                }
                Some(QueryField::Year) => {
                    let year = parse_year(&atom.text)?;
                    plan.excluded_filters
                        .push(term_filter(Term::from_field_u64(f.year, year as u64)));
                    continue;
                }
                None => text_fields.clone(),
            };
            plan.excluded.push(Clause {
                alternatives,
                fields,
                phrase: atom.phrase,
                common: false,
            });
        }
        self.plan_filters(req, &mut plan)?;
        Ok(plan)
    }

    fn plan_field(&self, atom: &Atom, plan: &mut Plan) -> Result<(), Error> {
        let f = &self.fields;
        let syn = &self.analyzer.vocab.synonyms;
        let alternatives = if atom.phrase {
            vec![normalize(&atom.text)]
        } else {
            syn.variants(&normalize(&atom.text), MAX_VARIANTS)
        };
        let field = match atom.field.expect("a field atom") {
            QueryField::Title => f.title_ng,
            QueryField::Respondent => f.respondent_ng,
            QueryField::Session => f.session_ng,
            QueryField::Kind => {
                plan.filters
                    .push(term_filter(Term::from_field_text(f.kind, atom.text.trim())));
                return Ok(());
            }
            QueryField::Year => {
                let year = parse_year(&atom.text)?;
                plan.filters
                    .push(term_filter(Term::from_field_u64(f.year, year as u64)));
                return Ok(());
            }
        };
        plan.required.push(Clause {
            alternatives,
            fields: vec![(field, 2.0)],
            phrase: atom.phrase,
            common: false,
        });
        Ok(())
    }

    /// Adds the clause for one query word. A word of three or more chars that no document
    /// contains (物业纠纷) is replaced by its dictionary sub-words (物业, 纠纷), so a query is
    /// not lost to one compound the archive happens to phrase differently.
    fn plan_word(&self, word: &str, plan: &mut Plan) {
        let f = &self.fields;
        let text_fields = vec![(f.title_ng, 2.0), (f.body_ng, 1.0)];
        let searcher = self.reader.searcher();
        let mut alternatives = self
            .analyzer
            .vocab
            .synonyms
            .variants(&normalize(word), MAX_VARIANTS);
        // Dates are written both ways: 2024年6月 and 二〇二四年六月.
        if let Some(other) = crate::text::date_numeral_variant(&normalize(word)) {
            alternatives.push(other);
        }
        let clause = Clause {
            alternatives,
            fields: text_fields.clone(),
            phrase: false,
            common: false,
        };
        // How many documents hold the word as a token: cheap, enough to tell a word that is
        // everywhere, and proof that some document contains it.
        let df = clause
            .alternatives
            .iter()
            .map(|a| self.body_doc_freq(&searcher, a))
            .max()
            .unwrap_or(0);
        // Only a word no document holds as a token can be missing altogether; only then is
        // the (costlier) substring count run.
        if df == 0
            && word.chars().count() >= 3
            && searcher
                .search(self.matcher(&clause).as_ref(), &Count)
                .unwrap_or(1)
                == 0
        {
            let parts = sub_words(&self.analyzer.jieba, word);
            if !parts.is_empty() {
                plan.notes.push(format!(
                    "no document contains {word}; searched for {} instead",
                    parts.join(" ")
                ));
                for part in parts {
                    self.plan_word(&part, plan);
                }
                return;
            }
        }
        let docs = searcher.num_docs().max(1) as f64;
        let common = docs >= 50.0 && df as f64 / docs > COMMON_FRACTION;
        plan.tiered.push(Clause { common, ..clause });
    }

    fn plan_filters(&self, req: &SearchRequest, plan: &mut Plan) -> Result<(), Error> {
        let f = &self.fields;
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(kind) = nonempty(&req.kind) {
            plan.filters
                .push(term_filter(Term::from_field_text(f.kind, &kind)));
        }
        if let Some(r) = nonempty(&req.respondent) {
            plan.filters
                .push(term_filter(Term::from_field_text(f.respondent, &r)));
        }
        if let Some(s) = nonempty(&req.session) {
            plan.filters
                .push(term_filter(Term::from_field_text(f.session, &s)));
        }
        if let Some(year) = req.year {
            if !(1900..=2100).contains(&year) {
                return Err(Error::bad(
                    "bad_year",
                    format!("year {year} is out of range 1900–2100"),
                ));
            }
            plan.filters
                .push(term_filter(Term::from_field_u64(f.year, year as u64)));
        }
        let from = nonempty(&req.from)
            .map(|d| parse_date_bound(&d, false))
            .transpose()?;
        let to = nonempty(&req.to)
            .map(|d| parse_date_bound(&d, true))
            .transpose()?;
        if from.is_some() || to.is_some() {
            if let (Some(a), Some(b)) = (from, to)
                && a > b
            {
                return Err(Error::bad("bad_date", "from is after to"));
            }
            let lower = from.map_or(Bound::Excluded(Term::from_field_i64(f.date, 0)), |d| {
                Bound::Included(Term::from_field_i64(f.date, d))
            });
            let upper = to.map_or(Bound::Unbounded, |d| {
                Bound::Included(Term::from_field_i64(f.date, d))
            });
            plan.filters.push(Box::new(ConstScoreQuery::new(
                Box::new(RangeQuery::new(lower, upper)),
                0.0,
            )));
        }
        Ok(())
    }

    /// The tantivy query for a plan.
    fn build(&self, plan: &Plan, mode: MatchMode) -> Box<dyn Query> {
        let mut top: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !plan.tiered.is_empty() {
            // Which words count toward "all / most of the words". A one-char word (局 of
            // 改革局, 难 of 停车难) or a word in most documents says little alone: it ranks a
            // document up when present but cannot make it match, unless the query has
            // nothing else or every word is required.
            let counts = |c: &Clause| {
                mode == MatchMode::All
                    || (!c.common
                        && c.alternatives
                            .iter()
                            .any(|a| compact(a).chars().count() > 1))
            };
            let any_counts = plan.tiered.iter().any(counts);
            let mut core: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for c in &plan.tiered {
                let is_core = counts(c) || !any_counts;
                let mut matcher = self.matcher(c);
                if is_core {
                    // A counted word lifts its documents by a tier (see `TIER`).
                    matcher = Box::new(ShiftQuery::new(matcher, TIER));
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
            let n = core.len();
            // All the words first, then fewer: down to a third of them, so a natural
            // question is answered by documents holding its rarest words.
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
        for c in &plan.adjacency {
            top.push((
                Occur::Should,
                Box::new(BoostQuery::new(self.matcher(c), 2.0)),
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
    fn matcher(&self, clause: &Clause) -> Box<dyn Query> {
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for alt in &clause.alternatives {
            let s = compact(alt);
            for &(field, boost) in &clause.fields {
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

    /// Whole-word matches in the word fields, which rank above sub-word n-gram matches.
    fn word_terms(&self, clause: &Clause) -> Box<dyn Query> {
        let f = &self.fields;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for alt in clause
            .alternatives
            .iter()
            .filter(|a| !a.contains(char::is_whitespace))
        {
            for (field, boost) in [(f.title, 3.0), (f.body, 1.5)] {
                let term = TermQuery::new(
                    Term::from_field_text(field, alt),
                    IndexRecordOption::WithFreqs,
                );
                any.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term), boost)),
                ));
            }
        }
        Box::new(BooleanQuery::new(any))
    }
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

/// Documents holding `term`, contributing nothing to the score (a filter).
pub(crate) fn term_filter(term: Term) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        0.0,
    ))
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.tiered.is_empty() && self.required.is_empty()
    }

    /// True when every document matches: no query words and no filters.
    fn matches_everything(&self) -> bool {
        self.is_empty()
            && self.excluded.is_empty()
            && self.adjacency.is_empty()
            && self.filters.is_empty()
            && self.excluded_filters.is_empty()
    }

    /// Strings a hit may contain because of the query, for highlighting.
    fn positive_strings(&self) -> impl Iterator<Item = &str> {
        self.tiered
            .iter()
            .chain(&self.required)
            .chain(&self.adjacency)
            .flat_map(|c| c.alternatives.iter().map(String::as_str))
    }

    /// The plan in query syntax, with synonym expansions spelled out.
    fn describe(&self) -> String {
        let show = |c: &Clause| {
            let alts: Vec<String> = c
                .alternatives
                .iter()
                .map(|a| {
                    if c.phrase {
                        format!("\"{a}\"")
                    } else {
                        a.clone()
                    }
                })
                .collect();
            if alts.len() > 1 {
                format!("({})", alts.join(" OR "))
            } else {
                alts.join("")
            }
        };
        let mut parts: Vec<String> = self.tiered.iter().chain(&self.required).map(show).collect();
        parts.extend(self.excluded.iter().map(|c| format!("-{}", show(c))));
        parts.join(" ")
    }
}

fn parse_year(s: &str) -> Result<u32, Error> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|y| (1900..=2100).contains(y))
        .ok_or_else(|| {
            Error::bad(
                "bad_query",
                format!("year:{s} is not a year between 1900 and 2100"),
            )
        })
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (also with `/` or `.`) into yyyymmdd; a partial
/// date stands for its first day, or its last when `end` is set.
pub fn parse_date_bound(s: &str, end: bool) -> Result<i64, Error> {
    let bad = || {
        Error::bad(
            "bad_date",
            format!("{s:?} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"),
        )
    };
    let parts: Vec<&str> = s.trim().split(['-', '/', '.']).collect();
    let num = |p: &str| p.parse::<u32>().map_err(|_| bad());
    let year = num(parts[0])?;
    if !(1900..=2100).contains(&year) || parts.len() > 3 {
        return Err(bad());
    }
    let month = match parts.get(1) {
        Some(m) => num(m)?,
        None => {
            if end {
                12
            } else {
                1
            }
        }
    };
    if !(1..=12).contains(&month) {
        return Err(bad());
    }
    let last_day = days_in_month(year, month);
    let day = match parts.get(2) {
        Some(d) => num(d)?,
        None => {
            if end {
                last_day
            } else {
                1
            }
        }
    };
    if !(1..=last_day).contains(&day) {
        return Err(bad());
    }
    date_number(&format!("{year:04}{month:02}{day:02}")).ok_or_else(bad)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Facet counts of the whole index for one searcher generation and facet list (see
/// `Engine::search`: browsing without a query or filter).
#[derive(Default)]
pub struct BrowseFacetCache(Mutex<Option<(u64, Vec<FacetField>, FacetFruit)>>);

type FacetFruit = Vec<(FacetField, FacetCounts)>;

impl BrowseFacetCache {
    fn get_or_compute(
        &self,
        searcher: &tantivy::Searcher,
        fields: &[FacetField],
        compute: impl FnOnce() -> tantivy::Result<FacetFruit>,
    ) -> tantivy::Result<FacetFruit> {
        let generation = searcher.generation().generation_id();
        if let Some((g, f, counts)) = &*self.0.lock().unwrap_or_else(|p| p.into_inner())
            && *g == generation
            && f == fields
        {
            return Ok(counts.clone());
        }
        let counts = compute()?;
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((generation, fields.to_vec(), counts.clone()));
        Ok(counts)
    }
}

/// Counts facet values of the matching documents from the fast-field columns.
struct FacetCollector {
    fields: Vec<FacetField>,
    values: FacetValueCache,
}

/// The value strings of each segment's facet columns, by ordinal. Segments never change, so
/// each table is read once instead of decompressing dictionary blocks on every search.
#[derive(Clone, Default)]
pub struct FacetValueCache(
    Arc<Mutex<HashMap<(tantivy::index::SegmentId, FacetField), Arc<Vec<String>>>>>,
);

impl FacetValueCache {
    fn values(
        &self,
        segment: &SegmentReader,
        field: FacetField,
        column: &tantivy::columnar::StrColumn,
    ) -> tantivy::Result<Arc<Vec<String>>> {
        let key = (segment.segment_id(), field);
        if let Some(v) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(v.clone());
        }
        let values = Arc::new(crate::index::dictionary_values(column)?);
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Merged-away segments leave stale tables; dropping all now and then is enough.
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(key, values.clone());
        Ok(values)
    }
}

enum FacetColumn {
    Str(tantivy::columnar::StrColumn, Vec<u64>, Arc<Vec<String>>),
    /// The year column, its smallest value, and counts indexed by `year - min` (years span
    /// a few decades at most, so a small vector; no hashing per matching document).
    Year(tantivy::columnar::Column<u64>, u64, Vec<u64>),
    Missing,
}

struct FacetSegment {
    columns: Vec<(FacetField, FacetColumn)>,
}

impl Collector for FacetCollector {
    type Fruit = Vec<(FacetField, FacetCounts)>;
    type Child = FacetSegment;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let ff = segment.fast_fields();
        let mut columns = Vec::new();
        for &field in &self.fields {
            let column = match field {
                FacetField::Year => {
                    let col = ff.u64("year")?;
                    let (min, max) = (col.min_value(), col.max_value());
                    // Years come from parsed dates (1900–2100); the cap only guards memory.
                    let span = (max.saturating_sub(min) + 1).min(1 << 16) as usize;
                    FacetColumn::Year(col, min, vec![0; span])
                }
                other => match ff.str(other.name())? {
                    Some(col) => {
                        let n = col.num_terms();
                        let values = self.values.values(segment, other, &col)?;
                        FacetColumn::Str(col, vec![0; n], values)
                    }
                    None => FacetColumn::Missing,
                },
            };
            columns.push((field, column));
        }
        Ok(FacetSegment { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        segments: Vec<Vec<(FacetField, HashMap<String, u64>)>>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut merged: Vec<(FacetField, HashMap<String, u64>)> =
            self.fields.iter().map(|f| (*f, HashMap::new())).collect();
        for segment in segments {
            for (i, (_, counts)) in segment.into_iter().enumerate() {
                for (k, v) in counts {
                    *merged[i].1.entry(k).or_default() += v;
                }
            }
        }
        Ok(merged
            .into_iter()
            .map(|(field, counts)| {
                let mut list: Vec<(String, u64)> =
                    counts.into_iter().filter(|(k, _)| !k.is_empty()).collect();
                if field == FacetField::Year {
                    list.sort_by(|a, b| b.0.cmp(&a.0));
                } else {
                    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                }
                list.truncate(FACET_VALUES);
                (field, FacetCounts(list))
            })
            .collect())
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Vec<(FacetField, HashMap<String, u64>)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (_, column) in &mut self.columns {
            match column {
                FacetColumn::Str(col, counts, _) => {
                    for ord in col.term_ords(doc) {
                        counts[ord as usize] += 1;
                    }
                }
                FacetColumn::Year(col, min, counts) => {
                    for y in col.values_for_doc(doc) {
                        if let Some(n) = counts.get_mut(y.wrapping_sub(*min) as usize) {
                            *n += 1;
                        }
                    }
                }
                FacetColumn::Missing => {}
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .into_iter()
            .map(|(field, column)| {
                let mut out = HashMap::new();
                match column {
                    FacetColumn::Str(_, counts, values) => {
                        for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                            if let Some(value) = values.get(ord) {
                                out.insert(value.clone(), n);
                            }
                        }
                    }
                    FacetColumn::Year(_, min, counts) => {
                        out.extend(
                            counts
                                .into_iter()
                                .enumerate()
                                .filter(|(_, n)| *n > 0)
                                .map(|(i, n)| ((min + i as u64).to_string(), n)),
                        );
                    }
                    FacetColumn::Missing => {}
                }
                (field, out)
            })
            .collect()
    }
}

/// Corpus statistics: documents by kind, respondent and year, and the index size.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub docs: u64,
    pub index_bytes: u64,
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: std::collections::BTreeMap<String, FacetCounts>,
}

impl Engine {
    pub fn stats(&self) -> Result<Stats, Error> {
        let all = self.search(&SearchRequest {
            limit: Some(0),
            facets: Some(vec![
                FacetField::Kind,
                FacetField::Respondent,
                FacetField::Year,
                FacetField::Session,
            ]),
            ..SearchRequest::default()
        })?;
        Ok(Stats {
            docs: self.num_docs(),
            index_bytes: self.size_bytes(),
            facets: all.facets,
        })
    }
}

/// Non-overlapping dictionary sub-words covering as much of `word` as possible, longest
/// first from the left (from jieba's search mode, which lists the 2- and 3-char words inside
/// a longer one).
fn sub_words(jieba: &jieba_rs::Jieba, word: &str) -> Vec<String> {
    let n = word.chars().count();
    let mut candidates: Vec<(usize, usize, String)> = jieba
        .cut_for_search(word, false)
        .into_iter()
        .filter(|t| t.end - t.start >= 2 && t.end - t.start < n)
        .map(|t| (t.start, t.end, t.word.to_string()))
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out = Vec::new();
    let mut covered = 0;
    for (start, end, w) in candidates {
        if start >= covered {
            out.push(w);
            covered = end;
        }
    }
    out
}
