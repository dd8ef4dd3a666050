//! Character-level normalisation shared by ingest, indexing, querying and highlighting.
//!
//! Every function here maps one char to exactly one char, so a normalised string has the
//! same number of chars as its source and offsets can be mapped back char by char. That
//! property is what keeps highlights on character boundaries after folding.

/// Folds full-width ASCII (U+FF01..U+FF5E) to half-width and the ideographic space to a
/// plain space; every other char is returned unchanged.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Lowercases a char when its lowercase form is a single char (true for Latin, Greek and
/// Cyrillic; the rare multi-char cases are left as they are to keep the 1:1 mapping).
pub fn fold_case(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Width and case folding: the part of normalisation that needs no table.
pub fn fold_char(c: char) -> char {
    fold_case(fold_width(c))
}

/// True for the Han ideographs that Chinese text is made of (CJK Unified Ideographs and
/// extension A, compatibility ideographs, and 〇).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '〇'
        | '\u{20000}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_digits_letters_and_space() {
        let s: String = "ＡＢＣ１２３　ｐｍ２．５（一）"
            .chars()
            .map(fold_char)
            .collect();
        assert_eq!(s, "abc123 pm2.5(一)");
    }

    #[test]
    fn keeps_char_count() {
        let src = "İstanbul ΣΑΣ 福田区ＰＭ２.５";
        let folded: String = src.chars().map(fold_char).collect();
        assert_eq!(src.chars().count(), folded.chars().count());
    }
}
