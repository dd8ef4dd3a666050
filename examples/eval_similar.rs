//! "Find similar proposals" evaluation of reply-search against a brute-force word-overlap
//! more-like-this.
//!
//! 1. Judged pairs (`eval/similar_pairs.jsonl`): for each source document, the documents a
//!    clerk would want to see (same concrete issue). success@5 and MRR@5 for
//!    `Engine::similar_to_id`, for `Engine::similar_to_text` with the source's text pasted
//!    ("by text"), and for two plain baselines over jieba default-mode words.
//! 2. Near-duplicates: real letters lightly edited in this harness (synthetic texts: two or
//!    three short spans changed) and pasted; does the original come first, flagged?
//! 3. Timing of `similar_to_id` over all judged sources.
//!
//! Run: `cargo run --release --example eval_similar -- [--corpus DIR] [--pairs FILE]
//! [--verbose]`. The corpus defaults to `../shared/corpus` (replies.jsonl, replies-more.jsonl,
//! futian-fgj-reply-20240294.txt; policy.jsonl is deliberately not used).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/harness.rs"]
mod harness;
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
use reply_search::engine::dedup;
use reply_search::engine::{SimilarHit, SimilarRequest};
use reply_search::ingest::{Letter, scan_corpus};
use reply_search::semantic::{Archive, Bag, Space};
use reply_search::text::compact;
use rng::Rng;

const TOP_K: usize = 5;
/// Letters lightly edited for the near-duplicate check.
const EDITED: usize = 50;
/// Shortest letter (chars) used for the near-duplicate check.
const EDIT_MIN_CHARS: usize = 200;
/// Fixed seed: the same letters and edits every run.
const SEED: u64 = 0x5eed_51a1_2024;

/// "Find similar proposals" evaluation of reply-search against brute-force word-overlap
/// baselines: judged pairs (success@5, MRR@5), near-duplicates of edited letters, timing.
#[derive(Parser)]
#[command(name = "eval_similar")]
struct Args {
    #[arg(long, value_name = "DIR", default_value = corpus::DEFAULT_DIR, help = corpus::DIR_HELP)]
    corpus: PathBuf,
    /// The judged pairs (JSON Lines: source, similar)
    #[arg(long, value_name = "FILE", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/similar_pairs.jsonl"))]
    pairs: PathBuf,
    /// Print every source with its ranked lists, and every synthetic edit
    #[arg(short, long)]
    verbose: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    harness::main(&args.corpus, || run(&args))
}

/// A judged source: the documents a clerk would want to see next to it.
struct Judged {
    source: String,
    similar: HashSet<String>,
}

fn load_pairs(path: &Path) -> Result<Vec<Judged>> {
    harness::read_jsonl(path, |at, v| {
        let source = v["source"]
            .as_str()
            .ok_or_else(|| anyhow!("{at}: \"source\" must be a string"))?
            .to_string();
        let similar: HashSet<String> = v["similar"]
            .as_array()
            .ok_or_else(|| anyhow!("{at}: \"similar\" must be an array"))?
            .iter()
            .map(|id| {
                id.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("{at}: ids must be strings"))
            })
            .collect::<Result<_>>()?;
        if similar.is_empty() || similar.contains(&source) {
            return Err(anyhow!("{at}: \"similar\" is empty or holds the source"));
        }
        Ok(Judged { source, similar })
    })
}

/// Rank (1-based) of the first judged document in the top `TOP_K`.
fn first_hit(ranked: &[String], judged: &HashSet<String>) -> Option<usize> {
    ranked
        .iter()
        .take(TOP_K)
        .position(|id| judged.contains(id))
        .map(|i| i + 1)
}

/// success@k and MRR@k from the first-hit ranks.
struct Score {
    success: f64,
    mrr: f64,
}

fn score(ranks: &[Option<usize>]) -> Score {
    let n = ranks.len().max(1) as f64;
    Score {
        success: ranks.iter().filter(|r| r.is_some()).count() as f64 / n,
        mrr: ranks
            .iter()
            .map(|r| r.map_or(0.0, |k| 1.0 / k as f64))
            .sum::<f64>()
            / n,
    }
}

// ---------------------------------------------------------------------------------------
// The baseline: brute-force word overlap over jieba default-mode words.

