//! Walking the corpus folder and reading its files.
//!
//! Only regular files inside the folder are read. Symbolic links and special files (named
//! pipes, sockets, devices) are reported as `Skipped` and never opened: a link could hand
//! any file the server can read (its environment, its keys) to the documents API, and
//! opening a pipe or a device can block forever or never end. Every read is bounded by a
//! per-format limit through `Read::take`, so a file that grows while it is read, or holds
//! more than its size says, still cannot exceed it; JSON Lines files are streamed a line
//! at a time, each line bounded too, so they never have to fit in memory.

use std::collections::HashMap;
use std::fmt::Display;
use std::fs::{File, FileType};
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{
    CorpusDoc, CorpusScan, Format, IngestError, Skipped, content_hash, letter_from_bytes,
    letter_from_json, utf8,
};

/// Largest JSON Lines file accepted, in bytes. It is streamed, so this bounds the time one
/// file can take rather than memory.
pub const MAX_JSONL_BYTES: u64 = 1 << 30;
/// Largest JSON Lines line accepted, in bytes: a record whose text is at the text limit
/// still fits when every Chinese character is written as a `\uXXXX` escape (6 bytes for
/// 3, as Python's `json.dumps` writes by default), with 1 MiB for the other fields.
pub const MAX_JSONL_LINE_BYTES: u64 = 2 * super::MAX_TEXT_BYTES as u64 + (1 << 20);

/// How many bytes a scan reads at most, per file and per JSON Lines line. A parameter (not
/// only constants) so that tests can exercise the limits with small files.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanLimits {
    /// .txt, .md and HTML files.
    pub text_file: u64,
    /// PDF and DOCX files.
    pub binary_file: u64,
    /// A whole .jsonl file.
    pub jsonl_file: u64,
    /// One line of a .jsonl file, without its line break.
    pub jsonl_line: u64,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            text_file: Format::Text.max_bytes() as u64,
            binary_file: Format::Pdf.max_bytes() as u64,
            jsonl_file: MAX_JSONL_BYTES,
            jsonl_line: MAX_JSONL_LINE_BYTES,
        }
    }
}

impl ScanLimits {
    /// The limit of a whole file with this (lowercase) extension.
    fn file_limit(&self, ext: &str) -> u64 {
        match Format::from_type_or_ext(ext) {
            _ if ext == "jsonl" => self.jsonl_file,
            Some(Format::Pdf | Format::Docx) => self.binary_file,
            _ => self.text_file,
        }
    }
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
    scan_with_limits(dir, &ScanLimits::default(), on_doc)
}

/// `scan_corpus_each` with the given read limits.
pub(crate) fn scan_with_limits(
    dir: &Path,
    limits: &ScanLimits,
    on_doc: &mut dyn FnMut(CorpusDoc) -> bool,
) -> std::io::Result<Vec<Skipped>> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    std::fs::read_dir(dir)?;
    collect_files(dir, dir, &mut files, &mut skipped);
    let mut out = Output {
        seen: HashMap::new(),
        skipped,
        on_doc,
        stopped: false,
    };
    for (path, rel, ext) in files {
        if out.stopped {
            break;
        }
        let location = display_location(dir, &rel);
        let limit = limits.file_limit(&ext);
        let file = match open_regular(&path, limit) {
            Ok(f) => f,
            Err(e) => {
                out.skip(location, e);
                continue;
            }
        };
        if ext == "jsonl" {
            read_jsonl(file, limits, &location, &mut out);
        } else {
            read_letter_file(file, limit, &rel, &ext, location, &mut out);
        }
    }
    Ok(out.skipped)
}

/// Where a scan's results go: letters to the consumer (each id once), problems to a list.
struct Output<'a> {
    /// The first location of each id handed on, to report duplicates.
    seen: HashMap<String, String>,
    skipped: Vec<Skipped>,
    on_doc: &'a mut dyn FnMut(CorpusDoc) -> bool,
    /// Set once the consumer wants no more letters.
    stopped: bool,
}

impl Output<'_> {
    fn skip(&mut self, location: String, reason: impl Display) {
        self.skipped.push(Skipped {
            location,
            reason: reason.to_string(),
        });
    }

    /// Hands a letter on unless its id was seen before.
    fn push(&mut self, doc: CorpusDoc, location: String) {
        if let Some(first) = self.seen.get(&doc.letter.id) {
            let reason = format!("duplicate id {:?} (first seen at {first})", doc.letter.id);
            self.skip(location, reason);
        } else {
            self.seen.insert(doc.letter.id.clone(), location);
            self.stopped = !(self.on_doc)(doc);
        }
    }
}

