//! Completions for the search box: known vocabulary and frequent title words that start
//! with what was typed (most documents first), then titles containing it.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use tantivy::Term;

use crate::engine::{Engine, SearchRequest};
use crate::error::Error;
use crate::text::pinyin::syllables;
use crate::text::{compact, is_han, normalize};

pub const MAX_SUGGESTIONS: usize = 20;
const MAX_PREFIX_CHARS: usize = 50;

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Suggestion {
    pub text: String,
    /// `term` (a word or phrase to search for) or `title` (a document's title).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Letters a search for the term finds (for terms); left out when there are more than
    /// a search counts exactly (see `SearchResponse::total_is_exact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<u64>,
    /// The document (for titles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Suggestion candidates for one reader generation.
pub struct Suggester {
    /// (normalised term, display term, letters holding it as a word), sorted by normalised
    /// term.
    terms: Vec<(String, String, u64)>,
    /// (compacted title, title, id), in index order.
    titles: Vec<(String, String, String)>,
    /// Each Han term's syllables (index into `terms`), for completing pinyin.
    sounds: Vec<(usize, Vec<&'static str>)>,
    /// The searcher generation this was built from.
    pub generation: u64,
    /// Letters a search for a term finds, counted the first time the term is suggested
    /// (`None`: more than a search counts exactly).
    found: Mutex<HashMap<String, Option<u64>>>,
}

impl Suggester {
    pub fn build(engine: &Engine) -> Result<Suggester, Error> {
        let searcher = engine.searcher();
        let f = &engine.fields;
        let mut candidates: Vec<String> = engine
            .analyzer
            .vocab
            .user_words
            .iter()
            .map(|(w, _)| w.clone())
            .collect();
        candidates.extend(engine.analyzer.vocab.synonyms.all_terms().cloned());
        let mut titles = Vec::new();
        for segment in searcher.segment_readers() {
            // Words that occur in titles are what users look for.
            let inverted = segment.inverted_index(f.title)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                if let Ok(word) = std::str::from_utf8(stream.key())
                    && word.chars().count() >= 2
                    && !word.chars().all(|c| c.is_ascii_digit())
                {
                    candidates.push(word.to_string());
                }
            }
        }
        for segment in searcher.segment_readers() {
            let ids = crate::engine::columns::str_column(segment, "id")?;
            let raw_titles = crate::engine::columns::str_column(segment, "title_raw")?;
            for doc in segment.doc_ids_alive() {
                let title = raw_titles.first(doc);
                titles.push((
                    compact(title),
                    title.to_string(),
                    ids.first(doc).to_string(),
                ));
            }
        }
        candidates.sort();
        candidates.dedup();
        let mut terms: Vec<(String, String, u64)> = candidates
            .into_iter()
            .filter_map(|t| {
                let key = normalize(&t);
                let docs = searcher
                    .doc_freq(&Term::from_field_text(f.body, &key))
                    .unwrap_or(0)
                    + searcher
                        .doc_freq(&Term::from_field_text(f.title, &key))
                        .unwrap_or(0);
                (docs > 0).then_some((key, t, docs))
            })
            .collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0));
        terms.dedup_by(|a, b| a.0 == b.0);
        titles.sort_by(|a, b| a.1.cmp(&b.1));
        let sounds = terms
            .iter()
            .enumerate()
            .filter_map(|(i, (key, _, _))| Some((i, syllables(key)?)))
            .collect();
        Ok(Suggester {
            terms,
            titles,
            sounds,
            generation: searcher.generation().generation_id(),
            found: Mutex::default(),
        })
    }

    /// Letters a search for `term` finds: the number the box shows is the number the search
    /// gives. The terms are ranked by how many letters hold them as a word (cheap, at build
    /// time); a search also finds a term inside longer words and through synonyms.
    fn found(&self, engine: &Engine, term: &str) -> Option<u64> {
        if let Some(n) = self
            .found
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(term)
        {
            return *n;
        }
        let n = engine
            .search(&SearchRequest {
                q: term.to_string(),
                limit: Some(0),
                correct: Some(false),
                ..SearchRequest::default()
            })
            .ok()
            .and_then(|r| r.total_is_exact.then_some(r.total as u64));
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        // A bound on memory for a long-running server: the table only saves work.
        if found.len() > 100_000 {
            found.clear();
        }
        found.insert(term.to_string(), n);
        n
    }

    /// Terms completing pinyin typed as it is, before the input method converts it: full
    /// syllables (`tingchenan`, `ting che`), initials (`tcn`), or Han characters then either
    /// (`加装dt`). Indexes into `terms`; empty when `key` holds no Latin letter.
    fn by_pinyin(&self, key: &str) -> Vec<usize> {
        let han: String = key.chars().take_while(|c| is_han(*c)).collect();
        let typed: String = key[han.len()..]
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\'')
            .collect();
        if typed.is_empty() || !typed.chars().all(|c| c.is_ascii_lowercase()) {
            return Vec::new();
        }
        let skip = han.chars().count();
        self.sounds
            .iter()
            .filter(|(i, syllables)| {
                let term = &self.terms[*i].0;
                if !term.starts_with(&han) || syllables.len() <= skip {
                    return false;
                }
                let rest = &syllables[skip..];
                let initials: String = rest.iter().filter_map(|s| s.chars().next()).collect();
                initials.starts_with(&typed) || spelled_from(rest, &typed)
            })
            .map(|(i, _)| *i)
            .collect()
    }

    /// Terms, then titles, completing `prefix`. Terms come those searched most by people
    /// first (`popularity`: how often a term was searched and found letters; 0 for all when
    /// nothing is known), then by the letters holding them. Terms a search would find
    /// nothing for are left out.
    pub fn suggest(
        &self,
        engine: &Engine,
        prefix: &str,
        limit: usize,
        popularity: &dyn Fn(&str) -> u64,
    ) -> Vec<Suggestion> {
        let key: String = normalize(prefix.trim())
            .chars()
            .take(MAX_PREFIX_CHARS)
            .collect();
        if key.is_empty() || limit == 0 {
            return Vec::new();
        }
        let start = self
            .terms
            .partition_point(|(t, _, _)| t.as_str() < key.as_str());
        let mut terms: Vec<&(String, String, u64)> = self.terms[start..]
            .iter()
            .take_while(|(t, _, _)| t.starts_with(&key))
            .filter(|(t, _, _)| *t != key)
            .collect();
        terms.extend(self.by_pinyin(&key).into_iter().map(|i| &self.terms[i]));
        let mut terms: Vec<(u64, &(String, String, u64))> =
            terms.into_iter().map(|t| (popularity(&t.1), t)).collect();
        terms.sort_by(|(pa, a), (pb, b)| {
            pb.cmp(pa)
                .then(b.2.cmp(&a.2))
                .then(a.0.chars().count().cmp(&b.0.chars().count()))
        });
        let wanted = limit.div_ceil(2).max(limit.saturating_sub(3));
        let mut out: Vec<Suggestion> = Vec::new();
        for (_, (_, display, _)) in terms {
            if out.len() >= wanted {
                break;
            }
            let docs = self.found(engine, display);
            if docs == Some(0) {
                continue;
            }
            out.push(Suggestion {
                text: display.clone(),
                kind: "term",
                docs,
                id: None,
            });
        }
        let needle = compact(&key);
        for (compacted, title, id) in &self.titles {
            if out.len() >= limit {
                break;
            }
            if compacted.contains(&needle) {
                out.push(Suggestion {
                    text: title.clone(),
                    kind: "title",
                    docs: None,
                    id: Some(id.clone()),
                });
            }
        }
        out.truncate(limit);
        out
    }
}

