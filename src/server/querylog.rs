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
//! hands at once, so killing the server loses only the searches of the last 100 ms or so. A log that cannot be opened or written (a full disk, a broken file) is
//! reported and counted, and search goes on without it. The log keeps `RETENTION_DAYS` days
//! and at most `MAX_ROWS` searches; older ones are deleted as new ones arrive.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::engine::{SearchRequest, SearchResponse};
use crate::text::date::Date;
use crate::text::fold_width;

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
pub const MAX_ROWS: i64 = 1_000_000;
/// Days of searches kept: the longest report, and a day to spare.
pub const RETENTION_DAYS: i64 = 31;
/// Entries written between two prunings of old rows.
const PRUNE_EVERY: u64 = 10_000;
/// Longest query kept, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Digit runs this long or longer (mobile and ID numbers) are masked.
const MASK_DIGITS_FROM: usize = 11;
/// Reports count days and hours in China Standard Time (UTC+8), the archive's time zone.
const TIME_ZONE_SECONDS: i64 = 8 * 3600;
/// The longest report, in days.
pub const MAX_REPORT_DAYS: u32 = 30;
/// A query is "hot" only when searched this often in `HOT_DAYS`: one person's rare query
/// is never shown to others.
pub const HOT_MIN_SEARCHES: i64 = 3;
const HOT_DAYS: i64 = 7;
/// Most hot queries kept.
const HOT_MAX: usize = 20;
/// Popularity for suggestions: the last 30 days, the most searched queries.
const POPULAR_DAYS: i64 = 30;
const POPULAR_MAX: usize = 10_000;
/// What is computed from the log for every visitor (hot list, popularity) is kept for this
/// many times what computing it took (so computing it costs at most a thousandth of a core),
/// and within these bounds: a small log's lists follow new searches within a second, a large
/// one's are recomputed at most every ten minutes.
const KEEP_FACTOR: u32 = 1_000;
const KEEP: std::ops::RangeInclusive<Duration> = Duration::from_secs(1)..=Duration::from_secs(600);

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
    hot: Arc<Kept<Vec<String>>>,
    popular: Arc<Kept<HashMap<String, u64>>>,
}

/// A value computed from the log, until when it is kept (see `KEEP_FACTOR`), and what
/// computing it took. Once expired, a value that took `WAIT_AT_MOST` or longer is recomputed
/// on a thread of its own while callers get the old one, so no visitor waits for a count over
/// a large log (about 0.9 s at `MAX_ROWS`); a quick one is recomputed at once.
struct Kept<T> {
    value: Mutex<Option<(Instant, Duration, Arc<T>)>>,
    /// Held while a visitor computes the value, so concurrent visitors compute it once.
    computing: Mutex<()>,
    refreshing: std::sync::atomic::AtomicBool,
}

/// Longest recomputation a visitor waits for (see `Kept`).
const WAIT_AT_MOST: Duration = Duration::from_millis(20);