/// Reads a one-letter file (text, Markdown, HTML, PDF, DOCX); its id is its path relative
/// to the corpus folder without the extension.
fn read_letter_file(
    file: impl Read,
    limit: u64,
    rel: &Path,
    ext: &str,
    location: String,
    out: &mut Output,
) {
    let bytes = match read_to_limit(file, limit) {
        Ok(b) => b,
        Err(e) => return out.skip(location, e),
    };
    let Some(id) = rel
        .with_extension("")
        .to_str()
        .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
    else {
        return out.skip(location, "file name is not valid UTF-8");
    };
    match letter_from_bytes(&id, &bytes, ext, Some(location.clone())) {
        Ok(letter) => out.push(
            CorpusDoc {
                letter,
                hash: content_hash(&bytes),
            },
            location,
        ),
        Err(e) => out.skip(location, e),
    }
}

/// Streams a JSON Lines file one line at a time. At most `limits.jsonl_line` bytes of a
/// line are held: a longer line is skipped (reported as `file.jsonl:N`) and the next one
/// read. Reading stops after `limits.jsonl_file` bytes in all, even if the file grew after
/// its size was checked.
fn read_jsonl(source: impl Read, limits: &ScanLimits, location: &str, out: &mut Output) {
    let source = source.take(limits.jsonl_file.saturating_add(1));
    let mut reader = BufReader::with_capacity(64 * 1024, source);
    let mut line = Vec::new();
    let mut total = 0u64;
    for n in 1u64.. {
        if out.stopped {
            return;
        }
        let line_location = format!("{location}:{n}");
        let (read, too_long) = match read_line(&mut reader, limits.jsonl_line, &mut line) {
            Ok((0, _)) => return,
            Ok(r) => r,
            Err(e) => return out.skip(line_location, IngestError::Io(e.to_string())),
        };
        total += read;
        if total > limits.jsonl_file {
            // The rest of this line was cut off by the file limit, so it is not used either.
            let limit = limits.jsonl_file;
            return out.skip(location.to_string(), IngestError::GrewPastLimit { limit });
        }
        if too_long {
            let limit = limits.jsonl_line;
            out.skip(line_location, IngestError::LineTooLong { limit });
            continue;
        }
        match read_json_line(&line) {
            Ok(None) => {}
            Ok(Some(doc)) => out.push(doc, line_location),
            Err(e) => out.skip(line_location, e),
        }
    }
}

/// Reads one line into `line`, without its '\n', keeping at most `limit` bytes of it: the
/// rest of a longer line is consumed but not kept. Returns the bytes consumed (0 at the end
/// of the input) and whether the line was longer than `limit`.
fn read_line(
    reader: &mut impl BufRead,
    limit: u64,
    line: &mut Vec<u8>,
) -> std::io::Result<(u64, bool)> {
    line.clear();
    let mut consumed = reader
        .by_ref()
        .take(limit.saturating_add(1))
        .read_until(b'\n', line)? as u64;
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok((consumed, false));
    }
    if line.len() as u64 <= limit {
        // The last line, without a line break.
        return Ok((consumed, false));
    }
    line.clear();
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let (n, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        reader.consume(n);
        consumed += n as u64;
        if done {
            break;
        }
    }
    Ok((consumed, true))
}

/// Reads all of `source`, refusing it once it passes `limit` bytes: never more than
/// `limit + 1` bytes are read, whatever size the file claimed when it was opened.
fn read_to_limit(source: impl Read, limit: u64) -> Result<Vec<u8>, IngestError> {
    let mut bytes = Vec::new();
    source
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| IngestError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(IngestError::GrewPastLimit { limit });
    }
    Ok(bytes)
}