/// Every document as distinct word ids (sorted) and as a raw term-frequency vector.
struct Overlap {
    sets: Vec<Vec<u32>>,
    tfs: Vec<HashMap<u32, f32>>,
    norms: Vec<f32>,
    vocab: HashMap<String, u32>,
}

/// Plain words: jieba `cut(text, true)` (default mode, HMM on), words of two or more chars
/// made only of letters and digits (CJK counts as letters). No normalisation, no stopwords.
fn plain_words(analyzer: &Analyzer, text: &str) -> Vec<String> {
    analyzer
        .jieba
        .cut(text, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_alphanumeric))
        .map(str::to_string)
        .collect()
}

impl Overlap {
    fn new() -> Overlap {
        Overlap {
            sets: Vec::new(),
            tfs: Vec::new(),
            norms: Vec::new(),
            vocab: HashMap::new(),
        }
    }

    fn vectorise(&mut self, words: Vec<String>) -> (Vec<u32>, HashMap<u32, f32>, f32) {
        let mut tf: HashMap<u32, f32> = HashMap::new();
        for w in words {
            let next = self.vocab.len() as u32;
            let id = *self.vocab.entry(w).or_insert(next);
            *tf.entry(id).or_default() += 1.0;
        }
        let mut set: Vec<u32> = tf.keys().copied().collect();
        set.sort_unstable();
        let norm = tf.values().map(|v| v * v).sum::<f32>().sqrt();
        (set, tf, norm)
    }

    fn build(analyzer: &Analyzer, letters: &[Letter]) -> Overlap {
        let mut o = Overlap::new();
        for l in letters {
            let (set, tf, norm) = o.vectorise(plain_words(analyzer, &doc_text(l)));
            o.sets.push(set);
            o.tfs.push(tf);
            o.norms.push(norm);
        }
        o
    }

    /// Words of a query text, as ids; words unknown to the corpus cannot match and are
    /// dropped.
    fn query(&self, analyzer: &Analyzer, text: &str) -> (Vec<u32>, HashMap<u32, f32>, f32) {
        let mut tf: HashMap<u32, f32> = HashMap::new();
        let mut norm = 0.0;
        for w in plain_words(analyzer, text) {
            if let Some(&id) = self.vocab.get(&w) {
                *tf.entry(id).or_default() += 1.0;
            } else {
                norm += 1.0; // unknown words still lengthen the query vector
            }
        }
        let mut set: Vec<u32> = tf.keys().copied().collect();
        set.sort_unstable();
        let norm = (norm + tf.values().map(|v| v * v).sum::<f32>()).sqrt();
        (set, tf, norm)
    }

    /// Top `k` documents by the number of shared distinct words (ties: corpus order).
    fn top_shared(&self, set: &[u32], skip: usize, k: usize) -> Vec<usize> {
        let scores: Vec<f32> = self
            .sets
            .iter()
            .map(|other| shared(set, other) as f32)
            .collect();
        top(&scores, skip, k)
    }

    /// Top `k` documents by the cosine of raw term-frequency vectors (ties: corpus order).
    fn top_cosine(&self, tf: &HashMap<u32, f32>, norm: f32, skip: usize, k: usize) -> Vec<usize> {
        let scores: Vec<f32> = self
            .tfs
            .iter()
            .zip(&self.norms)
            .map(|(other, &n)| {
                let dot: f32 = tf
                    .iter()
                    .filter_map(|(w, f)| other.get(w).map(|g| f * g))
                    .sum();
                if n > 0.0 && norm > 0.0 {
                    dot / (n * norm)
                } else {
                    0.0
                }
            })
            .collect();
        top(&scores, skip, k)
    }
}

fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Indices of the `k` best scores (above zero), excluding `skip`; ties keep corpus order.
fn top(scores: &[f32], skip: usize, k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len())
        .filter(|&i| i != skip && scores[i] > 0.0)
        .collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.truncate(k);
    order
}

/// What the baseline reads of a stored document: its title and text, as reply-search's
/// similar_to_id reads title (and proposal title) and text.
fn doc_text(l: &Letter) -> String {
    format!(
        "{}\n{}\n{}",
        l.title,
        l.proposal_title.as_deref().unwrap_or(""),
        l.text
    )
}