impl<T: Send + Sync + 'static> Kept<T> {
    fn new() -> Arc<Self> {
        Arc::new(Kept {
            value: Mutex::new(None),
            computing: Mutex::new(()),
            refreshing: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The kept value; a new one from `compute` when there is none yet or it has expired,
    /// computed in the background when the last computation was slow.
    fn get(self: &Arc<Self>, compute: impl FnOnce() -> T + Send + 'static) -> Arc<T> {
        let kept = self.value.lock().unwrap_or_else(|p| p.into_inner());
        match kept.as_ref() {
            Some((until, _, value)) if Instant::now() < *until => value.clone(),
            Some((_, took, stale)) if *took >= WAIT_AT_MOST => {
                let stale = stale.clone();
                drop(kept);
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let this = self.clone();
                    let spawned = std::thread::Builder::new()
                        .name("query-log-counts".into())
                        .spawn(move || {
                            this.store(compute);
                            this.refreshing.store(false, Ordering::Release);
                        });
                    if spawned.is_err() {
                        self.refreshing.store(false, Ordering::Release);
                    }
                }
                stale
            }
            _ => {
                drop(kept);
                let _computing = self.computing.lock().unwrap_or_else(|p| p.into_inner());
                // Another visitor may have computed it meanwhile.
                if let Some((until, _, value)) = self
                    .value
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .as_ref()
                    && Instant::now() < *until
                {
                    return value.clone();
                }
                self.store(compute)
            }
        }
    }

    fn store(&self, compute: impl FnOnce() -> T) -> Arc<T> {
        let started = Instant::now();
        let value = Arc::new(compute());
        let took = started.elapsed();
        let keep = (took * KEEP_FACTOR).clamp(*KEEP.start(), *KEEP.end());
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now() + keep, took, value.clone()));
        value
    }
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

    /// The report of the last `days` days (1 to `MAX_REPORT_DAYS`), with at most `limit`
    /// queries in each list. Blocking: call off the async threads.
    pub fn report(&self, days: u32, limit: usize) -> Result<Report, ReportError> {
        self.report_at(days, limit, unix_now())
    }

    fn report_at(&self, days: u32, limit: usize, now: i64) -> Result<Report, ReportError> {
        let conn = self.reader()?;
        let window = Window::new(days, now);
        read_report(&conn, &window, limit)
            .map(|mut report| {
                report.log = self.status();
                report
            })
            .map_err(|e| ReportError::Unavailable(e.to_string()))
    }

    /// The queries searched most in the last week that found letters as written, each by at
    /// least `HOT_MIN_SEARCHES` searches; at most `limit`. Kept a while (see `KEEP_FACTOR`);
    /// empty when the log is off or unreadable. Blocking.
    ///
    /// `hidden` names a file of strings a portal's owner does not want listed, one a line
    /// (`#` starts a comment): a query holding any of them is left out. It is read whenever
    /// the list is recomputed, so an edit shows within the time the list is kept.
    pub fn hot(&self, limit: usize, hidden: Option<&Path>) -> Arc<Vec<String>> {
        let path = self.path.clone();
        let hidden = hidden.map(Path::to_path_buf);
        let hot = self.hot.get(move || {
            let hidden = hidden.as_deref().map(read_hidden).unwrap_or_default();
            read_popular(path.as_deref(), HOT_DAYS, HOT_MAX * 5)
                .into_iter()
                .map(|(query, _)| query)
                .filter(|query| !hidden.iter().any(|h| query.contains(h.as_str())))
                .take(HOT_MAX)
                .collect()
        });
        if hot.len() <= limit {
            hot
        } else {
            Arc::new(hot[..limit].to_vec())
        }
    }

    /// How often each query was searched in the last 30 days and found letters as written,
    /// for the queries searched at least `HOT_MIN_SEARCHES` times (the `POPULAR_MAX` most
    /// searched). Suggestions rank by it. Kept like `hot`; empty when the log is off or
    /// unreadable. Blocking.
    pub fn popularity(&self) -> Arc<HashMap<String, u64>> {
        let path = self.path.clone();
        self.popular.get(move || {
            read_popular(path.as_deref(), POPULAR_DAYS, POPULAR_MAX)
                .into_iter()
                .collect()
        })
    }

    fn reader(&self) -> Result<Connection, ReportError> {
        let path = self.path.as_deref().ok_or(ReportError::Off)?;
        if let Some(problem) = self.status().problem.filter(|_| !path.is_file()) {
            return Err(ReportError::Unavailable(problem));
        }
        open_reader(path)
    }
}

/// The strings of a hidden-queries file, normalised as queries are; none (and a warning)
/// when it cannot be read.
fn read_hidden(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with('#'))
            .filter_map(normalise)
            .collect(),
        Err(e) => {
            tracing::warn!("hidden hot searches {}: {e}", path.display());
            Vec::new()
        }
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

