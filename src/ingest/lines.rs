//! What a single line of a letter is: a signature line naming an organisation, a line
//! that is only a date, a salutation or the opening of the body. Cleaning (which lines to
//! join, where the head ends) and field extraction (where the signature is) both ask.

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

static BODY_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"收悉|答复如下|回复如下|函复如下|研究办理|现答复|现将|交由|交我")
        .expect("valid regex")
});

static SALUTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:尊敬的?)?(?P<name>[^:,。;!?\s《“\(][^:。;!?《》“”]{0,118}?(?:代表团|代表|常委|委员|同志))",
        r"(?:们)?(?::|$)"
    ))
    .expect("valid regex")
});
static SALUTATION_POLITE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^尊敬的(?P<name>[^:,。;!?\s]{1,20}):").expect("valid regex"));

/// True if a (width-folded) line opens the body ("…收悉", "现答复如下").
pub fn is_body_start(line: &str) -> bool {
    BODY_START.is_match(line)
}

/// The addressee if a (width-folded) `line` is a salutation ("尊敬的X:", "X代表:", "X委员" ...).
pub fn salutation_addressee(line: &str) -> Option<String> {
    // A bare name line without colon is accepted only when short, to avoid body text.
    let caps = SALUTATION
        .captures(line)
        .filter(|_| line.contains(':') || line.chars().count() <= 40)
        .or_else(|| SALUTATION_POLITE.captures(line))?;
    let name = caps["name"].trim();
    if name.starts_with("代表") || name.contains("提出") || name.contains("会议") {
        return None;
    }
    Some(name.to_string())
}
