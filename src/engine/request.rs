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
                    Code::BadFacet,
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

/// One result: the letter's fields, its title and a passage of its text with the matches.
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: String,
    /// The title as written, with the query's matches.
    pub title: Highlighted,
    pub kind: String,
    pub respondent: Option<String>,
    pub date: Option<String>,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    /// Relevance within the hit's tier (BM25 and bonuses).
    pub score: f32,
    /// How many of the query's words this document contains.
    pub matched_terms: usize,
    /// A passage of the text around the best cluster of matches.
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

/// What a search found.
#[derive(Debug, Clone)]
pub struct SearchResponse {
    pub query: String,
    /// How the query was read: words with their synonym expansions, phrases, exclusions.
    pub expanded_query: String,
    /// Word clauses of the query (what `matched_terms` counts against); phrases, fields and
    /// exclusions aside.
    pub words: usize,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub took_ms: f64,
    pub hits: Vec<Hit>,
    /// Facet name → value counts.
    pub facets: BTreeMap<String, FacetCounts>,
    /// Notes on what was ignored or adjusted, e.g. words beyond the limit.
    pub notes: Vec<String>,
}

/// Corpus statistics: documents by kind, respondent and year, and the index size.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub docs: u64,
    pub index_bytes: u64,
    #[schema(value_type = HashMap<String, HashMap<String, u64>>)]
    pub facets: BTreeMap<String, FacetCounts>,
}
