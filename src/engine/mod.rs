//! The search engine: the index (schema, writes), the query plan, search, facets, highlight
//! ranges, similar letters, near-duplicates and suggestions. Returns plain data; no HTML and
//! no HTTP here.

mod columns;
mod compile;
pub mod dedup;
mod facets;
pub mod highlight;
mod letter_terms;
mod meaning;
mod plan;
pub mod query;
mod request;
mod schema;
mod score_shift;
mod search;
pub mod similar;
pub mod spell;
pub mod suggest;
pub mod watch;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::Analyzer;
use crate::error::Error;
use crate::ingest::Letter;

pub use request::{
    FacetCounts, FacetField, Filters, Hit, MAX_LIMIT, MAX_OFFSET, MatchMode, Note, SearchRequest,
    SearchResponse, SortOrder, Stats,
};
use schema::{Fields, SCHEMA_VERSION, build_schema};
use schema::{IndexMeta, META_FILE, index_settings};
pub use similar::{SimilarHit, SimilarRequest, SimilarResponse};
pub use write::{SkippedFile, SyncReport, release_free_heap};

/// An open index: the reader for searches and, created on first write, the single writer.
pub struct Engine {
    index: Index,
    /// Reloaded after every commit (manual policy), so searches see the last commit.
    reader: IndexReader,
    fields: Fields,
    analyzer: Arc<Analyzer>,
    /// The index's only writer (tantivy allows one per index); held after the first write
    /// so that API writes do not pay for re-opening it. The mutex serialises writes.
    writer: Mutex<Option<IndexWriter>>,
    /// Set by `hold_writer`: the writer stays open (the index locked) for the process's life.
    hold: std::sync::atomic::AtomicBool,
    dir: Option<PathBuf>,
    /// Facet value tables per segment, shared by searches.
    facet_values: facets::FacetValueCache,
    /// Facet counts of the whole index, for browsing without a query.
    browse_facets: facets::BrowseFacetCache,
    /// Body-field document frequencies of words, for the index generation they were read
    /// from: similar-letter requests look up the df of every distinct word of a letter
    /// (hundreds of term-dictionary lookups per segment), and most words recur across
    /// requests.
    body_dfs: Mutex<(u64, HashMap<String, u64>)>,
    /// The semantic space and every letter's vector (None until the archive is big enough
    /// to train one).
    meaning: Arc<meaning::MeaningSlot>,
    /// Letters at the last training attempt (also a failed one: an archive of near-identical
    /// letters may have too few distinct words), so that writes do not retry on every letter.
    meaning_attempt: std::sync::atomic::AtomicUsize,
    /// The did-you-mean vocabulary of the last generation it was asked for.
    speller: Mutex<Option<Arc<spell::Speller>>>,
}

