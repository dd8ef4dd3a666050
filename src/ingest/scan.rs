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
use std::io::{BufRead, BufReader, Read};
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
    // The rest of the line is passed over without being kept.
    line.clear();
    consumed += reader.skip_until(b'\n')? as u64;
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
    let mut entries: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| (e.path(), e))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, entry) in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || is_doc_file(name) {
            continue;
        }
        // The entry's own type, as the directory listing gives it (no extra stat): a link
        // is not followed, so it can neither lead outside the folder nor into a cycle.
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
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
mod tests;
