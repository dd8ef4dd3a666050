//! Fuzzing without a nightly toolchain: proptest at high case counts over hostile strings
//! (quotes, operators, fields, full-width and traditional forms, CJK, emoji, controls,
//! bidi and zero-width chars, huge numbers, impossible dates) against each entry point that
//! reads untrusted text:
//!
//! * `query`: `query::parse` never panics.
//! * `search`: `Engine::search` (three ways) and `Engine::similar_to_text` on a small
//!   in-memory engine never panic and answer Ok or a user error; hits are well-formed HTML.
//! * `ingest`: `clean_text`, `extract_fields`, `letter_from_text`, `letter_from_json` and
//!   `parse_cn_date` never panic, on random text and on real letters spliced with random text.
//! * `tokenize`: both tokenizers give in-bounds, char-boundary offsets with `from < to`.
//! * `snippet`: `highlight::snippet` and `highlight_all` output balanced, unnested `<mark>`s
//!   and no other markup.
//!
//! Each target is a function of one string, so any failing input can be saved as a file
//! under `tests/fuzz-regressions/<target>/` and is replayed by `regressions_replay` (CI runs
//! the regressions, the random cases only add to them). `FUZZ_SCALE=10` multiplies the case
//! counts for a longer run; each target prints how many inputs it executed.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reply_search::analysis::{Analyzer, NgramTokenizer, WordTokenizer};
use reply_search::engine::Engine;
use reply_search::engine::SimilarRequest;
use reply_search::engine::highlight;
use reply_search::engine::{FacetField, Filters, MatchMode, SearchRequest, SortOrder};
use reply_search::ingest::{self, clean::clean_text, fields::extract_fields};
use tantivy::tokenizer::{TokenStream, Tokenizer};

/// Separates the text from the needles in a `snippet` input (a noncharacter the generators
/// never produce).
const SEP: char = '\u{10FFFF}';

// ---------------------------------------------------------------------------------------
// The targets: each takes one input and returns Err(description) on a violated property.
// Panics are caught by the runner (and by `catch` in the replay) and count as failures.

fn target_query(s: &str) -> Result<(), String> {
    match reply_search::engine::query::parse(s) {
        Ok(q) => {
            if q.groups
                .iter()
                .flatten()
                .chain(&q.excluded)
                .any(|a| a.text.is_empty())
            {
                return Err(format!("empty atom in {q:?}"));
            }
            if q.groups.iter().any(Vec::is_empty) {
                return Err(format!("empty group in {q:?}"));
            }
            Ok(())
        }
        Err(_) if s.chars().count() > reply_search::engine::query::MAX_QUERY_CHARS => Ok(()),
        Err(e) => Err(format!("refused a short query: {e}")),
    }
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        // The test letters in one segment (as a real index has them: scorers then move
        // past documents, which one-document segments would never exercise).
        let engine = Engine::in_memory(Analyzer::shared_default()).unwrap();
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ingest/testdata");
        let corpus = tempfile::tempdir().unwrap();
        for name in ["letters.jsonl", "futian-fgj-reply-20240294.txt"] {
            std::fs::copy(testdata.join(name), corpus.path().join(name)).unwrap();
        }
        let report = engine.sync_corpus(corpus.path(), &|_| {}).unwrap();
        assert!(report.skipped.is_empty() && engine.num_docs() >= 20, "{:?}", report.skipped);
        // A letter made of the chars that break naive offset arithmetic.
        engine
            .put(&ingest::Letter {
                id: "odd".into(),
                title: "İstanbul ΣΑΣ ﬁ Ⱥ K Å 停車場 ＡＢＣ".into(),
                kind: "建议".into(),
                text: "İİ ẞ ﬁﬂ Ⱥⱥ K Å 𠀀𪚥 e\u{301} 🚗👨‍👩‍👧 \u{200B}\u{202E}停車場\u{FEFF} ＡＢＣ１２３ <b>&amp; 〔2024〕12号 二○二四年六月".into(),
                ..Default::default()
            })
            .unwrap();
        engine
    })
}