// ---------------------------------------------------------------------------------------
// Semantic prototypes: an LSA space over jieba words or over Han bigrams.

fn bigram_bag(l: &Letter) -> Bag {
    let mut bag = Bag::new();
    let title = l.proposal_title.as_deref().unwrap_or(&l.title);
    for (text, weight) in [(title, 2.0), (l.text.as_str(), 1.0)] {
        let chars: Vec<char> = compact(text).chars().collect();
        for w in chars.windows(2) {
            if w.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c)) {
                *bag.entry(w.iter().collect()).or_default() += weight;
            }
        }
    }
    bag
}

fn semantic_top(vectors: &[Vec<f32>], src: usize, k: usize) -> Vec<usize> {
    let scores: Vec<f32> = vectors
        .iter()
        .map(|v| reply_search::semantic::cosine(&vectors[src], v))
        .collect();
    top(&scores, src, k)
}

// ---------------------------------------------------------------------------------------

/// A light edit of a real letter (the result is synthetic): one sentence dropped (if one
/// is short enough), the first run of digits changed, and one or two 4-char spans replaced
/// by a different phrase. Returns the edited text and a short description of the edits.
fn light_edit(text: &str, rng: &mut Rng) -> (String, Vec<String>) {
    let total = text.chars().count();
    let mut notes = Vec::new();
    // 1. Drop one sentence of at most 10% of the text, not the first.
    let sentences: Vec<&str> = text.split_inclusive('。').collect();
    let droppable: Vec<usize> = (1..sentences.len())
        .filter(|&i| {
            let n = sentences[i].chars().count();
            n >= 8 && n * 10 <= total
        })
        .collect();
    let mut out: String = if droppable.is_empty() {
        text.to_string()
    } else {
        let drop = droppable[rng.below(droppable.len())];
        notes.push(format!("dropped {} chars", sentences[drop].chars().count()));
        sentences
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, s)| *s)
            .collect()
    };
    // 2. Change the first run of digits (each digit + 1).
    let chars: Vec<char> = out.chars().collect();
    if let Some(start) = chars.iter().position(|c| c.is_ascii_digit()) {
        let mut changed = chars.clone();
        let mut i = start;
        while i < changed.len() && changed[i].is_ascii_digit() {
            let d = changed[i].to_digit(10).unwrap_or(0);
            changed[i] = char::from_digit((d + 1) % 10, 10).unwrap_or('0');
            i += 1;
        }
        notes.push(format!(
            "digits {}→{}",
            chars[start..i].iter().collect::<String>(),
            changed[start..i].iter().collect::<String>()
        ));
        out = changed.into_iter().collect();
    }
    // 3. Replace one or two 4-char spans of CJK text with another phrase.
    const PHRASES: [&str; 4] = ["有关单位", "相关部门", "进一步地", "认真研究"];
    let spans = 1 + rng.below(2);
    for _ in 0..spans {
        let chars: Vec<char> = out.chars().collect();
        if chars.len() < 20 {
            break;
        }
        let cjk = |c: &char| ('\u{4e00}'..='\u{9fff}').contains(c);
        let starts: Vec<usize> = (0..chars.len() - 4)
            .filter(|&i| chars[i..i + 4].iter().all(cjk))
            .collect();
        if starts.is_empty() {
            break;
        }
        let at = starts[rng.below(starts.len())];
        let phrase = PHRASES[rng.below(PHRASES.len())];
        notes.push(format!(
            "{}→{phrase}",
            chars[at..at + 4].iter().collect::<String>()
        ));
        out = chars[..at]
            .iter()
            .copied()
            .chain(phrase.chars())
            .chain(chars[at + 4..].iter().copied())
            .collect();
    }
    (out, notes)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let judged = load_pairs(&args.pairs)?;
    let tmp = corpus::temp_copy(&args.corpus)?;

    let t = Instant::now();
    let analyzer = Analyzer::shared_default();
    let engine = Engine::in_memory(analyzer.clone())?;
    let report = engine.sync_corpus(tmp.path(), &|_| {})?;
    for s in &report.skipped {
        eprintln!("skipped {}: {}", s.location, s.reason);
    }
    let index_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let scan = scan_corpus(tmp.path()).context("scanning the corpus copy")?;
    let letters: Vec<Letter> = scan.docs.into_iter().map(|d| d.letter).collect();
    let overlap = Overlap::build(&analyzer, &letters);
    let baseline_secs = t.elapsed().as_secs_f64();
    let position: HashMap<&str, usize> = letters
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id.as_str(), i))
        .collect();
    let t = Instant::now();
    let word_bags: Vec<Bag> = letters
        .iter()
        .map(|l| {
            let titles: Vec<&str> = std::iter::once(l.title.as_str())
                .chain(l.proposal_title.as_deref())
                .collect();
            engine.semantic_bag(&titles, &l.text)
        })
        .collect();
    let bag_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let word_space = Space::train(Archive::from(&word_bags[..]))
        .ok_or_else(|| anyhow!("no word space"))?
        .space;
    let word_vecs: Vec<Vec<f32>> = word_bags.iter().map(|b| word_space.embed(b)).collect();
    let word_train = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let bigram_bags: Vec<Bag> = letters.iter().map(bigram_bag).collect();
    let bigram_space = Space::train(Archive::from(&bigram_bags[..]))
        .ok_or_else(|| anyhow!("no bigram space"))?
        .space;
    let bigram_vecs: Vec<Vec<f32>> = bigram_bags.iter().map(|b| bigram_space.embed(b)).collect();
    let bigram_train = t.elapsed().as_secs_f64();
    println!(
        "semantic spaces: words {} terms ({bag_secs:.1}s jieba, {word_train:.1}s train+embed), bigrams {} terms ({bigram_train:.1}s)",
        word_space.term_count(),
        bigram_space.term_count()
    );
    let (mut sem_words, mut sem_bigrams) = (vec![], vec![]);
    let judged_ids: usize = judged.iter().map(|j| j.similar.len()).sum();
    println!(
        "corpus: {} documents ({} in reply-search); {} judged sources, {} judged similar ids",
        letters.len(),
        report.docs,
        judged.len(),
        judged_ids
    );
    for j in &judged {
        for id in std::iter::once(&j.source).chain(&j.similar) {
            if !position.contains_key(id.as_str()) {
                return Err(anyhow!("{}: unknown id {id}", args.pairs.display()));
            }
        }
    }

    // --- Judged pairs ----------------------------------------------------------------
    let ids = |hits: Vec<SimilarHit>, skip: &str| -> Vec<String> {
        hits.into_iter()
            .map(|h| h.id)
            .filter(|id| id != skip)
            .take(TOP_K)
            .collect()
    };
    let mut times = Vec::new();
    let (mut rs_id, mut rs_text, mut bl_shared, mut bl_cos, mut bl_shared_text) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut worse = Vec::new();
    let mut reposts: Vec<bool> = Vec::new();
    for j in &judged {
        let src = position[j.source.as_str()];
        let letter = &letters[src];

        let t = Instant::now();
        let by_id = engine
            .similar_to_id(
                &j.source,
                &SimilarRequest {
                    limit: Some(TOP_K),
                    ..Default::default()
                },
            )
            .with_context(|| format!("similar_to_id({})", j.source))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let rs_ranked = ids(by_id.hits, &j.source);
        let to_id = |v: Vec<usize>| -> Vec<String> {
            v.into_iter().map(|i| letters[i].id.clone()).collect()
        };
        let sw = to_id(semantic_top(&word_vecs, src, 20));
        let sb = to_id(semantic_top(&bigram_vecs, src, 20));
        sem_words.push(first_hit(&sw, &j.similar));
        sem_bigrams.push(first_hit(&sb, &j.similar));

        // The source itself is in the index, so ask for one more and drop it.
        let by_text = engine
            .similar_to_text(&SimilarRequest {
                text: letter.text.clone(),
                limit: Some(TOP_K + 1),
                ..Default::default()
            })
            .with_context(|| format!("similar_to_text({})", j.source))?;
        let rs_text_ranked = ids(by_text.hits, &j.source);

        let to_ids = |v: Vec<usize>| -> Vec<String> {
            v.into_iter().map(|i| letters[i].id.clone()).collect()
        };
        let shared_ranked = to_ids(overlap.top_shared(&overlap.sets[src], src, TOP_K));
        let cos_ranked =
            to_ids(overlap.top_cosine(&overlap.tfs[src], overlap.norms[src], src, TOP_K));
        let (qset, _, _) = overlap.query(&analyzer, &letter.text);
        let shared_text_ranked = to_ids(overlap.top_shared(&qset, src, TOP_K));

        // A "repost" source: at least one judged doc repeats its text (a near-duplicate).
        reposts.push(j.similar.iter().any(|id| {
            dedup::compare(&letter.text, &letters[position[id.as_str()]].text).is_some()
        }));
        let r = first_hit(&rs_ranked, &j.similar);
        let b = first_hit(&shared_ranked, &j.similar);
        let c = first_hit(&cos_ranked, &j.similar);
        if args.verbose {
            println!(
                "{} [{}] rs={:?} rs-text={:?} shared={:?} cosine={:?}",
                j.source,
                letter.title,
                r,
                first_hit(&rs_text_ranked, &j.similar),
                b,
                c
            );
            println!("    terms: {}", by_id.terms.join(" "));
            for id in &rs_ranked {
                let mark = if j.similar.contains(id) { "*" } else { " " };
                println!(
                    "    rs {mark} {id} {}",
                    letters[position[id.as_str()]].title
                );
            }
            for id in &shared_ranked {
                let mark = if j.similar.contains(id) { "*" } else { " " };
                println!(
                    "    bl {mark} {id} {}",
                    letters[position[id.as_str()]].title
                );
            }
        }
        let best_baseline = [b, c].into_iter().flatten().min();
        if let Some(bb) = best_baseline
            && r.is_none_or(|r| r > bb)
        {
            worse.push((
                j.source.clone(),
                letter.title.clone(),
                r,
                bb,
                rs_ranked.clone(),
            ));
        }
        rs_id.push(r);
        rs_text.push(first_hit(&rs_text_ranked, &j.similar));
        bl_shared.push(b);
        bl_cos.push(c);
        bl_shared_text.push(first_hit(&shared_text_ranked, &j.similar));
    }
    let pairs_secs = started.elapsed().as_secs_f64();

    if !worse.is_empty() {
        println!("\nSources where reply-search ranks the first judged doc below a baseline:");
        for (id, title, r, b, ranked) in &worse {
            println!(
                "- {id} 《{title}》: reply-search {}, best baseline rank {b}; reply-search top: {}",
                r.map_or("miss".to_string(), |r| format!("rank {r}")),
                ranked.join(", ")
            );
        }
    }

    // --- Near-duplicates (synthetic light edits of real letters) -----------------------
    let mut rng = Rng(SEED);
    let mut pool: Vec<usize> = letters
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            (l.id.starts_with("pages-") || l.id.starts_with("govcn-"))
                && l.kind != "留言"
                && l.text.chars().count() >= EDIT_MIN_CHARS
        })
        .map(|(i, _)| i)
        .collect();
    // Fisher–Yates with the fixed seed, then the first EDITED.
    for i in (1..pool.len()).rev() {
        let k = rng.below(i + 1);
        pool.swap(i, k);
    }
    pool.truncate(EDITED);
    let (mut dup_first, mut dup_top5, mut sims, mut jaccards) = (0, 0, Vec::new(), Vec::new());
    let mut dup_misses = Vec::new();
    for &i in &pool {
        let original = &letters[i];
        let (edited, notes) = light_edit(&original.text, &mut rng);
        let (sa, sb) = (compact(&original.text), compact(&edited));
        let (jaccard, _) = dedup::overlap(&dedup::shingles(&sa), &dedup::shingles(&sb));
        jaccards.push(f64::from(jaccard));
        let r = engine.similar_to_text(&SimilarRequest {
            text: edited,
            limit: Some(TOP_K),
            ..Default::default()
        })?;
        let first_ok = r
            .hits
            .first()
            .is_some_and(|h| h.id == original.id && h.near_duplicate.is_some());
        let found = r
            .hits
            .iter()
            .find(|h| h.id == original.id && h.near_duplicate.is_some());
        if first_ok {
            dup_first += 1;
        }
        if let Some(h) = found {
            dup_top5 += 1;
            sims.push(f64::from(
                h.near_duplicate.as_ref().map_or(0.0, |d| d.similarity),
            ));
        }
        if !first_ok {
            dup_misses.push(format!(
                "- {} ({} chars; edits: {}; shingle Jaccard to original {:.3}): first hit {}",
                original.id,
                original.text.chars().count(),
                notes.join(", "),
                jaccard,
                r.hits.first().map_or("none".to_string(), |h| format!(
                    "{}{}",
                    h.id,
                    if h.near_duplicate.is_some() {
                        " (flagged)"
                    } else {
                        ""
                    }
                ))
            ));
        }
        if args.verbose {
            println!("synthetic edit of {}: {}", original.id, notes.join(", "));
        }
    }
    if !dup_misses.is_empty() {
        println!("\nSynthetic edits whose original is not first and flagged:");
        for m in &dup_misses {
            println!("{m}");
        }
    }

    // --- Report ----------------------------------------------------------------------
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let rs = score(&rs_id);
    let rst = score(&rs_text);
    let bs = score(&bl_shared);
    let bc = score(&bl_cos);
    let bst = score(&bl_shared_text);
    println!(
        "\nindexing: reply-search {index_secs:.1} s; baseline tokenising {baseline_secs:.1} s; judged pairs {:.1} s; total {:.1} s",
        pairs_secs,
        started.elapsed().as_secs_f64()
    );
    println!(
        "similar_to_id over {} sources: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms",
        times.len(),
        mean(&times),
        percentile(&sorted, 50.0),
        percentile(&sorted, 99.0)
    );
    println!(
        "\n## Find similar ({} judged sources, {} judged similar ids)\n",
        judged.len(),
        judged_ids
    );
    let fresh = reposts.iter().filter(|r| !**r).count();
    let only_fresh = |ranks: &[Option<usize>]| -> Score {
        let kept: Vec<Option<usize>> = ranks
            .iter()
            .zip(&reposts)
            .filter(|(_, r)| !**r)
            .map(|(k, _)| *k)
            .collect();
        score(&kept)
    };
    println!(
        "\n{} sources have a judged doc that repeats their text (near-duplicate by dedup::compare); the other {fresh} (\"independent\") are scored separately.\n",
        reposts.len() - fresh
    );
    println!("| system | success@5 | MRR@5 | success@5 (independent) | MRR@5 (independent) |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, s, ranks) in [
        ("reply-search, by id (`similar_to_id`)", &rs, &rs_id),
        (
            "reply-search, by text (`similar_to_text`, source skipped)",
            &rst,
            &rs_text,
        ),
        (
            "semantic only: LSA over jieba words (the engine's space)",
            &score(&sem_words),
            &sem_words,
        ),
        (
            "semantic only: LSA over Han bigrams (compared, not used)",
            &score(&sem_bigrams),
            &sem_bigrams,
        ),
        (
            "baseline: shared distinct jieba words, by id (title + text)",
            &bs,
            &bl_shared,
        ),
        (
            "baseline: cosine of raw jieba tf vectors, by id (title + text)",
            &bc,
            &bl_cos,
        ),
        (
            "baseline: shared distinct jieba words, by text (text only)",
            &bst,
            &bl_shared_text,
        ),
    ] {
        let f = only_fresh(ranks);
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} |",
            s.success, s.mrr, f.success, f.mrr
        );
    }
    println!(
        "\nNear-duplicates: {} real letters (pages-/govcn-, ≥ {EDIT_MIN_CHARS} chars) lightly edited in this harness (synthetic texts), pasted to similar_to_text:",
        pool.len()
    );
    println!(
        "- original first and flagged near_duplicate: {dup_first}/{} ({:.0}%); flagged in the top 5: {dup_top5}/{}",
        pool.len(),
        100.0 * dup_first as f64 / pool.len().max(1) as f64,
        pool.len()
    );
    println!(
        "- mean reported similarity (shingle Jaccard) of the flagged original: {:.3}; mean Jaccard of edit to original: {:.3} (min {:.3})",
        mean(&sims),
        mean(&jaccards),
        jaccards.iter().copied().fold(f64::INFINITY, f64::min)
    );
    println!(
        "\nReproduce: `cargo run --release --example eval_similar -- --corpus {}`",
        args.corpus.display()
    );
    Ok(())
}
