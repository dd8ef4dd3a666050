//! Did-you-mean for Chinese: the word a person meant when an input method gave them another
//! (停车南 for 停车难), taken from the archive's own vocabulary.
//!
//! The vocabulary is every word of the titles and texts (the word fields' terms, 2–6 Han
//! characters) and of the user dictionary, with the number of letters holding it. A span of
//! the query is corrected when it is whole tokens of the query cut by the dictionary, holds a
//! character that no word of the dictionary or the archive covers, no letter holds it (from
//! three characters on), and a common word of the archive is:
//! 1. a homophone (the same syllables, tones ignored), or
//! 2. a near-homophone, with the confusions of input-method users (n/l, z/zh, c/ch, s/sh,
//!    an/ang, en/eng, in/ing; see `text::pinyin`), or
//! 3. for words of four characters or more, the same word with one character changed.
//!
//! Two-character spans are corrected only to exact homophones: any two characters occur
//! somewhere across a word boundary, so they get no check against the letters.
//!
//! The longest span wins, then the closest class, then the word in most letters.

use std::collections::HashMap;

use tantivy::Term;

use super::{Engine, SearchRequest};
use crate::error::Error;
use crate::text::pinyin::{fold_spelling, spelling};
use crate::text::{is_han, normalize};

/// Shortest and longest words considered (characters).
const MIN_CHARS: usize = 2;
const MAX_CHARS: usize = 6;
/// Letters a word must be in to be offered as a correction.
const COMMON: u64 = 3;
/// Shortest word corrected with one character of another sound changed: in shorter ones
/// the change is too much of the word (信号差 is no typo of 信号灯).
const MIN_CHANGED_CHARS: usize = 4;
/// A span of three characters or more found in this many letters is taken as meant: a typo
/// rarely spells something the archive holds.
const MEANT: usize = 1;

/// How close a candidate is to the span it would replace (lower is closer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Closeness {
    Homophone,
    NearHomophone,
    OneChanged,
}

/// The archive's vocabulary, indexed by sound and by one-character-changed patterns.
pub struct Speller {
    /// Word → letters holding it (as a word of a title or text).
    docs: HashMap<String, u64>,
    /// Folded spelling → common words with it.
    by_sound: HashMap<String, Vec<String>>,
    /// A word with one character replaced by `*` → common words (4+ characters) with it.
    by_pattern: HashMap<String, Vec<String>>,
    /// The searcher generation this was built from.
    pub generation: u64,
    /// The dictionary the index was built with, to cut the query as typed.
    analyzer: std::sync::Arc<crate::analysis::Analyzer>,
}

fn patterns(word: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len()).map(move |i| {
        chars
            .iter()
            .enumerate()
            .map(|(j, c)| if i == j { '*' } else { *c })
            .collect()
    })
}

fn han_word(word: &str) -> bool {
    let n = word.chars().count();
    (MIN_CHARS..=MAX_CHARS).contains(&n) && word.chars().all(is_han)
}

