//! The two tokenizers every text field uses, over normalised text.
//!
//! * `WordTokenizer` (`zh_words`): jieba search-mode words; a token's position is the char
//!   index of its first char.
//! * `NgramTokenizer` (`zh_ngrams`): character bigrams with whitespace removed, one per char
//!   position, plus a unigram for the last char.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::Analyzer;

/// Reuses a token slot of `tokens` (or adds one) to avoid per-token allocations across
/// documents; `used` counts the slots filled for the current text.
fn next_slot(tokens: &mut Vec<Token>, used: &mut usize) -> usize {
    if *used == tokens.len() {
        tokens.push(Token::default());
    }
    *used += 1;
    *used - 1
}

/// Jieba search-mode word tokenizer over normalised text. Owns its buffers so a tokenizer
/// clone (one per indexing thread) re-tokenizes document after document without
/// reallocating.
#[derive(Clone)]
pub struct WordTokenizer {
    analyzer: Arc<Analyzer>,
    /// Byte offset of each char of the current text, and the text's length at the end.
    starts: Vec<usize>,
    tokens: Vec<Token>,
}

impl WordTokenizer {
    pub fn new(analyzer: Arc<Analyzer>) -> Self {
        WordTokenizer {
            analyzer,
            starts: Vec::new(),
            tokens: Vec::new(),
        }
    }
}

/// Fills `starts` with the byte offset of each char of `text`, then `text.len()`.
fn char_starts(text: &str, starts: &mut Vec<usize>) {
    starts.clear();
    starts.extend(text.char_indices().map(|(b, _)| b));
    starts.push(text.len());
}

/// Streams tokens prepared in a tokenizer's buffer.
pub struct BufferedStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl<'a> BufferedStream<'a> {
    /// Streams the given tokens in order.
    pub fn new(tokens: &'a mut [Token]) -> Self {
        BufferedStream { tokens, next: 0 }
    }
}

impl TokenStream for BufferedStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = BufferedStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufferedStream<'a> {
        char_starts(text, &mut self.starts);
        let mut used = 0;
        for t in self.analyzer.words(text) {
            let slot = next_slot(&mut self.tokens, &mut used);
            let token = &mut self.tokens[slot];
            token.text.clear();
            token.text.push_str(t.word);
            token.offset_from = self.starts[t.start];
            token.offset_to = self.starts[t.end];
            token.position = t.start;
            token.position_length = 1;
        }
        BufferedStream {
            tokens: &mut self.tokens[..used],
            next: 0,
        }
    }
}

/// Character bigram tokenizer over normalised text, skipping whitespace.
#[derive(Clone, Default)]
pub struct NgramTokenizer {
    /// (char, byte offset, byte offset after it) of each non-whitespace char.
    chars: Vec<(char, usize, usize)>,
    tokens: Vec<Token>,
}

impl Tokenizer for NgramTokenizer {
    type TokenStream<'a> = BufferedStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufferedStream<'a> {
        self.chars.clear();
        self.chars.extend(
            text.char_indices()
                .filter(|(_, c)| !c.is_whitespace())
                .map(|(b, c)| (c, b, b + c.len_utf8())),
        );
        let n = self.chars.len();
        let mut used = 0;
        for pos in 0..n {
            // A bigram per position; the last char also stands alone so that a
            // one-char query can find it (see `search::substring_query`).
            let width = if pos + 1 < n { 2 } else { 1 };
            let slot = next_slot(&mut self.tokens, &mut used);
            let token = &mut self.tokens[slot];
            token.text.clear();
            for &(c, _, _) in &self.chars[pos..pos + width] {
                token.text.push(c);
            }
            token.offset_from = self.chars[pos].1;
            token.offset_to = self.chars[pos + width - 1].2;
            token.position = pos;
            token.position_length = 1;
        }
        BufferedStream {
            tokens: &mut self.tokens[..used],
            next: 0,
        }
    }
}

