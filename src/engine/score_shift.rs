//! A query wrapper that adds a constant to its inner query's score.
//!
//! The search plan ranks documents by how many query words they hold (a tier worth a large
//! constant per word) and then by BM25. Expressed with stock tantivy queries that is
//! `ConstScore(matcher, TIER) OR matcher`, which evaluates the word's n-gram matcher (phrase
//! queries over positions, the costliest part of a search) twice. This wrapper evaluates it
//! once and returns `score + shift`.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{COLLECT_BLOCK_BUFFER_LEN, DocId, DocSet, Score, SegmentReader, Term};

/// Matches what `inner` matches, scoring `inner`'s score plus `shift`.
pub struct ShiftQuery {
    inner: Box<dyn Query>,
    shift: Score,
}

impl ShiftQuery {
    pub fn new(inner: Box<dyn Query>, shift: Score) -> Self {
        ShiftQuery { inner, shift }
    }
}

impl Clone for ShiftQuery {
    fn clone(&self) -> Self {
        ShiftQuery {
            inner: self.inner.box_clone(),
            shift: self.shift,
        }
    }
}

impl std::fmt::Debug for ShiftQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "Shift(+{}, {:?})", self.shift, self.inner)
    }
}

impl Query for ShiftQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = self.inner.weight(enable_scoring)?;
        Ok(if enable_scoring.is_scoring_enabled() {
            Box::new(ShiftWeight {
                inner,
                shift: self.shift,
            })
        } else {
            inner
        })
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct ShiftWeight {
    inner: Box<dyn Weight>,
    shift: Score,
}

impl Weight for ShiftWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ShiftScorer {
            inner: self.inner.scorer(reader, boost)?,
            shift: self.shift * boost,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut explanation = Explanation::new("Shift", self.shift);
        explanation.add_detail(self.inner.explain(reader, doc)?);
        Ok(explanation)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }
}

struct ShiftScorer {
    inner: Box<dyn Scorer>,
    shift: Score,
}

impl DocSet for ShiftScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance()
    }
    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target)
    }
    fn fill_buffer(&mut self, buffer: &mut [DocId; COLLECT_BLOCK_BUFFER_LEN]) -> usize {
        self.inner.fill_buffer(buffer)
    }
    fn doc(&self) -> DocId {
        self.inner.doc()
    }
    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for ShiftScorer {
    fn score(&mut self) -> Score {
        self.inner.score() + self.shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    /// Same ranking and scores as the two-clause form it replaces.
    #[test]
    fn scores_like_const_plus_inner() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let id = schema.add_text_field("id", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        for (i, text) in ["a b", "a a a c", "b c", "a"].iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(body, text);
            doc.add_text(id, i.to_string());
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let a = || -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(body, "a"),
                IndexRecordOption::WithFreqs,
            ))
        };
        let old = BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(a(), 1000.0)) as Box<dyn Query>,
            ),
            (Occur::Should, a()),
        ]);
        let new = ShiftQuery::new(a(), 1000.0);
        let top = TopDocs::with_limit(10).order_by_score();
        let (x, y) = (
            searcher.search(&old, &top).unwrap(),
            searcher.search(&new, &top).unwrap(),
        );
        assert_eq!(x.len(), 3);
        assert_eq!(x.len(), y.len());
        for ((s1, d1), (s2, d2)) in x.iter().zip(&y) {
            assert_eq!(d1, d2);
            assert!((s1 - s2).abs() < 1e-3, "{s1} vs {s2}");
        }
        let count = searcher.search(&new, &tantivy::collector::Count).unwrap();
        assert_eq!(count, 3);
    }
}