/// Whether `typed` spells the syllables from their start: whole syllables, the last one
/// possibly begun (`tingchen` for ting che nan), or ending in initials of the next ones
/// (`tingcn`). `typed` is ASCII.
fn spelled_from(syllables: &[&str], typed: &str) -> bool {
    let Some((first, rest)) = syllables.split_first() else {
        return typed.is_empty();
    };
    if typed.is_empty() {
        return true;
    }
    if let Some(after) = typed.strip_prefix(first)
        && spelled_from(rest, after)
    {
        return true;
    }
    // The syllable only begun: the typing ends there, or goes on with the next initials.
    (1..=first.len().min(typed.len())).any(|n| {
        let after = &typed[n..];
        first.starts_with(&typed[..n])
            && after.len() <= rest.len()
            && rest
                .iter()
                .zip(after.chars())
                .all(|(s, c)| s.starts_with(c))
    })
}
#[cfg(test)]
mod tests {
    use super::spelled_from;

    #[test]
    fn pinyin_typed_so_far_matches_the_syllables() {
        let s = ["ting", "che", "nan"];
        for typed in [
            "t",
            "ting",
            "tingc",
            "tingche",
            "tingchenan",
            "tingchen",
            "tingcn",
            "tin",
        ] {
            assert!(spelled_from(&s, typed), "{typed}");
        }
        for typed in ["tingchenanx", "che", "tingx", "tcx", "tingchenann"] {
            assert!(!spelled_from(&s, typed), "{typed}");
        }
    }
}
