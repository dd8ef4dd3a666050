//! Highlighting by the same definition of "contains" that the n-gram field answers: the
//! normalised text without whitespace. Matches are found in that form and mapped back to
//! byte ranges of the original text char by char, so a `<mark>` always covers whole
//! characters and exactly the text that matched (including a full-width or traditional
//! form of what the user typed). The results are data (`Highlighted`: text and match
//! ranges); `to_html` escapes everything outside the `<mark>` tags it adds.

use std::ops::Range;

use crate::text::{Normalized, compact};

/// A text prepared for repeated matching.
struct Matchable {
    norm: Normalized,
    /// The normalised text without whitespace.
    compact: String,
    /// For each char of `compact`: its byte offset in `compact` and its index in `norm`.
    chars: Vec<(usize, usize)>,
}

impl Matchable {
    fn new(text: &str) -> Self {
        let norm = Normalized::new(text);
        let mut compact = String::with_capacity(norm.text.len());
        let mut chars = Vec::with_capacity(norm.char_len());
        for (i, c) in norm.text.chars().enumerate() {
            if !c.is_whitespace() {
                chars.push((compact.len(), i));
                compact.push(c);
            }
        }
        Matchable {
            norm,
            compact,
            chars,
        }
    }

    /// Byte ranges in the original text of each occurrence of each needle, tagged with the
    /// needle's index.
    fn occurrences(&self, needles: &[String]) -> Vec<(Range<usize>, usize)> {
        let mut out = Vec::new();
        for (k, needle) in needles.iter().enumerate() {
            if needle.is_empty() {
                continue;
            }
            for (byte, m) in self.compact.match_indices(needle.as_str()) {
                let first = self.chars.partition_point(|&(b, _)| b < byte);
                let last = self.chars.partition_point(|&(b, _)| b < byte + m.len()) - 1;
                let start = self.norm.starts[self.chars[first].1];
                let end = self.norm.starts[self.chars[last].1 + 1];
                out.push((start..end, k));
            }
        }
        out.sort_by_key(|(r, _)| (r.start, r.end));
        out
    }
}

/// Compacted forms of query strings, longest first, without duplicates or empties.
pub fn needles<'a>(strings: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = strings
        .into_iter()
        .map(compact)
        .filter(|s| !s.is_empty())
        .collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out.dedup();
    out
}

/// Which of the needles occur in `text`.
pub fn contains_each(text: &str, needles: &[String]) -> Vec<bool> {
    let groups: Vec<&[String]> = needles.iter().map(std::slice::from_ref).collect();
    holding(&[text], &groups)
}

/// How many of the needle groups have some needle in one of the texts: the words of a
/// query a letter holds, each word given by its written forms.
pub fn count_holding(texts: &[&str], groups: &[Vec<String>]) -> usize {
    let groups: Vec<&[String]> = groups.iter().map(Vec::as_slice).collect();
    holding(texts, &groups).into_iter().filter(|h| *h).count()
}

/// Whether each group has some needle in one of the texts. Only "whether", not "where".
/// A needle (normalised, compacted) found verbatim in the text as written is in its
/// normalised form too (folding maps the needle's chars to themselves); the texts are
/// normalised, once, only for the groups not found so: stored letters are mostly written
/// in normalised form already, and normalising a whole letter per hit cost more than the
/// search.
fn holding(texts: &[&str], groups: &[&[String]]) -> Vec<bool> {
    let found = |texts: &[&str], g: &[String]| {
        g.iter()
            .any(|n| !n.is_empty() && texts.iter().any(|t| t.contains(n.as_str())))
    };
    let mut held: Vec<bool> = groups.iter().map(|g| found(texts, g)).collect();
    if held.iter().any(|h| !h) {
        let compacted: Vec<String> = texts.iter().map(|t| compact(t)).collect();
        let compacted: Vec<&str> = compacted.iter().map(String::as_str).collect();
        for (h, g) in held.iter_mut().zip(groups) {
            *h = *h || found(&compacted, g);
        }
    }
    held
}

/// Merges overlapping or touching ranges.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Byte ranges of `text` that match any of the needles, merged.
pub fn match_ranges(text: &str, needles: &[String]) -> Vec<Range<usize>> {
    merge(
        Matchable::new(text)
            .occurrences(needles)
            .into_iter()
            .map(|(r, _)| r)
            .collect(),
    )
}

/// A passage of a text with the byte ranges that matched: what a hit shows. The engine
/// returns it as data; the edges render it (`to_html` for the API and the pages, `render`
/// with other markers for a terminal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    /// The passage, as written (never folded).
    pub text: String,
    /// Byte ranges of `text` that matched, sorted and disjoint; each covers whole chars.
    pub marks: Vec<Range<usize>>,
    /// Text was cut before the passage (render `…`).
    pub cut_before: bool,
    /// Text was cut after the passage.
    pub cut_after: bool,
}

