//! The query log's reports: searches per hour or day, the most searched queries, those that
//! found nothing and those corrected, over a window of days in China Standard Time.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::{LogStatus, QueryLog, ReportError, unavailable, unix_now};
use crate::text::date::Date;

/// Reports count days and hours in China Standard Time (UTC+8), the archive's time zone.
const TIME_ZONE_SECONDS: i64 = 8 * 3600;
/// The longest report, in days.
pub const MAX_REPORT_DAYS: u32 = 30;

impl QueryLog {
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
            .map_err(unavailable)
    }
}

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
    use std::time::Instant;

    use super::super::tests::{entry, written};
    use super::super::{FILE_NAME, MAX_ROWS, insert, open_writer, unix_now};
    use super::*;

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

    /// What reports cost on a full log (`MAX_ROWS` synthetic searches over 30 days):
    /// `cargo test --release --lib querylog::report::tests::a_full_log -- --ignored
    /// --nocapture`.
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
        let hot = log.hot(8);
        println!("hot: {} queries in {:?}", hot.len(), t.elapsed());
    }
}