fn check_html(what: &str, html: &str) -> Result<(), String> {
    let mut open = false;
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("<mark>") {
            if open {
                return Err(format!("{what}: nested <mark> in {html:?}"));
            }
            open = true;
            rest = after;
        } else if let Some(after) = tail.strip_prefix("</mark>") {
            if !open {
                return Err(format!("{what}: </mark> without <mark> in {html:?}"));
            }
            open = false;
            rest = after;
        } else {
            return Err(format!("{what}: raw '<' outside the marks in {html:?}"));
        }
    }
    if open {
        return Err(format!("{what}: unclosed <mark> in {html:?}"));
    }
    let plain = html.replace("<mark>", "").replace("</mark>", "");
    if plain.contains('>') {
        return Err(format!("{what}: raw '>' in {html:?}"));
    }
    Ok(())
}

fn target_search(s: &str) -> Result<(), String> {
    let engine = engine();
    let requests = [
        SearchRequest {
            q: s.to_string(),
            ..Default::default()
        },
        SearchRequest {
            q: s.to_string(),
            match_mode: MatchMode::All,
            sort: Some(SortOrder::Date),
            limit: Some(3),
            offset: 1,
            facets: Some(vec![FacetField::Session, FacetField::Kind]),
            ..Default::default()
        },
        SearchRequest {
            q: "答复".into(),
            filters: Filters {
                respondent: Some(s.to_string()),
                kind: Some(s.to_string()),
                session: Some(s.to_string()),
                from: Some(s.to_string()),
                ..Default::default()
            },
            ..Default::default()
        },
    ];
    for request in &requests {
        match engine.search(request) {
            Ok(r) => {
                for hit in &r.hits {
                    check_html("snippet", &hit.snippet.to_html())?;
                    check_html("title_html", &hit.title.to_html())?;
                }
            }
            Err(e) if e.is_user_error() => {}
            Err(e) => return Err(format!("internal error: {e}")),
        }
    }
    match engine.similar_to_text(&SimilarRequest {
        text: s.to_string(),
        limit: Some(3),
        filters: Filters::default(),
    }) {
        Ok(_) => Ok(()),
        Err(e) if e.is_user_error() => Ok(()),
        Err(e) => Err(format!("similar: internal error: {e}")),
    }
}

fn target_ingest(s: &str) -> Result<(), String> {
    let cleaned = clean_text(s);
    let fields = extract_fields(&cleaned);
    if let Some(date) = &fields.date {
        let ok = date.len() == 10
            && reply_search::text::date::parse_cn_date(date).as_deref() == Some(date);
        if !ok {
            return Err(format!("extracted an invalid date {date:?}"));
        }
    }
    // The cleaner is idempotent on its own output.
    let again = clean_text(&cleaned);
    if again != cleaned {
        return Err(format!(
            "clean_text is not idempotent: {cleaned:?} → {again:?}"
        ));
    }
    let _ = reply_search::text::date::parse_cn_date(s);
    if let Ok(letter) = ingest::letter_from_text("fuzz", s, None)
        && (letter.text.is_empty() || letter.title.is_empty())
    {
        return Err(format!("letter with an empty text or title: {letter:?}"));
    }
    let value = serde_json::json!({
        "id": "fuzz", "text": s, "title": s, "date": s, "kind": s, "proposal_no": s,
        "session": s, "respondent": s, "addressee": s,
    });
    let _ = ingest::letter_from_json(&value);
    Ok(())
}

