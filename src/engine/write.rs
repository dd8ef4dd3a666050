//! Every write: incremental corpus sync by content hash, single-document put and delete.
//! Readers are reloaded after each commit, so searches keep being answered from the last
//! commit while a write is in progress.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::Engine;
use super::columns::str_column;
use super::schema::{ORIGIN_API, ORIGIN_CORPUS};
use crate::error::Error;
use crate::ingest::{self, CorpusDoc, Letter, Skipped};
use crate::text::date::Date;
use crate::text::normalize;

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

impl Engine {
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
        for band in crate::engine::dedup::band_terms_normalized(&body) {
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
        let date = letter
            .date
            .as_deref()
            .and_then(Date::parse)
            .map(Date::number);
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
                if written.is_multiple_of(batch) {
                    self.with_writer(|writer| self.commit(writer))?;
                }
                if written.is_multiple_of(64) {
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
