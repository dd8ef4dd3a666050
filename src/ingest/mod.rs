//! Reading corpus files into letters.
//!
//! A corpus is a directory tree of letter files (.txt, .md, .html/.htm, .pdf, .docx: one
//! letter each) and JSON Lines files (.jsonl: one record per line). Anything unusable is
//! reported as a `Skipped` entry instead of failing the scan, so one bad file never blocks
//! indexing. Only regular files inside the corpus folder are read (see `scan`). See
//! docs/formats.md.

pub mod clean;
pub mod docx;
pub mod fields;
mod furniture;
pub mod html;
pub mod id;
pub mod lines;
pub mod pdf;
mod scan;

use serde_json::Value;

use id::DocId;
pub use scan::{MAX_JSONL_BYTES, MAX_JSONL_LINE_BYTES, scan_corpus, scan_corpus_each};

/// A reply letter with the fields the index stores.
#[derive(
    Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default, utoipa::ToSchema,
)]
pub struct Letter {
    pub id: String,
    /// Never empty: record title, else the letter's heading, else proposal_title, else
    /// the start of the text.
    pub title: String,
    /// "建议" | "提案" | "议案" | "留言" | "other"
    pub kind: String,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    /// Without 《》.
    pub proposal_title: Option<String>,
    pub respondent: Option<String>,
    pub addressee: Option<String>,
    /// ISO "2024-06-12".
    pub date: Option<String>,
    /// Cleaned text, paragraphs separated by "\n".
    pub text: String,
    pub source: Option<String>,
}

/// One document read from the corpus, with a content hash for incremental indexing.
pub struct CorpusDoc {
    pub letter: Letter,
    pub hash: u64,
}

/// A file or line that could not be used, and why (shown to the user).
pub struct Skipped {
    /// e.g. "corpus/a.jsonl:17" or "corpus/x.txt"
    pub location: String,
    pub reason: String,
}

pub struct CorpusScan {
    pub docs: Vec<CorpusDoc>,
    pub skipped: Vec<Skipped>,
}

/// Bump when cleaning/extraction changes so that incremental indexing re-indexes everything.
/// 2: HTML main-content extraction.
/// 3: text keeps its characters as written (no width folding), a wrapped heading is one
/// line, and portal page furniture in the head is removed.
pub const PARSER_VERSION: u32 = 3;

/// Largest letter text accepted, in bytes.
const MAX_TEXT_BYTES: usize = 5 * 1024 * 1024;
/// Largest PDF or DOCX file accepted, in bytes: they carry fonts and images, so they are
/// much larger than their text.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;
/// Title fallback length, in chars.
const TITLE_FALLBACK_CHARS: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the letter has no text")]
    EmptyText,
    #[error("required field \"{0}\" is missing, empty or not a string")]
    MissingField(&'static str),
    #[error("invalid JSON: {0}")]
    BadJson(String),
    #[error("text is too large ({size} bytes; the limit is {limit} bytes)")]
    TooLarge { size: u64, limit: usize },
    #[error("invalid id {id:?}: {reason}")]
    BadId { id: String, reason: &'static str },
    #[error("not valid UTF-8 (first invalid byte at offset {0})")]
    InvalidUtf8(usize),
    #[error("cannot read: {0}")]
    Io(String),
    #[error("no text layer (scanned PDF?): {chars} text characters on {pages} page(s)")]
    NoTextLayer { pages: usize, chars: usize },
    #[error("unreadable PDF: {0}")]
    BadPdf(String),
    #[error("unreadable DOCX: {0}")]
    BadDocx(String),
    #[error("unsupported format {0:?}")]
    Unsupported(String),
    #[error("symbolic link: not followed")]
    Symlink,
    #[error("{0}: only regular files are read")]
    NotRegularFile(&'static str),
    #[error("line is too long (over {limit} bytes)")]
    LineTooLong { limit: u64 },
    #[error("file grew past the limit of {limit} bytes while being read")]
    GrewPastLimit { limit: u64 },
}

/// The document formats letters are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
    Pdf,
    Docx,
    /// One JSON record (see `letter_from_json`).
    Json,
}

impl Format {
    /// The format named by a MIME type (parameters such as `; charset=utf-8` ignored) or a
    /// file extension (with or without the dot), case-insensitively.
    pub fn from_type_or_ext(s: &str) -> Option<Format> {
        let s = s
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let s = s.strip_prefix('.').unwrap_or(&s);
        Some(match s {
            "txt" | "md" | "text" | "text/plain" | "text/markdown" => Format::Text,
            "html" | "htm" | "shtml" | "xhtml" | "text/html" | "application/xhtml+xml" => {
                Format::Html
            }
            "pdf" | "application/pdf" | "application/x-pdf" => Format::Pdf,
            "docx"
            | "wps-docx"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                Format::Docx
            }
            "json" | "application/json" => Format::Json,
            _ => return None,
        })
    }

    /// The format of an unlabelled upload, from its first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        let head = &bytes[..bytes.len().min(1024)];
        if head.windows(5).any(|w| w == b"%PDF-") {
            return Some(Format::Pdf);
        }
        if head.starts_with(b"PK\x03\x04") {
            return Some(Format::Docx);
        }
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        let text = text.trim_start_matches('\u{FEFF}').trim_start();
        if text.starts_with('{') {
            return Some(Format::Json);
        }
        if text.starts_with("<!doctype html") || text.starts_with("<html") || text.contains("<body")
        {
            return Some(Format::Html);
        }
        std::str::from_utf8(bytes).is_ok().then_some(Format::Text)
    }

    /// Largest input accepted in this format, in bytes.
    fn max_bytes(self) -> usize {
        match self {
            Format::Pdf | Format::Docx => MAX_FILE_BYTES,
            Format::Text | Format::Html | Format::Json => MAX_TEXT_BYTES,
        }
    }
}