impl Highlighted {
    /// True when there is no text to show.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The passage as (text, matched) pieces in order, for templates.
    pub fn pieces(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::with_capacity(self.marks.len() * 2 + 1);
        let mut at = 0;
        for m in &self.marks {
            if m.start > at {
                out.push((&self.text[at..m.start], false));
            }
            out.push((&self.text[m.clone()], true));
            at = m.end;
        }
        if at < self.text.len() {
            out.push((&self.text[at..], false));
        }
        out
    }

    /// Escaped HTML in which only `<mark>` and `</mark>` are markup, with `…` where the text
    /// was cut.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + self.marks.len() * 13 + 8);
        self.write(&mut out, "<mark>", "</mark>", true);
        out
    }

    /// Plain text with each match between `open` and `close` (e.g. 【】 or terminal colours).
    pub fn render(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        self.write(&mut out, open, close, false);
        out
    }

    fn write(&self, out: &mut String, open: &str, close: &str, html: bool) {
        if self.cut_before {
            out.push('…');
        }
        for (piece, matched) in self.pieces() {
            if matched {
                out.push_str(open);
            }
            if html {
                escape_into(out, piece);
            } else {
                out.push_str(piece);
            }
            if matched {
                out.push_str(close);
            }
        }
        if self.cut_after {
            out.push('…');
        }
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `text[window]` with the given ranges (inside the window) shifted into it; line breaks
/// become spaces, as a one-line passage shows them (one byte for one, so ranges hold).
fn passage(
    text: &str,
    window: Range<usize>,
    marks: &[Range<usize>],
) -> (String, Vec<Range<usize>>) {
    let piece: String = text[window.clone()]
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let marks = marks
        .iter()
        .filter(|m| m.start >= window.start && m.end <= window.end)
        .map(|m| m.start - window.start..m.end - window.start)
        .collect();
    (piece, marks)
}

/// The whole text, as written, with every match marked (for titles and paragraphs).
pub fn highlight_all(text: &str, needles: &[String]) -> Highlighted {
    Highlighted {
        marks: match_ranges(text, needles),
        text: text.to_string(),
        cut_before: false,
        cut_after: false,
    }
}

/// The paragraphs of a letter (its lines, trimmed, empty ones left out), each with every
/// match marked: the document page.
pub fn paragraphs(text: &str, needles: &[String]) -> Vec<Highlighted> {
    text.split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| highlight_all(p, needles))
        .collect()
}

/// Byte offset of the char `n` chars after (or before, if negative) `from`, clamped.
fn step_chars(text: &str, from: usize, n: isize) -> usize {
    if n >= 0 {
        text[from..]
            .char_indices()
            .nth(n as usize)
            .map_or(text.len(), |(i, _)| from + i)
    } else {
        text[..from]
            .char_indices()
            .rev()
            .nth((-n - 1) as usize)
            .map_or(0, |(i, _)| i)
    }
}

/// A passage of about `max_chars` chars around the best cluster of matches (the window
/// holding the most distinct needles, then the most matches), with its matches.
pub fn snippet(text: &str, needles: &[String], max_chars: usize) -> Highlighted {
    let full = text.trim();
    let region = candidate_region(full, needles, max_chars);
    let text = &full[region.clone()];
    let occurrences = Matchable::new(text).occurrences(needles);
    let lead = (max_chars / 6) as isize;
    let mut best: Option<(usize, usize, usize)> = None; // (distinct, count, start byte)
    for (i, (first, _)) in occurrences.iter().enumerate().take(500) {
        let start = step_chars(text, first.start, -lead);
        let end = step_chars(text, start, max_chars as isize);
        let mut seen = Vec::new();
        let mut count = 0;
        for (r, k) in &occurrences[i..] {
            if r.end > end {
                break;
            }
            count += 1;
            if !seen.contains(k) {
                seen.push(*k);
            }
        }
        if best.is_none_or(|(d, c, _)| (seen.len(), count) > (d, c)) {
            best = Some((seen.len(), count, start));
        }
    }
    let mut start = best.map_or(0, |(_, _, s)| s);
    let mut end = step_chars(text, start, max_chars as isize);
    if end == text.len() {
        // Near the end: use the whole budget by starting earlier.
        start = step_chars(text, end, -(max_chars as isize));
    }
    let marks = merge(occurrences.into_iter().map(|(r, _)| r).collect());
    // Never cut a mark in half at either end of the window.
    if let Some(m) = marks.iter().find(|m| m.start < start && m.end > start) {
        start = m.start;
    }
    if let Some(m) = marks.iter().find(|m| m.start < end && m.end > end) {
        end = m.end;
    }
    let (text, marks) = passage(text, start..end, &marks);
    Highlighted {
        text,
        marks,
        cut_before: region.start + start > 0,
        cut_after: region.start + end < full.len(),
    }
}

