//! Normalised text with a map back to its source.
//!
//! Matching happens on normalised text (width, case and variant folding, traditional →
//! simplified); what a person reads is the text as written. Every step maps one char to one
//! char, so offsets in the normalised text map back to the source char by char.

use super::fold::{fold_char, simplify};

/// Normalised text with a map back to the source: `starts[i]` is the byte offset in the
/// source of the normalised text's `i`-th char, and `starts[len]` is the source length.
#[derive(Default, Debug, Clone)]
pub struct Normalized {
    pub text: String,
    pub starts: Vec<usize>,
}

impl Normalized {
    pub fn new(src: &str) -> Self {
        let mut n = Normalized::default();
        n.fill(src);
        n
    }

    /// Refills the buffers from `src`, reusing their allocations.
    pub fn fill(&mut self, src: &str) {
        self.text.clear();
        self.starts.clear();
        self.text.reserve(src.len());
        for (byte, c) in src.char_indices() {
            self.starts.push(byte);
            self.text.push(fold_char(c));
        }
        self.starts.push(src.len());
        // Traditional → simplified in place, 3-byte chars into 3-byte chars, so the char
        // count and the offsets above stay valid.
        simplify(&mut self.text);
    }

    /// Number of chars in the normalised text.
    pub fn char_len(&self) -> usize {
        self.starts.len() - 1
    }
}

/// Normalises a string (width, case, traditional → simplified) for comparisons and terms.
pub fn normalize(s: &str) -> String {
    let mut folded: String = s.chars().map(fold_char).collect();
    simplify(&mut folded);
    folded
}

/// Normalises and drops whitespace: the form in which the n-gram field sees text, and the
/// form in which "contains" is defined for queries and phrases.
pub fn compact(s: &str) -> String {
    let mut out = normalize(s);
    out.retain(|c| !c.is_whitespace());
    out
}