/// Builds a letter from a document's bytes in any supported format.
///
/// `content_type_or_ext` is a MIME type (`application/pdf`, `text/html; charset=utf-8`)
/// or a file extension (`pdf`, `.docx`); an empty or `application/octet-stream` type is
/// sniffed from the bytes. For JSON (one record), the record's own "id" and "source" win
/// over `id` and `source`, which only fill them in when missing.
pub fn letter_from_bytes(
    id: &str,
    bytes: &[u8],
    content_type_or_ext: &str,
    source: Option<String>,
) -> Result<Letter, IngestError> {
    let label = content_type_or_ext.trim();
    let format = match Format::from_type_or_ext(label) {
        Some(f) => f,
        None if label.is_empty()
            || label.eq_ignore_ascii_case("application/octet-stream")
            || label.eq_ignore_ascii_case("bin") =>
        {
            Format::sniff(bytes)
                .ok_or_else(|| IngestError::Unsupported("unrecognised bytes".into()))?
        }
        None => return Err(IngestError::Unsupported(label.to_string())),
    };
    if bytes.len() > format.max_bytes() {
        return Err(IngestError::TooLarge {
            size: bytes.len() as u64,
            limit: format.max_bytes(),
        });
    }
    let text = match format {
        Format::Text => utf8(bytes)?.to_string(),
        Format::Html => html::html_to_text(utf8(bytes)?),
        Format::Pdf => pdf::pdf_to_text(bytes)?,
        Format::Docx => docx::docx_to_text(bytes)?,
        Format::Json => {
            let mut value: Value = serde_json::from_str(utf8(bytes)?)
                .map_err(|e| IngestError::BadJson(e.to_string()))?;
            if let Some(obj) = value.as_object_mut() {
                obj.entry("id")
                    .or_insert_with(|| Value::String(id.to_string()));
                if let Some(src) = source {
                    obj.entry("source").or_insert(Value::String(src));
                }
            }
            return letter_from_json(&value);
        }
    };
    letter_from_text(id, &text, source)
}

fn utf8(bytes: &[u8]) -> Result<&str, IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| IngestError::InvalidUtf8(e.valid_up_to()))?;
    Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text))
}

/// Trims an id read from the corpus and validates it (see `DocId`).
fn check_id(id: &str) -> Result<String, IngestError> {
    let id = id.trim();
    DocId::parse(id)
        .map(DocId::into_string)
        .map_err(|reason| IngestError::BadId {
            id: id.chars().take(80).collect(),
            reason,
        })
}

fn check_size(text: &str) -> Result<(), IngestError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(IngestError::TooLarge {
            size: text.len() as u64,
            limit: MAX_TEXT_BYTES,
        });
    }
    Ok(())
}

