//! The jieba-rs → tantivy bridge: normalisation and the two tokenizers every text field uses.
//!
//! * `zh_words`: jieba search-mode words (生产力 inside 新质生产力 is its own token). A token's
//!   position is the **char index of its first char**, so overlapping search-mode sub-words
//!   keep positions consistent with the text: a phrase of words can be queried with
//!   char-length offsets and means exact adjacency.
//! * `zh_ngrams`: character bigrams over the text with whitespace removed, one per char
//!   position (plus a unigram for the last char). A string of two or more chars occurs in a
//!   field exactly when its bigrams occur at consecutive positions, so recall and phrase
//!   exactness do not depend on how jieba happened to cut the text.
//!
//! Normalisation (full-width → half-width, lowercase, traditional → simplified) happens once
//! per field value, before the tokenizers: the index writes `normalize(value)` into every
//! text field, so the two tokenizers (and the near-duplicate shingles) share one pass instead
//! of each folding the same letter. The tokenizers therefore expect normalised text, and
//! their offsets are offsets in it. Each step maps one char to one char, so offsets in the
//! normalised text map back to the original char by char (see `Normalized`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::text::normalize;

use jieba_rs::Jieba;

mod tokenizers;
pub mod vocab;

pub use tokenizers::{BufferedStream, NgramTokenizer, WordTokenizer, bigram_cover};
pub use vocab::{Synonyms, Vocab};

/// Name under which the word tokenizer is registered in the index's tokenizer manager.
pub const WORDS: &str = "zh_words";
/// Name under which the character n-gram tokenizer is registered.
pub const NGRAMS: &str = "zh_ngrams";

/// Search-mode word counts (`Analyzer::words`) → the counts of the words as jieba's precise
/// mode gives them, in place (the slice keeps its order): search mode adds, for each word of
/// three or more chars, its 2-char parts (and, from four chars, its 3-char parts) that are
/// dictionary words; those counts are taken back from the parts, longest words first (a part
/// of a part was not added). A part also said on its own keeps that count; a part never said
/// alone drops to zero. (A compound's parts made letters about different things look alike.)
pub fn whole_word_counts(words: &mut [(&str, f32)]) {
    let at: HashMap<&str, usize, foldhash::fast::RandomState> = words
        .iter()
        .enumerate()
        .map(|(i, (w, _))| (*w, i))
        .collect();
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_unstable_by_key(|&i| std::cmp::Reverse(words[i].0.len()));
    let mut starts: Vec<usize> = Vec::new();
    for i in order {
        let (word, count) = words[i];
        if count <= 0.0 {
            continue;
        }
        starts.clear();
        starts.extend(word.char_indices().map(|(b, _)| b));
        starts.push(word.len());
        let chars = starts.len() - 1;
        for width in [2, 3] {
            if chars <= width {
                continue;
            }
            for k in 0..=chars - width {
                if let Some(&j) = at.get(&word[starts[k]..starts[k + width]]) {
                    words[j].1 -= count;
                }
            }
        }
    }
}

/// The dictionary and vocabulary shared by indexing and querying. Loading jieba's dictionary
/// takes a noticeable fraction of a second, so one instance is built per process and shared.
pub struct Analyzer {
    pub jieba: Jieba,
    pub vocab: Vocab,
}

impl Analyzer {
    pub fn new(vocab: Vocab) -> Self {
        let mut jieba = Jieba::new();
        for (word, freq) in &vocab.user_words {
            jieba.add_word(word, Some(*freq), None);
        }
        // Every synonym term is a word to jieba too, so a query such as 福田区发改局 is cut
        // as 福田区 / 发改局 and the abbreviation can be expanded.
        for term in vocab.synonyms.all_terms() {
            if !jieba.has_word(term) && term.chars().count() > 1 {
                jieba.add_word(term, Some(3000), None);
            }
        }
        Analyzer { jieba, vocab }
    }

    /// The analyzer with the vocabulary shipped in `assets/`, built once per process.
    pub fn shared_default() -> Arc<Analyzer> {
        static DEFAULT: OnceLock<Arc<Analyzer>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| Arc::new(Analyzer::new(Vocab::embedded())))
            .clone()
    }

    /// Words of a query chunk in precise mode (not search mode: a query word should be the
    /// unit the user meant, sub-words would only add noise), normalised, without punctuation.
    /// Dates (2024年6月12日, 二〇二四年六月) are kept whole: jieba would cut them into
    /// digits and single characters that match almost anything.
    pub fn query_words(&self, chunk: &str) -> Vec<String> {
        static DATE: OnceLock<regex::Regex> = OnceLock::new();
        let date = DATE.get_or_init(|| {
            regex::Regex::new(
                "[0-9〇一二三四五六七八九]{4}年(?:[0-9一二三四五六七八九十]{1,3}月(?:[0-9一二三四五六七八九十]{1,3}[日号])?)?|[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}[日号]",
            )
            .expect("valid date pattern")
        });
        let norm = normalize(chunk);
        let mut words = Vec::new();
        let cut = |text: &str, words: &mut Vec<String>| {
            words.extend(
                self.jieba
                    .cut(text, true)
                    .into_iter()
                    .map(|t| t.word.trim())
                    .filter(|w| w.chars().any(char::is_alphanumeric))
                    .map(str::to_string),
            )
        };
        let mut at = 0;
        for m in date.find_iter(&norm) {
            cut(&norm[at..m.start()], &mut words);
            words.push(m.as_str().to_string());
            at = m.end();
        }
        cut(&norm[at..], &mut words);
        words
    }

    /// The words of the `zh_words` field: jieba search-mode words (with sub-words), those
    /// holding a letter or digit (whitespace and punctuation are not words; the n-gram
    /// field keeps them for phrase exactness). `text` is normalised.
    pub fn words<'t>(&self, text: &'t str) -> impl Iterator<Item = jieba_rs::Token<'t>> + use<'t> {
        self.jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| t.word.chars().any(char::is_alphanumeric))
    }

    /// Whether a word can say what a letter is about: two or more chars, letters and digits
    /// only, not only digits, not a stopword. (Both similarity measures keep only these.)
    pub fn is_content_word(&self, word: &str) -> bool {
        word.chars().count() >= 2
            && word.chars().all(char::is_alphanumeric)
            && !word.chars().all(|c| c.is_ascii_digit())
            && !self.vocab.stopwords.contains(word)
    }

    /// Registers both tokenizers on an index.
    pub fn register(self: &Arc<Self>, index: &tantivy::Index) {
        let manager = index.tokenizers();
        manager.register(WORDS, WordTokenizer::new(self.clone()));
        manager.register(NGRAMS, NgramTokenizer::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_counts_take_back_what_search_mode_added_for_parts() {
        // 新质生产力 said twice and 生产 once alone: search mode also gave 生产力 twice and
        // 生产 twice more (parts of 新质生产力; 生产力's own part 生产 was not added).
        let mut words = vec![
            ("生产", 3.0),
            ("新质生产力", 2.0),
            ("生产力", 2.0),
            ("培训", 1.0),
        ];
        whole_word_counts(&mut words);
        assert_eq!(
            words,
            vec![
                ("生产", 1.0),
                ("新质生产力", 2.0),
                ("生产力", 0.0),
                ("培训", 1.0)
            ]
        );
    }
}
