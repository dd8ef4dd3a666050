//! Reading corpus files into letters.
//!
//! A corpus is a directory tree of letter files (.txt, .md, .html/.htm, .pdf, .docx: one
//! letter each) and JSON Lines files (.jsonl: one record per line). Anything unusable is
//! reported as a `Skipped` entry instead of failing the scan, so one bad file never blocks
//! indexing. See docs/formats.md.

pub mod clean;
pub mod docx;
pub mod fields;
pub mod html;
pub mod id;
pub mod lines;
pub mod pdf;

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use id::DocId;

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
pub const PARSER_VERSION: u32 = 2;

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

/// Walks `dir` recursively in sorted order and reads every letter in it.
///
/// Fails only if `dir` itself cannot be read; every other problem becomes a `Skipped`.
pub fn scan_corpus(dir: &Path) -> std::io::Result<CorpusScan> {
    let mut docs = Vec::new();
    let skipped = scan_corpus_each(dir, &mut |doc| {
        docs.push(doc);
        true
    })?;
    Ok(CorpusScan { docs, skipped })
}

/// `scan_corpus` as a stream: hands each letter to `on_doc` as soon as it is read (so
/// indexing can overlap the scan and the corpus never has to fit in memory at once) and
/// returns what was skipped. The scan stops early when `on_doc` returns false (the
/// consumer failed and wants no more).
pub fn scan_corpus_each(
    dir: &Path,
    on_doc: &mut dyn FnMut(CorpusDoc) -> bool,
) -> std::io::Result<Vec<Skipped>> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    std::fs::read_dir(dir)?;
    collect_files(dir, dir, &mut files, &mut skipped);

    let mut seen: HashMap<String, String> = HashMap::new();
    // Hands a letter on unless its id was seen; false once the consumer wants no more.
    let mut push = |doc: CorpusDoc, location: String, skipped: &mut Vec<Skipped>| -> bool {
        if let Some(first) = seen.get(&doc.letter.id) {
            skipped.push(Skipped {
                location,
                reason: format!("duplicate id {:?} (first seen at {first})", doc.letter.id),
            });
            true
        } else {
            seen.insert(doc.letter.id.clone(), location);
            on_doc(doc)
        }
    };
    let mut stopped = false;
    for (path, rel, ext) in files {
        if stopped {
            break;
        }
        let location = display_location(dir, &rel);
        let skip = |reason: String, skipped: &mut Vec<Skipped>| {
            skipped.push(Skipped {
                location: location.clone(),
                reason,
            })
        };
        let limit = match Format::from_type_or_ext(&ext) {
            _ if ext == "jsonl" => u64::MAX,
            Some(f) => f.max_bytes() as u64,
            None => MAX_TEXT_BYTES as u64,
        };
        let bytes = match read_limited(&path, limit) {
            Ok(b) => b,
            Err(e) => {
                skip(e.to_string(), &mut skipped);
                continue;
            }
        };
        if ext == "jsonl" {
            for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if stopped {
                    break;
                }
                let line_location = format!("{location}:{}", n + 1);
                match read_json_line(line) {
                    Ok(None) => {}
                    Ok(Some(doc)) => stopped = !push(doc, line_location, &mut skipped),
                    Err(e) => skipped.push(Skipped {
                        location: line_location,
                        reason: e.to_string(),
                    }),
                }
            }
            continue;
        }
        let id = rel.with_extension("");
        let id = match id.to_str() {
            Some(s) => s.replace(std::path::MAIN_SEPARATOR, "/"),
            None => {
                skip("file name is not valid UTF-8".into(), &mut skipped);
                continue;
            }
        };
        let source = Some(location.clone());
        let result = letter_from_bytes(&id, &bytes, &ext, source);
        match result {
            Ok(letter) => {
                stopped = !push(
                    CorpusDoc {
                        letter,
                        hash: content_hash(&bytes),
                    },
                    location,
                    &mut skipped,
                )
            }
            Err(e) => skip(e.to_string(), &mut skipped),
        }
    }
    Ok(skipped)
}

/// Recursively lists letter files as (path, path relative to root, lowercase extension),
/// sorted by name at each level so the scan order is deterministic.
fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(std::path::PathBuf, std::path::PathBuf, String)>,
    skipped: &mut Vec<Skipped>,
) {
    let rel_of = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            skipped.push(Skipped {
                location: display_location(root, &rel_of(dir)),
                reason: format!("cannot read directory: {e}"),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || is_doc_file(name) {
            continue;
        }
        // Symlinked directories are not followed, so a link cycle cannot loop forever.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            collect_files(root, &path, files, skipped);
            continue;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if matches!(
            ext.as_str(),
            "txt" | "md" | "html" | "htm" | "shtml" | "xhtml" | "pdf" | "docx" | "jsonl"
        ) {
            let rel = rel_of(&path);
            files.push((path, rel, ext));
        }
    }
}

/// Project documentation that lives next to the letters and is not a letter.
fn is_doc_file(name: &str) -> bool {
    name == "README.md"
        || name == "USAGE.md"
        || (name.starts_with("SOURCES") && name.ends_with(".md"))
}

/// "corpus/a/b.txt": the root's own name followed by the relative path.
fn display_location(root: &Path, rel: &Path) -> String {
    let base = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| root.display().to_string());
    let rel = rel
        .to_string_lossy()
        .replace(std::path::MAIN_SEPARATOR, "/");
    if rel.is_empty() {
        base
    } else {
        format!("{base}/{rel}")
    }
}

/// Reads a file, refusing it if it is larger than `limit` (checked before reading).
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| IngestError::Io(e.to_string()))?;
    if meta.len() > limit {
        return Err(IngestError::TooLarge {
            size: meta.len(),
            limit: limit as usize,
        });
    }
    std::fs::read(path).map_err(|e| IngestError::Io(e.to_string()))
}