impl Speller {
    pub fn build(engine: &Engine) -> Result<Speller, Error> {
        let searcher = engine.searcher();
        let f = &engine.fields;
        let mut docs: HashMap<String, u64> = HashMap::new();
        for segment in searcher.segment_readers() {
            // A word of a title is nearly always in the text too: per segment the larger of
            // the two counts, not their sum; then summed over the segments.
            let mut here: HashMap<String, u64> = HashMap::new();
            for field in [f.title, f.body] {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    let Ok(word) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if han_word(word) {
                        let n = u64::from(stream.value().doc_freq);
                        let entry = here.entry(word.to_string()).or_default();
                        *entry = (*entry).max(n);
                    }
                }
            }
            for (word, n) in here {
                *docs.entry(word).or_default() += n;
            }
        }
        for (word, _) in &engine.analyzer.vocab.user_words {
            let word = normalize(word);
            if han_word(&word) && !docs.contains_key(&word) {
                let n = searcher
                    .doc_freq(&Term::from_field_text(f.body, &word))
                    .unwrap_or(0);
                docs.insert(word, n);
            }
        }
        let mut by_sound: HashMap<String, Vec<String>> = HashMap::new();
        let mut by_pattern: HashMap<String, Vec<String>> = HashMap::new();
        for (word, &n) in &docs {
            if n < COMMON {
                continue;
            }
            if let Some(sound) = spelling(word) {
                by_sound
                    .entry(fold_spelling(&sound))
                    .or_default()
                    .push(word.clone());
            }
            if word.chars().count() >= MIN_CHANGED_CHARS {
                for p in patterns(word) {
                    by_pattern.entry(p).or_default().push(word.clone());
                }
            }
        }
        Ok(Speller {
            docs,
            by_sound,
            by_pattern,
            generation: searcher.generation().generation_id(),
            analyzer: engine.analyzer.clone(),
        })
    }

    /// The vocabulary: each word with the letters holding it.
    pub fn words(&self) -> impl Iterator<Item = (&str, u64)> {
        self.docs.iter().map(|(w, n)| (w.as_str(), *n))
    }

    /// Letters holding `word` as a word (0 when unknown).
    pub fn letters(&self, word: &str) -> u64 {
        self.docs.get(word).copied().unwrap_or(0)
    }

    /// The closest common word for `span` (normalised), if any, with how close it is.
    fn candidate(&self, span: &str) -> Option<(Closeness, String)> {
        let mut best: Option<(Closeness, u64, String)> = None;
        let mut consider = |closeness: Closeness, word: &String| {
            if word == span || word.chars().count() != span.chars().count() {
                return;
            }
            let n = self.letters(word);
            let better = best.as_ref().is_none_or(|(c, m, w)| {
                (closeness, std::cmp::Reverse(n), word) < (*c, std::cmp::Reverse(*m), w)
            });
            if better {
                best = Some((closeness, n, word.clone()));
            }
        };
        if let Some(sound) = spelling(span) {
            for word in self
                .by_sound
                .get(&fold_spelling(&sound))
                .into_iter()
                .flatten()
            {
                let closeness = if spelling(word).as_ref() == Some(&sound) {
                    Closeness::Homophone
                } else {
                    Closeness::NearHomophone
                };
                consider(closeness, word);
            }
        }
        if span.chars().count() >= MIN_CHANGED_CHARS {
            for p in patterns(span) {
                for word in self.by_pattern.get(&p).into_iter().flatten() {
                    consider(Closeness::OneChanged, word);
                }
            }
        }
        best.map(|(c, _, w)| (c, w))
    }

    /// The query with the words the archive does not know replaced by the words meant, or
    /// None when every word is known (or nothing close is). `found(span)` counts the letters
    /// holding a span (a phrase search): asked only for spans of three characters or more
    /// that no word covers and that have a candidate.
    pub fn correct(&self, query: &str, found: &dyn Fn(&str) -> usize) -> Option<String> {
        let chars: Vec<char> = query.chars().collect();
        let mut replaced: Vec<(usize, usize, String)> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if !is_han(chars[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && is_han(chars[i]) {
                i += 1;
            }
            replaced.extend(self.correct_run(&chars[start..i], start, found));
        }
        if replaced.is_empty() {
            return None;
        }
        let mut out = String::new();
        let mut at = 0;
        for (start, end, word) in replaced {
            out.extend(&chars[at..start]);
            out.push_str(&word);
            at = end;
        }
        out.extend(&chars[at..]);
        Some(out)
    }

    /// Replacements (start, end, word) in one run of Han characters at `offset`.
    fn correct_run(
        &self,
        run: &[char],
        offset: usize,
        found: &dyn Fn(&str) -> usize,
    ) -> Vec<(usize, usize, String)> {
        let n = run.len();
        // Normalised once; spans are cut from it.
        let whole = normalize(&run.iter().collect::<String>());
        let folded: Vec<char> = whole.chars().collect();
        if folded.len() != n {
            // Normalising changed the length (it never should for Han text): no span to trust.
            return Vec::new();
        }
        let text = |a: usize, b: usize| folded[a..b].iter().collect::<String>();
        let mut known = vec![false; n];
        // The run cut by the dictionary alone (no guessing of unknown words): a word of the
        // dictionary was typed as meant (异地就医 is 异地 + 就医 even where no letter says
        // it), and a span is replaced only whole tokens at a time (地就 is no span of it).
        let mut bounds = vec![false; n + 1];
        let mut at = 0;
        for token in self.analyzer.jieba.cut(&whole, false) {
            let len = token.word.chars().count();
            bounds[at] = true;
            if len >= MIN_CHARS {
                known[at..(at + len).min(n)]
                    .iter_mut()
                    .for_each(|k| *k = true);
            }
            at += len;
        }
        bounds[n.min(at)] = true;
        // Characters inside a word of the archive, however rare, are known (后顾之忧 in two
        // letters keeps its 之忧 from becoming the common 只有).
        for a in 0..n {
            for b in (a + MIN_CHARS)..=(a + MAX_CHARS).min(n) {
                if self.letters(&text(a, b)) > 0 {
                    known[a..b].iter_mut().for_each(|k| *k = true);
                }
            }
        }
        if known.iter().all(|k| *k) {
            return Vec::new();
        }
        // Candidates for spans holding an unknown character, longest and closest first.
        let mut proposals: Vec<(std::cmp::Reverse<usize>, Closeness, usize, usize, String)> =
            Vec::new();
        for a in 0..n {
            for b in (a + MIN_CHARS)..=(a + MAX_CHARS).min(n) {
                if !bounds[a] || !bounds[b] || known[a..b].iter().all(|k| *k) {
                    continue;
                }
                let span = text(a, b);
                if let Some((closeness, word)) = self.candidate(&span) {
                    proposals.push((std::cmp::Reverse(b - a), closeness, a, b, word));
                }
            }
        }
        proposals.sort();
        let mut taken = vec![false; n];
        let mut out = Vec::new();
        for (_, closeness, a, b, word) in proposals {
            if taken[a..b].iter().any(|t| *t) {
                continue;
            }
            let span = text(a, b);
            if b - a >= 3 {
                // So was a longer span the letters hold (a name cut into pieces).
                if found(&span) >= MEANT {
                    continue;
                }
            } else if closeness != Closeness::Homophone {
                // Two characters occur by chance across words (女儿通过 holds 儿通): only
                // an exact homophone replaces them.
                continue;
            }
            taken[a..b].iter_mut().for_each(|t| *t = true);
            out.push((offset + a, offset + b, word));
        }
        out.sort();
        out
    }
}

