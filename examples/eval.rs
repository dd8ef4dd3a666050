//! Relevance evaluation of reply-search against a naive tantivy + jieba build.
//!
//! 1. Judged queries (`eval/queries.jsonl`): nDCG@10 and MRR@10 for reply-search and for a
//!    naive index (one field, jieba default-mode words, tantivy's QueryParser with OR).
//! 2. Brute force: random substrings of the corpus; does the phrase query return exactly the
//!    documents containing the substring, and does the plain query find all of them?
//!
//! Run: `cargo run --release --example eval -- [--corpus DIR] [--queries FILE] [--verbose]
//! [--quick]`. The corpus defaults to `../shared/corpus` (replies.jsonl, replies-more.jsonl,
//! futian-fgj-reply-20240294.txt; policy.jsonl is deliberately not used).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/harness.rs"]
mod harness;
#[path = "support/naive.rs"]
mod naive;
#[path = "support/rng.rs"]
mod rng;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use harness::mean;
use reply_search::analysis::Analyzer;
use reply_search::engine::Engine;
use reply_search::engine::SearchRequest;
use reply_search::ingest::{Letter, scan_corpus};
use reply_search::text::compact;
use rng::Rng;
use tantivy::collector::{DocSetCollector, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{FAST, Field, Schema};
use tantivy::{DocAddress, Index, IndexReader, TantivyDocument, doc};

const TOP_K: usize = 10;
const SUBSTRINGS_FULL: usize = 500;
const SUBSTRINGS_QUICK: usize = 100;
/// Fixed seed: the same substrings every run, so figures are comparable between commits.
const SEED: u64 = 0x5eed_e7a1_2024;
const PAGE: usize = 100;
/// Substrings in at most this many letters are checked for first-page recall.
const FIRST_PAGE_MAX: usize = 60;

/// Relevance evaluation of reply-search against a naive tantivy + jieba build: judged
/// queries (nDCG@10, MRR@10) and brute-force substrings (recall, phrase exactness).
#[derive(Parser)]
#[command(name = "eval")]
struct Args {
    #[arg(long, value_name = "DIR", default_value = corpus::DEFAULT_DIR, help = corpus::DIR_HELP)]
    corpus: PathBuf,
    /// Judged query files (JSON Lines: q, relevant, grades), each reported on its own
    #[arg(long, value_name = "FILE", num_args = 1.., default_values = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/eval/queries.jsonl"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/eval/compound.jsonl"),
    ])]
    queries: Vec<PathBuf>,
    /// Print every query and substring
    #[arg(short, long)]
    verbose: bool,
    /// 100 substrings instead of 500
    #[arg(long)]
    quick: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    harness::main(&args.corpus, || run(&args))
}

/// A judged query: `grades` maps each relevant id to 1 (relevant) or 2 (highly relevant).
struct Judged {
    q: String,
    grades: HashMap<String, u32>,
}

fn load_queries(path: &Path) -> Result<Vec<Judged>> {
    harness::read_jsonl(path, |at, v| {
        let q = v["q"]
            .as_str()
            .ok_or_else(|| anyhow!("{at}: \"q\" must be a string"))?
            .to_string();
        let relevant = v["relevant"]
            .as_array()
            .ok_or_else(|| anyhow!("{at}: \"relevant\" must be an array"))?;
        let mut grades = HashMap::new();
        for id in relevant {
            let id = id
                .as_str()
                .ok_or_else(|| anyhow!("{at}: ids must be strings"))?;
            let g = v["grades"][id].as_u64().unwrap_or(1).clamp(1, 2) as u32;
            grades.insert(id.to_string(), g);
        }
        if grades.is_empty() {
            return Err(anyhow!("{at}: no relevant ids"));
        }
        Ok(Judged { q, grades })
    })
}

/// nDCG@k with gains 2^g - 1 and a log2 rank discount.
fn ndcg(ranked: &[String], grades: &HashMap<String, u32>) -> f64 {
    let gain = |g: u32| f64::from((1u32 << g) - 1);
    let disc = |i: usize| ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(TOP_K)
        .enumerate()
        .map(|(i, id)| grades.get(id).map_or(0.0, |&g| gain(g) / disc(i)))
        .sum();
    let mut ideal: Vec<u32> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(TOP_K)
        .enumerate()
        .map(|(i, &g)| gain(g) / disc(i))
        .sum();
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.0 for display.
    if idcg > 0.0 { dcg / idcg + 0.0 } else { 0.0 }
}

