//! The space and the letters' vectors on disk: one file each, written to a temporary name,
//! synced and renamed, so a crash leaves either the old file or the new one. A trailing xxh3
//! checksum makes a damaged file read as missing (the caller retrains or re-embeds) instead
//! of as wrong numbers.
//!
//! Single writes go to a log beside the vectors file instead of rewriting it (64 MB at 100k
//! letters): each record is checksummed and synced, so a crash mid-append loses only that
//! record's tail, which reads as the end of the log. The log names the checksum of the
//! vectors file it extends: once that file is rewritten (which then folds the log in), an
//! old log no longer applies and is ignored.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use xxhash_rust::xxh3::xxh3_64;

use super::Space;

const MAGIC: &[u8; 8] = b"RSLSA01\n";
const VECTORS_MAGIC: &[u8; 8] = b"RSVEC02\n";
const LOG_MAGIC: &[u8; 8] = b"RSVLOG1\n";
/// A log's header: its magic and the checksum of the vectors file it extends.
const LOG_HEADER: usize = LOG_MAGIC.len() + 8;

/// Writes letters' vectors (id, content hash, `dim` values each) in the space whose file
/// has checksum `space` to `path` atomically; returns the file's checksum (what a log
/// extending it names).
pub fn write_vectors<'a>(
    path: &Path,
    space: u64,
    dim: usize,
    entries: &[(&'a str, u64, &'a [f32])],
) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(24 + entries.len() * (dim * 4 + 40));
    buf.extend_from_slice(VECTORS_MAGIC);
    buf.extend_from_slice(&space.to_le_bytes());
    buf.extend_from_slice(&(dim as u32).to_le_bytes());
    buf.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (id, hash, vector) in entries {
        put_str(&mut buf, id);
        buf.extend_from_slice(&hash.to_le_bytes());
        put_f32s(&mut buf, vector);
    }
    write_checked(path, buf)
}

/// The vectors written by `write_vectors` for the space whose file has checksum `space`
/// and dimension `dim`, and the file's checksum; None when the file is missing, damaged or
/// of another space (after a crash between writing a new space and its vectors).
pub fn read_vectors(path: &Path, space: u64, dim: usize) -> Option<(Vec<VectorEntry>, u64)> {
    let (body, sum) = read_checked(path)?;
    let mut r = Reader(body.strip_prefix(VECTORS_MAGIC.as_slice())?);
    if r.u64()? != space || r.u32()? as usize != dim {
        return None;
    }
    let count = r.u32()? as usize;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let id = r.str()?;
        let hash = r.u64()?;
        let vector = r.f32s(dim)?;
        out.push((id, hash, vector));
    }
    r.0.is_empty().then_some((out, sum))
}

/// A letter's vector as saved: (id, content hash, vector).
pub type VectorEntry = (String, u64, Vec<f32>);

/// One write of a letter's vector: (id, content hash, vector), or its removal (None).
pub type LogEntry = (String, u64, Option<Vec<f32>>);

/// Appends one write to the log at `path` that extends the vectors file of checksum
/// `base`, and syncs it. A log extending another file is started anew.
pub fn append_vector_log(
    path: &Path,
    base: u64,
    id: &str,
    hash: u64,
    vector: Option<&[f32]>,
) -> io::Result<()> {
    // Only the header is read: the log may hold thousands of records.
    let mut header = [0u8; LOG_HEADER];
    let fresh = std::fs::File::open(path)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut header))
        .ok()
        .and_then(|()| log_base(&header))
        .is_none_or(|b| b != base);
    let mut file = if fresh {
        let mut file = std::fs::File::create(path)?;
        file.write_all(LOG_MAGIC)?;
        file.write_all(&base.to_le_bytes())?;
        file
    } else {
        std::fs::OpenOptions::new().append(true).open(path)?
    };
    let mut record = Vec::with_capacity(32 + vector.map_or(0, |v| v.len() * 4));
    put_str(&mut record, id);
    record.extend_from_slice(&hash.to_le_bytes());
    match vector {
        Some(v) => {
            record.push(1);
            put_f32s(&mut record, v);
        }
        None => record.push(0),
    }
    let mut out = Vec::with_capacity(record.len() + 12);
    out.extend_from_slice(&(record.len() as u32).to_le_bytes());
    out.extend_from_slice(&record);
    out.extend_from_slice(&xxh3_64(&record).to_le_bytes());
    file.write_all(&out)?;
    file.sync_data()?;
    if fresh {
        sync_dir(path);
    }
    Ok(())
}

/// The checksum of the vectors file a log extends.
fn log_base(bytes: &[u8]) -> Option<u64> {
    let mut r = Reader(bytes.strip_prefix(LOG_MAGIC.as_slice())?);
    r.u64()
}

