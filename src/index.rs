//! The schema, opening or creating the index, and every write: incremental corpus sync by
//! content hash, single-document put/delete. Readers are reloaded after each commit, so
//! searches keep being answered from the last commit while a write is in progress.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::{Analyzer, NGRAMS, WORDS, normalize};
use crate::error::Error;
use crate::ingest::{self, CorpusDoc, Letter, Skipped};

/// Bump when the schema or the analysis changes incompatibly: an index with another version
/// is rebuilt from the corpus instead of being read wrongly.
pub const SCHEMA_VERSION: u32 = 5;
const META_FILE: &str = "reply-search.json";
/// Documents per commit during a corpus sync: an interrupted run keeps what it committed.
/// `REPLY_SEARCH_COMMIT_EVERY` overrides it (the crash tests use small batches).
fn commit_every() -> usize {
    std::env::var("REPLY_SEARCH_COMMIT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(10_000)
}
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

/// Where a document came from: the corpus folder (removed when its file goes) or the API.
pub const ORIGIN_CORPUS: &str = "corpus";
pub const ORIGIN_API: &str = "api";

/// Handles to the schema's fields.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub hash: Field,
    pub origin: Field,
    /// The whole `Letter` as JSON, for display.
    pub stored: Field,
    pub title: Field,
    pub title_ng: Field,
    pub body: Field,
    pub body_ng: Field,
    pub respondent_ng: Field,
    pub session_ng: Field,
    pub kind: Field,
    pub respondent: Field,
    pub session: Field,
    pub year: Field,
    /// Date as the number yyyymmdd (0 when unknown): sortable and range-filterable.
    pub date: Field,
    /// Near-duplicate band terms of the text (see `dedup`).
    pub lsh: Field,
    /// The title as a fast-field column: the suggester lists every title, and reading them
    /// from stored documents would decompress the whole store.
    pub title_raw: Field,
}

/// A text field. Word fields are indexed without positions: they only rank (term queries),
/// while phrases and adjacency are answered by the n-gram fields, whose positions are kept.
/// Dropping word positions saves about a third of the postings.
fn text_field(schema: &mut tantivy::schema::SchemaBuilder, name: &str, tokenizer: &str) -> Field {
    let record = if tokenizer == NGRAMS {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(record);
    schema.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

pub fn build_schema() -> (Schema, Fields) {
    let mut s = Schema::builder();
    let fields = Fields {
        id: s.add_text_field("id", STRING | STORED | FAST),
        hash: s.add_u64_field("hash", FAST),
        origin: s.add_text_field("origin", STRING | FAST),
        stored: s.add_text_field("stored", STORED),
        title: text_field(&mut s, "title", WORDS),
        title_ng: text_field(&mut s, "title_ng", NGRAMS),
        body: text_field(&mut s, "body", WORDS),
        body_ng: text_field(&mut s, "body_ng", NGRAMS),
        respondent_ng: text_field(&mut s, "respondent_ng", NGRAMS),
        session_ng: text_field(&mut s, "session_ng", NGRAMS),
        kind: s.add_text_field("kind", STRING | FAST),
        respondent: s.add_text_field("respondent", STRING | FAST),
        session: s.add_text_field("session", STRING | FAST),
        year: s.add_u64_field("year", INDEXED | FAST),
        date: s.add_i64_field("date", INDEXED | FAST),
        lsh: s.add_text_field("lsh", STRING),
        title_raw: s.add_text_field("title_raw", FAST),
    };
    (s.build(), fields)
}

/// The date `2024-06-12` as 20240612.
pub fn date_number(iso: &str) -> Option<i64> {
    let digits: String = iso.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 8).then(|| digits.parse().ok()).flatten()
}

/// Stored letters are compressed with zstd: about half the size of the default lz4 for
/// Chinese text, and a hit's block still decompresses in microseconds.
fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::Zstd(tantivy::store::ZstdCompressor {
            compression_level: Some(3),
        }),
        docstore_blocksize: 32 * 1024,
        ..Default::default()
    }
}

/// What a corpus sync did.
#[derive(Debug, Default, Serialize)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub skipped: Vec<SkippedFile>,
    pub docs: u64,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct SkippedFile {
    pub location: String,
    pub reason: String,
}

impl From<Skipped> for SkippedFile {
    fn from(s: Skipped) -> Self {
        SkippedFile {
            location: s.location,
            reason: s.reason,
        }
    }
}

#[derive(Serialize, Deserialize, PartialEq)]
struct IndexMeta {
    schema_version: u32,
    analysis_fingerprint: u64,
}