fn utf8(bytes: &[u8]) -> Result<&str, IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| IngestError::InvalidUtf8(e.valid_up_to()))?;
    Ok(text.strip_prefix('\u{FEFF}').unwrap_or(text))
}

/// One JSONL line to a document; Ok(None) for blank lines.
fn read_json_line(line: &[u8]) -> Result<Option<CorpusDoc>, IngestError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = utf8(line)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| IngestError::BadJson(e.to_string()))?;
    let letter = letter_from_json(&value)?;
    Ok(Some(CorpusDoc {
        letter,
        hash: content_hash(line),
    }))
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

    const LETTER: &str = "关于县十六届人大一次会议第3号建议的答复\n王孝友代表:\n你提出的关于加固河堤的建议收悉。现答复如下:\n已列入规划。\n舒城县水利局\n2012年6月18日\n";

    #[test]
    fn scan_reports_good_and_bad_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("corpus");
        std::fs::create_dir_all(root.join("nested/deeper")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        let write = |rel: &str, bytes: &[u8]| std::fs::write(root.join(rel), bytes).unwrap();
        write("a.txt", LETTER.as_bytes());
        write(
            "nested/deeper/b.md",
            "李四委员:\n您的提案收悉。\n".as_bytes(),
        );
        write(
            "c.html",
            "<html><head><title>x</title></head><body><p>张三代表:</p><p>您的建议收悉。</p></body></html>".as_bytes(),
        );
        let jsonl = [
            r#"{"id": "j1", "text": "赵六代表:\n您的建议收悉。", "date": "2024年6月12日", "extra": 1}"#,
            r#"{"id": "j2", "text": "#,
            r#"{"id": "j3", "title": "no text"}"#,
            "",
            r#"{"id": "a", "text": "重复的编号。"}"#,
            r#"{"id": "j1", "text": "again"}"#,
        ]
        .join("\n");
        write("d.jsonl", jsonl.as_bytes());
        write("bad.txt", b"\xE7\xA6\x8F\xFF\xFE bytes");
        write("empty.txt", b"");
        write("blank.md", b"  \n\n ");
        write("README.md", b"# not a letter");
        write("SOURCES-2024.md", b"not a letter");
        write("notes.pdf", b"%PDF ignored");
        write(".hidden/h.txt", LETTER.as_bytes());
        write(".dotfile.txt", LETTER.as_bytes());

        let scan = scan_corpus(&root).unwrap();
        let ids: Vec<&str> = scan.docs.iter().map(|d| d.letter.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "j1", "nested/deeper/b"]);
        let a = &scan.docs[0].letter;
        assert_eq!(a.kind, "建议");
        assert_eq!(a.proposal_no.as_deref(), Some("3"));
        assert_eq!(a.respondent.as_deref(), Some("舒城县水利局"));
        assert_eq!(a.date.as_deref(), Some("2012-06-18"));
        assert_eq!(a.source.as_deref(), Some("corpus/a.txt"));
        assert_eq!(a.title, "关于县十六届人大一次会议第3号建议的答复");
        assert_eq!(scan.docs[0].hash, content_hash(LETTER.as_bytes()));
        let c = &scan.docs[1].letter;
        assert_eq!(c.text, "张三代表:\n您的建议收悉。");
        assert_eq!(c.addressee.as_deref(), Some("张三代表"));
        let j1 = &scan.docs[2].letter;
        assert_eq!(j1.date.as_deref(), Some("2024-06-12"));
        assert_eq!(j1.title, "赵六代表:");

        let skipped: Vec<(&str, &str)> = scan
            .skipped
            .iter()
            .map(|s| (s.location.as_str(), s.reason.as_str()))
            .collect();
        let expect = [
            ("corpus/bad.txt", "not valid UTF-8"),
            ("corpus/blank.md", "no text"),
            ("corpus/d.jsonl:2", "invalid JSON"),
            ("corpus/d.jsonl:3", "\"text\""),
            (
                "corpus/d.jsonl:5",
                "duplicate id \"a\" (first seen at corpus/a.txt)",
            ),
            (
                "corpus/d.jsonl:6",
                "duplicate id \"j1\" (first seen at corpus/d.jsonl:1)",
            ),
            ("corpus/empty.txt", "no text"),
            ("corpus/notes.pdf", "unreadable PDF"),
        ];
        assert_eq!(skipped.len(), expect.len(), "{skipped:?}");
        for ((loc, reason), (want_loc, want_reason)) in skipped.iter().zip(expect) {
            assert_eq!(*loc, want_loc);
            assert!(reason.contains(want_reason), "{loc}: {reason}");
        }
    }

    #[test]
    fn scan_of_missing_dir_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(scan_corpus(&tmp.path().join("nope")).is_err());
    }

    #[test]
    fn streamed_scan_stops_when_the_consumer_does() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        if !dir.is_dir() {
            return;
        }
        let mut seen = 0;
        scan_corpus_each(&dir, &mut |_| {
            seen += 1;
            seen < 3
        })
        .unwrap();
        assert_eq!(seen, 3);
    }

    #[test]
    fn scan_real_corpus() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        if !dir.is_dir() {
            return;
        }
        let scan = scan_corpus(&dir).unwrap();
        assert_eq!(scan.docs.len(), 254);
        assert!(scan.skipped.is_empty());
        for d in &scan.docs {
            let l = &d.letter;
            assert!(!l.title.is_empty() && !l.text.is_empty(), "{}", l.id);
            assert!(["建议", "提案", "议案", "留言", "other"].contains(&l.kind.as_str()));
        }
    }

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
