//! reply-search: a search engine for archives of Chinese government replies, the letters in
//! which departments answer people's congress deputies' suggestions (建议) and CPPCC members'
//! proposals (提案).
//!
//! # Layout
//!
//! The crate is built in floors; each folder imports only from the folders below it.
//!
//! | folder | owns |
//! | --- | --- |
//! | [`text`] | Chinese text handling: folding for matching (width, case, variants, traditional → simplified) with a map back to the text as written; dates and Chinese numerals as one [`text::date::Date`] |
//! | [`analysis`] | the jieba-rs → tantivy tokenizers (word and character-bigram fields, positions by char) and the vocabulary (user dictionary, synonyms, stopwords) |
//! | [`semantic`] | a semantic space trained on the archive (LSA: tf-idf → randomized truncated SVD with faer), letter vectors, the space on disk |
//! | [`ingest`] | reading corpus files (txt, md, jsonl, html, pdf, docx) into [`ingest::Letter`]s: cleaning extracted text, extracting fields, validating ids |
//! | [`engine`] | the index (schema, writes, corpus sync), the query language, the query plan and its compilation, search, facets, highlight ranges, similar letters, near-duplicates, suggestions, watching the corpus. Returns plain data: no HTML, no HTTP |
//! | [`server`] | the axum application: state, one file per API resource, pages from templates, the widget, the one error → response mapping |
//! | [`error`] | the library's error type and the one table of error codes (name, HTTP status, Chinese message) |
//!
//! The binary (`src/main.rs`, `src/cli/`) only parses flags, calls the library and prints.
//!
//! # The data path
//!
//! corpus file → [`ingest::Letter`] (cleaned text, fields) → normalised text
//! ([`text::normalize`]) → tokens ([`analysis`]: jieba words and char bigrams) → the tantivy
//! index ([`engine::Engine`]) → a query ([`engine::query::parse`]) → a plan → hits
//! ([`engine::Hit`]: fields, and [`engine::highlight::Highlighted`] title and snippet as text
//! with match ranges) → rendered at the edge: JSON with `<mark>` (API), HTML (pages),
//! colour or 【】 (CLI).
//!
//! # Example
//!
//! An index in RAM with two letters, searched:
//!
//! ```
//! use reply_search::analysis::Analyzer;
//! use reply_search::engine::{Engine, SearchRequest};
//! use reply_search::ingest::letter_from_text;
//!
//! let engine = Engine::in_memory(Analyzer::shared_default())?;
//! engine.put(&letter_from_text(
//!     "parking",
//!     "关于缓解老旧小区停车难问题的建议的答复\n我局将新增公共停车泊位三百个。",
//!     None,
//! )?)?;
//! engine.put(&letter_from_text(
//!     "productivity",
//!     "关于加快发展新质生产力的提案的答复\n我区将出台专项扶持政策。",
//!     None,
//! )?)?;
//!
//! let found = engine.search(&SearchRequest {
//!     q: "停车难".into(),
//!     ..Default::default()
//! })?;
//! assert_eq!(found.total, 1);
//! let hit = &found.hits[0];
//! assert_eq!(hit.id, "parking");
//! // The engine returns text and match ranges; the caller decides how to show them.
//! assert!(hit.title.render("【", "】").contains("【停车难】"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analysis;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod semantic;
pub mod server;
pub mod text;

/// The layering rule above, checked on the sources: no folder imports from a folder above it,
/// and no two files of a folder import each other (directly or through others).
#[cfg(test)]
mod architecture {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The floors, lowest first; a folder may import only from lower floors.
    const FLOORS: [(&str, u8); 7] = [
        ("text", 0),
        ("analysis", 1),
        ("semantic", 1),
        ("ingest", 1),
        ("error", 1),
        ("engine", 2),
        ("server", 3),
    ];

    fn floor(folder: &str) -> Option<u8> {
        FLOORS.iter().find(|(f, _)| *f == folder).map(|(_, n)| *n)
    }

    /// Every `.rs` file under `dir`, with its path relative to `src/`.
    fn sources(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if path.is_dir() {
                sources(&path, &rel, out);
            } else if name.ends_with(".rs") {
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    /// The identifiers that follow each occurrence of `prefix` (`crate::` or `super::`).
    fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
        text.match_indices(prefix)
            .map(|(at, _)| {
                text[at + prefix.len()..]
                    .split("::")
                    .take(2)
                    .map(|s| {
                        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap_or("")
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn folders_import_only_from_lower_floors_and_files_have_no_loops() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, "", &mut files);
        let mut problems = Vec::new();
        // Sibling edges per folder: file stem → stems it imports.
        let mut siblings: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for (rel, text) in &files {
            let parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
            let folder = parts[0];
            let Some(own) = floor(folder) else { continue };
            let stem = parts.get(1).copied().unwrap_or("mod");
            for path in paths_after(text, "crate::") {
                match (path.first(), floor(path[0])) {
                    (Some(&f), _) if f == folder => {
                        if let Some(&sibling) = path.get(1) {
                            siblings
                                .entry(folder.into())
                                .or_default()
                                .entry(stem.into())
                                .or_default()
                                .insert(sibling.into());
                        }
                    }
                    (_, Some(other)) if other >= own => problems.push(format!(
                        "{rel} imports crate::{} (floor {other} ≥ {own})",
                        path[0]
                    )),
                    _ => {}
                }
            }
            if parts.len() == 2 && stem != "mod" {
                for path in paths_after(text, "super::") {
                    siblings
                        .entry(folder.into())
                        .or_default()
                        .entry(stem.into())
                        .or_default()
                        .insert(path[0].into());
                }
            }
        }
        // A loop among a folder's files shows as a file reaching itself.
        for (folder, edges) in &siblings {
            for start in edges.keys().filter(|s| *s != "mod") {
                let mut seen = BTreeSet::new();
                let mut stack: Vec<&String> = edges[start].iter().collect();
                while let Some(next) = stack.pop() {
                    if next == start {
                        problems.push(format!("{folder}/{start}.rs is in an import loop"));
                        break;
                    }
                    if next != "mod" && seen.insert(next.clone()) {
                        stack.extend(edges.get(next).into_iter().flatten());
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