/// Opens a listed file for reading if it is a regular file of at most `limit` bytes.
///
/// `collect_files` already left out links and special files, but the entry may have been
/// replaced since it was listed. On unix the open itself refuses a symbolic link
/// (`O_NOFOLLOW`) and cannot block on a named pipe that has no writer (`O_NONBLOCK`, which
/// changes nothing for reads of a regular file); the type and size are then checked on the
/// open file, which is the one that will be read.
fn open_regular(path: &Path, limit: u64) -> Result<File, IngestError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = options.open(path).map_err(|e| {
        // With O_NOFOLLOW, opening a symbolic link fails with ELOOP.
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return IngestError::Symlink;
        }
        IngestError::Io(e.to_string())
    })?;
    let meta = file
        .metadata()
        .map_err(|e| IngestError::Io(e.to_string()))?;
    check_regular(meta.file_type())?;
    if meta.len() > limit {
        return Err(IngestError::TooLarge {
            size: meta.len(),
            limit: limit as usize,
        });
    }
    Ok(file)
}

/// Ok for a regular file; otherwise why it is not read.
fn check_regular(file_type: FileType) -> Result<(), IngestError> {
    if file_type.is_file() {
        Ok(())
    } else if file_type.is_symlink() {
        Err(IngestError::Symlink)
    } else {
        Err(IngestError::NotRegularFile(kind_name(file_type)))
    }
}

/// What a file that is neither regular nor a link is, in words for the skip reason.
fn kind_name(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "named pipe (FIFO)";
        }
        if file_type.is_socket() {
            return "socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "device file";
        }
    }
    if file_type.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Recursively lists letter files as (path, path relative to root, lowercase extension),
