//! End-to-end benchmark of reply-search on a **synthetic** corpus built on demand from the
//! sentences of the real corpus (never committed; written under the system temp dir).
//!
//! ```text
//! cargo run --release --example bench -- [--docs 10000] [--quick] [--http]
//!     [--corpus DIR] [--runs N] [--http-secs S] [--client wrk|builtin] [--only-index]
//! ```
//!
//! Phases, all on the same generated text:
//! 1. synthetic corpus: letters of ~1,000–9,000 chars (log-uniform, median ~3,000) assembled
//!    from real sentences with a fixed-seed xorshift RNG; titles, kinds, respondents and
//!    dates sampled from the real reply records;
//! 2. throughput: raw jieba `cut_for_search` (1 and 2 threads), the project's tokenizers
//!    alone, `scan_corpus`, the project's `sync_corpus`, and a naive tantivy + jieba `cut`
//!    index for reference; index sizes and peak RSS;
//! 3. in-process search latency per query category (p50/p95/p99);
//! 4. with `--http`: the axum server in-process on 127.0.0.1:0, start time, and a load run at
//!    concurrency 1 and 32 (wrk when installed, else a built-in keep-alive client).
//!
//! Everything ends in a Markdown report on stdout. Deterministic apart from timings.

#[path = "support/http_client.rs"]
mod http_client;
#[path = "support/naive.rs"]
mod naive;
#[path = "support/procfs.rs"]
mod procfs;

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use http_client::Client as HttpClient;
use reply_search::analysis::{Analyzer, NgramTokenizer, WordTokenizer};
use reply_search::engine::Engine;
use reply_search::engine::SimilarRequest;
use reply_search::engine::{FacetField, SearchRequest, SortOrder};
use reply_search::ingest::{self, Letter};
use reply_search::server::pages::url_encode;
use reply_search::text::Normalized;
use reply_search::text::is_han;
use tantivy::tokenizer::{TokenStream, Tokenizer};

const SEED: u64 = 0x5EED_2024_0612_0001;
const MB: f64 = 1024.0 * 1024.0;

// ---------------------------------------------------------------------------------------
// Options

#[derive(Clone, Copy, PartialEq, Debug, clap::ValueEnum)]
enum Client {
    Wrk,
    Builtin,
}

/// End-to-end benchmark of reply-search on a synthetic corpus built from the sentences of the
/// real one; a Markdown report on stdout.
#[derive(Parser)]
#[command(name = "bench")]
struct Opts {
    /// Synthetic letters [default: 10000, 2000 with --quick]
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    docs: usize,
    /// Smaller defaults for --docs, --runs and --http-secs
    #[arg(long)]
    quick: bool,
    /// Also measure the HTTP server (in its own process on 127.0.0.1)
    #[arg(long)]
    http: bool,
    /// Source corpus [default: the first of ../shared/corpus, ../../shared/corpus, corpus
    /// holding JSONL]
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Runs per query category [default: 300, 60 with --quick]
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    runs: usize,
    /// Seconds of each HTTP load run [default: 10, 3 with --quick]
    #[arg(long, value_name = "S", default_value_t = 0, hide_default_value = true)]
    http_secs: u64,
    /// HTTP load generator [default: wrk when installed, else builtin]
    #[arg(long, value_enum)]
    client: Option<Client>,
    /// Skip the raw-segmentation and tokenizer-alone rows
    #[arg(long)]
    only_index: bool,
    /// Internal: serve the index in DIR (the server process of --http)
    #[arg(long, value_name = "DIR", hide = true)]
    serve_child: Option<PathBuf>,
    /// Serve --http without the query log (by default the server logs every search, as
    /// `reply-search serve` does; the log is a temporary file)
    #[arg(long)]
    no_query_log: bool,
    /// Reuse the project index of an earlier `--keep` run and measure search only (and HTTP
    /// with --http)
    #[arg(long)]
    search_only: bool,
    /// Keep the index folders after the run
    #[arg(long)]
    keep: bool,
}

fn parse_opts() -> Result<Opts> {
    let mut o = Opts::parse();
    if let Some(dir) = &o.serve_child {
        serve_child(dir, !o.no_query_log)?;
        std::process::exit(0);
    }
    if o.docs == 0 {
        o.docs = if o.quick { 2000 } else { 10_000 };
    }
    if o.runs == 0 {
        o.runs = if o.quick { 60 } else { 300 };
    }
    if o.http_secs == 0 {
        o.http_secs = if o.quick { 3 } else { 10 };
    }
    Ok(o)
}

// ---------------------------------------------------------------------------------------
// Small utilities

/// xorshift64* with a fixed seed: deterministic, no `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// User + system CPU seconds of the whole process so far (all threads).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every common configuration.
    (ticks(11) + ticks(12)) / 100.0
}

/// Bytes of the segments listed in an index's meta.json, bytes of every other file, and the
/// live bytes per file extension (idx, pos, term, store, ...).
fn index_sizes(dir: &Path) -> (u64, u64, std::collections::BTreeMap<String, u64>) {
    let live: HashSet<String> = std::fs::read_to_string(dir.join("meta.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|m| {
            m.get("segments")?.as_array().map(|segs| {
                segs.iter()
                    .filter_map(|s| Some(s.get("segment_id")?.as_str()?.replace('-', "")))
                    .collect()
            })
        })
        .unwrap_or_default();
    let (mut in_use, mut other) = (0, 0);
    let mut by_ext = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(m) = e.metadata() else { continue };
        let name = e.file_name().to_string_lossy().to_string();
        let (stem, ext) = name.split_once('.').unwrap_or((&name, ""));
        if live.contains(stem) {
            in_use += m.len();
            *by_ext.entry(ext.to_string()).or_insert(0) += m.len();
        } else if name.ends_with(".json") {
            in_use += m.len();
        } else {
            other += m.len();
        }
    }
    (in_use, other, by_ext)
}

fn hwm_mb() -> f64 {
    procfs::status_kb("self", "VmHWM:").unwrap_or(0) as f64 / 1024.0
}

/// Resets VmHWM to the current RSS (Linux: "5" to clear_refs); false when unsupported.
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn machine() -> (usize, String) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    (cores, cpu)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

