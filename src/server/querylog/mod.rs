//! The query log: what people search for, and what they fail to find, without who they are.
//!
//! Each first-page search from the search page, the widget or the API is kept as its
//! normalised query, the time, the number of letters found, where it was typed and the
//! correction offered, in an SQLite database in the index folder (`querylog.sqlite`). No
//! address, cookie, user agent or other trace of the person is kept, and digit runs long
//! enough to be a phone or ID number are masked.
//!
//! The search path never waits for the log: a request hands its entry to a bounded queue
//! (dropped and counted when full) and a writer thread commits the searches of each 100 ms
//! (`GROUP_COMMIT`) as one transaction. A commit in WAL mode is in the operating system's
//! hands at once, so killing the server loses only the searches of the last 100 ms or so. A
//! log that cannot be opened or written (a full disk, a broken file) is reported and counted,
//! and search goes on without it. The log keeps `RETENTION_DAYS` days and at most `MAX_ROWS`
//! searches; older ones are deleted as new ones arrive.
//!
//! What is read back lives beside: `report` (the admin's report) and `popular` (热门搜索 and
//! the popularity that orders suggestions).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::{SearchRequest, SearchResponse};
use crate::text::fold_width;

mod popular;
mod report;

use popular::Kept;

pub use report::{Bucket, Correction, MAX_REPORT_DAYS, QueryCount, Report};

/// The log's file in the index folder.
pub const FILE_NAME: &str = "querylog.sqlite";
/// Entries waiting for the writer; past this, entries are dropped (and counted). The writer
/// empties the queue every `GROUP_COMMIT`, so this is room for 80,000 searches a second;
/// the queue's slots are allocated up front (about 0.6 MB).
const QUEUE: usize = 8_192;
/// Most entries committed in one transaction.
const BATCH: usize = 4_096;
/// How long the writer gathers searches after the first before committing them together:
/// one transaction per search would cost more than the insert itself (a WAL append and a
/// system call each) and takes CPU from searching; this bounds what a kill -9 loses.
const GROUP_COMMIT: Duration = Duration::from_millis(100);
/// Most searches kept (about 100 MB of database).
const MAX_ROWS: i64 = 1_000_000;
/// Days of searches kept: the longest report, and a day to spare.
const RETENTION_DAYS: i64 = 31;
/// Entries written between two prunings of old rows.
const PRUNE_EVERY: u64 = 10_000;
/// Longest query kept, in characters.
const MAX_QUERY_CHARS: usize = 100;
/// Digit runs this long or longer (mobile and ID numbers) are masked.
const MASK_DIGITS_FROM: usize = 11;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,     -- Unix seconds
    query TEXT NOT NULL,     -- normalised, masked, bounded
    hits INTEGER NOT NULL,   -- letters found (as shown: those of the correction when shown)
    source TEXT NOT NULL,    -- page | widget | api
    corrected_to TEXT        -- the did-you-mean offered, if any
);
CREATE INDEX IF NOT EXISTS searches_at ON searches(at);
";

/// Where a search was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The search page.
    Page,
    /// The embeddable search box.
    Widget,
    /// A program calling the API.
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Page => "page",
            Source::Widget => "widget",
            Source::Api => "api",
        }
    }
}

/// One logged search.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Unix seconds.
    pub at: i64,
    pub query: String,
    pub hits: u64,
    pub source: Source,
    pub corrected_to: Option<String>,
}

impl Entry {
    /// The entry for a search as it was answered; `None` for searches not logged: no words
    /// (browsing by filters) or a later page of results (the first page was logged).
    pub fn of(request: &SearchRequest, response: &SearchResponse, source: Source) -> Option<Entry> {
        if request.offset != 0 {
            return None;
        }
        Some(Entry {
            at: unix_now(),
            query: normalise(&request.q)?,
            hits: response.total as u64,
            source,
            corrected_to: response.did_you_mean.as_deref().and_then(normalise),
        })
    }
}

