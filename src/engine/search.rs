//! Running a search: plan, compile, collect the top hits with counts and facets, and build
//! the hits with highlighted titles and snippets. Also corpus statistics.

use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::AllQuery;
use tantivy::{DocAddress, Order, Score};

use super::Engine;
use super::facets::FacetCollector;
use super::highlight;
use super::query;
use super::request::{
    FacetField, Hit, MAX_LIMIT, MAX_OFFSET, Note, SearchRequest, SearchResponse, SortOrder, Stats,
};
use crate::error::{Code, Error};

const SNIPPET_CHARS: usize = 120;

impl Engine {
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, Error> {
        let started = Instant::now();
        let limit = req.limit.unwrap_or(10);
        if limit > MAX_LIMIT {
            return Err(Error::bad(
                Code::BadLimit,
                format!("limit must be between 0 and {MAX_LIMIT}"),
            ));
        }
        if req.offset > MAX_OFFSET {
            return Err(Error::bad(
                Code::BadOffset,
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
        // Each word's written forms, to count the words a hit holds.
        let words: Vec<Vec<String>> = plan
            .tiered
            .iter()
            .map(|c| highlight::needles(c.alternatives.iter().map(String::as_str)))
            .collect();
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let letter = self.letter_at(&searcher, address)?;
            let matched = highlight::count_holding(&[&letter.title, &letter.text], &words);
            let snippet = highlight::snippet(&letter.text, &needles, SNIPPET_CHARS);
            hits.push(Hit {
                title: highlight::highlight_all(&letter.title, &needles),
                id: letter.id,
                kind: letter.kind,
                respondent: letter.respondent,
                date: letter.date,
                proposal_no: letter.proposal_no,
                session: letter.session,
                score,
                matched_terms: matched,
                snippet,
            });
        }
        let expanded_query = plan.describe();
        let expanded = plan.is_expanded();
        let mut notes = plan.notes;
        // Ranked by relevance, the first hit holds the most words: when it lacks some, no
        // letter holds them all.
        if req.offset == 0
            && sort == SortOrder::Relevance
            && words.len() > 1
            && hits.first().is_some_and(|h| h.matched_terms < words.len())
        {
            notes.push(Note::NoneHasAllWords);
        }
        let facets = facet_counts
            .into_iter()
            .map(|(field, counts)| (field.name().to_string(), counts))
            .collect();
        Ok(SearchResponse {
            query: req.q.clone(),
            expanded_query,
            words: words.len(),
            expanded,
            total,
            offset: req.offset,
            limit,
            took_ms: (started.elapsed().as_secs_f64() * 1e5).round() / 100.0,
            hits,
            facets,
            notes,
        })
    }
}

impl Engine {
    /// The strings a query marks in a letter (its words with their synonym and date
    /// variants, and its phrases; not what it excludes), compacted for
    /// `highlight::highlight_all`. A document page opened from a result list marks them.
    pub fn query_needles(&self, q: &str) -> Result<Vec<String>, Error> {
        let parsed = query::parse(q)?;
        let plan = self.plan(&parsed, &SearchRequest::default())?;
        Ok(highlight::needles(plan.positive_strings()))
    }
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