/// Builds a letter from raw letter text (e.g. PDF-extracted): cleans it and extracts
/// every field.
pub fn letter_from_text(
    id: &str,
    raw: &str,
    source: Option<String>,
) -> Result<Letter, IngestError> {
    let id = check_id(id)?;
    check_size(raw)?;
    let text = clean::clean_text(raw);
    if text.is_empty() {
        return Err(IngestError::EmptyText);
    }
    let f = fields::extract_fields(&text);
    // A heading wrapped over lines (in a PDF) reads as one paragraph, like its title.
    let text = match &f.title_lines {
        Some(lines) if lines.len() > 1 => join_lines(&text, lines.clone()),
        _ => text,
    };
    let title = f
        .title
        .clone()
        .or_else(|| f.proposal_title.clone())
        .unwrap_or_else(|| first_chars(&text));
    Ok(Letter {
        id,
        title,
        kind: f.kind.unwrap_or_else(|| "other".into()),
        proposal_no: f.proposal_no,
        session: f.session,
        proposal_title: f.proposal_title,
        respondent: f.respondent,
        addressee: f.addressee,
        date: f.date,
        text,
        source,
    })
}

/// Builds a letter from one JSON record; given fields win over extracted ones.
///
/// Fields: "id", "text" (required), "title", "respondent", "date", "kind",
/// "proposal_no", "session", "source", "proposal_title", "addressee" (optional, trimmed,
/// empty counts as missing). Unknown fields are ignored.
pub fn letter_from_json(value: &Value) -> Result<Letter, IngestError> {
    let obj = value
        .as_object()
        .ok_or_else(|| IngestError::BadJson("a record must be a JSON object".into()))?;
    let get = |key: &str| -> Option<String> {
        let s = match obj.get(key)? {
            Value::String(s) => s.trim().to_string(),
            // Numbers appear for proposal numbers in some exports.
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!s.is_empty()).then_some(s)
    };
    let id = match obj.get("id") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Number(_)) => &get("id").unwrap_or_default(),
        _ => return Err(IngestError::MissingField("id")),
    };
    let id = check_id(id)?;
    let raw = match obj.get("text") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        _ => return Err(IngestError::MissingField("text")),
    };
    let source = get("source");
    let mut letter = letter_from_text(&id, raw, source)?;
    if let Some(title) = get("title") {
        letter.title = title;
    }
    if let Some(kind) = get("kind") {
        letter.kind = normalize_kind(&kind);
    }
    // A given date that cannot be read as a date is dropped in favour of the extracted
    // one, so that every stored date is ISO and date filters stay meaningful.
    if let Some(date) = get("date").and_then(|d| crate::text::date::parse_cn_date(&d)) {
        letter.date = Some(date);
    }
    let fill = |slot: &mut Option<String>, key: &str| {
        if let Some(v) = get(key) {
            *slot = Some(v);
        }
    };
    fill(&mut letter.proposal_no, "proposal_no");
    fill(&mut letter.session, "session");
    fill(&mut letter.respondent, "respondent");
    fill(&mut letter.addressee, "addressee");
    if let Some(t) = get("proposal_title") {
        let t = t.trim_start_matches('《').trim_end_matches('》').trim();
        if !t.is_empty() {
            letter.proposal_title = Some(t.to_string());
        }
    }
    Ok(letter)
}

/// Maps a given kind onto the fixed set of kinds.
fn normalize_kind(kind: &str) -> String {
    let k = match kind {
        "建议" | "提案" | "议案" | "留言" | "other" => kind,
        k if k.contains("提案") => "提案",
        k if k.contains("议案") => "议案",
        k if k.contains("建议") => "建议",
        k if k.contains("留言") => "留言",
        _ => "other",
    };
    k.to_string()
}