impl Engine {
    /// Whether the query holds a Han character outside every word of the dictionary (cut
    /// without guessing unknown words): only then can the speller correct anything, so a
    /// query of dictionary words never waits for it to be built.
    pub(super) fn might_need_correcting(&self, query: &str) -> bool {
        let normalized = normalize(query);
        self.analyzer
            .jieba
            .cut(&normalized, false)
            .iter()
            .any(|t| t.word.chars().count() < MIN_CHARS && t.word.chars().any(is_han))
    }

    /// The speller for the current index generation, built on first use after a write.
    pub fn speller(&self) -> Result<std::sync::Arc<Speller>, Error> {
        let generation = self.generation();
        let mut slot = self.speller.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slot.as_ref().filter(|s| s.generation == generation) {
            return Ok(s.clone());
        }
        let built = std::sync::Arc::new(Speller::build(self)?);
        *slot = Some(built.clone());
        Ok(built)
    }

    /// Letters a phrase search for `span` finds (what the speller asks before correcting).
    pub(super) fn letters_holding(&self, span: &str) -> usize {
        self.search(&SearchRequest {
            q: format!("\"{span}\""),
            limit: Some(0),
            correct: Some(false),
            ..SearchRequest::default()
        })
        .map_or(0, |r| r.total)
    }
}