/// The queries searched most in the last `days` days that found letters as written, each by
/// at least `HOT_MIN_SEARCHES` searches, with their counts; at most `limit`. Empty when the
/// log is off (`path` is `None`) or unreadable.
fn read_popular(path: Option<&Path>, days: i64, limit: usize) -> Vec<(String, u64)> {
    let Some(path) = path else {
        return Vec::new();
    };
    let read = || -> Result<Vec<(String, u64)>, ReportError> {
        let conn = open_reader(path)?;
        let since = unix_now() - days * 86_400;
        let mut statement = conn
            .prepare(
                "SELECT query, COUNT(*) AS n FROM searches
                 WHERE at >= ?1 AND hits > 0 AND corrected_to IS NULL
                 GROUP BY query HAVING n >= ?2
                 ORDER BY n DESC, MAX(id) DESC LIMIT ?3",
            )
            .map_err(unavailable)?;
        let rows = statement
            .query_map(params![since, HOT_MIN_SEARCHES, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(unavailable)?;
        rows.map(|row| row.map(|(q, n)| (q, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<Vec<_>, _>>()
            .map_err(unavailable)
    };
    read().unwrap_or_else(|e| {
        tracing::warn!("query log: popular queries: {e}");
        Vec::new()
    })
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

// ---------------------------------------------------------------------------------------
// Reports

/// What people searched for in a window of days.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Report {
    /// The window: the last `days` days, today included (days=1: the last 24 hours).
    pub days: u32,
    /// Start of the window, Unix seconds.
    pub since: i64,
    /// `hour` (days=1) or `day`: what each of `buckets` counts.
    pub bucket: &'static str,
    /// Searches in the window (first pages only: paging through results is not counted).
    pub searches: u64,
    /// Distinct queries.
    pub distinct_queries: u64,
    /// Searches that found nothing.
    pub zero_result_searches: u64,
    /// Searches for which a correction was offered (您是不是要找).
    pub corrected_searches: u64,
    /// Searches by where they were typed: page, widget, api.
    pub by_source: BTreeMap<String, u64>,
    /// Searches per hour or day, oldest first, every bucket of the window present.
    pub buckets: Vec<Bucket>,
    /// The queries searched most.
    pub top: Vec<QueryCount>,
    /// The queries searched most that found nothing.
    pub zero_results: Vec<QueryCount>,
    /// Queries for which a correction was offered, and the correction.
    pub corrected: Vec<Correction>,
    /// What the log has done since the server started.
    pub log: LogStatus,
}

/// Searches in one hour or day.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bucket {
    /// Its start in China Standard Time: `2026-12-02` for a day, `2026-12-02T14:00+08:00`
    /// for an hour.
    pub start: String,
    pub searches: u64,
    pub zero_results: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueryCount {
    pub query: String,
    pub searches: u64,
    /// Letters the latest of these searches found.
    pub hits: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Correction {
    pub query: String,
    pub corrected_to: String,
    pub searches: u64,
}

/// A report's window: `count` buckets of `seconds` each, the last holding `now`, aligned to
/// hours or days in China Standard Time.
struct Window {
    days: u32,
    seconds: i64,
    first: i64,
    count: i64,
}

impl Window {
    fn new(days: u32, now: i64) -> Window {
        let days = days.clamp(1, MAX_REPORT_DAYS);
        let (seconds, count) = if days == 1 {
            (3_600, 24)
        } else {
            (86_400, i64::from(days))
        };
        let current = (now + TIME_ZONE_SECONDS).div_euclid(seconds);
        Window {
            days,
            seconds,
            first: current - (count - 1),
            count,
        }
    }

    /// Start of the window, Unix seconds.
    fn since(&self) -> i64 {
        self.first * self.seconds - TIME_ZONE_SECONDS
    }

    fn label(&self, bucket: i64) -> String {
        let local = bucket * self.seconds;
        let date = Date::from_epoch_day(local.div_euclid(86_400))
            .map_or_else(|| "?".to_string(), |d| d.to_string());
        if self.seconds == 86_400 {
            date
        } else {
            format!("{date}T{:02}:00+08:00", local.rem_euclid(86_400) / 3_600)
        }
    }
}

fn read_report(conn: &Connection, window: &Window, limit: usize) -> rusqlite::Result<Report> {
    let since = window.since();
    let limit = limit as i64;
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    let (searches, distinct_queries, zero_result_searches, corrected_searches) = conn.query_row(
        "SELECT COUNT(*), COUNT(DISTINCT query), COALESCE(SUM(hits = 0), 0), COUNT(corrected_to)
         FROM searches WHERE at >= ?1",
        params![since],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;

    let mut by_source = BTreeMap::new();
    let mut statement =
        conn.prepare("SELECT source, COUNT(*) FROM searches WHERE at >= ?1 GROUP BY source")?;
    for row in statement.query_map(params![since], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (source, n): (String, i64) = row?;
        by_source.insert(source, count(n));
    }

    let mut per_bucket = BTreeMap::new();
    let mut statement = conn.prepare(
        "SELECT (at + ?2) / ?3 AS b, COUNT(*), COALESCE(SUM(hits = 0), 0)
         FROM searches WHERE at >= ?1 GROUP BY b",
    )?;
    let rows = statement.query_map(params![since, TIME_ZONE_SECONDS, window.seconds], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    for row in rows {
        let (bucket, n, zero): (i64, i64, i64) = row?;
        per_bucket.insert(bucket, (count(n), count(zero)));
    }
    let buckets = (window.first..window.first + window.count)
        .map(|b| {
            let (searches, zero_results) = per_bucket.get(&b).copied().unwrap_or_default();
            Bucket {
                start: window.label(b),
                searches,
                zero_results,
            }
        })
        .collect();

    let query_counts = |only_zero: bool| -> rusqlite::Result<Vec<QueryCount>> {
        let sql = format!(
            "SELECT t.query, t.n, s.hits FROM (
                 SELECT query, COUNT(*) AS n, MAX(id) AS last FROM searches
                 WHERE at >= ?1 {} GROUP BY query ORDER BY n DESC, last DESC LIMIT ?2
             ) t JOIN searches s ON s.id = t.last ORDER BY t.n DESC, t.last DESC",
            if only_zero { "AND hits = 0" } else { "" }
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement.query_map(params![since, limit], |r| {
            Ok(QueryCount {
                query: r.get(0)?,
                searches: count(r.get(1)?),
                hits: count(r.get(2)?),
            })
        })?;
        rows.collect()
    };
    let top = query_counts(false)?;
    let zero_results = query_counts(true)?;

    let mut statement = conn.prepare(
        "SELECT query, corrected_to, COUNT(*) AS n FROM searches
         WHERE at >= ?1 AND corrected_to IS NOT NULL
         GROUP BY query, corrected_to ORDER BY n DESC, MAX(id) DESC LIMIT ?2",
    )?;
    let corrected = statement
        .query_map(params![since, limit], |r| {
            Ok(Correction {
                query: r.get(0)?,
                corrected_to: r.get(1)?,
                searches: count(r.get(2)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;

    Ok(Report {
        days: window.days,
        since,
        bucket: if window.seconds == 86_400 {
            "day"
        } else {
            "hour"
        },
        searches: count(searches),
        distinct_queries: count(distinct_queries),
        zero_result_searches: count(zero_result_searches),
        corrected_searches: count(corrected_searches),
        by_source,
        buckets,
        top,
        zero_results,
        corrected,
        log: LogStatus::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: i64, query: &str, hits: u64, corrected_to: Option<&str>) -> Entry {
        Entry {
            at,
            query: query.into(),
            hits,
            source: Source::Api,
            corrected_to: corrected_to.map(Into::into),
        }
    }

    /// Waits until the writer has written `n` searches.
    fn written(log: &QueryLog, n: u64) {
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
    fn a_report_counts_queries_days_and_corrections() {
        let dir = tempfile::tempdir().unwrap();
        let log = QueryLog::open(&dir.path().join(FILE_NAME));
        // 2026-12-02 12:30 China Standard Time.
        let now = 1_796_184_000 + 1_800;
        let day = 86_400;
        let entries = [
            entry(now - day, "停车难", 9, None),
            entry(now - 120, "停车难", 10, None),
            entry(now - 60, "停车难", 12, None),
            entry(now - 30, "养老", 5, None),
            entry(now - 40, "不存在的词", 0, None),
            entry(now - 50, "不存在的词", 0, None),
            entry(now - 70, "停车南", 12, Some("停车难")),
            entry(now - 20 * day, "旧的", 1, None),
        ];
        for e in entries {
            log.record(e);
        }
        written(&log, 8);

        let week = log.report_at(7, 10, now).unwrap();
        assert_eq!(week.searches, 7);
        assert_eq!(week.distinct_queries, 4);
        assert_eq!(week.zero_result_searches, 2);
        assert_eq!(week.corrected_searches, 1);
        assert_eq!(week.by_source.get("api"), Some(&7));
        assert_eq!(week.top[0].query, "停车难");
        assert_eq!(week.top[0].searches, 3);
        assert_eq!(week.top[0].hits, 12, "hits of the latest search");
        assert_eq!(week.zero_results.len(), 1);
        assert_eq!(week.zero_results[0].query, "不存在的词");
        assert_eq!(week.zero_results[0].searches, 2);
        assert_eq!(week.corrected[0].query, "停车南");
        assert_eq!(week.corrected[0].corrected_to, "停车难");
        assert_eq!(week.bucket, "day");
        assert_eq!(week.buckets.len(), 7);
        assert_eq!(week.buckets[6].start, "2026-12-02");
        assert_eq!(week.buckets[6].searches, 6);
        assert_eq!(week.buckets[5].searches, 1);
        assert_eq!(week.buckets[6].zero_results, 2);

        let today = log.report_at(1, 10, now).unwrap();
        assert_eq!(today.bucket, "hour");
        assert_eq!(today.buckets.len(), 24);
        assert_eq!(today.buckets[23].start, "2026-12-02T12:00+08:00");
        assert_eq!(today.buckets[22].searches, 0);
        assert_eq!(today.searches, 6);

        let month = log.report_at(30, 1, now).unwrap();
        assert_eq!(month.searches, 8);
        assert_eq!(month.top.len(), 1, "the limit applies to each list");
    }

    #[test]
    fn hot_searches_need_several_searches_that_found_letters() {
        let dir = tempfile::tempdir().unwrap();
        let log = QueryLog::open(&dir.path().join(FILE_NAME));
        let now = unix_now();
        for _ in 0..HOT_MIN_SEARCHES {
            log.record(entry(now, "停车难", 3, None));
            log.record(entry(now, "无结果", 0, None));
            log.record(entry(now, "停车南", 3, Some("停车难")));
        }
        log.record(entry(now, "一次", 3, None));
        written(&log, 3 * HOT_MIN_SEARCHES as u64 + 1);
        assert_eq!(*log.hot(8, None), vec!["停车难".to_string()]);
        assert!(log.hot(0, None).is_empty());
    }

    #[test]
    fn an_owner_can_hide_hot_searches() {
        let dir = tempfile::tempdir().unwrap();
        let log = QueryLog::open(&dir.path().join(FILE_NAME));
        let now = unix_now();
        for _ in 0..HOT_MIN_SEARCHES {
            log.record(entry(now, "停车难", 3, None));
            log.record(entry(now, "某某 投诉", 3, None));
        }
        written(&log, 2 * HOT_MIN_SEARCHES as u64);
        let hidden = dir.path().join("hidden.txt");
        // Matched as queries are normalised (full width, case), anywhere in the query.
        std::fs::write(&hidden, "# 不在热门搜索中显示\n\n  某某\n").unwrap();
        assert_eq!(*log.hot(8, Some(&hidden)), vec!["停车难".to_string()]);
        // A file that cannot be read hides nothing.
        let log = QueryLog::open(&dir.path().join(FILE_NAME));
        let missing = dir.path().join("missing.txt");
        assert_eq!(log.hot(8, Some(&missing)).len(), 2);
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
        assert!(log.hot(8, None).is_empty());
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

    /// What reports cost on a full log: `cargo test --release --lib querylog::tests::a_full_log
    /// -- --ignored --nocapture` (fills `MAX_ROWS` synthetic searches over 30 days).
    #[test]
    #[ignore]
    fn a_full_log_reports_in_bounded_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut conn = open_writer(&path).unwrap();
        let now = unix_now();
        let started = Instant::now();
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..MAX_ROWS {
            // 20,000 distinct queries, a few very common; one in ten finds nothing.
            let q = (i * 7_919) % 20_000;
            let q = if i % 3 == 0 { q % 50 } else { q };
            batch.push(entry(
                now - (i % (30 * 86_400)),
                &format!("检索词{q}"),
                if i % 10 == 0 { 0 } else { 5 },
                (i % 97 == 0).then_some("更正"),
            ));
            if batch.len() == 10_000 {
                insert(&mut conn, &batch).unwrap();
                batch.clear();
            }
        }
        println!("filled {MAX_ROWS} rows in {:?}", started.elapsed());
        let size = std::fs::metadata(&path).unwrap().len();
        println!("file: {:.1} MB", size as f64 / 1e6);
        let log = QueryLog::open(&path);
        for days in [1, 7, 30] {
            let t = Instant::now();
            let report = log.report(days, 20).unwrap();
            println!(
                "report days={days}: {} searches in {:?}",
                report.searches,
                t.elapsed()
            );
        }
        let t = Instant::now();
        let popular = log.popularity();
        println!("popularity: {} queries in {:?}", popular.len(), t.elapsed());
        let t = Instant::now();
        let hot = log.hot(8, None);
        println!("hot: {} queries in {:?}", hot.len(), t.elapsed());
    }

    #[test]
    fn kept_values_are_recomputed_in_the_background_only_when_slow() {
        let kept = Kept::<u32>::new();
        let expire = |took: Duration| {
            let mut value = kept.value.lock().unwrap();
            let (until, last_took, _) = value.as_mut().unwrap();
            *until = Instant::now();
            *last_took = took;
        };
        assert_eq!(*kept.get(|| 1), 1);
        assert_eq!(*kept.get(|| 9), 1, "kept");
        // Expired after a quick computation: the visitor gets the new value.
        expire(Duration::ZERO);
        assert_eq!(*kept.get(|| 2), 2);
        // Expired after a slow one: the old value at once, the new one computed meanwhile.
        expire(WAIT_AT_MOST);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        assert_eq!(*kept.get(move || wait.recv().map_or(0, |()| 3)), 2);
        assert_eq!(*kept.get(|| 9), 2, "one refresh at a time");
        release.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while *kept.get(|| 9) != 3 {
            assert!(Instant::now() < deadline, "the refresh never landed");
            std::thread::sleep(Duration::from_millis(5));
        }
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
