//! What a single line of a letter is: a signature line naming an organisation, or a line
//! that is only a date. Cleaning (which lines to join) and field extraction (where the
//! signature is) both ask.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::date::{parse_cn_date, valid_date};

static ORG_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:局|厅|委|委员会|政府|办公室|办|办事处|街道|中心|大队|支队|中队|分局|管委会|院|所|站|部|处",
        r"|室|队|馆|会|公司|集团|乡|镇|社区|公署|银行|学校|大学)$"
    ))
    .expect("valid regex")
});

/// A short line that is only an organisation name (a signature line).
pub fn is_org_like(line: &str) -> bool {
    let n = line.chars().count();
    (2..=40).contains(&n)
        && !line.contains([
            '。', ',', ';', ':', '!', '?', '《', '》', '“', '”', '"', '(', ')', '、',
        ])
        && !line.chars().any(|c| c.is_ascii_digit())
        && !line.starts_with("联系")
        && !line.starts_with("承办")
        && !line.starts_with("抄")
        && ORG_SUFFIX.is_match(line)
}

static DATE_NO_DAY_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})年(\d{1,2})月(\d{1,2})$").expect("valid regex"));
// Only the 8-digit form: in the corpus, 6- and 7-digit run-together dates ("202398" for
// 2023-09-18) have often lost a digit in extraction, so reading them would guess.
static COMPACT_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{4})(\d{4})$").expect("valid regex"));

/// Parses a line that is only a date, including the sloppy forms of signature lines:
/// a missing 日, an OCR'd "20l6", or eight digits run together ("20241018").
pub fn parse_date_line(line: &str) -> Option<String> {
    let line = line.trim_end_matches([' ', '|']).trim();
    if line.is_empty() || line.len() > 40 {
        return None;
    }
    if let Some(d) = parse_cn_date(line) {
        return Some(d);
    }
    if line.contains('年') && line.contains('月') {
        // OCR confuses 1/l/I and 0/O in years.
        let fixed: String = line
            .chars()
            .map(|c| match c {
                'l' | 'I' => '1',
                'O' | 'o' => '0',
                c => c,
            })
            .collect();
        if let Some(d) = parse_cn_date(&fixed) {
            return Some(d);
        }
        let c = DATE_NO_DAY_MARK.captures(&fixed)?;
        let (y, m, d) = (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        return valid_date(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"));
    }
    let c = COMPACT_DATE.captures(line)?;
    let y: u32 = c[1].parse().ok()?;
    let rest = &c[2];
    let readings: Vec<(u32, u32)> = (1..rest.len())
        .filter(|&split| split <= 2 && rest.len() - split <= 2)
        .filter_map(|split| Some((rest[..split].parse().ok()?, rest[split..].parse().ok()?)))
        .filter(|&(m, d)| valid_date(y, m, d))
        .collect();
    match readings.as_slice() {
        [(m, d)] => Some(format!("{y:04}-{m:02}-{d:02}")),
        _ => None,
    }
}

/// True for a line that is only a date.
pub fn is_date_line(line: &str) -> bool {
    parse_date_line(line).is_some()
}