fn reciprocal_rank(ranked: &[String], grades: &HashMap<String, u32>) -> f64 {
    ranked
        .iter()
        .take(TOP_K)
        .position(|id| grades.contains_key(id))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

// ---------------------------------------------------------------------------------------
// The naive baseline: what a first tantivy + jieba build looks like.

struct Naive {
    index: Index,
    reader: IndexReader,
    field: Field,
    /// Per segment, doc id → position in `letters`.
    ords: Vec<Vec<usize>>,
}

impl Naive {
    fn build(letters: &[Letter]) -> Result<Naive> {
        let mut schema = Schema::builder();
        let field = naive::text_field(&mut schema, "text");
        let ord_field = schema.add_u64_field("ord", FAST);
        let index = Index::create_in_ram(schema.build());
        naive::register(&index);
        // One thread, one segment: ties in BM25 then break the same way on every run.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 256 * 1024 * 1024)?;
        for (i, l) in letters.iter().enumerate() {
            writer.add_document(doc!(
                field => format!("{}\n{}", l.title, l.text),
                ord_field => i as u64,
            ))?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let mut ords = Vec::new();
        for seg in searcher.segment_readers() {
            let col = seg.fast_fields().u64("ord")?;
            ords.push(
                (0..seg.max_doc())
                    .map(|d| col.first(d).unwrap_or(0) as usize)
                    .collect(),
            );
        }
        Ok(Naive {
            index,
            reader,
            field,
            ords,
        })
    }

    fn ord(&self, a: DocAddress) -> usize {
        self.ords[a.segment_ord as usize][a.doc_id as usize]
    }

    /// Parses like a naive build does: OR between terms; a parse error gives no result.
    fn parse(&self, q: &str) -> Option<Box<dyn tantivy::query::Query>> {
        QueryParser::for_index(&self.index, vec![self.field])
            .parse_query(q)
            .ok()
    }

    fn top(&self, q: &str, k: usize) -> Vec<usize> {
        let Some(query) = self.parse(q) else {
            return Vec::new();
        };
        self.reader
            .searcher()
            .search(&query, &TopDocs::with_limit(k).order_by_score())
            .map(|hits| hits.into_iter().map(|(_, a)| self.ord(a)).collect())
            .unwrap_or_default()
    }

    /// Every matching document, or None when the query does not parse.
    fn all(&self, q: &str) -> Option<HashSet<usize>> {
        let query = self.parse(q)?;
        let set = self
            .reader
            .searcher()
            .search(&query, &DocSetCollector)
            .ok()?;
        Some(set.into_iter().map(|a| self.ord(a)).collect())
    }
}

// ---------------------------------------------------------------------------------------

struct SystemScore {
    ndcg: f64,
    mrr: f64,
    zero: usize,
}

fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let judged_sets = args
        .queries
        .iter()
        .map(|p| load_queries(p))
        .collect::<Result<Vec<_>>>()?;
    let tmp = corpus::temp_copy(&args.corpus)?;

    let t = Instant::now();
    let engine = Engine::in_memory(Analyzer::shared_default())?;
    let report = engine.sync_corpus(tmp.path(), &|_| {})?;
    for s in &report.skipped {
        eprintln!("skipped {}: {}", s.location, s.reason);
    }
    let index_rs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let scan = scan_corpus(tmp.path()).context("scanning the corpus copy")?;
    let letters: Vec<Letter> = scan.docs.into_iter().map(|d| d.letter).collect();
    let naive = Naive::build(&letters)?;
    let index_naive = t.elapsed().as_secs_f64();
    let id_of = |i: usize| letters[i].id.clone();
    println!(
        "corpus: {} documents ({} in reply-search), {} judged queries",
        letters.len(),
        report.docs,
        judged_sets.iter().map(Vec::len).sum::<usize>()
    );
    let known: HashSet<&str> = letters.iter().map(|l| l.id.as_str()).collect();
    for j in judged_sets.iter().flatten() {
        for id in j.grades.keys().filter(|id| !known.contains(id.as_str())) {
            eprintln!("warning: query {:?} judges unknown id {id}", j.q);
        }
    }

    // --- Relevance -------------------------------------------------------------------
    let t = Instant::now();
    let mut sets = Vec::new();
    for (path, judged) in args.queries.iter().zip(&judged_sets) {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (rs, nv) = relevance(&engine, &naive, &id_of, judged, args.verbose);
        println!(
            "\nRelevance over {} judged queries of {name} (top {TOP_K})",
            judged.len()
        );
        println!("{:<14} | nDCG@10 | MRR@10 | zero-hit queries", "system");
        for (system, s) in [("reply-search", &rs), ("naive jieba", &nv)] {
            println!(
                "{system:<14} | {:>7.3} | {:>6.3} | {}",
                s.ndcg, s.mrr, s.zero
            );
        }
        sets.push((name, judged.len(), rs, nv));
    }
    let relevance_secs = t.elapsed().as_secs_f64();
    let n_judged: usize = judged_sets.iter().map(Vec::len).sum();

    // --- Brute-force substrings ------------------------------------------------------
    let t = Instant::now();
    let n_subs = if args.quick {
        SUBSTRINGS_QUICK
    } else {
        SUBSTRINGS_FULL
    };
    let docs: Vec<(String, Vec<char>)> = letters
        .iter()
        .map(|l| {
            let title = format!(
                "{}{}",
                compact(&l.title),
                l.proposal_title.as_deref().map(compact).unwrap_or_default()
            );
            (title, compact(&l.text).chars().collect())
        })
        .collect();
    let bodies: Vec<String> = docs.iter().map(|(_, b)| b.iter().collect()).collect();
    let mut rng = Rng(SEED);
    let (mut recall_ok, mut exact_ok, mut naive_ok) = (0, 0, 0);
    // The same figures over substrings of letters and digits only: there the naive build
    // fails by segmentation alone, not by punctuation or query syntax.
    let (mut alnum_n, mut alnum_recall, mut alnum_exact, mut alnum_naive) = (0, 0, 0, 0);
    let mut naive_parse_errors = 0;
    let (mut first_page_expected, mut first_page_found) = (0, 0);
    let (mut first_page_checked, mut first_page_all) = (0, 0);
    let mut failures = Vec::new();
    let mut checked = 0;
    while checked < n_subs {
        let d = rng.below(docs.len());
        let use_title = rng.below(5) == 0;
        let source: Vec<char> = if use_title {
            docs[d].0.chars().collect()
        } else {
            docs[d].1.clone()
        };
        let len = 2 + rng.below(7);
        if source.len() < len {
            continue;
        }
        let start = rng.below(source.len() - len + 1);
        let sub: String = source[start..start + len].iter().collect();
        // Quote characters delimit phrases in the query language, and a leading '-' excludes.
        if sub.contains(['"', '“', '”', '「', '」', '『', '』']) || sub.starts_with('-') {
            continue;
        }
        checked += 1;
        let expected: HashSet<usize> = (0..docs.len())
            .filter(|&i| docs[i].0.contains(&sub) || bodies[i].contains(&sub))
            .collect();
        let expected_ids: HashSet<String> = expected.iter().map(|&i| id_of(i)).collect();

        // (a) the phrase returns exactly the documents containing the substring.
        let phrase = all_ids(&engine, &format!("\"{sub}\""), None)?;
        let exact = phrase == expected_ids;
        // (b) the plain query finds all of them (paging stops once all are seen).
        let plain = all_ids(&engine, &sub, Some(&expected_ids))?;
        let recall = expected_ids.is_subset(&plain);
        // (c) when they fit on one page, they are all on the plain query's first page.
        if expected.len() <= FIRST_PAGE_MAX {
            let first = engine.search(&SearchRequest {
                q: sub.clone(),
                limit: Some(PAGE),
                facets: Some(vec![]),
                ..Default::default()
            })?;
            let on_page: HashSet<String> = first.hits.into_iter().map(|h| h.id).collect();
            let found = expected_ids.intersection(&on_page).count();
            first_page_expected += expected.len();
            first_page_found += found;
            first_page_all += usize::from(found == expected.len());
            first_page_checked += 1;
        }
        let naive_found = naive.all(&sub);
        naive_parse_errors += usize::from(naive_found.is_none());
        let nv = naive_found.is_some_and(|s| expected.is_subset(&s));
        recall_ok += usize::from(recall);
        exact_ok += usize::from(exact);
        naive_ok += usize::from(nv);
        if sub.chars().all(char::is_alphanumeric) {
            alnum_n += 1;
            alnum_recall += usize::from(recall);
            alnum_exact += usize::from(exact);
            alnum_naive += usize::from(nv);
        }
        if !exact || !recall {
            let extra: Vec<&String> = phrase.difference(&expected_ids).take(3).collect();
            let missed: Vec<&String> = expected_ids.difference(&phrase).take(3).collect();
            failures.push(format!(
                "{sub:?}: expected {} docs; phrase {} (extra {extra:?}, missed {missed:?}); plain query {}",
                expected.len(),
                phrase.len(),
                if recall { "finds all" } else { "misses some" }
            ));
        }
        if args.verbose {
            println!(
                "  substring {sub:<20} expected {:>4} | phrase {} | plain {} | naive {}",
                expected.len(),
                if exact { "exact" } else { "INEXACT" },
                if recall { "all" } else { "MISSES" },
                if nv { "all" } else { "misses" }
            );
        }
    }
    let substring_secs = t.elapsed().as_secs_f64();
    let pct = |a: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * a as f64 / n as f64
        }
    };
    println!("\nBrute-force substrings: {checked} random 2–8 char substrings (seed {SEED:#x})");
    println!(
        "reply-search: plain-query recall {:.1}%, phrase exactness {:.1}%",
        pct(recall_ok, checked),
        pct(exact_ok, checked)
    );
    println!(
        "reply-search: first-page recall {:.1}% of {first_page_expected} letters; {first_page_all} of {first_page_checked} substrings in at most {FIRST_PAGE_MAX} letters have all of them on the first page of {PAGE}",
        pct(first_page_found, first_page_expected),
    );
    println!(
        "naive jieba:  plain-query recall {:.1}% ({naive_parse_errors} did not parse)",
        pct(naive_ok, checked)
    );
    println!(
        "letters/digits only ({alnum_n}): reply-search recall {:.1}%, exactness {:.1}%; naive recall {:.1}%",
        pct(alnum_recall, alnum_n),
        pct(alnum_exact, alnum_n),
        pct(alnum_naive, alnum_n)
    );
    if !failures.is_empty() {
        println!("reply-search failures ({}):", failures.len());
        for f in failures.iter().take(20) {
            println!("  {f}");
        }
    }

    let total_secs = started.elapsed().as_secs_f64();
    println!(
        "\nTiming: index reply-search {index_rs:.1}s, naive {index_naive:.1}s; {} queries × 2 systems {:.2}s ({:.1} ms/query for reply-search+naive); substrings {substring_secs:.1}s; total {total_secs:.1}s",
        n_judged,
        relevance_secs,
        1000.0 * relevance_secs / n_judged.max(1) as f64
    );

    println!("\n## Evaluation ({n_judged} judged queries, {checked} substrings)\n");
    println!(
        "| system | query set | nDCG@10 | MRR@10 | zero-hit queries | substring recall (plain query) | first-page recall | phrase exactness |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, n, rs, nv) in &sets {
        println!(
            "| reply-search | {name} ({n}) | {:.3} | {:.3} | {} | {:.1}% | {:.1}% | {:.1}% |",
            rs.ndcg,
            rs.mrr,
            rs.zero,
            pct(recall_ok, checked),
            pct(first_page_found, first_page_expected),
            pct(exact_ok, checked)
        );
        println!(
            "| naive tantivy + jieba | {name} ({n}) | {:.3} | {:.3} | {} | {:.1}% | – | – |",
            nv.ndcg,
            nv.mrr,
            nv.zero,
            pct(naive_ok, checked)
        );
    }
    println!(
        "\nReproduce: `cargo run --release --example eval -- --corpus {}{}`",
        args.corpus.display(),
        if args.quick { " --quick" } else { "" }
    );
    Ok(())
}

