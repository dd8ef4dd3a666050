//! Highlighting by the same definition of "contains" that the n-gram field answers: the
//! normalised text without whitespace. Matches are found in that form and mapped back to
//! byte ranges of the original text char by char, so a `<mark>` always covers whole
//! characters and exactly the text that matched (including a full-width or traditional
//! form of what the user typed). Everything outside our `<mark>` tags is HTML-escaped.

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

/// Which of the needles occur in `text` (normalising the text once for all of them).
pub fn contains_each(text: &str, needles: &[String]) -> Vec<bool> {
    // Only "whether", not "where": the compacted text suffices, no offset tables.
    let compacted = compact(text);
    needles
        .iter()
        .map(|n| !n.is_empty() && compacted.contains(n.as_str()))
        .collect()
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

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text, false);
    out
}

/// Escapes `text` into `out`; in snippets line breaks become spaces.
fn escape_into(out: &mut String, text: &str, breaks_as_spaces: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' if breaks_as_spaces => out.push(' '),
            c => out.push(c),
        }
    }
}

fn push_escaped(out: &mut String, text: &str) {
    escape_into(out, text, true);
}

/// `text[window]` as escaped HTML with the given ranges (inside the window) in `<mark>`.
fn render(text: &str, window: Range<usize>, marks: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(window.len() + marks.len() * 13);
    let mut at = window.start;
    for m in marks
        .iter()
        .filter(|m| m.start >= window.start && m.end <= window.end)
    {
        push_escaped(&mut out, &text[at..m.start]);
        out.push_str("<mark>");
        push_escaped(&mut out, &text[m.clone()]);
        out.push_str("</mark>");
        at = m.end;
    }
    push_escaped(&mut out, &text[at..window.end]);
    out
}

/// The whole text as escaped HTML with every match marked (for titles).
pub fn highlight_all(text: &str, needles: &[String]) -> String {
    render(text, 0..text.len(), &match_ranges(text, needles))
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
/// holding the most distinct needles, then the most matches), escaped, with `<mark>`s and
/// `…` where text was cut.
pub fn snippet(text: &str, needles: &[String], max_chars: usize) -> String {
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
    let mut out = String::new();
    if region.start + start > 0 {
        out.push('…');
    }
    out.push_str(&render(text, start..end, &marks));
    if region.start + end < full.len() {
        out.push('…');
    }
    out
}

/// The part of a long text worth normalising for a snippet. Normalising a whole letter for
/// every hit dominates search time, so when a needle occurs verbatim (the usual case: stored
/// text is already width-folded and mostly simplified) only the text around its first
/// occurrence is examined; otherwise, the whole text.
fn candidate_region(text: &str, needles: &[String], max_chars: usize) -> Range<usize> {
    if text.len() <= max_chars * 3 * 8 {
        return 0..text.len();
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
    fn marks_whole_chars_across_line_breaks_and_widths() {
        let text = "河套深港\n科技创新合作区，ＰＭ２.５浓度";
        assert_eq!(
            highlight_all(text, &n(&["深港科技", "pm2.5"])),
            "河套<mark>深港 科技</mark>创新合作区，<mark>ＰＭ２.５</mark>浓度"
        );
    }

    #[test]
    fn traditional_query_marks_simplified_text_and_back() {
        assert_eq!(
            highlight_all("推进国际合作", &n(&["國際"])),
            "推进<mark>国际</mark>合作"
        );
        assert_eq!(
            highlight_all("推進國際合作", &n(&["国际"])),
            "推進<mark>國際</mark>合作"
        );
    }

    #[test]
    fn escapes_document_markup() {
        let html = snippet("<script>alert(1)</script>停车难问题", &n(&["停车"]), 40);
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
        let s = snippet(&text, &n(&["新质生产力", "行动计划"]), 60);
        assert!(
            s.contains("<mark>新质生产力</mark>发展<mark>行动计划</mark>"),
            "{s}"
        );
        assert!(s.starts_with('…') && s.ends_with('…'));
    }

    #[test]
    fn long_texts_are_cut_around_a_verbatim_match() {
        let text = format!("{}老旧小区加装电梯{}", "甲".repeat(5000), "乙".repeat(5000));
        let s = snippet(&text, &n(&["加装电梯"]), 60);
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("<mark>加装电梯</mark>"),
            "{s}"
        );
        // Without a verbatim occurrence (traditional form) the whole text is normalised.
        let traditional = format!("{}老舊小區加裝電梯{}", "甲".repeat(5000), "乙".repeat(5000));
        assert!(snippet(&traditional, &n(&["加装电梯"]), 60).contains("<mark>加裝電梯</mark>"));
    }

    #[test]
    fn overlapping_needles_merge_into_one_mark() {
        assert_eq!(
            highlight_all("新质生产力", &n(&["生产力", "新质生产"])),
            "<mark>新质生产力</mark>"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_balances_marks(text in "\\PC{0,80}", q in "\\PC{1,4}") {
            let s = snippet(&text, &n(&[q.as_str()]), 30);
            proptest::prop_assert_eq!(s.matches("<mark>").count(), s.matches("</mark>").count());
        }
    }
}