fn log(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

// ---------------------------------------------------------------------------------------
// Source corpus and synthetic letters

/// What the generator draws from: sentences of every real text, metadata of reply letters.
struct Source {
    sentences: Vec<(String, usize)>,
    replies: Vec<Letter>,
    respondents: Vec<String>,
    dates: Vec<String>,
    addressees: Vec<String>,
    files: Vec<String>,
}

fn find_corpus(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for c in ["../shared/corpus", "../../shared/corpus", "corpus"] {
        let p = root.join(c);
        let has_jsonl = std::fs::read_dir(&p)
            .map(|d| {
                d.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
            })
            .unwrap_or(false);
        if has_jsonl {
            return Ok(p);
        }
    }
    bail!("no source corpus found; pass --corpus DIR")
}

/// Splits cleaned text into sentences ending in 。！？； (the delimiter kept).
fn sentences_of(text: &str, out: &mut Vec<(String, usize)>, seen: &mut HashSet<String>) {
    for line in text.lines() {
        let mut cur = String::new();
        for c in line.trim().chars() {
            cur.push(c);
            if matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';') {
                let s = cur.trim().to_string();
                cur.clear();
                let n = s.chars().count();
                let han = s.chars().filter(|&c| is_han(c)).count();
                if (10..=200).contains(&n) && han * 2 >= n && seen.insert(s.clone()) {
                    out.push((s, n));
                }
            }
        }
    }
}

fn load_source(dir: &Path) -> Result<Source> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl" || x == "txt"))
        .collect();
    paths.sort();
    let mut letters = Vec::new();
    let mut files = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(path)?;
        if name.ends_with(".txt") {
            if let Ok(l) = ingest::letter_from_text(&name, &raw, None) {
                letters.push(l);
            }
        } else {
            for line in raw.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                // Party documents may not be used (see the corpus's USAGE.md).
                if v.get("doc_type").and_then(|d| d.as_str()) == Some("党代会报告") {
                    continue;
                }
                if let Ok(l) = ingest::letter_from_json(&v) {
                    letters.push(l);
                }
            }
        }
        files.push(name);
    }
    let mut sentences = Vec::new();
    let mut seen = HashSet::new();
    for l in &letters {
        sentences_of(&l.text, &mut sentences, &mut seen);
    }
    let replies: Vec<Letter> = letters
        .into_iter()
        .filter(|l| matches!(l.kind.as_str(), "建议" | "提案" | "议案" | "留言"))
        .collect();
    let respondents = replies
        .iter()
        .filter_map(|l| l.respondent.clone())
        .collect();
    let dates = replies.iter().filter_map(|l| l.date.clone()).collect();
    let addressees = replies.iter().filter_map(|l| l.addressee.clone()).collect();
    if sentences.is_empty() || replies.is_empty() {
        bail!(
            "source corpus {} has no usable reply letters",
            dir.display()
        );
    }
    Ok(Source {
        sentences,
        replies,
        respondents,
        dates,
        addressees,
        files,
    })
}

/// Letters per synthetic JSONL file.
const LETTERS_PER_FILE: usize = 20_000;

struct Synthetic {
    /// One per letter, as written to the JSONL files.
    letters: Vec<Letter>,
    /// The files, as a pattern.
    jsonl: PathBuf,
    jsonl_bytes: u64,
}

fn cn_date(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    match p.as_slice() {
        [y, m, d] => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => iso.to_string(),
    }
}

/// The synthetic letters, written as JSONL under `dir` unless `write` is false (a
/// search-only run: the files of the earlier run hold the same letters, and rewriting a
/// gigabyte would evict the index from the page cache while search is measured).
fn generate(src: &Source, docs: usize, dir: &Path, write: bool) -> Result<Synthetic> {
    let mut rng = Rng(SEED);
    let (lo, hi) = (1000f64.ln(), 9000f64.ln());
    let mut letters = Vec::with_capacity(docs);
    for i in 0..docs {
        let title_of = rng.pick(&src.replies);
        let kind = rng.pick(&src.replies).kind.clone();
        let respondent = (!src.respondents.is_empty()).then(|| rng.pick(&src.respondents).clone());
        let date = (!src.dates.is_empty()).then(|| rng.pick(&src.dates).clone());
        let target = (lo + rng.unit() * (hi - lo)).exp() as usize;
        let mut text = String::with_capacity(target * 3 + 256);
        if !src.addressees.is_empty() {
            let addressee: &String = rng.pick(&src.addressees);
            text.push_str(addressee);
            text.push_str("：\n");
        }
        let core = title_of
            .proposal_title
            .clone()
            .unwrap_or_else(|| title_of.title.clone());
        text.push_str(&format!("您提出的《{core}》收悉，现答复如下：\n"));
        let mut chars = text.chars().count();
        while chars < target {
            let para = 2 + rng.below(5);
            for _ in 0..para {
                let (s, n) = rng.pick(&src.sentences);
                text.push_str(s);
                chars += n;
            }
            text.push('\n');
        }
        text.push_str("感谢您对我们工作的关心和支持。\n");
        if let Some(r) = &respondent {
            text.push_str(r);
            text.push('\n');
        }
        if let Some(d) = &date {
            text.push_str(&cn_date(d));
            text.push('\n');
        }
        letters.push(Letter {
            id: format!("synthetic-{i}"),
            title: title_of.title.clone(),
            kind,
            respondent,
            date,
            text,
            source: Some("synthetic".into()),
            ..Letter::default()
        });
    }
    if !write {
        return Ok(Synthetic {
            letters,
            jsonl: dir.join("synthetic-*.jsonl"),
            jsonl_bytes: 0,
        });
    }
    std::fs::create_dir_all(dir)?;
    // Files from an earlier run with another size would be scanned too.
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "jsonl") {
            std::fs::remove_file(path)?;
        }
    }
    // Several files, each well under the scan's 1 GiB limit for one JSONL file.
    let mut jsonl_bytes = 0;
    for (part, chunk) in letters.chunks(LETTERS_PER_FILE).enumerate() {
        let path = dir.join(format!("synthetic-{part:02}.jsonl"));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for l in chunk {
            let rec = serde_json::json!({
                "id": l.id, "source": "synthetic", "title": l.title, "kind": l.kind,
                "respondent": l.respondent, "date": l.date, "text": l.text,
            });
            serde_json::to_writer(&mut w, &rec)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
        drop(w);
        jsonl_bytes += std::fs::metadata(&path)?.len();
    }
    Ok(Synthetic {
        letters,
        jsonl: dir.join("synthetic-*.jsonl"),
        jsonl_bytes,
    })
}