/// sorted by name at each level so the scan order is deterministic. Symbolic links and
/// special files are reported whatever their name, so that a linked file or folder that
/// was expected in the index is not missing silently.
fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(PathBuf, PathBuf, String)>,
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
        // The entry's own type: a link is not followed, so it can neither lead outside the
        // folder nor into a cycle.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let file_type = meta.file_type();
        if file_type.is_dir() {
            collect_files(root, &path, files, skipped);
            continue;
        }
        if let Err(e) = check_regular(file_type) {
            skipped.push(Skipped {
                location: display_location(root, &rel_of(&path)),
                reason: e.to_string(),
            });
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

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

    /// A short letter whose text carries `marker`, to tell where a letter's text came from.
    fn marked_letter(marker: &str) -> String {
        format!("张三代表:\n您的建议收悉。{marker}\n")
    }

    /// A folder `corpus` holding one ordinary letter, `a.txt`, and a folder `outside`
    /// beside it.
    fn corpus_and_outside() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("corpus");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("a.txt"), LETTER).unwrap();
        (tmp, root, outside)
    }

    /// Scans on another thread and fails the test if the scan takes more than 5 s, so a
    /// scan that blocks fails the test instead of hanging the test run.
    fn scan_in_time(root: &Path, limits: ScanLimits) -> (CorpusScan, Duration) {
        let (tx, rx) = std::sync::mpsc::channel();
        let root = root.to_path_buf();
        let started = Instant::now();
        std::thread::spawn(move || {
            let mut docs = Vec::new();
            let skipped = scan_with_limits(&root, &limits, &mut |doc| {
                docs.push(doc);
                true
            })
            .unwrap();
            let _ = tx.send(CorpusScan { docs, skipped });
        });
        let scan = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the scan did not finish within 5 s");
        (scan, started.elapsed())
    }

    fn ids(scan: &CorpusScan) -> Vec<&str> {
        scan.docs.iter().map(|d| d.letter.id.as_str()).collect()
    }

    fn skipped(scan: &CorpusScan) -> Vec<(&str, &str)> {
        let pairs = scan.skipped.iter();
        pairs
            .map(|s| (s.location.as_str(), s.reason.as_str()))
            .collect()
    }

    #[cfg(unix)]
    fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
        std::os::unix::fs::symlink(target, link).unwrap();
    }

    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
        let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) };
        assert_eq!(rc, 0, "mkfifo {}", path.display());
    }

    const LINK_SKIPPED: &str = "symbolic link: not followed";

    #[cfg(unix)]
    #[test]
    fn symlink_to_a_file_outside_is_skipped_and_never_read() {
        let (_tmp, root, outside) = corpus_and_outside();
        std::fs::write(outside.join("secret.txt"), marked_letter("SECRET")).unwrap();
        let record = serde_json::json!({"id": "s", "text": marked_letter("SECRET")});
        std::fs::write(outside.join("secret.jsonl"), record.to_string()).unwrap();
        symlink(outside.join("secret.jsonl"), root.join("env.jsonl"));
        symlink(outside.join("secret.txt"), root.join("env.txt"));
        symlink("/proc/self/environ", root.join("environ.txt"));

        let (scan, _) = scan_in_time(&root, ScanLimits::default());
        assert_eq!(ids(&scan), ["a"]);
        assert_eq!(
            skipped(&scan),
            [
                ("corpus/env.jsonl", LINK_SKIPPED),
                ("corpus/env.txt", LINK_SKIPPED),
                ("corpus/environ.txt", LINK_SKIPPED),
            ]
        );
        assert!(scan.docs.iter().all(|d| !d.letter.text.contains("SECRET")));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_to_a_directory_is_not_followed() {
        let (_tmp, root, outside) = corpus_and_outside();
        std::fs::write(outside.join("b.txt"), marked_letter("OUTSIDE")).unwrap();
        symlink(&outside, root.join("linked"));
        // A link back to the corpus folder itself would loop if it were followed.
        symlink(&root, root.join("loop"));

        let (scan, _) = scan_in_time(&root, ScanLimits::default());
        assert_eq!(ids(&scan), ["a"]);
        assert_eq!(
            skipped(&scan),
            [
                ("corpus/linked", LINK_SKIPPED),
                ("corpus/loop", LINK_SKIPPED)
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn fifo_is_skipped_and_the_scan_finishes_promptly() {
        let (_tmp, root, _) = corpus_and_outside();
        mkfifo(&root.join("pipe.jsonl"));
        mkfifo(&root.join("pipe.txt"));

        let (scan, took) = scan_in_time(&root, ScanLimits::default());
        println!("scan with two named pipes took {took:?}");
        assert_eq!(ids(&scan), ["a"]);
        let reason = "named pipe (FIFO): only regular files are read";
        assert_eq!(
            skipped(&scan),
            [("corpus/pipe.jsonl", reason), ("corpus/pipe.txt", reason)]
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_to_dev_zero_is_skipped() {
        let (_tmp, root, _) = corpus_and_outside();
        symlink("/dev/zero", root.join("zero.jsonl"));
        symlink("/dev/zero", root.join("zero.txt"));

        let (scan, took) = scan_in_time(&root, ScanLimits::default());
        println!("scan with two links to /dev/zero took {took:?}");
        assert_eq!(ids(&scan), ["a"]);
        assert_eq!(
            skipped(&scan),
            [
                ("corpus/zero.jsonl", LINK_SKIPPED),
                ("corpus/zero.txt", LINK_SKIPPED)
            ]
        );
    }

    /// The entry was listed as a regular file but replaced before it is opened: the open
    /// itself refuses what must not be read, without blocking.
    #[cfg(unix)]
    #[test]
    fn open_refuses_what_replaced_a_listed_file() {
        let (_tmp, root, outside) = corpus_and_outside();
        std::fs::write(outside.join("secret.txt"), "SECRET").unwrap();
        symlink(outside.join("secret.txt"), root.join("link.txt"));
        mkfifo(&root.join("pipe.txt"));
        std::fs::create_dir(root.join("dir.txt")).unwrap();

        let started = Instant::now();
        let open = |name: &str| open_regular(&root.join(name), 1000).map(|_| ());
        assert!(matches!(open("link.txt"), Err(IngestError::Symlink)));
        assert!(matches!(
            open("pipe.txt"),
            Err(IngestError::NotRegularFile("named pipe (FIFO)"))
        ));
        assert!(matches!(
            open("dir.txt"),
            Err(IngestError::NotRegularFile("directory"))
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(open("a.txt").is_ok());
        assert!(matches!(
            open_regular(&root.join("a.txt"), 10).map(|_| ()),
            Err(IngestError::TooLarge { limit: 10, .. })
        ));
    }

    /// A source that never ends (like /dev/zero, or a file that keeps growing) is read
    /// only up to its limit.
    #[test]
    fn reads_stop_at_the_limit_whatever_the_source_holds() {
        let started = Instant::now();
        assert!(matches!(
            read_to_limit(std::io::repeat(0), 1000),
            Err(IngestError::GrewPastLimit { limit: 1000 })
        ));
        assert_eq!(read_to_limit(&b"abc"[..], 3).unwrap(), b"abc");

        let limits = ScanLimits {
            jsonl_file: 10_000,
            jsonl_line: 100,
            ..ScanLimits::default()
        };
        let mut docs = 0;
        let mut out = Output {
            seen: HashMap::new(),
            skipped: Vec::new(),
            on_doc: &mut |_| {
                docs += 1;
                true
            },
            stopped: false,
        };
        read_jsonl(std::io::repeat(b'x'), &limits, "corpus/x.jsonl", &mut out);
        let skipped: Vec<_> = out.skipped.iter().map(|s| s.location.as_str()).collect();
        assert_eq!(skipped, ["corpus/x.jsonl"]);
        assert_eq!(
            out.skipped[0].reason,
            "file grew past the limit of 10000 bytes while being read"
        );
        assert_eq!(docs, 0);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn oversized_files_are_refused_before_they_are_read() {
        let (_tmp, root, _) = corpus_and_outside();
        let record = serde_json::json!({"id": "j", "text": marked_letter("")}).to_string();
        let jsonl = format!("{record}\n").repeat(20);
        std::fs::write(root.join("big.jsonl"), &jsonl).unwrap();
        std::fs::write(root.join("big.txt"), marked_letter(&"长".repeat(400))).unwrap();
        let limits = ScanLimits {
            text_file: 1000,
            jsonl_file: 1000,
            ..ScanLimits::default()
        };

        let (scan, _) = scan_in_time(&root, limits);
        // Not even the first record is read: the file is refused by its size.
        assert_eq!(ids(&scan), ["a"]);
        let jsonl_reason = format!(
            "text is too large ({} bytes; the limit is 1000 bytes)",
            jsonl.len()
        );
        let got = skipped(&scan);
        assert_eq!(got[0], ("corpus/big.jsonl", jsonl_reason.as_str()));
        assert_eq!(got[1].0, "corpus/big.txt");
        assert!(got[1].1.starts_with("text is too large"), "{got:?}");
        assert_eq!(got.len(), 2);
    }

    /// A sparse file takes no disk space but claims 1 GiB + 1 byte: refused at once with
    /// the default limits (the old scan read it whole into memory).
    #[test]
    fn jsonl_over_the_default_limit_is_refused_at_once() {
        let (_tmp, root, _) = corpus_and_outside();
        let file = File::create(root.join("huge.jsonl")).unwrap();
        file.set_len(MAX_JSONL_BYTES + 1).unwrap();

        let (scan, took) = scan_in_time(&root, ScanLimits::default());
        println!("scan with a 1 GiB + 1 byte .jsonl took {took:?}");
        assert_eq!(ids(&scan), ["a"]);
        let got = skipped(&scan);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "corpus/huge.jsonl");
        assert!(
            got[0].1.contains("the limit is 1073741824 bytes"),
            "{got:?}"
        );
    }

    #[test]
    fn overlong_jsonl_line_is_skipped_and_later_lines_load() {
        let (_tmp, root, _) = corpus_and_outside();
        const LIMIT: usize = 200;
        let record = |id: &str, text: &str| serde_json::json!({"id": id, "text": text});
        let long = record("j2", &marked_letter(&"长".repeat(LIMIT))).to_string();
        // The text of j4 is padded so that its line is exactly at the limit.
        let unpadded = record("j4", &marked_letter("")).to_string();
        let pad = "x".repeat(LIMIT - unpadded.len());
        let exact = record("j4", &marked_letter(&pad)).to_string();
        assert_eq!(exact.len(), LIMIT);
        // The last line is too long too and has no line break after it.
        let lines = [
            record("j1", &marked_letter("1")).to_string(),
            long.clone(),
            record("j3", &marked_letter("3")).to_string(),
            exact,
            long.replace("j2", "j5"),
        ];
        std::fs::write(root.join("d.jsonl"), lines.join("\n")).unwrap();
        let limits = ScanLimits {
            jsonl_line: LIMIT as u64,
            ..ScanLimits::default()
        };

        let (scan, _) = scan_in_time(&root, limits);
        assert_eq!(ids(&scan), ["a", "j1", "j3", "j4"]);
        assert_eq!(
            skipped(&scan),
            [
                ("corpus/d.jsonl:2", "line is too long (over 200 bytes)"),
                ("corpus/d.jsonl:5", "line is too long (over 200 bytes)"),
            ]
        );
    }
}