impl Engine {
    /// Opens the index in `dir`, creating it when absent, and rebuilding it (emptying the
    /// folder's index files) when it was built with another schema or dictionary.
    pub fn open(dir: &Path, analyzer: Arc<Analyzer>) -> Result<Engine, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (schema, fields) = build_schema();
        let meta = IndexMeta {
            schema_version: SCHEMA_VERSION,
            analysis_fingerprint: analyzer.vocab.index_fingerprint,
        };
        let meta_path = dir.join(META_FILE);
        let compatible = std::fs::read(&meta_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<IndexMeta>(&b).ok())
            .is_some_and(|m| m == meta);
        let has_index = dir.join("meta.json").exists();
        if has_index && !compatible {
            tracing::warn!(dir = %dir.display(), "index was built by another version or dictionary; rebuilding");
            clear_index_dir(dir)?;
        }
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir)?
        } else {
            Index::builder()
                .schema(schema)
                .settings(index_settings())
                .create_in_dir(dir)?
        };
        std::fs::write(
            &meta_path,
            serde_json::to_vec(&meta).expect("meta serialises"),
        )
        .map_err(|e| Error::io(&meta_path, e))?;
        Self::from_index(index, fields, analyzer, Some(dir.to_path_buf()))
    }

    /// An index in RAM, for tests and examples.
    pub fn in_memory(analyzer: Arc<Analyzer>) -> Result<Engine, Error> {
        let (schema, fields) = build_schema();
        let index = Index::builder()
            .schema(schema)
            .settings(index_settings())
            .create_in_ram()?;
        Self::from_index(index, fields, analyzer, None)
    }

    fn from_index(
        mut index: Index,
        fields: Fields,
        analyzer: Arc<Analyzer>,
        dir: Option<PathBuf>,
    ) -> Result<Engine, Error> {
        analyzer.register(&index);
        // Segments are searched in parallel, one per core: a single query on a large
        // index (several segments after a bulk build) then uses every core.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores > 1 {
            index.set_multithread_executor(cores.min(4))?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let engine = Engine {
            index,
            reader,
            fields,
            analyzer,
            writer: Mutex::new(None),
            hold: Default::default(),
            dir,
            facet_values: Default::default(),
            browse_facets: Default::default(),
            body_dfs: Mutex::new((u64::MAX, HashMap::new())),
            meaning: Default::default(),
            meaning_attempt: Default::default(),
            speller: Mutex::default(),
        };
        engine.load_meaning();
        Ok(engine)
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// A searcher on the last commit: a consistent view for one request.
    pub fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// The generation of the last commit: caches keyed by it are valid until the next write.
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// The dictionary and vocabulary this index was built with.
    pub fn analyzer(&self) -> &Arc<Analyzer> {
        &self.analyzer
    }

    /// How many documents of `searcher`'s generation hold `word` as a body token.
    pub fn body_doc_freq(&self, searcher: &tantivy::Searcher, word: &str) -> u64 {
        /// Bounds the cache's memory; refilling costs only lookups.
        const MAX_WORDS: usize = 200_000;
        let generation = searcher.generation().generation_id();
        {
            let mut cache = self.body_dfs.lock().unwrap_or_else(|p| p.into_inner());
            if cache.0 != generation {
                *cache = (generation, HashMap::new());
            }
            if let Some(df) = cache.1.get(word) {
                return *df;
            }
        }
        let df = searcher
            .doc_freq(&Term::from_field_text(self.fields.body, word))
            .unwrap_or(0);
        let mut cache = self.body_dfs.lock().unwrap_or_else(|p| p.into_inner());
        if cache.0 == generation {
            if cache.1.len() >= MAX_WORDS {
                cache.1.clear();
            }
            cache.1.insert(word.to_string(), df);
        }
        df
    }

    /// Number of live documents at the last commit.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The stored document with this id.
    pub fn get(&self, id: &str) -> Result<Option<Letter>, Error> {
        let searcher = self.reader.searcher();
        match self.address_of(&searcher, id)? {
            Some(address) => Ok(Some(self.letter_at(&searcher, address)?)),
            None => Ok(None),
        }
    }

    /// Where the live document with this id is in `searcher`'s generation.
    fn address_of(
        &self,
        searcher: &tantivy::Searcher,
        id: &str,
    ) -> Result<Option<tantivy::DocAddress>, Error> {
        // Straight to the id's postings in each segment: no query, scorer or collector (a
        // similar-letters request looks up dozens of ids).
        use tantivy::DocSet;
        let term = Term::from_field_text(self.fields.id, id);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let Some(mut postings) = segment
                .inverted_index(self.fields.id)?
                .read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED {
                if !segment.is_deleted(doc) {
                    return Ok(Some(tantivy::DocAddress::new(ord as u32, doc)));
                }
                doc = postings.advance();
            }
        }
        Ok(None)
    }

    /// Reads the stored letter of a document.
    pub fn letter_at(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<Letter, Error> {
        use tantivy::schema::Value;
        let doc: TantivyDocument = searcher.doc(address)?;
        let json = doc
            .get_first(self.fields.stored)
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::Internal("stored letter missing".into()))?;
        serde_json::from_str(json)
            .map_err(|e| Error::Internal(format!("stored letter unreadable: {e}")))
    }

    /// Size of the index files on disk, in bytes (0 in RAM).
    pub fn size_bytes(&self) -> u64 {
        let Some(dir) = &self.dir else { return 0 };
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// Removes tantivy's files from an index folder, keeping anything else (such as README.md).
fn clear_index_dir(dir: &Path) -> Result<(), Error> {
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let ours = name == "meta.json"
            || name == META_FILE
            || name == ".managed.json"
            || name.starts_with(".tantivy")
            || [
                ".idx",
                ".pos",
                ".term",
                ".store",
                ".fast",
                ".fieldnorm",
                ".del",
            ]
            .iter()
            .any(|ext| name.ends_with(ext));
        if ours && path.is_file() {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}