// ---------------------------------------------------------------------------------------
// Throughput

/// Splits `texts` into two slices of about equal byte size.
fn halves(texts: &[&str]) -> (usize, usize) {
    let total: usize = texts.iter().map(|t| t.len()).sum();
    let mut acc = 0;
    for (i, t) in texts.iter().enumerate() {
        acc += t.len();
        if acc * 2 >= total {
            return (i + 1, total);
        }
    }
    (texts.len(), total)
}

fn jieba_search_tokens(jieba: &jieba_rs::Jieba, texts: &[&str]) -> usize {
    texts
        .iter()
        .map(|t| jieba.cut_for_search(t, true).len())
        .sum()
}

fn drain<T: Tokenizer>(tok: &mut T, texts: &[&str]) -> usize {
    let mut n = 0;
    for t in texts {
        let mut s = tok.token_stream(t);
        while s.advance() {
            n += 1;
        }
    }
    n
}

fn naive_index(texts: &[&str], dir: &Path) -> Result<f64> {
    let mut sb = tantivy::schema::Schema::builder();
    let body = naive::text_field(&mut sb, "body");
    let index = tantivy::Index::create_in_dir(dir, sb.build())?;
    naive::register(&index);
    let started = Instant::now();
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(2, 128 * 1024 * 1024)?;
    for t in texts {
        writer.add_document(tantivy::doc!(body => *t))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(started.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------------------------------
// Query mix

#[derive(Clone)]
enum Work {
    Search(SearchRequest),
    Similar(String),
}

struct Category {
    name: &'static str,
    pool: Vec<Work>,
}

const STOP: &[&str] = &[
    "关于",
    "建议",
    "提案",
    "议案",
    "答复",
    "回复",
    "对于",
    "进一步",
    "加强",
    "我市",
    "我区",
    "我县",
    "我省",
    "问题",
    "有关",
    "工作",
    "代表",
    "委员",
    "第号",
    "市民",
    "反映",
    "咨询",
    "投诉",
    "请求",
    "希望",
    "要求",
    "相关",
    "情况",
    "推进",
    "推动",
    "加快",
    "尽快",
    "解决",
    "完善",
    "提高",
    "提升",
    "促进",
    "落实",
    "实施",
    "开展",
    "的",
];

/// Words of each real title (precise mode, Han only, 2–4 chars, no stopwords).
fn title_words(analyzer: &Analyzer, titles: &[&str]) -> Vec<Vec<String>> {
    titles
        .iter()
        .map(|t| {
            analyzer
                .query_words(t)
                .into_iter()
                .filter(|w| {
                    let n = w.chars().count();
                    (2..=4).contains(&n) && w.chars().all(is_han) && !STOP.contains(&w.as_str())
                })
                .collect::<Vec<_>>()
        })
        .filter(|ws| !ws.is_empty())
        .collect()
}

fn build_categories(analyzer: &Analyzer, syn: &Synthetic, n: usize) -> Vec<Category> {
    let mut rng = Rng(SEED ^ 0xC0FFEE);
    let titles: Vec<&str> = syn.letters.iter().map(|l| l.title.as_str()).collect();
    let words = title_words(analyzer, &titles);
    let multi: Vec<&Vec<String>> = words.iter().filter(|w| w.len() >= 2).collect();
    let seeds_one = ["停车", "加装电梯"];
    let seeds_multi = ["老旧小区 改造", "农村公路 建设 资金"];
    let req = |q: String| SearchRequest {
        q,
        limit: Some(10),
        ..SearchRequest::default()
    };
    let mut one: Vec<String> = seeds_one.iter().map(|s| s.to_string()).collect();
    while one.len() < n {
        let ws = rng_pick_words(&mut rng, &words);
        one.push(rng.pick(ws).clone());
    }
    let mut several: Vec<String> = seeds_multi.iter().map(|s| s.to_string()).collect();
    while several.len() < n && !multi.is_empty() {
        let ws = *rng.pick(&multi);
        let k = (2 + rng.below(2)).min(ws.len());
        let start = rng.below(ws.len() - k + 1);
        several.push(ws[start..start + k].join(" "));
    }
    // Exact phrases: two adjacent title words that are adjacent in the title too.
    let mut phrases = vec!["\"老旧小区\"".to_string(), "\"加装电梯\"".to_string()];
    let mut tries = 0;
    while phrases.len() < n && tries < n * 50 {
        tries += 1;
        let i = rng.below(titles.len());
        let norm = reply_search::text::compact(titles[i]);
        let ws = analyzer.query_words(titles[i]);
        if ws.len() < 2 {
            continue;
        }
        let j = rng.below(ws.len() - 1);
        let p = format!("{}{}", ws[j], ws[j + 1]);
        let len = p.chars().count();
        if (3..=8).contains(&len) && p.chars().all(is_han) && norm.contains(&p) {
            phrases.push(format!("\"{p}\""));
        }
    }
    let years: Vec<u32> = syn
        .letters
        .iter()
        .filter_map(|l| l.date.as_deref()?.get(..4)?.parse().ok())
        .collect();
    let kinds: Vec<&str> = syn.letters.iter().map(|l| l.kind.as_str()).collect();
    let filtered: Vec<Work> = (0..n)
        .map(|i| {
            let mut r = req(several[i % several.len()].clone());
            r.filters.kind = Some(rng.pick(&kinds).to_string());
            if !years.is_empty() {
                r.filters.year = Some(*rng.pick(&years));
            }
            Work::Search(r)
        })
        .collect();
    let ids: Vec<Work> = (0..n)
        .map(|_| Work::Similar(format!("synthetic-{}", rng.below(syn.letters.len()))))
        .collect();
    let searches = |qs: &[String], f: &dyn Fn(&mut SearchRequest)| -> Vec<Work> {
        qs.iter()
            .map(|q| {
                let mut r = req(q.clone());
                f(&mut r);
                Work::Search(r)
            })
            .collect()
    };
    vec![
        Category {
            name: "1 word",
            pool: searches(&one, &|_| {}),
        },
        Category {
            name: "1 word, with facets",
            pool: searches(&one, &|r| r.facets = Some(FacetField::PAGE.to_vec())),
        },
        Category {
            name: "2–3 words",
            pool: searches(&several, &|_| {}),
        },
        Category {
            name: "2–3 words, with facets",
            pool: searches(&several, &|r| r.facets = Some(FacetField::PAGE.to_vec())),
        },
        Category {
            name: "\"exact phrase\"",
            pool: searches(&phrases, &|_| {}),
        },
        Category {
            name: "2–3 words + kind + year",
            pool: filtered,
        },
        Category {
            name: "2–3 words, sort=date",
            pool: searches(&several, &|r| r.sort = Some(SortOrder::Date)),
        },
        Category {
            name: "1 word, offset 500",
            pool: searches(&one, &|r| r.offset = 500),
        },
        Category {
            name: "empty query (browse by date)",
            pool: searches(&[String::new()], &|_| {}),
        },
        Category {
            name: "similar to id",
            pool: ids,
        },
    ]
}

/// Picks a title's word list (titles with more words are not favoured).
fn rng_pick_words<'a>(rng: &mut Rng, words: &'a [Vec<String>]) -> &'a [String] {
    &words[rng.below(words.len())]
}

fn run_work(engine: &Engine, w: &Work) -> Result<usize> {
    Ok(match w {
        Work::Search(r) => engine.search(r)?.total,
        Work::Similar(id) => engine
            .similar_to_id(id, &SimilarRequest::default())?
            .hits
            .len(),
    })
}

struct Latency {
    name: &'static str,
    p50: f64,
    p95: f64,
    p99: f64,
    mean: f64,
    avg_total: f64,
}

impl Latency {
    /// The Markdown table header for `row`.
    const HEADER: &str = "| category | p50 ms | p95 ms | p99 ms | mean ms | avg total hits |\n|---|---:|---:|---:|---:|---:|";

    fn row(&self) -> String {
        format!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} |",
            self.name, self.p50, self.p95, self.p99, self.mean, self.avg_total
        )
    }
}