/// Joins the given lines of cleaned text (no empty lines, as `extract_fields` counts them)
/// into one line, without a separator, as the title joins them.
fn join_lines(text: &str, lines: std::ops::Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 && !(lines.start < i && i < lines.end) {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

fn first_chars(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    first.chars().take(TITLE_FALLBACK_CHARS).collect()
}

/// Content hash: xxh3 of PARSER_VERSION and the raw bytes the letter came from.
pub fn content_hash(raw: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&PARSER_VERSION.to_le_bytes());
    h.update(raw);
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn json_given_fields_win_and_are_normalised() {
        let v = serde_json::json!({
            "id": "  x1 ",
            "title": " 给定标题 ",
            "text": "周常委:\n您提出的《关于致力形成优势生产力的建议》收悉。\n某某局\n2024年6月12日",
            "date": "2024/6/13",
            "respondent": "",
            "proposal_no": 20240294,
            "proposal_title": "《关于别的的建议》",
            "kind": "人大代表建议",
            "unknown": {"nested": true}
        });
        let l = letter_from_json(&v).unwrap();
        assert_eq!(l.id, "x1");
        assert_eq!(l.title, "给定标题");
        assert_eq!(l.date.as_deref(), Some("2024-06-13"));
        assert_eq!(l.respondent.as_deref(), Some("某某局"));
        assert_eq!(l.proposal_no.as_deref(), Some("20240294"));
        assert_eq!(l.proposal_title.as_deref(), Some("关于别的的建议"));
        assert_eq!(l.kind, "建议");
        assert_eq!(l.addressee.as_deref(), Some("周常委"));

        let bad_date =
            serde_json::json!({"id": "x", "text": "正文。\n2020年1月2日", "date": "someday"});
        assert_eq!(
            letter_from_json(&bad_date).unwrap().date.as_deref(),
            Some("2020-01-02")
        );
    }

    #[test]
    fn json_errors() {
        let err = |v: serde_json::Value| letter_from_json(&v).unwrap_err();
        assert!(matches!(
            err(serde_json::json!([1])),
            IngestError::BadJson(_)
        ));
        assert!(matches!(
            err(serde_json::json!({"text": "t"})),
            IngestError::MissingField("id")
        ));
        assert!(matches!(
            err(serde_json::json!({"id": "a", "text": " "})),
            IngestError::MissingField("text")
        ));
        assert!(matches!(
            err(serde_json::json!({"id": "a", "text": 5})),
            IngestError::MissingField("text")
        ));
        assert!(matches!(
            err(serde_json::json!({"id": " ", "text": "t"})),
            IngestError::BadId { .. }
        ));
        assert!(matches!(
            err(serde_json::json!({"id": "a\u{1}", "text": "t"})),
            IngestError::BadId { .. }
        ));
        let long = "i".repeat(201);
        assert!(matches!(
            err(serde_json::json!({"id": long, "text": "t"})),
            IngestError::BadId { .. }
        ));
        assert!(matches!(
            err(serde_json::json!({"id": "a", "text": "- 3 -"})),
            IngestError::EmptyText
        ));
    }

    #[test]
    fn text_limits_and_fallback_title() {
        let big = "字".repeat(MAX_TEXT_BYTES / 3 + 1);
        assert!(matches!(
            letter_from_text("big", &big, None),
            Err(IngestError::TooLarge { .. })
        ));
        let l = letter_from_text("t", "没有标题的一段很长的正文内容,一直写下去直到超过四十个字符为止,这样就能检验截断的效果了。", None).unwrap();
        assert_eq!(l.title.chars().count(), 40);
        assert_eq!(l.kind, "other");
        let e = IngestError::TooLarge { size: 6, limit: 5 };
        assert_eq!(
            e.to_string(),
            "text is too large (6 bytes; the limit is 5 bytes)"
        );
    }

    const FUTIAN: &str = include_str!("testdata/futian-fgj-reply-20240294.txt");

    /// Non-whitespace chars, in order.
    fn visible(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn futian_letter_keeps_its_characters_and_its_heading_is_one_line() {
        let letter = letter_from_text("futian", FUTIAN, None).unwrap();
        // The source minus page debris (this letter has no page numbers or running
        // headers, as the check on the debris lines says) is the letter, char for char.
        let debris: Vec<&str> = FUTIAN
            .lines()
            .map(str::trim)
            .filter(|l| l.chars().all(|c| c.is_ascii_digit() || "-— ".contains(c)))
            .filter(|l| !l.is_empty())
            .collect();
        assert!(debris.is_empty(), "{debris:?}");
        assert_eq!(visible(&letter.text), visible(FUTIAN));
        assert!(FUTIAN.contains('：') && letter.text.contains("尊敬的周常委：\n"));
        let first = letter.text.lines().next().unwrap();
        assert_eq!(
            first,
            "福田区发展和改革局对福田区八届人大四次会议第20240294号建议的答复函"
        );
        assert_eq!(letter.title, first);
        assert_eq!(letter.addressee.as_deref(), Some("周常委"));
        // The stored text reads the same fields again.
        let again = fields::extract_fields(&letter.text);
        assert_eq!(again.title.as_deref(), Some(first));
        assert_eq!(again.title_lines, Some(0..1));
        assert_eq!(again.session, letter.session);
        assert_eq!(again.respondent, letter.respondent);
    }

    #[test]
    fn only_the_title_lines_are_joined() {
        let body = "您提出的关于加快小区配套幼儿园移交的建议收悉，现答复如下：我区已做好准备。\n";
        let raw = format!(
            "某某市教育体育局\n晋教体复〔2019〕26号\n签发人：张三\n对市五届人大五次会议\n第91号建议的答复\n李四代表：\n{}某某市教育体育局\n2019年5月6日",
            body.repeat(4)
        );
        assert_eq!(
            clean::clean_text(&raw).lines().nth(3),
            Some("对市五届人大五次会议")
        );
        let letter = letter_from_text("x", &raw, None).unwrap();
        let lines: Vec<&str> = letter.text.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "某某市教育体育局",
                "晋教体复〔2019〕26号",
                "签发人：张三",
                "对市五届人大五次会议第91号建议的答复"
            ]
        );
        assert_eq!(letter.title, lines[3]);
    }

    #[test]
    fn hash_depends_on_version_and_bytes() {
        assert_eq!(content_hash(b"abc"), content_hash(b"abc"));
        assert_ne!(content_hash(b"abc"), content_hash(b"abd"));
        assert_ne!(content_hash(b""), xxhash_rust::xxh3::xxh3_64(b""));
    }

    /// Agreement of extraction (text only) with the fields the corpus records give.
    /// Run with `cargo test accuracy_report -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn accuracy_report() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        let fields = ["respondent", "date", "proposal_no", "session"];
        // given, extracted Some, exact, loose, wrong
        let mut stats = [[0usize; 5]; 4];
        let show = std::env::var("SHOW_MISMATCH").is_ok();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "jsonl"))
        {
            let data = std::fs::read_to_string(f).unwrap();
            for line in data.lines() {
                let v: Value = serde_json::from_str(line).unwrap();
                let text = clean::clean_text(v["text"].as_str().unwrap());
                let e = fields::extract_fields(&text);
                let got = [&e.respondent, &e.date, &e.proposal_no, &e.session];
                for (k, name) in fields.iter().enumerate() {
                    let Some(given) = v[name].as_str().filter(|s| !s.is_empty()) else {
                        continue;
                    };
                    stats[k][0] += 1;
                    let Some(got) = got[k] else { continue };
                    stats[k][1] += 1;
                    if got == given {
                        stats[k][2] += 1;
                    } else if loose_eq(name, got, given) {
                        stats[k][3] += 1;
                    } else {
                        stats[k][4] += 1;
                        if show {
                            println!("{} {name}: got {got:?} given {given:?}", v["id"]);
                        }
                    }
                }
            }
        }
        for (k, name) in fields.iter().enumerate() {
            let [given, some, exact, loose, wrong] = stats[k];
            println!(
                "{name:12} given {given:3} | extracted {some:3} | exact {exact:3} | loose {loose:3} | disagree {wrong:3} | None {}",
                given - some
            );
        }
    }

    /// Equality up to the normalisations the crawler applied to given values: leading
    /// zeros, abbreviated session wording, and the place prefix it added or dropped.
    fn loose_eq(field: &str, got: &str, given: &str) -> bool {
        match field {
            "proposal_no" => got.trim_start_matches('0') == given.trim_start_matches('0'),
            "respondent" => got.ends_with(given) || given.ends_with(got),
            // Same body (人大/政协) and the same 届 and 次 numbers: the crawler rewrote
            // the wording and place of most given sessions.
            "session" => {
                let key = |s: &str| {
                    let re = regex::Regex::new(
                        r"([一二三四五六七八九十]+)届.*?([一二三四五六七八九十]+)次",
                    )
                    .unwrap();
                    let c = re.captures(s)?;
                    Some((
                        s.contains("政协") || s.contains("政治协商"),
                        c[1].to_string(),
                        c[2].to_string(),
                    ))
                };
                key(got).is_some() && key(got) == key(given)
            }
            _ => false,
        }
    }
}
