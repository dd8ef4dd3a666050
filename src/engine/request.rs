//! What a search takes and what it returns: the request (query, filters, order, facets),
//! hits and facet counts. Plain data shared by the CLI, the API and the pages.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::highlight::Highlighted;
use crate::error::{Code, Error};

/// Most hits returned at once.
pub const MAX_LIMIT: usize = 100;

/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;

/// Matches are counted exactly up to this many; past it `total` is a lower bound
/// (`total_is_exact` false), unless facets were asked for, which count every match anyway.
pub const TRACK_TOTAL: usize = 10_000;

/// The order of hits.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Relevance,
    Date,
}

/// `most`: documents with all the words first, then those with most of them (at least half).
/// `all`: every word required.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
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
    clap::ValueEnum,
)]
/// A field whose values are counted for the matching documents.
#[serde(rename_all = "lowercase")]
pub enum FacetField {
    Respondent,
    Year,
    Kind,
    Session,
}

impl FacetField {
    /// The facets the search page shows (beside its results).
    pub const PAGE: [FacetField; 3] = [FacetField::Respondent, FacetField::Year, FacetField::Kind];

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
                    Code::BadFacet,
                    format!("unknown facet {other:?}; facets are respondent, year, kind, session"),
                ));
            }
        })
    }
}

/// The conditions every hit must meet whatever the query: what the facets and the filter
/// form set. One declaration for searches and similar-letter requests, the JSON API, the CLI
/// (`--respondent`, …) and the pages.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    utoipa::IntoParams,
    clap::Args,
)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Exact answering body, as listed in the respondent facet.
    #[arg(long)]
    pub respondent: Option<String>,
    /// 建议, 提案, 议案, 留言 or other.
    #[arg(long)]
    pub kind: Option<String>,
    /// Year of the letter's date (1900–2100).
    #[arg(long)]
    pub year: Option<u32>,
    /// Session, as listed in the session facet or in any spelling of it (七届/第七届,
    /// 人大/人民代表大会).
    #[arg(long)]
    pub session: Option<String>,
    /// Earliest date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[arg(long)]
    pub from: Option<String>,
    /// Latest date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[arg(long)]
    pub to: Option<String>,
}

impl Filters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

/// A search, as the API (POST body; the GET form converts into it) and the CLI take it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema, clap::Args)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// The query: words, "exact phrase", -excluded, A OR B, field:value.
    #[arg(value_name = "QUERY")]
    pub q: String,
    /// Hits to return (0–100, default 10).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Hits to skip (up to 10000).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[serde(flatten)]
    #[command(flatten)]
    pub filters: Filters,
    /// `relevance` (default when there is a query) or `date` (newest first; default without one).
    #[arg(long, value_enum)]
    pub sort: Option<SortOrder>,
    /// Facets to count (respondent, year, kind, session); none unless asked for: counting
    /// them visits every match.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub facets: Option<Vec<FacetField>>,
    /// `most` (default): all words first, then most of them; `all`: every word required.
    #[serde(rename = "match")]
    #[arg(long = "match", value_enum, default_value_t)]
    pub match_mode: MatchMode,
    /// Offer the query with words the archive does not know replaced by the words probably
    /// meant (`did_you_mean`), and show its results when the query as written finds nothing
    /// (default true; false searches only for what was written).
    #[arg(long, value_name = "BOOL")]
    pub correct: Option<bool>,
}

/// One result: the letter's fields, its title and a passage of its text with the matches.
/// Serialising it gives the plain fields; how matches are shown is the caller's choice (the
/// API adds `title`, `title_html` and an HTML `snippet`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: String,
    /// The title as written, with the query's matches.
    #[serde(skip)]
    pub title: Highlighted,
    pub kind: String,
    pub respondent: Option<String>,
    pub date: Option<String>,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    /// The ranking score: higher ranks first. Whole query words, a typed chunk found
    /// verbatim and compound words found in parts add fixed amounts (see
    /// `compile::TIER`), BM25 orders documents within them.
    pub score: f32,
    /// How many of the query's words this document contains as written (or as one of their
    /// synonyms).
    pub matched_terms: usize,
    /// A passage of the text around the best cluster of matches.
    #[serde(skip)]
    pub snippet: Highlighted,
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

/// What a search found. Serialising it gives everything but the hits, which the caller
/// renders (see `Hit`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    pub query: String,
    /// How the query was read: words with their synonym expansions, phrases, exclusions.
    pub expanded_query: String,
    /// Word clauses of the query (what `matched_terms` counts against); phrases, fields and
    /// exclusions aside.
    #[serde(skip)]
    pub words: usize,
    /// Some word was searched with synonyms or other written forms too (so
    /// `expanded_query` says more than the query).
    #[serde(skip)]
    pub expanded: bool,
    /// Letters matching: exact when `total_is_exact`, else a lower bound (past
    /// `TRACK_TOTAL` matches, counting stops).
    pub total: usize,
    pub total_is_exact: bool,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
    #[serde(skip)]
    pub hits: Vec<Hit>,
    /// Facet name → value counts.
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: BTreeMap<String, FacetCounts>,
    /// What was ignored or adjusted, and whether the hits hold only some of the words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// The query with the words the archive does not know replaced by the words probably
    /// meant (homophones of an input method, 停车南 → 停车难), when there are such words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    /// The hits are those of `did_you_mean`: the query as written (`query`) found nothing.
    /// Search again with `correct=false` for the query as written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub showing_did_you_mean: bool,
}

/// Something a searcher should know about how the query was answered. Serialised as an
/// object with a `code` and the note's data; the edges word it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Note {
    /// The query had more words than are searched; the rest were ignored.
    WordsIgnored { dropped: usize, kept: usize },
    /// No letter contains `word`; its `parts` were searched as words instead.
    SearchedParts { word: String, parts: Vec<String> },
    /// No letter holds all the query's words: the hits hold some of them.
    NoneHasAllWords,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::WordsIgnored { dropped, kept } => {
                write!(f, "{dropped} words beyond the first {kept} were ignored")
            }
            Note::SearchedParts { word, parts } => write!(
                f,
                "no document contains {word}; searched for {} instead",
                parts.join(" ")
            ),
            Note::NoneHasAllWords => {
                write!(f, "no document contains all the words; these contain some")
            }
        }
    }
}

/// Corpus statistics: documents by kind, respondent and year, and the index size.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub docs: u64,
    pub index_bytes: u64,
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: BTreeMap<String, FacetCounts>,
}
