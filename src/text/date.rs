//! Dates and Chinese numerals: reading the dates letters are signed with (2024年6月12日,
//! 二〇二四年六月十二日, 2024-6-12), and writing a date in the other numeral system so a query
//! finds letters dated either way.

use std::sync::LazyLock;

use regex::Regex;

/// The Chinese digits 0–9 as dates write them.
const CN_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

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
            && (chars[i].is_ascii_digit() || han_digit(chars[i]).is_some() || chars[i] == '十')
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
                } else if run.chars().all(|c| han_digit(c).is_some()) {
                    Some(
                        run.chars()
                            .filter_map(|c| han_digit(c).and_then(|d| char::from_digit(d, 10)))
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
                    han_number(&run)
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

/// The years a letter can be dated in; anything else is a misread number.
pub const YEARS: std::ops::RangeInclusive<u32> = 1900..=2100;

/// A calendar date that exists, in `YEARS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The date, if it exists and its year is in `YEARS`.
    pub fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        (YEARS.contains(&year) && (1..=12).contains(&month))
            .then(|| days_in_month(year, month))
            .filter(|last| (1..=*last).contains(&day))
            .map(|_| Date { year, month, day })
    }

    /// Reads "2024年6月12日", "2024-6-12", "2024.06.12", "2024/6/12" and
    /// "二〇二四年六月十二日". Needs year, month and day.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let (y, m, d) = if let Some(c) = DATE_ISO.captures(s).or_else(|| DATE_CN.captures(s)) {
            (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
        } else {
            let c = DATE_HAN.captures(s)?;
            // OCR reads 〇 as a Latin O or 0 in years.
            let year = c[1]
                .chars()
                .map(|c| {
                    han_digit(if matches!(c, '0' | 'O' | 'o') {
                        '〇'
                    } else {
                        c
                    })
                })
                .try_fold(0u32, |acc, d| Some(acc * 10 + d?))?;
            (year, han_number(&c[2])?, han_number(&c[3])?)
        };
        Date::new(y, m, d)
    }

    /// Reads a bound of a date range: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (also with `/` or
    /// `.`). A partial date stands for its first day, or its last when `end` is set.
    pub fn parse_bound(s: &str, end: bool) -> Option<Date> {
        let parts: Vec<&str> = s.trim().split(['-', '/', '.']).collect();
        if parts.len() > 3 {
            return None;
        }
        let num = |i: usize| parts.get(i).map(|p| p.parse::<u32>().ok());
        let year = num(0)??;
        let month = num(1).unwrap_or(Some(if end { 12 } else { 1 }))?;
        if !(1..=12).contains(&month) {
            return None;
        }
        let last = days_in_month(year, month);
        let day = num(2).unwrap_or(Some(if end { last } else { 1 }))?;
        Date::new(year, month, day)
    }

    /// The date `days` days after 1970-01-01 (negative: before), in the proleptic Gregorian
    /// calendar; `None` outside `YEARS`.
    pub fn from_epoch_day(days: i64) -> Option<Date> {
        // Days to civil date: era-based, exact for every day (Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date::new(
            u32::try_from(year).ok()?,
            u32::try_from(month).ok()?,
            u32::try_from(day).ok()?,
        )
    }

    /// The date as the number yyyymmdd: sortable, and what the index's date field holds.
    pub fn number(self) -> i64 {
        i64::from(self.year) * 10_000 + i64::from(self.month) * 100 + i64::from(self.day)
    }
}

impl std::fmt::Display for Date {
    /// ISO 8601: 2024-06-12.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days in a month of the Gregorian calendar (0 for a month that does not exist).
pub fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// `Date::parse` as ISO "2024-06-12", the form letters store.
pub fn parse_cn_date(s: &str) -> Option<String> {
    Date::parse(s).map(|d| d.to_string())
}

/// True when the date exists and its year is in `YEARS`.
pub fn valid_date(y: u32, m: u32, d: u32) -> bool {
    Date::new(y, m, d).is_some()
}

/// A Chinese digit: 〇 (or ○, 零) to 九.
fn han_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' => 0,
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

/// 1..=99 in Chinese numerals: 六, 十, 十二, 二十, 二十六 (not 〇 or 一十).
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

#[cfg(test)]
mod tests {
    use super::date_numeral_variant as v;
    use super::*;

    #[test]
    fn epoch_days_become_calendar_dates() {
        assert_eq!(Date::from_epoch_day(0), Date::new(1970, 1, 1));
        assert_eq!(Date::from_epoch_day(-1), Date::new(1969, 12, 31));
        // 2024-02-29 (a leap day) and 2026-12-02.
        assert_eq!(Date::from_epoch_day(19_782), Date::new(2024, 2, 29));
        assert_eq!(Date::from_epoch_day(20_789), Date::new(2026, 12, 2));
        assert_eq!(Date::from_epoch_day(i64::from(i32::MAX)), None);
        // Every day of four centuries follows the day before it.
        let mut previous = Date::from_epoch_day(-25_567).unwrap();
        assert_eq!(previous, Date::new(1900, 1, 1).unwrap());
        for day in -25_566..47_482 {
            let date = Date::from_epoch_day(day).unwrap();
            let next_in_month = Date::new(previous.year, previous.month, previous.day + 1);
            let next = next_in_month
                .or_else(|| Date::new(previous.year, previous.month + 1, 1))
                .or_else(|| Date::new(previous.year + 1, 1, 1))
                .unwrap();
            assert_eq!(date, next, "day {day}");
            previous = date;
        }
    }

    #[test]
    fn dates_exist_and_read_every_way_letters_write_them() {
        let d = Date::new(2024, 6, 12).unwrap();
        assert_eq!(
            (d.to_string(), d.number()),
            ("2024-06-12".to_string(), 20240612)
        );
        for s in [
            "2024年6月12日",
            "2024-6-12",
            "2024.06.12",
            "2024/6/12",
            "二〇二四年六月十二日",
            "二O二四年六月十二日",
        ] {
            assert_eq!(Date::parse(s), Some(d), "{s}");
        }
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(2024, 2, 29).map(Date::number), Some(20240229));
        assert_eq!(Date::new(1899, 1, 1), None);
        assert_eq!(Date::new(2024, 13, 1), None);
    }

    #[test]
    fn range_bounds_fill_in_the_missing_parts() {
        let b = |s, end| Date::parse_bound(s, end).map(Date::number);
        assert_eq!(b("2024", false), Some(20240101));
        assert_eq!(b("2024", true), Some(20241231));
        assert_eq!(b("2024-02", true), Some(20240229));
        assert_eq!(b("2023/2", true), Some(20230228));
        assert_eq!(b("2024.6.12", false), Some(20240612));
        for bad in ["", "24", "2024-13", "2024-02-30", "2024-1-1-1", "x", "3000"] {
            assert_eq!(b(bad, false), None, "{bad}");
        }
    }

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