/// An open index: the reader for searches and, created on first write, the single writer.
pub struct Engine {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub analyzer: Arc<Analyzer>,
    /// The index's only writer (tantivy allows one per index); held after the first write
    /// so that API writes do not pay for re-opening it. The mutex serialises writes.
    writer: Mutex<Option<IndexWriter>>,
    dir: Option<PathBuf>,
    /// Facet value tables per segment, shared by searches.
    pub(crate) facet_values: crate::search::FacetValueCache,
    /// Facet counts of the whole index, for browsing without a query.
    pub(crate) browse_facets: crate::search::BrowseFacetCache,
    /// Body-field document frequencies of words, for the index generation they were read
    /// from: similar-letter requests look up the df of every distinct word of a letter
    /// (hundreds of term-dictionary lookups per segment), and most words recur across
    /// requests.
    body_dfs: Mutex<(u64, HashMap<String, u64>)>,
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
        Ok(Engine {
            index,
            reader,
            fields,
            analyzer,
            writer: Mutex::new(None),
            dir,
            facet_values: Default::default(),
            browse_facets: Default::default(),
            body_dfs: Mutex::new((u64::MAX, HashMap::new())),
        })
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Runs `f` with the writer, opening it on first use.
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let threads = std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(1, 4);
            let writer = self
                .index
                .writer_with_num_threads(threads, WRITER_MEMORY)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => Error::Locked,
                    e => e.into(),
                })?;
            *guard = Some(writer);
        }
        f(guard.as_mut().expect("writer was just opened"))
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<(), Error> {
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
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

    fn tantivy_doc(&self, letter: &Letter, hash: u64, origin: &str) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &letter.id);
        doc.add_text(f.title_raw, &letter.title);
        doc.add_u64(f.hash, hash);
        doc.add_text(f.origin, origin);
        doc.add_text(
            f.stored,
            serde_json::to_string(letter).expect("letter serialises"),
        );
        // The analysed fields get the normalised text (see `analysis`): one pass per value.
        for title in std::iter::once(&letter.title).chain(letter.proposal_title.as_ref()) {
            let title = normalize(title);
            doc.add_text(f.title, &title);
            doc.add_text(f.title_ng, title);
        }
        let body = normalize(&letter.text);
        for band in crate::dedup::band_terms_normalized(&body) {
            doc.add_text(f.lsh, band);
        }
        doc.add_text(f.body, &body);
        doc.add_text(f.body_ng, body);
        doc.add_text(f.kind, &letter.kind);
        if let Some(r) = &letter.respondent {
            doc.add_text(f.respondent, r);
            doc.add_text(f.respondent_ng, normalize(r));
        }
        if let Some(s) = &letter.session {
            doc.add_text(f.session, s);
            doc.add_text(f.session_ng, normalize(s));
        }
        let date = letter.date.as_deref().and_then(date_number);
        doc.add_i64(f.date, date.unwrap_or(0));
        if let Some(d) = date {
            doc.add_u64(f.year, (d / 10000) as u64);
        }
        doc
    }

    /// (id → (hash, origin)) of every live document.
    fn existing(&self) -> Result<HashMap<String, (u64, String)>, Error> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let ff = segment.fast_fields();
            let ids = str_column(segment, "id")?;
            let origins = str_column(segment, "origin")?;
            let hashes = ff.u64("hash")?;
            for doc in segment.doc_ids_alive() {
                let hash = hashes.first(doc).unwrap_or(0);
                out.insert(
                    ids.first(doc).to_string(),
                    (hash, origins.first(doc).to_string()),
                );
            }
        }
        Ok(out)
    }

    /// Brings the index up to date with the corpus folder: adds new documents, re-indexes
    /// changed ones, removes those whose file is gone (API-written ones are left alone).
    /// `progress` is called with the number of documents written so far.
    ///
    /// The scan runs on its own thread and hands letters over a bounded channel, so reading
    /// and parsing overlap indexing and only a few hundred letters wait in memory at a time.
    /// A bulk run (at least one commit batch) ends by waiting for the merges it started, so
    /// the index is left with few segments (faster searches) and no abandoned merge files.
    pub fn sync_corpus(
        &self,
        corpus: &Path,
        progress: &dyn Fn(usize),
    ) -> Result<SyncReport, Error> {
        let started = std::time::Instant::now();
        std::fs::read_dir(corpus).map_err(|e| Error::io(corpus, e))?;
        let existing = self.existing()?;
        let mut report = SyncReport::default();
        let mut seen: HashSet<String> = HashSet::new();
        let batch = commit_every();
        let mut written = 0usize;
        let (tx, rx) = std::sync::mpsc::sync_channel::<CorpusDoc>(256);
        let skipped = std::thread::scope(|scope| -> Result<Vec<Skipped>, Error> {
            let scanner = scope.spawn(move || {
                // A failed send means indexing stopped on an error: stop reading.
                ingest::scan_corpus_each(corpus, &mut |doc| tx.send(doc).is_ok())
            });
            for doc in rx {
                seen.insert(doc.letter.id.clone());
                let replace = match existing.get(&doc.letter.id) {
                    Some((hash, origin)) if *hash == doc.hash && origin == ORIGIN_CORPUS => {
                        report.unchanged += 1;
                        continue;
                    }
                    Some(_) => true,
                    None => false,
                };
                let tantivy_doc = self.tantivy_doc(&doc.letter, doc.hash, ORIGIN_CORPUS);
                self.with_writer(|writer| {
                    if replace {
                        writer.delete_term(Term::from_field_text(self.fields.id, &doc.letter.id));
                    }
                    writer.add_document(tantivy_doc)?;
                    Ok(())
                })?;
                if replace {
                    report.updated += 1;
                } else {
                    report.added += 1;
                }
                written += 1;
                if written % batch == 0 {
                    self.with_writer(|writer| self.commit(writer))?;
                }
                if written % 64 == 0 {
                    progress(written);
                }
            }
            scanner
                .join()
                .expect("corpus scan thread panicked")
                .map_err(|e| Error::io(corpus, e))
        })?;
        report.skipped = skipped.into_iter().map(SkippedFile::from).collect();
        let vanished: Vec<&String> = existing
            .iter()
            .filter(|(id, (_, origin))| origin == ORIGIN_CORPUS && !seen.contains(id.as_str()))
            .map(|(id, _)| id)
            .collect();
        if written > 0 || !vanished.is_empty() {
            self.with_writer(|writer| {
                for id in &vanished {
                    writer.delete_term(Term::from_field_text(self.fields.id, id));
                }
                self.commit(writer)
            })?;
            report.removed = vanished.len();
            progress(written);
        }
        if written >= batch {
            self.finish_writes()?;
        }
        report.docs = self.num_docs();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Adds or replaces one document (written through the API) and commits.
    pub fn put(&self, letter: &Letter) -> Result<(), Error> {
        let hash = ingest::content_hash(
            serde_json::to_string(letter)
                .expect("letter serialises")
                .as_bytes(),
        );
        self.with_writer(|writer| {
            writer.delete_term(Term::from_field_text(self.fields.id, &letter.id));
            writer.add_document(self.tantivy_doc(letter, hash, ORIGIN_API))?;
            self.commit(writer)
        })
    }

    /// Deletes one document; false when there was none with that id.
    pub fn delete(&self, id: &str) -> Result<bool, Error> {
        if self.get(id)?.is_none() {
            return Ok(false);
        }
        self.with_writer(|writer| {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
            self.commit(writer)
        })?;
        Ok(true)
    }

    /// The stored document with this id.
    pub fn get(&self, id: &str) -> Result<Option<Letter>, Error> {
        let searcher = self.reader.searcher();
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        match top.first() {
            Some((_, address)) => Ok(Some(self.letter_at(&searcher, *address)?)),
            None => Ok(None),
        }
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

/// A string fast-field column of one segment with its values decoded once, in ord order:
/// looking values up one document at a time would decode a dictionary block per call.
pub struct StrValues {
    column: tantivy::columnar::StrColumn,
    values: Vec<String>,
}

impl StrValues {
    /// The (first) value of a document, "" when it has none.
    pub fn first(&self, doc: tantivy::DocId) -> &str {
        self.column
            .term_ords(doc)
            .next()
            .and_then(|ord| self.values.get(ord as usize))
            .map_or("", String::as_str)
    }
}

/// Reads a string fast-field column of a segment (see `StrValues`).
pub fn str_column(segment: &tantivy::SegmentReader, name: &str) -> Result<StrValues, Error> {
    let column = segment
        .fast_fields()
        .str(name)?
        .ok_or_else(|| Error::Internal(format!("{name} column missing")))?;
    let values = dictionary_values(&column)?;
    Ok(StrValues { column, values })
}

/// Every value of a string column, decoded in one pass over its dictionary (ord order).
pub(crate) fn dictionary_values(
    column: &tantivy::columnar::StrColumn,
) -> std::io::Result<Vec<String>> {
    let mut values = Vec::with_capacity(column.num_terms());
    let mut stream = column.dictionary().stream()?;
    while stream.advance() {
        values.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(values)
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

impl Engine {
    /// Closes the writer after waiting for its background merges, so a bulk run leaves few
    /// segments and no abandoned merge output behind.
    pub fn finish_writes(&self) -> Result<(), Error> {
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            writer.wait_merging_threads()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Deletes every document (for `index --rebuild`).
    pub fn clear(&self) -> Result<(), Error> {
        self.with_writer(|writer| {
            writer.delete_all_documents()?;
            self.commit(writer)
        })
    }
}