fn target_tokenize(s: &str) -> Result<(), String> {
    fn check(name: &str, s: &str, stream: &mut dyn TokenStream) -> Result<usize, String> {
        let mut n = 0;
        while stream.advance() {
            let t = stream.token();
            n += 1;
            let bad = t.offset_from >= t.offset_to
                || t.offset_to > s.len()
                || !s.is_char_boundary(t.offset_from)
                || !s.is_char_boundary(t.offset_to)
                || t.text.is_empty();
            if bad {
                return Err(format!(
                    "{name}: token {:?} at {}..{} in a text of {} bytes",
                    t.text,
                    t.offset_from,
                    t.offset_to,
                    s.len()
                ));
            }
        }
        Ok(n)
    }
    thread_local! {
        static TOKENIZERS: std::cell::RefCell<(WordTokenizer, NgramTokenizer)> =
            std::cell::RefCell::new((WordTokenizer::new(Analyzer::shared_default()), NgramTokenizer::default()));
    }
    TOKENIZERS.with(|t| {
        let (words, ngrams) = &mut *t.borrow_mut();
        check("words", s, &mut words.token_stream(s))?;
        let n = check("ngrams", s, &mut ngrams.token_stream(s))?;
        let non_space = s.chars().filter(|c| !c.is_whitespace()).count();
        if n != non_space {
            return Err(format!(
                "ngrams: {n} tokens for {non_space} non-space chars"
            ));
        }
        // And a fresh tokenizer agrees with the reused one (no state leaks between texts).
        let mut fresh = NgramTokenizer::default();
        let mut a = fresh.token_stream(s);
        let mut b = ngrams.token_stream(s);
        while a.advance() {
            if !b.advance() || a.token().text != b.token().text {
                return Err("ngrams: a reused tokenizer differs from a fresh one".into());
            }
        }
        Ok(())
    })?;
    let _ = Analyzer::shared_default().query_words(s);
    Ok(())
}

fn target_snippet(s: &str) -> Result<(), String> {
    let mut parts = s.split(SEP);
    let text = parts.next().unwrap_or("");
    let strings: Vec<&str> = parts.collect();
    let needles = highlight::needles(strings.iter().copied());
    for max in [1, 20, 120] {
        check_html(
            "snippet",
            &highlight::snippet(text, &needles, max).to_html(),
        )?;
    }
    let all = highlight::highlight_all(text, &needles).to_html();
    check_html("highlight_all", &all)?;
    // Nothing is lost: unescaped and unmarked, the output is the text as written.
    let plain =
        html_escape::decode_html_entities(&all.replace("<mark>", "").replace("</mark>", ""))
            .into_owned();
    if plain != text {
        return Err(format!(
            "highlight_all changed the text: {text:?} → {plain:?}"
        ));
    }
    Ok(())
}

/// A fuzz target: checks one input, Err(description) on a violated property.
type Target = fn(&str) -> Result<(), String>;

const TARGETS: [(&str, Target); 5] = [
    ("query", target_query),
    ("search", target_search),
    ("ingest", target_ingest),
    ("tokenize", target_tokenize),
    ("snippet", target_snippet),
];

// ---------------------------------------------------------------------------------------
// Generators

/// Words of the test letters, rare and common.
const WORDS: &[&str] = &[
    "新质生产力",
    "停车",
    "电梯",
    "加装电梯",
    "老旧小区",
    "福田区",
    "答复",
    "建议",
    "科技",
    "生产力",
    "深港",
    "学校",
    "道路",
    "河堤",
    "公交",
    "代表",
    "收悉",
    "发展",
    "教育",
    "医疗",
];

