//! Running a search: plan, compile, collect the top hits with counts and facets, and build
//! the hits with highlighted titles and snippets. Also corpus statistics.

use std::time::Instant;

use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::query::{AllQuery, EnableScoring, Query};
use tantivy::{DocAddress, DocSet, Order, Score, Searcher, TERMINATED};

use super::Engine;
use super::compile::Reach;
use super::facets::{FACET_VALUES, FacetCollector, FacetFruit, by_name};
use super::highlight;
use super::plan::Plan;
use super::query;
use super::request::{
    FacetField, Hit, MAX_LIMIT, MAX_OFFSET, Note, SearchRequest, SearchResponse, SortOrder, Stats,
    TRACK_TOTAL,
};
use crate::error::{Code, Error};

const SNIPPET_CHARS: usize = 120;

impl Engine {
    /// Searches; when the query holds words the archive does not know and it knows words
    /// that sound alike (`spell`), offers the corrected query, and answers with its hits
    /// when the query as written finds nothing (unless `req.correct` is false).
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, Error> {
        let started = Instant::now();
        let took = || (started.elapsed().as_secs_f64() * 1e5).round() / 100.0;
        let written = self.search_as_written(req)?;
        if req.correct == Some(false) || !self.might_need_correcting(&req.q) {
            return Ok(written);
        }
        let speller = self.speller()?;
        let Some(meant) = speller.correct(&req.q, &|span| self.letters_holding(span)) else {
            return Ok(SearchResponse {
                took_ms: took(),
                ..written
            });
        };
        if written.total == 0 {
            let corrected = self.search_as_written(&SearchRequest {
                q: meant.clone(),
                ..req.clone()
            })?;
            if corrected.total > 0 {
                return Ok(SearchResponse {
                    query: req.q.clone(),
                    did_you_mean: Some(meant),
                    showing_did_you_mean: true,
                    took_ms: took(),
                    ..corrected
                });
            }
            // The correction finds nothing either: nothing to offer.
            return Ok(SearchResponse {
                took_ms: took(),
                ..written
            });
        }
        Ok(SearchResponse {
            did_you_mean: Some(meant),
            took_ms: took(),
            ..written
        })
    }

    /// The search for the query as written.
    fn search_as_written(&self, req: &SearchRequest) -> Result<SearchResponse, Error> {
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
        let sort = req.sort.unwrap_or(if plan.is_empty() {
            SortOrder::Date
        } else {
            SortOrder::Relevance
        });
        let facet_fields = req.facets.clone().unwrap_or_default();
        let searcher = self.reader.searcher();
        let found = if plan.matches_everything() {
            self.browse(&searcher, req, limit, sort, &facet_fields)?
        } else {
            self.collect(&searcher, &plan, req, limit, sort, &facet_fields)?
        };
        let Found {
            docs: addresses,
            total,
            total_is_exact,
            facets: facet_counts,
        } = found;

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
        let facets = by_name(facet_counts);
        Ok(SearchResponse {
            query: req.q.clone(),
            expanded_query,
            words: words.len(),
            expanded,
            total,
            total_is_exact,
            offset: req.offset,
            limit,
            took_ms: (started.elapsed().as_secs_f64() * 1e5).round() / 100.0,
            hits,
            facets,
            notes,
            did_you_mean: None,
            showing_did_you_mean: false,
        })
    }
}

/// The page of a search with its count and facets, before the hits are read.
struct Found {
    docs: Vec<(Score, DocAddress)>,
    total: usize,
    total_is_exact: bool,
    facets: FacetFruit,
}

impl Engine {
    /// Browsing (no query, no filter): the counts are those of the whole index, the same for
    /// every such request until the next commit, so they are cached.
    fn browse(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        limit: usize,
        sort: SortOrder,
        facet_fields: &[FacetField],
    ) -> Result<Found, Error> {
        let facets = if facet_fields.is_empty() {
            FacetFruit::new()
        } else {
            self.browse_facets
                .get_or_compute(searcher, facet_fields, || {
                    searcher.search(
                        &AllQuery,
                        &self.facet_collector(facet_fields, Some(FACET_VALUES)),
                    )
                })?
        };
        let (docs, total) = page(searcher, &AllQuery, req.offset, limit, sort, Count)?;
        Ok(Found {
            docs,
            total,
            total_is_exact: true,
            facets,
        })
    }