fn measure(engine: &Engine, cat: &Category, runs: usize) -> Result<Latency> {
    let warm = (runs / 10).max(10);
    for i in 0..warm {
        run_work(engine, &cat.pool[i % cat.pool.len()])?;
    }
    let mut ms = Vec::with_capacity(runs);
    let mut totals = 0usize;
    for i in 0..runs {
        let w = &cat.pool[(i + warm) % cat.pool.len()];
        let t = Instant::now();
        totals += run_work(engine, w)?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok(Latency {
        name: cat.name,
        p50: percentile(&ms, 50.0),
        p95: percentile(&ms, 95.0),
        p99: percentile(&ms, 99.0),
        mean,
        avg_total: totals as f64 / runs as f64,
    })
}

// ---------------------------------------------------------------------------------------
// HTTP

fn http_path(w: &Work) -> String {
    match w {
        Work::Similar(id) => format!("/api/docs/{}/similar", url_encode(id)),
        Work::Search(r) => {
            let mut p = format!(
                "/api/search?q={}&limit={}",
                url_encode(&r.q),
                r.limit.unwrap_or(10)
            );
            if r.offset > 0 {
                p.push_str(&format!("&offset={}", r.offset));
            }
            if let Some(k) = &r.filters.kind {
                p.push_str(&format!("&kind={}", url_encode(k)));
            }
            if let Some(y) = r.filters.year {
                p.push_str(&format!("&year={y}"));
            }
            if r.sort == Some(SortOrder::Date) {
                p.push_str("&sort=date");
            }
            if let Some(facets) = r.facets.as_ref().filter(|f| !f.is_empty()) {
                let names: Vec<&str> = facets.iter().map(|f| f.name()).collect();
                p.push_str(&format!("&facets={}", names.join(",")));
            }
            p
        }
    }
}

struct Load {
    /// Which mix of requests (see `http_mixes`).
    mix: &'static str,
    concurrency: usize,
    tool: &'static str,
    secs: f64,
    requests: u64,
    rps: f64,
    p50: f64,
    p99: f64,
    errors: u64,
    rss_peak: f64,
    /// Peak anonymous RSS (heap): VmRSS less the file-backed pages of the mapped index.
    anon_peak: f64,
}

async fn builtin_load(
    addr: std::net::SocketAddr,
    paths: Arc<Vec<String>>,
    concurrency: usize,
    secs: u64,
) -> Result<Load> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = HttpClient::new(addr);
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut i = c * 7919;
            while Instant::now() < deadline {
                let t = Instant::now();
                let status = conn.send("GET", &paths[i % paths.len()], None).await?;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                if status != 200 {
                    errors += 1;
                }
                i += 1;
            }
            anyhow::Ok((lat, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        all.extend(lat);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    Ok(Load {
        mix: "",
        concurrency,
        tool: "built-in client",
        secs,
        requests: all.len() as u64,
        rps: all.len() as f64 / secs,
        p50: percentile(&all, 50.0),
        p99: percentile(&all, 99.0),
        errors,
        rss_peak: 0.0,
        anon_peak: 0.0,
    })
}

fn wrk_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let v: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => return None,
    })
}