const PIECES: &[&str] = &[
    // query syntax
    "\"",
    "“",
    "”",
    "「",
    "」",
    "『",
    "』",
    "＂",
    "-",
    "－",
    "--",
    "OR",
    "or",
    "|",
    "||",
    "(",
    ")",
    "（",
    "）",
    ":",
    "：",
    "title:",
    "year:",
    "kind:",
    "respondent:",
    "session:",
    "标题:",
    "年份:",
    "year:abc",
    "year:99999999999999999999",
    "field:",
    "*",
    "?",
    "~",
    "^",
    "\\",
    "[",
    "]",
    "{",
    "}",
    // words of the corpus
    "停车",
    "电梯",
    "加装电梯",
    "新质生产力",
    "福田区",
    "发展和改革局",
    "发改局",
    "建议",
    "提案",
    "议案",
    "答复",
    "的",
    "关于",
    "老旧小区",
    "深港科技创新",
    "代表",
    "委员",
    "收悉",
    "现答复如下",
    // letter structure
    "尊敬的王代表：",
    "张委员：",
    "您提出的关于",
    "的建议收悉。",
    "现答复如下：",
    "特此函复。",
    "深圳市福田区第八届人民代表大会第四次会议",
    "第20240294号",
    "〔2024〕12号",
    "【2024】",
    "某某市交通运输局",
    "福田区发展和改革局\n",
    "联系人：",
    "电话：",
    "抄送：",
    "第 1 页 共 3 页",
    // dates, good and impossible
    "2024年6月12日",
    "2024-06-12",
    "2024.6.12",
    "二〇二四年六月十二日",
    "二○二四年六月十二日",
    "二〇二四年十三月四十日",
    "二〇二四年二月三十日",
    "〇〇〇〇年〇月〇日",
    "9999年99月99日",
    "2024年2月30日",
    "0年0月0日",
    "十二月",
    "三十一日",
    "年",
    "月",
    "日",
    "号",
    // numbers
    "99999999999999999999",
    "18446744073709551616",
    "-1",
    "0",
    "1e308",
    "NaN",
    "１２３",
    // width, case, script variants
    "ＡＢＣ",
    "ａｂｃ",
    "停車場",
    "電梯",
    "發展",
    "İ",
    "ẞ",
    "ß",
    "ﬁ",
    "Ⱥ",
    "K",
    "Å",
    "Σ",
    "ς",
    "𠀀",
    "𪚥",
    "ﾃ",
    "㍻",
    "①",
    "Ⅷ",
    // invisible, bidi, combining, emoji, controls
    "\u{0}",
    "\u{1}",
    "\u{7}",
    "\u{1B}",
    "\u{7F}",
    "\u{85}",
    "\u{200B}",
    "\u{200C}",
    "\u{200D}",
    "\u{202E}",
    "\u{2066}",
    "\u{FEFF}",
    "\u{FFFD}",
    "\u{301}",
    "e\u{301}\u{301}",
    "🚗",
    "👨‍👩‍👧‍👦",
    "🇨🇳",
    "\u{E000}",
    // whitespace
    " ",
    "  ",
    "\u{3000}",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\u{2028}",
    "\u{A0}",
    // markup
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "<mark>",
    "</mark>",
    "<script>",
    "\"'",
    "<!--",
];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(PIECES).prop_map(str::to_string),
        // Operators applied to words that occur in the letters (exclusions of rare words
        // exercise the scorers' seek paths).
        1 => (prop::sample::select(&["-", " -", " OR ", "\"", "title:", "-\""][..]), prop::sample::select(WORDS))
            .prop_map(|(op, w)| format!("{op}{w}")),
        3 => "[\u{4E00}-\u{9FFF}]{1,4}",
        1 => "[\u{3400}-\u{4DBF}\u{20000}-\u{2A6DF}\u{F900}-\u{FAFF}]{1,2}",
        1 => "\\PC{1,6}",
        1 => any::<char>().prop_filter("not the separator", |c| *c != SEP).prop_map(|c| c.to_string()),
        1 => "[0-9]{1,24}",
        1 => (0u32..10_000, 0u32..100, 0u32..100).prop_map(|(y, m, d)| format!("{y}年{m}月{d}日")),
        1 => ("[〇○零一二三四五六七八九]{1,6}", "[一二三四五六七八九十]{1,3}", "[一二三四五六七八九十]{1,4}")
            .prop_map(|(y, m, d)| format!("{y}年{m}月{d}日")),
        1 => "[a-zA-Z]{1,8}",
    ]
}

fn hostile(max_pieces: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..max_pieces).prop_map(|v| v.concat())
}

