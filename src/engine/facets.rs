//! Facet counts from the fast-field columns, with per-segment value tables and a cache of
//! the whole index's counts for browsing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentReader};

use super::columns::dictionary_values;
use super::request::{FacetCounts, FacetField};

/// Values listed per facet of a search (the most frequent; `stats` lists every value).
pub(super) const FACET_VALUES: usize = 50;

/// Facet counts of the whole index for one searcher generation and facet list (see
/// `Engine::search`: browsing without a query or filter).
#[derive(Default)]
pub struct BrowseFacetCache(Mutex<Option<(u64, Vec<FacetField>, FacetFruit)>>);

pub(super) type FacetFruit = Vec<(FacetField, FacetCounts)>;

/// Facet counts by facet name, as responses carry them.
pub(super) fn by_name(fruit: FacetFruit) -> std::collections::BTreeMap<String, FacetCounts> {
    fruit
        .into_iter()
        .map(|(field, counts)| (field.name().to_string(), counts))
        .collect()
}

impl BrowseFacetCache {
    pub(super) fn get_or_compute(
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
pub(super) struct FacetCollector {
    pub(super) fields: Vec<FacetField>,
    pub(super) values: FacetValueCache,
    /// Values kept per facet, the most frequent (years: the newest); `None` keeps all.
    pub(super) limit: Option<usize>,
}

/// The value strings of each segment's facet columns, by ordinal. Segments never change, so
/// each table is read once instead of decompressing dictionary blocks on every search.
#[derive(Clone, Default)]
pub struct FacetValueCache(Arc<Mutex<ValueTables>>);

/// Value strings by ordinal, per (segment, facet).
type ValueTables = HashMap<(tantivy::index::SegmentId, FacetField), Arc<Vec<String>>>;

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
        let values = Arc::new(dictionary_values(column)?);
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Merged-away segments leave stale tables; dropping all now and then is enough.
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(key, values.clone());
        Ok(values)
    }
}

pub(super) enum FacetColumn {
    Str(tantivy::columnar::StrColumn, Vec<u64>, Arc<Vec<String>>),
    /// The year column, its smallest value, and counts indexed by `year - min` (years span
    /// a few decades at most, so a small vector; no hashing per matching document).
    Year(tantivy::columnar::Column<u64>, u64, Vec<u64>),
    Missing,
}

pub(super) struct FacetSegment {
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
                if let Some(limit) = self.limit {
                    list.truncate(limit);
                }
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