/// A query as the log keeps it: full-width forms folded, Latin letters in lower case,
/// spaces collapsed, long digit runs masked as `#`, at most `MAX_QUERY_CHARS` characters.
/// `None` when nothing is left.
pub fn normalise(query: &str) -> Option<String> {
    let folded: String = query
        .chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else {
                fold_width(c).to_ascii_lowercase()
            }
        })
        .collect();
    let spaced = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(spaced.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.chars().count() >= MASK_DIGITS_FROM {
            out.push('#');
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in spaced.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    let bounded: String = out.chars().take(MAX_QUERY_CHARS).collect();
    let bounded = bounded.trim_end().to_string();
    (!bounded.is_empty()).then_some(bounded)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What the log has done since the server started.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LogStatus {
    /// The log is kept (the server was not started with `--no-query-log`).
    pub enabled: bool,
    /// Searches written.
    pub written: u64,
    /// Searches not logged because the writer fell behind or the log is unavailable.
    pub dropped: u64,
    /// Searches whose write failed (a full disk, a broken file).
    pub failed: u64,
    /// The last problem opening or writing the log, if it is not resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Default)]
struct Counts {
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// The problem the writer last had, shared with the status report.
type Problem = Arc<Mutex<Option<String>>>;

fn set_problem(problem: &Problem, now: Option<String>) {
    let mut slot = problem.lock().unwrap_or_else(|p| p.into_inner());
    if *slot != now {
        match &now {
            Some(message) => tracing::warn!("query log: {message}"),
            None => tracing::info!("query log: writing again"),
        }
        *slot = now;
    }
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the query log is off (the server was started with --no-query-log)")]
    Off,
    #[error("the query log cannot be read: {0}")]
    Unavailable(String),
}

/// The query log of a running server.
pub struct QueryLog {
    path: Option<PathBuf>,
    queue: Mutex<Option<SyncSender<Entry>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    counts: Arc<Counts>,
    problem: Problem,
    /// A file of strings never to list in 热门搜索 (see `hiding`).
    hidden: Option<PathBuf>,
    hot: Arc<Kept<Vec<String>>>,
    popular: Arc<Kept<HashMap<String, u64>>>,
}

impl QueryLog {
    /// No log: nothing is recorded and reports answer `ReportError::Off`.
    pub fn off() -> QueryLog {
        QueryLog {
            path: None,
            queue: Mutex::new(None),
            writer: Mutex::new(None),
            counts: Arc::default(),
            problem: Arc::default(),
            hidden: None,
            hot: Kept::new(),
            popular: Kept::new(),
        }
    }

    /// The log at `path`, created if missing. A file that is not an SQLite database is moved
    /// aside (`querylog.sqlite.broken-<time>`, kept for a person to look at) and a new log
    /// is started. When the log cannot be opened at all, the problem is reported and the
    /// server runs without it.
    pub fn open(path: &Path) -> QueryLog {
        let mut log = QueryLog::off();
        log.path = Some(path.to_path_buf());
        let conn = match open_writer(path) {
            Err(e) if is_not_a_database(&e) => {
                let aside = move_aside(path);
                tracing::warn!(
                    "query log {} is not a database ({e}); moved to {}, starting a new log",
                    path.display(),
                    aside.display()
                );
                open_writer(path)
            }
            other => other,
        };
        let conn = match conn {
            Ok(conn) => conn,
            Err(e) => {
                set_problem(
                    &log.problem,
                    Some(format!("cannot open {}: {e}", path.display())),
                );
                return log;
            }
        };
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let counts = log.counts.clone();
        let problem = log.problem.clone();
        let spawned = std::thread::Builder::new()
            .name("query-log".into())
            .spawn(move || write_loop(conn, receiver, &counts, &problem));
        match spawned {
            Ok(handle) => {
                *log.queue.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
                *log.writer.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
            }
            Err(e) => set_problem(&log.problem, Some(format!("cannot start the writer: {e}"))),
        }
        log
    }

    /// The log, with `hidden` naming a file of strings its owner does not want listed in
    /// 热门搜索, one a line (`#` starts a comment). The file is read whenever the list is
    /// recomputed, so an edit shows within the time the list is kept.
    pub fn hiding(mut self, hidden: Option<PathBuf>) -> QueryLog {
        self.hidden = hidden;
        self
    }

    /// One line for the start-up banner.
    pub fn describe(&self) -> String {
        match (&self.path, self.status().problem) {
            (None, _) => "query log: off".into(),
            (Some(_), Some(problem)) => {
                format!("query log: UNAVAILABLE ({problem}); search works without it")
            }
            (Some(path), None) => format!(
                "query log: {} (what was searched, never who; reports at /admin/queries with the admin key)",
                path.display()
            ),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.path.is_some()
    }

    /// Hands a search to the writer; never waits. Dropped (and counted) when the writer
    /// is behind by `QUEUE` searches or the log is unavailable.
    pub fn record(&self, entry: Entry) {
        if !self.is_enabled() {
            return;
        }
        let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let sent = match queue.as_ref() {
            Some(sender) => match sender.try_send(entry) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        };
        if !sent {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes what is queued and stops the writer (at shutdown; later searches are dropped).
    pub fn close(&self) {
        drop(self.queue.lock().unwrap_or_else(|p| p.into_inner()).take());
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }

    pub fn status(&self) -> LogStatus {
        LogStatus {
            enabled: self.is_enabled(),
            written: self.counts.written.load(Ordering::Relaxed),
            dropped: self.counts.dropped.load(Ordering::Relaxed),
            failed: self.counts.failed.load(Ordering::Relaxed),
            problem: self
                .problem
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    fn reader(&self) -> Result<Connection, ReportError> {
        let path = self.path.as_deref().ok_or(ReportError::Off)?;
        if let Some(problem) = self.status().problem.filter(|_| !path.is_file()) {
            return Err(ReportError::Unavailable(problem));
        }
        open_reader(path)
    }
}

fn open_reader(path: &Path) -> Result<Connection, ReportError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(unavailable)?;
    conn.busy_timeout(Duration::from_secs(2))
        .map_err(unavailable)?;
    Ok(conn)
}

impl Drop for QueryLog {
    fn drop(&mut self) {
        self.close();
    }
}

fn unavailable(e: rusqlite::Error) -> ReportError {
    ReportError::Unavailable(e.to_string())
}

fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // WAL: a commit is one append (no fsync with synchronous=NORMAL), readers do not block
    // the writer, and a killed process loses no committed search.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Moves a broken log (and its write-ahead log) aside; returns where it went.
fn move_aside(path: &Path) -> PathBuf {
    let aside = PathBuf::from(format!("{}.broken-{}", path.display(), unix_now()));
    if let Err(e) = std::fs::rename(path, &aside) {
        tracing::warn!("cannot move {} aside: {e}", path.display());
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    aside
}

/// The writer thread: commits a search with those that arrive within `GROUP_COMMIT` after
/// it as one transaction, until the queue is closed and empty.
fn write_loop(mut conn: Connection, queue: Receiver<Entry>, counts: &Counts, problem: &Problem) {
    let prune_now = |conn: &Connection| {
        if let Err(e) = prune(conn, unix_now(), MAX_ROWS) {
            set_problem(problem, Some(format!("cannot delete old searches: {e}")));
        }
    };
    prune_now(&conn);
    let mut since_prune = 0;
    while let Ok(first) = queue.recv() {
        // Sleeping rather than waiting on the queue: a search that arrives meanwhile wakes
        // no thread.
        std::thread::sleep(GROUP_COMMIT);
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(BATCH - 1));
        let n = batch.len() as u64;
        match insert(&mut conn, &batch) {
            Ok(()) => {
                counts.written.fetch_add(n, Ordering::Relaxed);
                set_problem(problem, None);
            }
            Err(e) => {
                counts.failed.fetch_add(n, Ordering::Relaxed);
                set_problem(problem, Some(format!("cannot write: {e}")));
            }
        }
        since_prune += n;
        if since_prune >= PRUNE_EVERY {
            prune_now(&conn);
            since_prune = 0;
        }
    }
}

fn insert(conn: &mut Connection, batch: &[Entry]) -> rusqlite::Result<()> {
    let transaction = conn.transaction()?;
    {
        let mut statement = transaction.prepare_cached(
            "INSERT INTO searches (at, query, hits, source, corrected_to)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for e in batch {
            statement.execute(params![
                e.at,
                e.query,
                i64::try_from(e.hits).unwrap_or(i64::MAX),
                e.source.as_str(),
                e.corrected_to
            ])?;
        }
    }
    transaction.commit()
}

/// Deletes searches older than `RETENTION_DAYS`, and the oldest beyond `max_rows`.
fn prune(conn: &Connection, now: i64, max_rows: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM searches WHERE at < ?1",
        params![now - RETENTION_DAYS * 86_400],
    )?;
    conn.execute(
        "DELETE FROM searches WHERE id <= (SELECT MAX(id) FROM searches) - ?1",
        params![max_rows],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    pub(super) fn entry(at: i64, query: &str, hits: u64, corrected_to: Option<&str>) -> Entry {
        Entry {
            at,
            query: query.into(),
            hits,
            source: Source::Api,
            corrected_to: corrected_to.map(Into::into),
        }
    }

    /// Waits until the writer has written `n` searches.
    pub(super) fn written(log: &QueryLog, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while log.status().written < n {
            assert!(
                Instant::now() < deadline,
                "writer stalled: {:?}",
                log.status()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn queries_are_normalised_masked_and_bounded() {
        assert_eq!(normalise("  停车难  ").as_deref(), Some("停车难"));
        assert_eq!(
            normalise("ＡＢＣ　停车\t收费").as_deref(),
            Some("abc 停车 收费")
        );
        assert_eq!(normalise(" \u{3000} "), None);
        // A mobile or ID number is masked; proposal numbers and years are kept.
        assert_eq!(normalise("13812345678 投诉").as_deref(), Some("# 投诉"));
        assert_eq!(normalise("44030419900101123X").as_deref(), Some("#x"));
        assert_eq!(
            normalise("20240294 2024年").as_deref(),
            Some("20240294 2024年")
        );
        let long = "长".repeat(500);
        assert_eq!(normalise(&long).unwrap().chars().count(), MAX_QUERY_CHARS);
    }

    #[test]
    fn old_and_surplus_searches_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut conn = open_writer(&path).unwrap();
        let now = unix_now();
        let batch: Vec<Entry> = (0..50)
            .map(|i| entry(now - i64::from(i % 2) * 40 * 86_400, "q", 1, None))
            .collect();
        insert(&mut conn, &batch).unwrap();
        prune(&conn, now, 10).unwrap();
        let (n, oldest): (i64, i64) = conn
            .query_row("SELECT COUNT(*), MIN(at) FROM searches", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert!(n <= 10, "{n} rows kept");
        assert_eq!(oldest, now, "searches past the retention are gone");
    }

    #[test]
    fn a_broken_file_is_moved_aside_and_a_new_log_started() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "这不是数据库 ".repeat(1_000)).unwrap();
        let log = QueryLog::open(&path);
        log.record(entry(unix_now(), "停车", 1, None));
        written(&log, 1);
        assert_eq!(log.report(7, 10).unwrap().searches, 1);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".broken-"))
            .collect();
        assert_eq!(
            aside.len(),
            1,
            "the broken file is kept for a person to look at"
        );
    }

    #[test]
    fn a_log_that_cannot_be_opened_drops_searches_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be.
        let path = dir.path().join(FILE_NAME);
        std::fs::create_dir(&path).unwrap();
        let log = QueryLog::open(&path);
        log.record(entry(unix_now(), "停车", 1, None));
        let status = log.status();
        assert!(status.enabled);
        assert_eq!(status.dropped, 1);
        assert!(status.problem.is_some());
        assert!(matches!(
            log.report(7, 10),
            Err(ReportError::Unavailable(_))
        ));
        assert!(log.hot(8).is_empty());
    }

    #[test]
    fn a_full_disk_fails_writes_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_writer(&dir.path().join(FILE_NAME)).unwrap();
        // SQLite answers "database or disk is full" past this many pages, as on a full disk.
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "max_page_count", pages).unwrap();
        let counts = Counts::default();
        let problem = Problem::default();
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let long = "长".repeat(MAX_QUERY_CHARS);
        for _ in 0..200 {
            sender.send(entry(unix_now(), &long, 1, None)).unwrap();
        }
        drop(sender);
        write_loop(conn, receiver, &counts, &problem);
        assert!(counts.failed.load(Ordering::Relaxed) > 0);
        let said = problem.lock().unwrap().clone().unwrap();
        assert!(said.contains("full"), "{said}");
    }

    #[test]
    fn an_off_log_records_nothing() {
        let log = QueryLog::off();
        log.record(entry(unix_now(), "停车", 1, None));
        assert_eq!(log.status().dropped, 0);
        assert!(matches!(log.report(7, 10), Err(ReportError::Off)));
    }

    #[test]
    fn close_writes_what_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let log = QueryLog::open(&path);
        for i in 0..1_000 {
            log.record(entry(unix_now(), &format!("q{i}"), 1, None));
        }
        log.close();
        assert_eq!(log.status().written, 1_000);
        log.record(entry(unix_now(), "after", 1, None));
        assert_eq!(log.status().dropped, 1);
    }
}