/// The part of a long text worth normalising for a snippet. Normalising a whole letter for
/// every hit dominates search time, so when a needle occurs verbatim (the usual case: stored
/// text is already width-folded and mostly simplified) only the text around its first
/// occurrence is examined; otherwise, the whole text.
fn candidate_region(text: &str, needles: &[String], max_chars: usize) -> Range<usize> {
    if text.len() <= max_chars * 3 * 8 {
        return 0..text.len();
    }
    if needles.iter().all(|n| n.is_empty()) {
        // Nothing to find: the snippet is the opening.
        return 0..step_chars(text, 0, 2 * max_chars as isize);
    }
    match needles
        .iter()
        .filter(|n| !n.is_empty())
        .filter_map(|n| text.find(n.as_str()))
        .min()
    {
        Some(at) => {
            step_chars(text, at, -2 * max_chars as isize)
                ..step_chars(text, at, 4 * max_chars as isize)
        }
        None => 0..text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &[&str]) -> Vec<String> {
        needles(s.iter().copied())
    }

    #[test]
    fn words_held_verbatim_or_only_once_normalised() {
        // 停車 (traditional) and a line break inside 加装\n电梯 are found only in the
        // normalised text; 小区 verbatim; 垃圾 not at all.
        let text = "老旧小区加装\n电梯，解决停車难";
        let groups = vec![n(&["小区"]), n(&["加装电梯"]), n(&["停车"]), n(&["垃圾"])];
        assert_eq!(count_holding(&[text], &groups), 3);
        assert_eq!(count_holding(&["标题有垃圾", text], &groups), 4);
        assert_eq!(count_holding(&[text], &[]), 0);
        assert_eq!(
            contains_each(text, &["电梯".into(), "停车难".into(), "垃圾".into()]),
            vec![true, true, false]
        );
    }

    #[test]
    fn marks_whole_chars_across_line_breaks_and_widths() {
        let text = "河套深港\n科技创新合作区，ＰＭ２.５浓度";
        assert_eq!(
            highlight_all(text, &n(&["深港科技", "pm2.5"])).to_html(),
            "河套<mark>深港\n科技</mark>创新合作区，<mark>ＰＭ２.５</mark>浓度"
        );
    }

    #[test]
    fn traditional_query_marks_simplified_text_and_back() {
        assert_eq!(
            highlight_all("推进国际合作", &n(&["國際"])).to_html(),
            "推进<mark>国际</mark>合作"
        );
        assert_eq!(
            highlight_all("推進國際合作", &n(&["国际"])).to_html(),
            "推進<mark>國際</mark>合作"
        );
    }

    #[test]
    fn escapes_document_markup() {
        let html = snippet("<script>alert(1)</script>停车难问题", &n(&["停车"]), 40).to_html();
        assert_eq!(
            html,
            "&lt;script&gt;alert(1)&lt;/script&gt;<mark>停车</mark>难问题"
        );
    }

    #[test]
    fn snippet_centres_on_the_densest_matches() {
        let text = format!(
            "{}新质生产力{}福田区新质生产力发展行动计划{}",
            "甲".repeat(200),
            "乙".repeat(200),
            "丙".repeat(200)
        );
        let s = snippet(&text, &n(&["新质生产力", "行动计划"]), 60).to_html();
        assert!(
            s.contains("<mark>新质生产力</mark>发展<mark>行动计划</mark>"),
            "{s}"
        );
        assert!(s.starts_with('…') && s.ends_with('…'));
    }

    #[test]
    fn long_texts_are_cut_around_a_verbatim_match() {
        let text = format!("{}老旧小区加装电梯{}", "甲".repeat(5000), "乙".repeat(5000));
        let s = snippet(&text, &n(&["加装电梯"]), 60).to_html();
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("<mark>加装电梯</mark>"),
            "{s}"
        );
        // Without a verbatim occurrence (traditional form) the whole text is normalised.
        let traditional = format!("{}老舊小區加裝電梯{}", "甲".repeat(5000), "乙".repeat(5000));
        assert!(
            snippet(&traditional, &n(&["加装电梯"]), 60)
                .to_html()
                .contains("<mark>加裝電梯</mark>")
        );
    }

    #[test]
    fn overlapping_needles_merge_into_one_mark() {
        assert_eq!(
            highlight_all("新质生产力", &n(&["生产力", "新质生产"])).to_html(),
            "<mark>新质生产力</mark>"
        );
    }

    #[test]
    fn renders_for_a_terminal_without_escaping() {
        let h = highlight_all("a<b 停车难", &n(&["停车"]));
        assert_eq!(h.render("【", "】"), "a<b 【停车】难");
        assert_eq!(
            h.pieces(),
            vec![("a<b ", false), ("停车", true), ("难", false)]
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_balances_marks(text in "\\PC{0,80}", q in "\\PC{1,4}") {
            let s = snippet(&text, &n(&[q.as_str()]), 30).to_html();
            proptest::prop_assert_eq!(s.matches("<mark>").count(), s.matches("</mark>").count());
        }
    }
}