/// The bigram terms of a compacted (normalised, whitespace-free) string with their offsets in
/// chars, choosing a cover of non-overlapping bigrams plus the final one: enough to pin every
/// char of the string, with about half the terms of the full chain.
pub fn bigram_cover(compacted: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = compacted.chars().collect();
    let n = chars.len();
    if n < 2 {
        return Vec::new();
    }
    let mut offsets: Vec<usize> = (0..n - 1).step_by(2).collect();
    if *offsets.last().unwrap() != n - 2 {
        offsets.push(n - 2);
    }
    offsets
        .into_iter()
        .map(|i| (i, chars[i..i + 2].iter().collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{Normalized, normalize};
    use proptest::prelude::*;

    /// Collects (text, byte range, position) of every token.
    fn tokens<T: Tokenizer>(tokenizer: &mut T, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut out = Vec::new();
        let mut stream = tokenizer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    fn words(text: &str) -> Vec<(String, usize, usize, usize)> {
        tokens(&mut WordTokenizer::new(Analyzer::shared_default()), text)
    }

    /// Tokens of `text` as the index sees them: normalised first.
    fn indexed_words(text: &str) -> Vec<(String, usize, usize, usize)> {
        words(&normalize(text))
    }

    fn assert_token(
        all: &[(String, usize, usize, usize)],
        text: &str,
        from: usize,
        to: usize,
        pos: usize,
    ) {
        assert!(
            all.iter().any(|t| t == &(text.to_string(), from, to, pos)),
            "no token ({text}, {from}..{to}, pos {pos}) in {all:?}"
        );
    }

    #[test]
    fn search_mode_words_carry_byte_ranges_and_char_positions() {
        let s = "形成福田区新质生产力发展行动计划";
        let all = words(s);
        // 新质生产力 starts at char 5 = byte 15 and is a user-dictionary word.
        assert_token(&all, "新质生产力", 15, 30, 5);
        // Its search-mode sub-word 生产力 starts at char 7 = byte 21: position by char.
        assert_token(&all, "生产力", 21, 30, 7);
        assert_token(&all, "生产", 21, 27, 7);
        for (text, from, to, _) in &all {
            assert_eq!(&s[*from..*to], text.as_str());
        }
    }

    #[test]
    fn long_place_names_yield_their_parts() {
        let all = words("河套深港科技创新合作区成为大湾区唯一");
        assert_token(&all, "河套深港科技创新合作区", 0, 33, 0);
        assert!(all.iter().any(|t| t.0 == "深港"), "{all:?}");
    }

    #[test]
    fn indexed_text_is_folded_and_offsets_map_back_to_the_source() {
        let s = "ＰＭ２.５與國際";
        let all = indexed_words(s);
        let texts: Vec<&str> = all.iter().map(|t| t.0.as_str()).collect();
        assert!(texts.contains(&"国际"), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with("pm")), "{texts:?}");
        // Offsets are in the normalised text; its chars map 1:1 to the source's.
        let norm = Normalized::new(s);
        assert_eq!(norm.text, normalize(s));
        let guoji = all.iter().find(|t| t.0 == "国际").unwrap();
        let first = norm.text[..guoji.1].chars().count();
        let last = norm.text[..guoji.2].chars().count();
        assert_eq!(&s[norm.starts[first]..norm.starts[last]], "國際");
    }

    #[test]
    fn ngrams_skip_whitespace_and_end_with_a_unigram() {
        let all = tokens(&mut NgramTokenizer::default(), "2024 年6月");
        let texts: Vec<(&str, usize)> = all.iter().map(|t| (t.0.as_str(), t.3)).collect();
        assert_eq!(
            texts,
            vec![
                ("20", 0),
                ("02", 1),
                ("24", 2),
                ("4年", 3),
                ("年6", 4),
                ("6月", 5),
                ("月", 6)
            ]
        );
        // "4年" spans the space in the source: bytes 3..8.
        assert_eq!((all[3].1, all[3].2), (3, 8));
    }

    #[test]
    fn bigram_cover_pins_every_char() {
        assert_eq!(
            bigram_cover("深港科技创新"),
            vec![(0, "深港".into()), (2, "科技".into()), (4, "创新".into())]
        );
        assert_eq!(
            bigram_cover("改革局"),
            vec![(0, "改革".into()), (1, "革局".into())]
        );
        assert!(bigram_cover("局").is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn offsets_are_char_boundaries(s in "\\PC{0,60}|[a-zＡ-Ｚ０-９国際發展 \u{3000}、，。]{0,40}") {
            let n = normalize(&s);
            for t in words(&n).into_iter().chain(tokens(&mut NgramTokenizer::default(), &n)) {
                prop_assert!(n.is_char_boundary(t.1) && n.is_char_boundary(t.2) && t.1 < t.2 && t.2 <= n.len());
                let compacted: String = n[t.1..t.2].chars().filter(|c| !c.is_whitespace()).collect();
                prop_assert!(n[t.1..t.2] == t.0 || compacted == t.0, "{:?} at {}..{}", t.0, t.1, t.2);
            }
        }
    }
}
