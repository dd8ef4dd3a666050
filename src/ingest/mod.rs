// TEMPORARY stand-in with the agreed API until the real ingest module lands. Not committed.
use serde::{Deserialize, Serialize};
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Letter {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub proposal_no: Option<String>,
    pub session: Option<String>,
    pub proposal_title: Option<String>,
    pub respondent: Option<String>,
    pub addressee: Option<String>,
    pub date: Option<String>,
    pub text: String,
    pub source: Option<String>,
}
pub struct CorpusDoc { pub letter: Letter, pub hash: u64 }
pub struct Skipped { pub location: String, pub reason: String }
pub struct CorpusScan { pub docs: Vec<CorpusDoc>, pub skipped: Vec<Skipped> }
pub const PARSER_VERSION: u32 = 1;
#[derive(Debug, thiserror::Error)]
pub enum IngestError { #[error("empty text")] EmptyText, #[error("bad json: {0}")] BadJson(String) }
pub fn content_hash(raw: &[u8]) -> u64 { xxhash_rust::xxh3::xxh3_64(raw) }
pub fn letter_from_text(id: &str, raw: &str, source: Option<String>) -> Result<Letter, IngestError> {
    if raw.trim().is_empty() { return Err(IngestError::EmptyText); }
    Ok(Letter { id: id.into(), title: raw.lines().next().unwrap_or("").trim().into(), kind: "other".into(), text: raw.trim().into(), source, ..Default::default() })
}
pub fn letter_from_json(v: &serde_json::Value) -> Result<Letter, IngestError> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(|x| x.to_string());
    let text = s("text").ok_or(IngestError::EmptyText)?;
    Ok(Letter { id: s("id").ok_or(IngestError::BadJson("id".into()))?, title: s("title").unwrap_or_default(), kind: s("kind").unwrap_or("other".into()), respondent: s("respondent"), date: s("date"), proposal_no: s("proposal_no"), session: s("session"), text, source: s("source"), ..Default::default() })
}
pub fn scan_corpus(dir: &std::path::Path) -> std::io::Result<CorpusScan> {
    let mut docs = vec![]; let skipped = vec![];
    for e in std::fs::read_dir(dir)? { let p = e?.path();
        let raw = std::fs::read(&p)?; let s = String::from_utf8_lossy(&raw).to_string();
        match p.extension().and_then(|x| x.to_str()) {
            Some("txt") => docs.push(CorpusDoc { letter: letter_from_text(p.file_stem().unwrap().to_str().unwrap(), &s, None).unwrap(), hash: content_hash(&raw) }),
            Some("jsonl") => for l in s.lines() { let v: serde_json::Value = serde_json::from_str(l).unwrap(); docs.push(CorpusDoc { letter: letter_from_json(&v).unwrap(), hash: content_hash(l.as_bytes()) }) },
            _ => {}
        } }
    Ok(CorpusScan { docs, skipped })
}
