//! What the query log tells visitors: 热门搜索 (the week's most searched queries) and the
//! popularity that orders suggestions, both kept a while and recomputed off the request path
//! when counting them is slow.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::params;

use super::{QueryLog, ReportError, normalise, open_reader, unavailable, unix_now};

/// A query is "hot" only when searched this often in `HOT_DAYS`: one person's rare query
/// is never shown to others.
const HOT_MIN_SEARCHES: i64 = 3;
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

/// A value computed from the log, until when it is kept (see `KEEP_FACTOR`), and what
/// computing it took. Once expired, a value that took `WAIT_AT_MOST` or longer is recomputed
/// on a thread of its own while callers get the old one, so no visitor waits for a count over
/// a large log (about 0.9 s at `MAX_ROWS`); a quick one is recomputed at once.
pub(super) struct Kept<T> {
    value: Mutex<Option<(Instant, Duration, Arc<T>)>>,
    /// Held while a visitor computes the value, so concurrent visitors compute it once.
    computing: Mutex<()>,
    refreshing: AtomicBool,
}

/// Longest recomputation a visitor waits for (see `Kept`).
const WAIT_AT_MOST: Duration = Duration::from_millis(20);

impl<T: Send + Sync + 'static> Kept<T> {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Kept {
            value: Mutex::new(None),
            computing: Mutex::new(()),
            refreshing: AtomicBool::new(false),
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
    /// The queries searched most in the last week that found letters as written, each by at
    /// least `HOT_MIN_SEARCHES` searches; at most `limit`. Kept a while (see `KEEP_FACTOR`);
    /// empty when the log is off or unreadable. Blocking.
    ///
    /// A query holding a string of the owner's hidden-strings file (see `hiding`) is left
    /// out.
    pub fn hot(&self, limit: usize) -> Arc<Vec<String>> {
        let path = self.path.clone();
        let hidden = self.hidden.clone();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::FILE_NAME;
    use super::super::tests::{entry, written};
    use super::*;

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
        assert_eq!(*log.hot(8), vec!["停车难".to_string()]);
        assert!(log.hot(0).is_empty());
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
        let log = log.hiding(Some(hidden));
        assert_eq!(*log.hot(8), vec!["停车难".to_string()]);
        // A file that cannot be read hides nothing.
        let missing = dir.path().join("missing.txt");
        let log = QueryLog::open(&dir.path().join(FILE_NAME)).hiding(Some(missing));
        assert_eq!(log.hot(8).len(), 2);
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
}
