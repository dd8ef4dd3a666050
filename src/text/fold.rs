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

/// `fold_width` over a string: same number of chars, each folded on its own.
pub fn fold_width_str(s: &str) -> String {
    s.chars().map(fold_width).collect()
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

/// Folds the bracket and zero forms that official documents use interchangeably:
/// 〔2024〕12号 = `[2024]12号` = 【2024】12号, and 二○二四 (white circle) = 二〇二四.
pub fn fold_variant(c: char) -> char {
    match c {
        '〔' | '【' | '〖' => '[',
        '〕' | '】' | '〗' => ']',
        '○' | '◯' => '〇',
        _ => c,
    }
}

/// Width, case and variant folding: the part of normalisation that needs no table.
#[inline]
pub fn fold_char(c: char) -> char {
    // Fast paths: ASCII, and common Han ideographs and CJK punctuation, which have no case
    // (the case table lookup is the expensive step otherwise) and are most of the text.
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        return c;
    }
    if ('\u{3001}'..='\u{33FF}').contains(&c) || ('\u{2000}'..='\u{206F}').contains(&c) {
        return fold_variant(c);
    }
    fold_variant(fold_case(fold_width(c)))
}

/// The chars traditional → simplified conversion (`fast2s`) may rewrite, alone or next to
/// some neighbour; every other char it leaves as it is. `fast2s` does several hash lookups
/// per CJK char, which made it the most expensive step of normalising a letter, so
/// `simplify` only calls it for these.
#[derive(Clone, Copy)]
struct SimplifyTable(&'static [u64]);

impl SimplifyTable {
    fn get() -> Self {
        use std::sync::OnceLock;
        // One bit per 3-byte UTF-8 char (U+0800..U+FFFF), the only chars fast2s converts.
        static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
        SimplifyTable(TABLE.get_or_init(|| {
            let mut bits = vec![0u64; 0x10000 / 64];
            let mut set = |c: char| bits[c as usize / 64] |= 1 << (c as usize % 64);
            // Every candidate char between spaces, converted in one pass: a space never
            // forms one of fast2s's context pairs, so each char is converted as if alone.
            let probe: String = (0x800..=0xFFFF)
                .filter_map(char::from_u32)
                .flat_map(|c| [c, ' '])
                .collect();
            let mut converted = probe.clone();
            fast2s::replace(&mut converted);
            for (before, after) in probe.chars().zip(converted.chars()) {
                if before != after {
                    set(before);
                }
            }
            // Chars whose conversion depends on their neighbours (fast2s's special and
            // exclusion tables), which may be unchanged when probed alone.
            for c in "藉著苧闔鍾讎畫兒覆夥瞭麽幺於乾".chars() {
                set(c);
            }
            bits
        }))
    }

    #[inline]
    fn contains(self, c: char) -> bool {
        let cp = c as usize;
        (0x800..=0xFFFF).contains(&cp) && self.0[cp / 64] & (1 << (cp % 64)) != 0
    }
}

/// Traditional → simplified in place, exactly as `fast2s::replace` would convert the text,
/// but only doing fast2s's work (several hash lookups) for the rare chars it may change:
/// fast2s decides each char from the char and its two neighbours alone, so a char is
/// converted within its three-char window. Every conversion maps a 3-byte char to a 3-byte
/// char, so byte offsets into the text stay valid.
pub fn simplify(text: &mut String) {
    let table = SimplifyTable::get();
    let mut patches: Vec<(usize, char)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((pos, c)) = chars.next() {
        if table.contains(c) {
            let next = chars.peek().map(|&(_, n)| n);
            let mut window = String::with_capacity(12);
            window.extend(prev);
            window.push(c);
            window.extend(next);
            let converted = fast2s::convert(&window);
            if let Some(new) = converted.chars().nth(usize::from(prev.is_some()))
                && new != c
                && new.len_utf8() == c.len_utf8()
            {
                patches.push((pos, new));
            }
        }
        prev = Some(c);
    }
    let mut buf = [0u8; 4];
    for (pos, new) in patches {
        text.replace_range(pos..pos + new.len_utf8(), new.encode_utf8(&mut buf));
    }
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
    fn folds_document_number_brackets_and_zero_forms() {
        let s: String = "〔2024〕12号【2024】二○二四年［2024］"
            .chars()
            .map(fold_char)
            .collect();
        assert_eq!(s, "[2024]12号[2024]二〇二四年[2024]");
    }

    #[test]
    fn simplification_candidates_cover_what_fast2s_changes() {
        let may_simplify = |c| SimplifyTable::get().contains(c);
        for s in ["國際與發展", "看著", "計畫", "答覆", "於是", "乾隆"] {
            let mut converted = s.to_string();
            fast2s::replace(&mut converted);
            for (a, b) in s.chars().zip(converted.chars()) {
                assert!(a == b || may_simplify(a), "{a} → {b} in {s}");
            }
        }
        assert!(may_simplify('國') && may_simplify('著'));
        assert!(!may_simplify('国') && !may_simplify('a') && !may_simplify('的'));
    }

    #[test]
    fn simplify_matches_fast2s() {
        let samples = [
            "國際與發展，看著計畫答覆於是乾隆年間的批覆",
            "显著的著作，覆盖全区；乾燥天气。",
            include_str!("../../corpus/futian-fgj-reply-20240294.txt"),
            "關於進一步加強老舊小區加裝電梯工作的建議答覆：藉口、憑藉、慰藉。",
            "著",
            "畫",
            "",
        ];
        for sample in samples {
            let (mut ours, mut theirs) = (sample.to_string(), sample.to_string());
            simplify(&mut ours);
            fast2s::replace(&mut theirs);
            assert_eq!(ours, theirs);
        }
    }

    proptest::proptest! {
        #[test]
        fn simplify_matches_fast2s_on_any_mix(s in "[國際與發展看著計畫答覆於是乾隆批藉口憑慰的显盖燥a1 ，]{0,40}") {
            let (mut ours, mut theirs) = (s.clone(), s.clone());
            simplify(&mut ours);
            fast2s::replace(&mut theirs);
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn keeps_char_count() {
        let src = "İstanbul ΣΑΣ 福田区ＰＭ２.５";
        let folded: String = src.chars().map(fold_char).collect();
        assert_eq!(src.chars().count(), folded.chars().count());
    }
}