/// The writes logged at `path` over the vectors file of checksum `base`, in order, up to
/// the first torn or damaged record; empty when there is no log or it extends another file.
pub fn read_vector_log(path: &Path, base: u64, dim: usize) -> Vec<LogEntry> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    if log_base(&bytes) != Some(base) {
        return Vec::new();
    }
    let mut r = Reader(&bytes[LOG_HEADER..]);
    let mut out = Vec::new();
    while let Some(len) = r.u32() {
        let Some(record) = r.take(len as usize) else {
            break;
        };
        let Some(sum) = r.u64() else {
            break;
        };
        if xxh3_64(record) != sum {
            break;
        }
        let mut rec = Reader(record);
        let entry = (|| {
            let id = rec.str()?;
            let hash = rec.u64()?;
            let vector = match rec.take(1)?[0] {
                1 => Some(rec.f32s(dim)?),
                _ => None,
            };
            rec.0.is_empty().then_some((id, hash, vector))
        })();
        match entry {
            Some(entry) => out.push(entry),
            None => break,
        }
    }
    out
}

/// Values as little-endian f32s.
fn put_f32s(buf: &mut Vec<u8>, values: &[f32]) {
    for x in values {
        buf.extend_from_slice(&x.to_le_bytes());
    }
}

/// A string as its byte length (u16) and bytes.
fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u16).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Writes the space to `path` atomically; returns the file's checksum (which its vectors
/// file names).
pub fn write_space(space: &Space, path: &Path) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(16 + space.basis.len() * 4 + space.terms.len() * 16);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&(space.dim as u32).to_le_bytes());
    buf.extend_from_slice(&(space.trained_on as u64).to_le_bytes());
    buf.extend_from_slice(&(space.terms.len() as u32).to_le_bytes());
    let mut names = vec![""; space.terms.len()];
    for (term, &t) in &space.terms {
        names[t as usize] = term;
    }
    for (t, name) in names.iter().enumerate() {
        put_str(&mut buf, name);
        buf.extend_from_slice(&space.idf[t].to_le_bytes());
        put_f32s(&mut buf, &space.basis[t * space.dim..(t + 1) * space.dim]);
    }
    write_checked(path, buf)
}

/// Writes `body` and its xxh3 checksum to `path` atomically: to `<path>.tmp`, synced,
/// renamed over `path`, and the folder synced.
fn write_checked(path: &Path, mut body: Vec<u8>) -> io::Result<u64> {
    let sum = xxh3_64(&body);
    body.extend_from_slice(&sum.to_le_bytes());
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&body)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(path);
    Ok(sum)
}

/// Syncs the folder holding `path`, so that a file created or renamed there survives a
/// crash (best effort: not every system can sync a folder).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// The body of a file written by `write_checked` and its checksum; None when missing or
/// damaged.
fn read_checked(path: &Path) -> Option<(Vec<u8>, u64)> {
    let mut bytes = std::fs::read(path).ok()?;
    let body_len = bytes.len().checked_sub(8)?;
    let sum = u64::from_le_bytes(bytes[body_len..].try_into().ok()?);
    bytes.truncate(body_len);
    (xxh3_64(&bytes) == sum).then_some((bytes, sum))
}

/// Reads a space written by `write_space`, with the file's checksum; None when the file is
/// missing, damaged or of another format.
pub fn read_space(path: &Path) -> Option<(Space, u64)> {
    let (body, sum) = read_checked(path)?;
    let mut r = Reader(body.strip_prefix(MAGIC.as_slice())?);
    let dim = r.u32()? as usize;
    let trained_on = r.u64()? as usize;
    let count = r.u32()? as usize;
    let mut terms = HashMap::with_capacity(count);
    let mut idf = Vec::with_capacity(count);
    let mut basis = Vec::with_capacity(count * dim);
    for t in 0..count {
        let name = r.str()?;
        terms.insert(name, t as u32);
        idf.push(r.f32()?);
        basis.extend(r.f32s(dim)?);
    }
    (r.0.is_empty() && dim > 0).then_some((
        Space {
            terms,
            idf,
            basis,
            dim,
            trained_on,
        },
        sum,
    ))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn str(&mut self) -> Option<String> {
        let len = u16::from_le_bytes(self.take(2)?.try_into().ok()?) as usize;
        Some(std::str::from_utf8(self.take(len)?).ok()?.to_string())
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn f32s(&mut self, n: usize) -> Option<Vec<f32>> {
        (0..n).map(|_| self.f32()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::Bag;

    #[test]
    fn round_trips_and_refuses_damage() {
        let bags: Vec<Bag> = (0..40)
            .map(|i| {
                [["甲", "乙", "丙"], ["丁", "戊", "己"]][i % 2]
                    .iter()
                    .chain([["庚", "辛"], ["壬", "癸"]][i % 3 % 2].iter())
                    .map(|w| (w.to_string(), 1.0 + (i % 4) as f32))
                    .collect()
            })
            .collect();
        let space = Space::train(crate::semantic::Archive::from(&bags[..]))
            .unwrap()
            .space;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("space.bin");
        let sum = write_space(&space, &path).unwrap();
        assert_eq!(read_space(&path), Some((space, sum)));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_space(&path), None);
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert_eq!(read_space(&path), None);
        assert_eq!(read_space(&dir.path().join("missing")), None);
    }
}