fn wrk_load(
    addr: std::net::SocketAddr,
    paths: &[String],
    concurrency: usize,
    secs: u64,
    work_dir: &Path,
) -> Result<Load> {
    let script = work_dir.join("wrk-paths.lua");
    let mut lua = String::from("local paths = {\n");
    for p in paths {
        lua.push_str(&format!("  {:?},\n", p));
    }
    lua.push_str(
        "}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  if i > #paths then i = 1 end\n  \
         return wrk.format(\"GET\", paths[i])\nend\n",
    );
    std::fs::write(&script, lua)?;
    let threads = concurrency.min(2);
    let out = std::process::Command::new("wrk")
        .args([
            "-t",
            &threads.to_string(),
            "-c",
            &concurrency.to_string(),
            "-d",
            &format!("{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(format!("http://{addr}"))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!(
            "wrk failed: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let find = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .map(|l| l[prefix.len()..].trim().to_string())
    };
    let rps: f64 = find("Requests/sec:")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    let p50 = find("50%").and_then(|s| wrk_ms(&s)).unwrap_or(f64::NAN);
    let p99 = find("99%").and_then(|s| wrk_ms(&s)).unwrap_or(f64::NAN);
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let mut errors: u64 = find("Non-2xx or 3xx responses:")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if let Some(sock) = find("Socket errors:") {
        // "connect 0, read 0, write 0, timeout 3"
        errors += sock
            .split(',')
            .filter_map(|p| p.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    Ok(Load {
        mix: "",
        concurrency,
        tool: "wrk",
        secs: secs as f64,
        requests,
        rps,
        p50,
        p99,
        errors,
        rss_peak: 0.0,
        anon_peak: 0.0,
    })
}

/// (VmRSS, RssAnon) of process `pid` in MB.
fn rss_of(pid: u32) -> (f64, f64) {
    let kb = |key| procfs::status_kb(&pid.to_string(), key).unwrap_or(0) as f64 / 1024.0;
    (kb("VmRSS:"), kb("RssAnon:"))
}

/// Peak (VmRSS, RssAnon) of process `pid` (MB), sampled every 50 ms until `stop`.
fn rss_sampler(
    pid: u32,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(f64, f64)> {
    std::thread::spawn(move || {
        let mut peak = (0.0f64, 0.0f64);
        loop {
            let (rss, anon) = rss_of(pid);
            peak = (peak.0.max(rss), peak.1.max(anon));
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return peak;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// `bench --serve-child DIR`: the server as the HTTP part measures it, in a fresh process
/// (so start time includes the dictionary load and RSS is the server's alone). Prints its
/// address on stdout and serves until stdin closes.
fn serve_child(index_dir: &Path, query_log: bool) -> Result<()> {
    use reply_search::server::{ServerOptions, Shared, app, querylog, serve};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let log_dir = tempfile::tempdir()?;
    rt.block_on(async move {
        let engine = Engine::open(index_dir, Analyzer::shared_default())?;
        let options = ServerOptions {
            query_log: query_log.then(|| log_dir.path().join(querylog::FILE_NAME)),
            ..ServerOptions::default()
        };
        let state = Shared::new(engine, options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", listener.local_addr()?);
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
        });
        serve(listener, app(state), async {
            let _ = stdin_closed.await;
        })
        .await?;
        anyhow::Ok(())
    })
}

struct HttpReport {
    open_ms: f64,
    first_answer_ms: f64,
    /// The first suggestion builds the suggester (every title of the index).
    first_suggest_ms: f64,
    rss_idle: (f64, f64),
    loads: Vec<Load>,
}

impl HttpReport {
    /// The loads as a Markdown table.
    fn table(&self) -> String {
        let mut t = String::from(
            "| mix | concurrency | client | s | requests | req/s | p50 ms | p99 ms | errors | peak RSS | of which anonymous |\n\
             |---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for l in &self.loads {
            t.push_str(&format!(
                "| {} | {} | {} | {:.0} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} MB | {:.0} MB |\n",
                l.mix,
                l.concurrency,
                l.tool,
                l.secs,
                l.requests,
                l.rps,
                l.p50,
                l.p99,
                l.errors,
                l.rss_peak,
                l.anon_peak
            ));
        }
        t
    }
}

fn http_bench(
    index_dir: &Path,
    mixes: Vec<(&'static str, Vec<String>)>,
    opts: &Opts,
    work_dir: &Path,
) -> Result<HttpReport> {
    use std::io::BufRead;
    let client = opts.client.unwrap_or_else(|| {
        let has_wrk = std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok();
        if has_wrk {
            Client::Wrk
        } else {
            Client::Builtin
        }
    });
    let started = Instant::now();
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("--serve-child")
        .arg(index_dir)
        .args(opts.no_query_log.then_some("--no-query-log"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().context("child stdout")?).read_line(&mut line)?;
    let addr: std::net::SocketAddr = line
        .trim()
        .parse()
        .with_context(|| format!("server child printed {line:?}"))?;
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(async move {
        let mut conn = HttpClient::new(addr);
        let status = conn.send("GET", &mixes[0].1[0], None).await?;
        let first_answer_ms = started.elapsed().as_secs_f64() * 1e3;
        if status != 200 {
            bail!("first search answered {status}");
        }
        let t = Instant::now();
        let status = conn
            .send("GET", "/api/suggest?q=%E5%85%B3%E4%BA%8E", None)
            .await?;
        let first_suggest_ms = t.elapsed().as_secs_f64() * 1e3;
        if status != 200 {
            bail!("first suggestion answered {status}");
        }
        drop(conn);
        // Warm up with distinct paths of every mix.
        let mut conn = HttpClient::new(addr);
        for (_, paths) in &mixes {
            for p in paths.iter().take(200) {
                conn.send("GET", p, None).await?;
            }
        }
        drop(conn);
        let rss_idle = rss_of(pid);
        let mut loads = Vec::new();
        for (mix, paths) in mixes {
            let paths = Arc::new(paths);
            for c in [1usize, 32] {
                log(format!(
                    "http: {mix}, concurrency {c}, {} s, {client:?}",
                    opts.http_secs
                ));
                let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let sampler = rss_sampler(pid, stop.clone());
                let mut load = match client {
                    Client::Builtin => builtin_load(addr, paths.clone(), c, opts.http_secs).await?,
                    Client::Wrk => {
                        let paths = paths.clone();
                        let wd = work_dir.to_path_buf();
                        let secs = opts.http_secs;
                        tokio::task::spawn_blocking(move || wrk_load(addr, &paths, c, secs, &wd))
                            .await??
                    }
                };
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                (load.rss_peak, load.anon_peak) = sampler.join().unwrap_or((0.0, 0.0));
                load.mix = mix;
                loads.push(load);
            }
        }
        anyhow::Ok(HttpReport {
            open_ms,
            first_answer_ms,
            first_suggest_ms,
            rss_idle,
            loads,
        })
    });
    // Closing its stdin stops the server.
    drop(child.stdin.take());
    let _ = child.wait();
    report
}

/// The request mixes of the HTTP load, interleaved by category: what a search box sends
/// (words, phrases, filters, paging; no facets, no similar letters), and every category.
fn http_mixes(categories: &[Category], n: usize) -> Vec<(&'static str, Vec<String>)> {
    const SEARCH_BOX: [&str; 5] = [
        "1 word",
        "2–3 words",
        "\"exact phrase\"",
        "2–3 words + kind + year",
        "1 word, offset 500",
    ];
    let mix = |keep: &dyn Fn(&Category) -> bool| {
        let mut paths = Vec::new();
        for i in 0..n {
            for cat in categories.iter().filter(|c| keep(c)) {
                paths.push(http_path(&cat.pool[i % cat.pool.len()]));
            }
        }
        paths
    };
    vec![
        ("search box", mix(&|c| SEARCH_BOX.contains(&c.name))),
        ("every category", mix(&|_| true)),
    ]
}

// ---------------------------------------------------------------------------------------
// Main

/// Wall and CPU time of a step.
#[derive(Clone, Copy)]
struct Clock {
    wall0: Instant,
    cpu0: f64,
    stopped: Option<(f64, f64)>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall0: Instant::now(),
            cpu0: cpu_secs(),
            stopped: None,
        }
    }
    fn stop(mut self) -> Clock {
        self.stopped = Some((self.wall(), self.cpu()));
        self
    }
    fn wall(&self) -> f64 {
        self.stopped
            .map_or_else(|| self.wall0.elapsed().as_secs_f64(), |s| s.0)
    }
    fn cpu(&self) -> f64 {
        self.stopped.map_or_else(|| cpu_secs() - self.cpu0, |s| s.1)
    }
}

struct Row {
    what: String,
    secs: f64,
    /// CPU seconds (all threads) spent during the step.
    cpu: f64,
    mb: f64,
    note: String,
}

fn main() -> Result<()> {
    let opts = parse_opts()?;
    let wall = Instant::now();
    let load_start = loadavg();
    let work_dir = std::env::temp_dir().join(format!("reply-search-bench-{}", opts.docs));
    let project_dir = work_dir.join(".index-project");
    let naive_dir = work_dir.join(".index-naive");
    if !opts.search_only {
        for d in [&project_dir, &naive_dir] {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    let t = Instant::now();
    let analyzer = Analyzer::shared_default();
    let dict_secs = t.elapsed().as_secs_f64();
    log(format!("dictionary loaded in {dict_secs:.2} s"));

    let corpus = find_corpus(opts.corpus.as_deref())?;
    let src = load_source(&corpus)?;
    log(format!(
        "source {}: {} sentences, {} reply records",
        corpus.display(),
        src.sentences.len(),
        src.replies.len()
    ));
    let src_sentences = src.sentences.len();
    let src_files = src.files.join(", ");
    let t = Instant::now();
    let syn = generate(&src, opts.docs, &work_dir, !opts.search_only)?;
    let gen_secs = t.elapsed().as_secs_f64();
    let texts: Vec<&str> = syn.letters.iter().map(|l| l.text.as_str()).collect();
    let (half, text_bytes) = halves(&texts);
    let text_mb = text_bytes as f64 / MB;
    let mut lens: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
    lens.sort_unstable();
    let total_chars: usize = lens.iter().sum();
    let median_chars = lens[lens.len() / 2];
    log(format!(
        "synthetic corpus: {} letters, {:.1} MB of text, median {median_chars} chars, {} ({:.1} MB JSONL) in {gen_secs:.1} s",
        opts.docs,
        text_mb,
        syn.jsonl.display(),
        syn.jsonl_bytes as f64 / MB
    ));

    if opts.search_only {
        return search_only(&analyzer, &syn, &project_dir, &opts);
    }

    let mut rows: Vec<Row> = Vec::new();
    let jieba = &analyzer.jieba;
    let row = |what: &str, clock: &Clock, note: String| Row {
        what: what.to_string(),
        secs: clock.wall(),
        cpu: clock.cpu(),
        mb: text_mb,
        note,
    };

    // Raw segmentation.
    let (mut raw1, mut raw2) = (f64::NAN, f64::NAN);
    if !opts.only_index {
        let c = Clock::start();
        let n1 = jieba_search_tokens(jieba, &texts);
        raw1 = c.wall();
        log(format!(
            "raw jieba cut_for_search 1 thread: {raw1:.2} s, {n1} tokens"
        ));
        rows.push(row(
            "raw jieba `cut_for_search(hmm)`, 1 thread",
            &c,
            format!("{n1} tokens"),
        ));
        let c = Clock::start();
        let n2 = std::thread::scope(|s| {
            let a = s.spawn(|| jieba_search_tokens(jieba, &texts[..half]));
            let b = jieba_search_tokens(jieba, &texts[half..]);
            a.join().expect("segmentation thread") + b
        });
        raw2 = c.wall();
        assert_eq!(n1, n2);
        log(format!("raw jieba cut_for_search 2 threads: {raw2:.2} s"));
        rows.push(row(
            "raw jieba `cut_for_search(hmm)`, 2 threads",
            &c,
            String::new(),
        ));

        // The project's tokenizers alone (1 thread), to see where indexing time goes.
        let c = Clock::start();
        let mut norm = Normalized::default();
        let mut chars = 0;
        for text in &texts {
            norm.fill(text);
            chars += norm.char_len();
        }
        rows.push(row(
            "`Normalized::fill` (fold + fast2s), 1 thread",
            &c,
            format!("{chars} chars"),
        ));
        let c = Clock::start();
        let n = drain(&mut WordTokenizer::new(analyzer.clone()), &texts);
        rows.push(row(
            "`WordTokenizer` (zh_words), 1 thread",
            &c,
            format!("{n} tokens"),
        ));
        let c = Clock::start();
        let n = drain(&mut NgramTokenizer::default(), &texts);
        rows.push(row(
            "`NgramTokenizer` (zh_ngrams), 1 thread",
            &c,
            format!("{n} tokens"),
        ));
    }

    // scan_corpus alone (also warms the page cache for the sync below).
    let c = Clock::start();
    let scan = ingest::scan_corpus(&work_dir)?;
    let scan_clock = c.stop();
    if scan.docs.len() != opts.docs || !scan.skipped.is_empty() {
        bail!(
            "scan found {} letters and {} skipped entries; expected {}",
            scan.docs.len(),
            scan.skipped.len(),
            opts.docs
        );
    }
    drop(scan);
    rows.push(row(
        "`scan_corpus` (read + parse + clean + fields), 1 thread",
        &scan_clock,
        String::new(),
    ));

    // The project's indexing.
    reply_search::engine::release_free_heap();
    let hwm_before_index = hwm_mb();
    let hwm_reset = reset_hwm();
    let c = Clock::start();
    let engine = Engine::open(&project_dir, analyzer.clone())?;
    let report = engine.sync_corpus(&work_dir, &|_| {})?;
    let index_clock = c.stop();
    let index_secs = index_clock.wall();
    // Dropping the engine drops its writer: merges still running are abandoned, as when
    // the CLI's `index` command exits.
    drop(engine);
    let hwm_index = hwm_mb();
    // The semantic space alone (the sync above trained it once too): retrained on the
    // built index, with its own peak RSS.
    reply_search::engine::release_free_heap();
    let hwm_train_reset = reset_hwm();
    let c = Clock::start();
    let engine = Engine::open(&project_dir, analyzer.clone())?;
    engine.retrain_semantic_space()?;
    let train_clock = c.stop();
    drop(engine);
    let train_rss = hwm_train_reset.then(|| format!("{:.0} MB", hwm_mb()));
    log(format!(
        "semantic space retrained: {:.1} s, peak RSS {}",
        train_clock.wall(),
        train_rss.as_deref().unwrap_or("n/a")
    ));
    rows.push(row(
        "semantic space alone (terms from the postings, randomized SVD, embed, save)",
        &train_clock,
        train_rss
            .map(|rss| format!("peak RSS {rss}"))
            .unwrap_or_default(),
    ));
    if report.added != opts.docs {
        bail!(
            "sync added {} letters, expected {}",
            report.added,
            opts.docs
        );
    }
    let (project_bytes, project_orphans, project_files) = index_sizes(&project_dir);
    log(format!(
        "project index: {index_secs:.1} s, {:.1} MB in live segments, {:.1} MB other files",
        project_bytes as f64 / MB,
        project_orphans as f64 / MB
    ));
    rows.push(row(
        "**project `sync_corpus`** (open + scan + index + commits)",
        &index_clock,
        format!("{} docs", report.docs),
    ));
    rows.push(Row {
        what: "project indexing without the scan (sync − scan)".into(),
        secs: index_secs - scan_clock.wall(),
        cpu: index_clock.cpu() - scan_clock.cpu(),
        mb: text_mb,
        note: String::new(),
    });
    if opts.only_index {
        println!(
            "sync_corpus {index_secs:.2} s ({:.2} CPU s), {:.2} MB/s",
            index_clock.cpu(),
            text_mb / index_secs
        );
        return Ok(());
    }

    // The naive reference.
    std::fs::create_dir_all(&naive_dir)?;
    let c = Clock::start();
    naive_index(&texts, &naive_dir)?;
    let naive_clock = c.stop();
    let t_naive = naive_clock.wall();
    let (naive_bytes, _, naive_files) = index_sizes(&naive_dir);
    rows.push(row(
        "naive tantivy + jieba `cut` (1 field, 2 threads)",
        &naive_clock,
        String::new(),
    ));
    log(format!("naive index: {t_naive:.1} s"));

    // Query mix, then free the corpus text so that RSS readings reflect the engine.
    let n_pool = 120;
    let categories = build_categories(&analyzer, &syn, n_pool);
    drop(texts);
    let (jsonl_bytes, jsonl) = (syn.jsonl_bytes, syn.jsonl.clone());
    drop(syn);
    drop(src);
    reply_search::engine::release_free_heap();

    // In-process search latency.
    let t = Instant::now();
    let engine = Engine::open(&project_dir, analyzer.clone())?;
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let segments = engine.searcher().segment_readers().len();
    let mut latencies = Vec::new();
    for cat in &categories {
        let l = measure(&engine, cat, opts.runs)?;
        log(format!(
            "{:<32} p50 {:>7.2} ms  p95 {:>7.2}  p99 {:>7.2}",
            l.name, l.p50, l.p95, l.p99
        ));
        latencies.push(l);
    }
    drop(engine);
    reply_search::engine::release_free_heap();

    let http = if opts.http {
        Some(http_bench(
            &project_dir,
            http_mixes(&categories, n_pool),
            &opts,
            &work_dir,
        )?)
    } else {
        None
    };
    let hwm_end = hwm_mb();
    let peak = hwm_before_index.max(hwm_index).max(hwm_end);

    // Report.
    let (cores, cpu) = machine();
    let cmd: Vec<String> = std::env::args().skip(1).collect();
    let mut o = String::new();
    macro_rules! w { ($($t:tt)*) => { o.push_str(&format!($($t)*)); o.push('\n'); } }
    w!(
        "## reply-search benchmark ({} synthetic letters)\n",
        opts.docs
    );
    w!(
        "Machine: {cores} cores (`nproc`), {cpu}. Command: `cargo run --release --example bench -- {}`. Wall time {:.0} s.\n",
        cmd.join(" "),
        wall.elapsed().as_secs_f64()
    );
    w!(
        "Load average (1/5/15 min) at start: {load_start}; at end: {}. Other work on the machine \
         shows up as noise in every figure.\n",
        loadavg()
    );
    w!(
        "Corpus: **synthetic** — {} letters assembled from {} real sentences of {} ({}); \
         {:.1} MB of letter text ({} chars, median {} chars/letter), JSONL {:.1} MB at `{}`.\n",
        opts.docs,
        src_sentences,
        corpus.display(),
        src_files,
        text_mb,
        total_chars,
        median_chars,
        jsonl_bytes as f64 / MB,
        jsonl.display()
    );
    w!("### Throughput (MB of letter text per second)\n");
    w!(
        "| what | wall s | CPU s | MB/s (wall) | MB per CPU-s | × raw 2-thread | × raw 1-thread | note |"
    );
    w!("|---|---:|---:|---:|---:|---:|---:|---|");
    for r in &rows {
        w!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            r.what,
            r.secs,
            r.cpu,
            r.mb / r.secs,
            r.mb / r.cpu,
            raw2 / r.secs,
            raw1 / r.secs,
            r.note
        );
    }
    w!(
        "\nJieba dictionary load (excluded above): {:.2} s. The × columns are wall-clock \
         throughput ratios (raw time / this time; 1.0 = as fast as raw segmentation). CPU s \
         counts every thread of the process (from /proc/self/stat, 10 ms ticks); on a busy \
         machine MB per CPU-s is the steadier figure.\n",
        dict_secs
    );
    w!("### Index size and memory\n");
    w!("| what | value |");
    w!("|---|---:|");
    w!(
        "| project index on disk (live segments) | {:.1} MB ({:.2}× the letter text, {:.2}× the JSONL) |",
        project_bytes as f64 / MB,
        project_bytes as f64 / text_bytes as f64,
        project_bytes as f64 / jsonl_bytes as f64
    );
    let breakdown = |files: &std::collections::BTreeMap<String, u64>| {
        files
            .iter()
            .map(|(e, b)| format!(".{e} {:.1}", *b as f64 / MB))
            .collect::<Vec<_>>()
            .join(", ")
    };
    w!(
        "| project index, live MB by file type | {} |",
        breakdown(&project_files)
    );
    w!(
        "| naive index, MB by file type | {} |",
        breakdown(&naive_files)
    );
    w!(
        "| other files left in the project index dir (output of a merge abandoned when the writer was dropped) | {:.1} MB |",
        project_orphans as f64 / MB
    );
    w!(
        "| naive index on disk | {:.1} MB ({:.2}× the letter text) |",
        naive_bytes as f64 / MB,
        naive_bytes as f64 / text_bytes as f64
    );
    w!("| segments after sync | {segments} |");
    w!(
        "| peak RSS (VmHWM) during project indexing | {} |",
        if hwm_reset {
            format!("{hwm_index:.0} MB")
        } else {
            "n/a (clear_refs unsupported)".into()
        }
    );
    w!("| peak RSS (VmHWM) whole process | {peak:.0} MB (includes the in-memory corpus) |");
    w!("| `Engine::open` on the built index | {open_ms:.1} ms |");
    w!("");
    w!(
        "### In-process search latency ({} runs per category after warm-up, limit 10)\n",
        opts.runs
    );
    w!("{}", Latency::HEADER);
    for l in &latencies {
        w!("{}", l.row());
    }
    if let Some(h) = &http {
        w!("\n### HTTP (`--http`, server in its own process on 127.0.0.1, mixed queries)\n");
        w!(
            "Server in its own process (`bench --serve-child`). Start: process spawn → listening \
             (dictionary load + `Engine::open`) {:.1} ms; spawn → first search answered {:.1} ms; \
             then the first suggestion (builds the suggester from every title) {:.1} ms. Server \
             RSS idle after warm-up {:.0} MB, of which {:.0} MB anonymous (heap); the rest is \
             file-backed pages (the memory-mapped index files and the binary) the kernel can reclaim. \
             Query log: {}.\n",
            h.open_ms,
            h.first_answer_ms,
            h.first_suggest_ms,
            h.rss_idle.0,
            h.rss_idle.1,
            if opts.no_query_log {
                "off (`--no-query-log`)"
            } else {
                "on, as `reply-search serve` runs by default"
            }
        );
        o.push_str(&h.table());
        w!(
            "\nThe load generator runs on the same {cores} cores as the server, so req/s is a lower bound."
        );
    }
    println!("{o}");
    // The indexes are large (several times the text); the JSONL stays for inspection.
    if !opts.keep {
        for d in [&project_dir, &naive_dir] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
    Ok(())
}

/// `--search-only`: the in-process latency table on the project index an earlier `--keep`
/// run left, for iterating on search speed without re-indexing.
fn search_only(
    analyzer: &std::sync::Arc<Analyzer>,
    syn: &Synthetic,
    project_dir: &std::path::Path,
    opts: &Opts,
) -> Result<()> {
    if !project_dir.join("meta.json").exists() {
        bail!(
            "no index at {} (run once with --keep first)",
            project_dir.display()
        );
    }
    let categories = build_categories(analyzer, syn, 120);
    let engine = Engine::open(project_dir, analyzer.clone())?;
    let segments = engine.searcher().segment_readers().len();
    println!(
        "{} letters, {segments} segments, {} runs per category\n",
        engine.num_docs(),
        opts.runs
    );
    println!("{}", Latency::HEADER);
    // BENCH_CATEGORY=<substring> limits the run to matching categories (for profiling one).
    let only = std::env::var("BENCH_CATEGORY").unwrap_or_default();
    for cat in categories.iter().filter(|c| c.name.contains(only.as_str())) {
        let l = measure(&engine, cat, opts.runs)?;
        println!("{}", l.row());
    }
    drop(engine);
    if opts.http {
        let work_dir = project_dir.parent().unwrap_or(project_dir);
        let h = http_bench(project_dir, http_mixes(&categories, 120), opts, work_dir)?;
        println!(
            "\nServer start: spawn → listening {:.1} ms, → first search answered {:.1} ms; first suggestion {:.1} ms; idle RSS {:.0} MB ({:.0} MB anonymous).",
            h.open_ms, h.first_answer_ms, h.first_suggest_ms, h.rss_idle.0, h.rss_idle.1
        );
        println!("\n{}", h.table());
    }
    Ok(())
}