/// nDCG@10, MRR@10 and zero-hit queries of reply-search and the naive build over one set
/// of judged queries; prints the queries where the naive build ranks better.
fn relevance(
    engine: &Engine,
    naive: &Naive,
    id_of: &dyn Fn(usize) -> String,
    judged: &[Judged],
    verbose: bool,
) -> (SystemScore, SystemScore) {
    let (mut rs_n, mut rs_r, mut nv_n, mut nv_r) = (vec![], vec![], vec![], vec![]);
    let (mut rs_zero, mut nv_zero) = (0, 0);
    let mut worse = Vec::new();
    for j in judged {
        let rs: Vec<String> = match engine.search(&SearchRequest {
            q: j.q.clone(),
            limit: Some(TOP_K),
            facets: Some(vec![]),
            ..Default::default()
        }) {
            Ok(r) => r.hits.into_iter().map(|h| h.id).collect(),
            Err(e) => {
                eprintln!("reply-search error for {:?}: {e}", j.q);
                Vec::new()
            }
        };
        let nv: Vec<String> = naive.top(&j.q, TOP_K).into_iter().map(id_of).collect();
        rs_zero += usize::from(rs.is_empty());
        nv_zero += usize::from(nv.is_empty());
        let (a, b) = (ndcg(&rs, &j.grades), ndcg(&nv, &j.grades));
        rs_n.push(a);
        nv_n.push(b);
        rs_r.push(reciprocal_rank(&rs, &j.grades));
        nv_r.push(reciprocal_rank(&nv, &j.grades));
        let ranks = |list: &[String]| -> String {
            let r: Vec<String> = list
                .iter()
                .enumerate()
                .filter(|(_, id)| j.grades.contains_key(*id))
                .map(|(i, _)| (i + 1).to_string())
                .collect();
            if r.is_empty() {
                "-".into()
            } else {
                r.join(",")
            }
        };
        if verbose {
            println!(
                "  {:<28} rs nDCG {a:.3} ranks {:<14} | naive nDCG {b:.3} ranks {:<14} ({} judged)",
                j.q,
                ranks(&rs),
                ranks(&nv),
                j.grades.len()
            );
        }
        if b > a + 1e-9 {
            worse.push(format!(
                "{:?}: reply-search {a:.3} (relevant at {}; top: {}) < naive {b:.3} (relevant at {})",
                j.q,
                ranks(&rs),
                rs.iter().take(3).cloned().collect::<Vec<_>>().join(" "),
                ranks(&nv)
            ));
        }
    }
    if !worse.is_empty() {
        println!(
            "\nQueries where the naive build ranks better ({}):",
            worse.len()
        );
        for w in &worse {
            println!("  {w}");
        }
    }
    let score = |n: &[f64], r: &[f64], zero| SystemScore {
        ndcg: mean(n),
        mrr: mean(r),
        zero,
    };
    (score(&rs_n, &rs_r, rs_zero), score(&nv_n, &nv_r, nv_zero))
}

/// Every id the engine returns for `q`, paging 100 at a time. With `until`, stops as soon
/// as all of those ids have been seen (a superset check need not read every page).
fn all_ids(engine: &Engine, q: &str, until: Option<&HashSet<String>>) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    let mut offset = 0;
    loop {
        let r = engine
            .search(&SearchRequest {
                q: q.into(),
                limit: Some(PAGE),
                offset,
                facets: Some(vec![]),
                ..Default::default()
            })
            .with_context(|| format!("searching {q:?}"))?;
        let n = r.hits.len();
        out.extend(r.hits.into_iter().map(|h| h.id));
        offset += PAGE;
        if until.is_some_and(|want| want.is_subset(&out))
            || n < PAGE
            || offset >= r.total
            || offset > reply_search::engine::MAX_OFFSET
        {
            return Ok(out);
        }
    }
}
