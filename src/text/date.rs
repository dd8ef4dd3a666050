//! Dates and Chinese numerals: reading the dates letters are signed with (2024年6月12日,
//! 二〇二四年六月十二日, 2024-6-12), and writing a date in the other numeral system so a query
//! finds letters dated either way.

use std::sync::LazyLock;

use regex::Regex;

const CN_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

fn cn_digit(c: char) -> Option<u32> {
    CN_DIGITS.iter().position(|&d| d == c).map(|i| i as u32)
}

/// 1–31 in Chinese numerals as dates write them: 6 → 六, 10 → 十, 12 → 十二, 21 → 二十一.
fn cn_number(n: u32) -> String {
    let (tens, ones) = (n / 10, n % 10);
    let mut out = String::new();
    if tens > 1 {
        out.push(CN_DIGITS[tens as usize]);
    }
    if tens > 0 {
        out.push('十');
    }
    if ones > 0 || tens == 0 {
        out.push(CN_DIGITS[ones as usize]);
    }
    out
}

/// Parses 六, 十, 十二, 二十一 (1–99).
fn parse_cn_number(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => cn_digit(*d),
        ['十', d] => Some(10 + cn_digit(*d)?),
        [t, '十'] => Some(cn_digit(*t)? * 10),
        [t, '十', d] => Some(cn_digit(*t)? * 10 + cn_digit(*d)?),
        _ => None,
    }
}

/// The same date words in the other numeral system: 2024年6月 ↔ 二〇二四年六月, so a query
/// finds letters dated either way. Only year (four digits), month and day units are
/// rewritten; anything else returns `None`.
pub fn date_numeral_variant(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        // A run of digits (Arabic or Chinese) followed by 年, 月 or 日.
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit() || cn_digit(chars[i]).is_some() || chars[i] == '十')
        {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let unit = chars.get(i).copied();
        let converted = match unit {
            Some('年') if run.chars().count() == 4 => {
                if run.chars().all(|c| c.is_ascii_digit()) {
                    Some(
                        run.chars()
                            .map(|c| CN_DIGITS[c.to_digit(10).unwrap_or(0) as usize])
                            .collect::<String>(),
                    )
                } else if run.chars().all(|c| cn_digit(c).is_some()) {
                    Some(
                        run.chars()
                            .filter_map(|c| cn_digit(c).and_then(|d| char::from_digit(d, 10)))
                            .collect(),
                    )
                } else {
                    None
                }
            }
            Some('月') | Some('日') if !run.is_empty() => {
                if run.chars().all(|c| c.is_ascii_digit()) {
                    run.parse::<u32>()
                        .ok()
                        .filter(|n| (1..=31).contains(n))
                        .map(cn_number)
                } else {
                    parse_cn_number(&run)
                        .filter(|n| (1..=31).contains(n))
                        .map(|n| n.to_string())
                }
            }
            _ => None,
        };
        match converted {
            Some(c) => {
                out.push_str(&c);
                changed = true;
            }
            None => out.push_str(&run),
        }
        if i < chars.len() {
            out.push(chars[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

static DATE_ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})$").expect("valid regex")
});
static DATE_CN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]$").expect("valid regex")
});
static DATE_HAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([〇○零0Oo一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*[日号]$")
        .expect("valid regex")
});

/// Parses "2024年6月12日", "2024-6-12", "2024.06.12", "2024/6/12", "二〇二四年六月十二日"
/// into ISO "2024-06-12". Needs year, month and day, and a day that exists.
pub fn parse_cn_date(s: &str) -> Option<String> {
    let s = s.trim();
    let (y, m, d) = if let Some(c) = DATE_ISO.captures(s).or_else(|| DATE_CN.captures(s)) {
        (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
    } else {
        let c = DATE_HAN.captures(s)?;
        let year = c[1]
            .chars()
            .map(han_digit)
            .try_fold(0u32, |acc, d| Some(acc * 10 + d?))?;
        (year, han_number(&c[2])?, han_number(&c[3])?)
    };
    valid_date(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

fn han_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' | '0' | 'O' | 'o' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// 1..=99 in Chinese numerals: 六, 十, 十二, 二十, 二十六.
fn han_number(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => han_digit(*c).filter(|&d| d > 0),
        ['十', u] => Some(10 + han_digit(*u).filter(|&d| d > 0)?),
        [t, '十'] => Some(10 * han_digit(*t).filter(|&d| d > 1)?),
        [t, '十', u] => {
            Some(10 * han_digit(*t).filter(|&d| d > 1)? + han_digit(*u).filter(|&d| d > 0)?)
        }
        _ => None,
    }
}

pub fn valid_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2100).contains(&y) && (1..=days).contains(&d)
}

#[cfg(test)]
mod date_tests {
    use super::date_numeral_variant as v;

    #[test]
    fn converts_date_words_both_ways() {
        assert_eq!(v("2024年6月12日").as_deref(), Some("二〇二四年六月十二日"));
        assert_eq!(v("二〇二四年六月十二日").as_deref(), Some("2024年6月12日"));
        assert_eq!(v("2023年10月").as_deref(), Some("二〇二三年十月"));
        assert_eq!(v("二十一日").as_deref(), Some("21日"));
        assert_eq!(v("新质生产力"), None);
        assert_eq!(v("12345热线"), None);
        assert_eq!(v("第三十二条"), None);
    }
}
