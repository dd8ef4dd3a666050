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
use crate::ingest::fields::session_key;
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

/// Gives the heap freed so far back to the OS (glibc only; elsewhere nothing to do).
///
/// glibc keeps what a thread frees in that thread's arena for it to use again: after a bulk
/// sync the indexing threads' arenas held about 1 GB nobody used (at 20k letters, 1.09 GB of
/// anonymous memory before this call and 77 MB after), and training the semantic space,
/// which allocates on other threads, came on top of it. Called after each commit batch of a
/// bulk sync, at its end, and after training.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim has no preconditions; it only returns free pages to the OS.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}
/// The file in the index folder naming the process that holds the writer lock.
const LOCK_HOLDER_FILE: &str = "writer.pid";

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
                    tantivy::TantivyError::LockFailure(..) => Error::Locked {
                        holder: self.lock_holder(),
                    },
                    e => e.into(),
                })?;
            self.record_lock_holder();
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
            // The facet and filter value: one spelling per session (the letter keeps its own).
            doc.add_text(f.session, session_key(s));
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
    pub(super) fn existing(&self) -> Result<HashMap<String, (u64, String)>, Error> {
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
                    release_free_heap();
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
            release_free_heap();
        }
        self.refresh_meaning(false)?;
        report.docs = self.num_docs();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Adds or replaces one document written through the API and commits; true when it is
    /// new. A document that came from a corpus file belongs to that file: writing it here
    /// would be undone by the next sync, so it is refused (`Error::Conflict`).
    ///
    /// The check and the write happen under the writer's lock, so of concurrent writes of one
    /// new id exactly one reports it new.
    pub fn put(&self, letter: &Letter) -> Result<bool, Error> {
        let hash = ingest::content_hash(
            serde_json::to_string(letter)
                .expect("letter serialises")
                .as_bytes(),
        );
        self.with_writer(|writer| {
            let existed = self.check_api_owned(&letter.id)?;
            writer.delete_term(Term::from_field_text(self.fields.id, &letter.id));
            writer.add_document(self.tantivy_doc(letter, hash, ORIGIN_API))?;
            self.commit(writer)?;
            self.meaning_write(&letter.id, Some((letter, hash)))?;
            Ok(!existed)
        })
    }

    /// Deletes one document written through the API; false when there was none with that id.
    /// Documents from corpus files are refused as in `put`.
    pub fn delete(&self, id: &str) -> Result<bool, Error> {
        self.with_writer(|writer| {
            if !self.check_api_owned(id)? {
                return Ok(false);
            }
            writer.delete_term(Term::from_field_text(self.fields.id, id));
            self.commit(writer)?;
            self.meaning_write(id, None)?;
            Ok(true)
        })
    }

    /// Whether a live document has this id, refusing one that a corpus file owns.
    fn check_api_owned(&self, id: &str) -> Result<bool, Error> {
        let searcher = self.reader.searcher();
        let Some(address) = self.address_of(&searcher, id)? else {
            return Ok(false);
        };
        if self.origin_at(&searcher, address)? == ORIGIN_API {
            return Ok(true);
        }
        let source = self.letter_at(&searcher, address)?.source;
        Err(Error::Conflict(format!(
            "document {id:?} comes from the corpus folder{}; change or remove it there (API writes \
             apply only to documents written through the API, so a corpus sync never undoes them)",
            source.map(|s| format!(" ({s})")).unwrap_or_default()
        )))
    }

    /// The origin (`ORIGIN_API` or `ORIGIN_CORPUS`) of a document, from its fast field.
    fn origin_at(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> Result<String, Error> {
        let column = searcher
            .segment_reader(address.segment_ord)
            .fast_fields()
            .str("origin")?
            .ok_or_else(|| Error::Internal("origin column missing".into()))?;
        let mut origin = String::new();
        if let Some(ord) = column.term_ords(address.doc_id).next() {
            column.ord_to_str(ord, &mut origin)?;
        }
        Ok(origin)
    }

    /// Opens the writer now and keeps it (and so the index's lock) until the process ends:
    /// a server holds it for its whole life, so another process that would write the same
    /// index (`reply-search index`) fails at once instead of deleting what the server wrote.
    pub fn hold_writer(&self) -> Result<(), Error> {
        self.hold.store(true, std::sync::atomic::Ordering::SeqCst);
        self.with_writer(|_| Ok(()))
    }

    /// Records this process as the writer, so a refused second writer can name it.
    fn record_lock_holder(&self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::write(dir.join(LOCK_HOLDER_FILE), std::process::id().to_string());
        }
    }

    /// Who holds the writer lock, as recorded by `record_lock_holder` ("process 1234").
    fn lock_holder(&self) -> Option<String> {
        let dir = self.dir.as_ref()?;
        let pid = std::fs::read_to_string(dir.join(LOCK_HOLDER_FILE)).ok()?;
        let pid = pid.trim();
        (!pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()))
            .then(|| format!("process {pid}"))
    }

    /// Closes the writer after waiting for its background merges, so a bulk run leaves few
    /// segments and no abandoned merge output behind.
    /// A held writer (see `hold_writer`) is opened again at once.
    pub fn finish_writes(&self) -> Result<(), Error> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(writer) = guard.take() {
            writer.wait_merging_threads()?;
            self.reader.reload()?;
        }
        drop(guard);
        if self.hold.load(std::sync::atomic::Ordering::SeqCst) {
            self.with_writer(|_| Ok(()))?;
        }
        Ok(())
    }

    /// Deletes every document (for `index --rebuild`).
    pub fn clear(&self) -> Result<(), Error> {
        self.with_writer(|writer| {
            writer.delete_all_documents()?;
            self.commit(writer)
        })?;
        self.clear_meaning();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;

    fn letter(id: &str) -> Letter {
        crate::ingest::letter_from_text(id, "关于停车难问题的建议的答复\n已增设泊位。", None)
            .unwrap()
    }

    /// Regression (writes undone by a restart): a corpus letter can be neither replaced nor
    /// deleted through the API, and what the API wrote survives a corpus sync.
    #[test]
    fn api_writes_never_touch_corpus_letters_and_survive_syncs() {
        let corpus = tempfile::tempdir().unwrap();
        std::fs::write(
            corpus.path().join("from-file.txt"),
            "关于加装电梯的建议的答复\n同意。",
        )
        .unwrap();
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        engine.sync_corpus(corpus.path(), &|_| {}).unwrap();
        assert!(
            matches!(engine.put(&letter("from-file")), Err(Error::Conflict(m)) if m.contains("from-file.txt"))
        );
        assert!(matches!(
            engine.delete("from-file"),
            Err(Error::Conflict(_))
        ));
        assert!(engine.put(&letter("api-only")).unwrap());
        let report = engine.sync_corpus(corpus.path(), &|_| {}).unwrap();
        assert_eq!((report.removed, report.updated), (0, 0));
        assert!(engine.get("api-only").unwrap().is_some());
        assert!(
            engine
                .get("from-file")
                .unwrap()
                .unwrap()
                .text
                .contains("同意")
        );
        assert!(engine.delete("api-only").unwrap());
        assert!(!engine.delete("api-only").unwrap());
    }

    /// Regression: eight concurrent PUTs of one new id all answered 201.
    #[test]
    fn of_concurrent_writes_of_a_new_id_exactly_one_creates_it() {
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        let created: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| engine.put(&letter("same")).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(created.iter().filter(|c| **c).count(), 1, "{created:?}");
        assert_eq!(engine.num_docs(), 1);
    }

    /// Regression: `index --rebuild` ran (and deleted the API's letters) while a server had
    /// the index. A held writer refuses a second writer at once, naming its process.
    #[test]
    fn a_held_index_refuses_a_second_writer_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let server = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
        server.hold_writer().unwrap();
        let second = Engine::open(dir.path(), Analyzer::shared_default()).unwrap();
        let started = std::time::Instant::now();
        let err = second.clear().unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let pid = std::process::id().to_string();
        assert!(
            matches!(&err, Error::Locked { holder: Some(h) } if h.contains(&pid)),
            "{err}"
        );
        assert!(err.to_string().contains(&pid));
        // The holder keeps writing, also after finishing a bulk run.
        server.finish_writes().unwrap();
        assert!(server.put(&letter("kept")).unwrap());
        assert!(second.hold_writer().is_err());
    }
}