/// A real letter with random splices: deep paths of the field extractor.
fn spliced_letter() -> impl Strategy<Value = String> {
    static BASES: OnceLock<Vec<String>> = OnceLock::new();
    let bases = BASES.get_or_init(|| {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ingest/testdata");
        let mut bases: Vec<String> = std::fs::read_to_string(testdata.join("letters.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let text: String = v["text"].as_str().unwrap().chars().take(1500).collect();
                format!("{}\n{}", v["title"].as_str().unwrap_or(""), text)
            })
            .collect();
        bases
            .push(std::fs::read_to_string(testdata.join("futian-fgj-reply-20240294.txt")).unwrap());
        bases
    });
    let n = bases.len();
    (
        0..n,
        prop::collection::vec((0.0f64..1.0, 0usize..40, piece()), 0..8),
    )
        .prop_map(move |(i, edits)| {
            let mut chars: Vec<char> = bases[i].chars().collect();
            for (at, cut, insert) in edits {
                let at = ((chars.len() as f64) * at) as usize;
                let end = (at + cut).min(chars.len());
                chars.splice(at..end, insert.chars());
            }
            chars.into_iter().collect()
        })
}

fn snippet_input() -> impl Strategy<Value = String> {
    (
        hostile(40),
        prop::collection::vec(hostile(3), 0..5),
        prop::collection::vec((0.0f64..1.0, 1usize..6), 0..3),
    )
        .prop_map(|(text, mut needles, cuts)| {
            // Needles taken from the text itself, so that there are matches to mark.
            let chars: Vec<char> = text.chars().collect();
            for (at, len) in cuts {
                let start = ((chars.len() as f64) * at) as usize;
                let end = (start + len).min(chars.len());
                needles.push(chars[start..end].iter().collect());
            }
            let mut s = text;
            for n in needles {
                s.push(SEP);
                s.push_str(&n);
            }
            s
        })
}

// ---------------------------------------------------------------------------------------
// Running

fn scale() -> f64 {
    std::env::var("FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// Runs `target` on `cases` generated inputs; on a failure, saves the minimal input under
/// the target dir for copying into `tests/fuzz-regressions/` and fails.
fn fuzz(name: &str, cases: u32, strategy: impl Strategy<Value = String>) {
    let target = TARGETS.iter().find(|(n, _)| *n == name).unwrap().1;
    let cases = ((cases as f64) * scale()).max(1.0) as u32;
    let execs = Arc::new(AtomicU64::new(0));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    });
    let counter = execs.clone();
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |input| {
        counter.fetch_add(1, Ordering::Relaxed);
        target(&input).map_err(TestCaseError::fail)
    });
    eprintln!(
        "fuzz {name}: {} execs in {:.1} s",
        execs.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("fuzz-failures")
            .join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.txt", std::process::id()));
        if let proptest::test_runner::TestError::Fail(_, input) = &e {
            std::fs::write(&path, input).unwrap();
        }
        panic!(
            "fuzz {name} failed: {e}\n(minimal input saved to {})",
            path.display()
        );
    }
}

#[test]
fn fuzz_query_parse() {
    fuzz(
        "query",
        20_000,
        prop_oneof![hostile(30), "\\PC{0,200}", any::<String>()],
    );
    // Near the length limit, where the parser counts chars.
    fuzz("query", 300, hostile(400));
}

#[test]
fn fuzz_search() {
    fuzz("search", 600, prop_oneof![hostile(12), "\\PC{0,40}"]);
}

#[test]
fn fuzz_ingest() {
    fuzz("ingest", 3_000, prop_oneof![hostile(60), any::<String>()]);
    fuzz("ingest", 1_500, spliced_letter());
}

#[test]
fn fuzz_tokenizers() {
    fuzz(
        "tokenize",
        6_000,
        prop_oneof![hostile(40), any::<String>(), "\\PC{0,100}"],
    );
}

#[test]
fn fuzz_snippets() {
    fuzz("snippet", 6_000, snippet_input());
}

/// Replays every saved input of every target: the regressions the fuzzer found, kept.
#[test]
fn regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    let mut failures = Vec::new();
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let input = String::from_utf8_lossy(&bytes).into_owned();
            let outcome = std::panic::catch_unwind(|| target(&input));
            replayed += 1;
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failures.push(format!("{}: {e}", path.display())),
                Err(_) => failures.push(format!("{}: panicked", path.display())),
            }
        }
    }
    eprintln!("replayed {replayed} saved fuzz inputs");
    assert!(replayed > 0, "no saved inputs under {}", root.display());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