    /// The page of a query, its count and the facets asked for (none by default: counting
    /// them reads every match's columns). A request for no hits and no facets only counts,
    /// up to `TRACK_TOTAL`; otherwise every match is scored and counted exactly.
    fn collect(
        &self,
        searcher: &Searcher,
        plan: &Plan,
        req: &SearchRequest,
        limit: usize,
        sort: SortOrder,
        facet_fields: &[FacetField],
    ) -> Result<Found, Error> {
        if facet_fields.is_empty() && limit == 0 {
            let matching = self.build(plan, req.match_mode, Reach::Count);
            let (total, total_is_exact) = count_up_to(searcher, matching.as_ref(), TRACK_TOTAL)?;
            return Ok(Found {
                docs: Vec::new(),
                total,
                total_is_exact,
                facets: FacetFruit::new(),
            });
        }
        let query = self.build(plan, req.match_mode, Reach::Plan);
        let counts = (
            Count,
            self.facet_collector(facet_fields, Some(FACET_VALUES)),
        );
        let (docs, (total, facets)) =
            page(searcher, query.as_ref(), req.offset, limit, sort, counts)?;
        Ok(Found {
            docs,
            total,
            total_is_exact: true,
            facets,
        })
    }

    /// Counts of `fields`' values, the `limit` most frequent of each (`None`: all).
    fn facet_collector(&self, fields: &[FacetField], limit: Option<usize>) -> FacetCollector {
        FacetCollector {
            fields: fields.to_vec(),
            values: self.facet_values.clone(),
            limit,
        }
    }
}

/// The page of `query` (`limit` hits after `offset`, in `sort` order), and what `also`
/// collects over every match in the same pass. Ordered by date, the score still shows but
/// does not decide the order.
fn page<C: Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    offset: usize,
    limit: usize,
    sort: SortOrder,
    also: C,
) -> Result<(Vec<(Score, DocAddress)>, C::Fruit), Error> {
    if limit == 0 {
        return Ok((Vec::new(), searcher.search(query, &also)?));
    }
    let top = TopDocs::with_limit(limit).and_offset(offset);
    Ok(match sort {
        SortOrder::Relevance => searcher.search(query, &(top.order_by_score(), also))?,
        SortOrder::Date => {
            let by_date = top.order_by_fast_field::<i64>("date", Order::Desc);
            let (docs, fruit) = searcher.search(query, &(by_date, also))?;
            (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), fruit)
        }
    })
}

/// The documents `query` matches, counted up to `cap`: `(count, exact)`. Past `cap` it
/// stops and returns `(cap, false)`, a lower bound, instead of visiting every match.
fn count_up_to(searcher: &Searcher, query: &dyn Query, cap: usize) -> Result<(usize, bool), Error> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut count = 0;
    for reader in searcher.segment_readers() {
        let alive = reader.alive_bitset();
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                if count == cap {
                    return Ok((cap, false));
                }
                count += 1;
            }
            doc = scorer.advance();
        }
    }
    Ok((count, true))
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
    /// The number of letters, the index size, and the letters by kind, respondent, year and
    /// session: every value, not only the most frequent as in a search's facets.
    pub fn stats(&self) -> Result<Stats, Error> {
        let fields = [
            FacetField::Kind,
            FacetField::Respondent,
            FacetField::Year,
            FacetField::Session,
        ];
        let counts = self
            .reader
            .searcher()
            .search(&AllQuery, &self.facet_collector(&fields, None))?;
        Ok(Stats {
            docs: self.num_docs(),
            index_bytes: self.size_bytes(),
            facets: by_name(counts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STRING, Schema};
    use tantivy::{Index, IndexWriter, TantivyDocument, Term};

    #[test]
    fn counting_stops_at_the_cap_and_skips_deleted_letters() {
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..6 {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, i.to_string());
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        writer.delete_term(Term::from_field_text(id, "0"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(count_up_to(&searcher, &AllQuery, 3).unwrap(), (3, false));
        assert_eq!(count_up_to(&searcher, &AllQuery, 4).unwrap(), (4, false));
        assert_eq!(count_up_to(&searcher, &AllQuery, 5).unwrap(), (5, true));
        assert_eq!(count_up_to(&searcher, &AllQuery, 6).unwrap(), (5, true));
    }
}
