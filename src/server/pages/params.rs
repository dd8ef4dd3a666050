//! The search page's query string: parsed leniently, and turned back into URLs.

use super::*;
use crate::engine::FacetField;
use crate::text::date::YEARS;

/// The search page's query string, parsed leniently.
#[derive(Debug, Clone)]
pub(super) struct Params {
    pub(super) q: String,
    /// The filters, as the engine takes them.
    pub(super) filters: Filters,
    pub(super) sort: Option<SortOrder>,
    /// 1-based.
    pub(super) page: usize,
    pub(super) all: bool,
    /// Search only for the query as written (`correct=false`), not for a correction.
    pub(super) as_written: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            q: String::new(),
            filters: Filters::default(),
            sort: None,
            page: 1,
            all: false,
            as_written: false,
        }
    }
}

/// A search URL's query string, as `Params::url` writes it: absent fields (`None`) are left
/// out, and so are the defaults (page 1, "most" words), so one search has one URL.
#[derive(Serialize)]
struct QueryString<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    q: &'a str,
    #[serde(flatten)]
    filters: &'a Filters,
    sort: Option<SortOrder>,
    #[serde(rename = "match")]
    match_mode: Option<MatchMode>,
    correct: Option<bool>,
    page: Option<usize>,
}

impl Params {
    /// Unknown keys are ignored and empty values count as absent; the first bad value is
    /// returned as a Chinese message while the good ones still fill the form.
    pub(super) fn parse(pairs: &[(String, String)]) -> (Params, Option<String>) {
        let mut p = Params::default();
        let mut error = None;
        for (key, value) in pairs {
            if let Err(message) = p.set(key, value) {
                error.get_or_insert(message);
            }
        }
        (p, error)
    }

    /// Sets the field `key` names from `value`; a bad value leaves the field as it was.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let v = value.trim();
        let text = || (!v.is_empty()).then(|| v.to_string());
        let shown = || truncate_chars(v, 40);
        match key {
            "q" => self.q = value.to_string(),
            "kind" => self.filters.kind = text(),
            "respondent" => self.filters.respondent = text(),
            "session" => self.filters.session = text(),
            "from" => self.filters.from = text(),
            "to" => self.filters.to = text(),
            "year" => {
                self.filters.year = match v.parse::<u32>() {
                    _ if v.is_empty() => None,
                    Ok(y) if YEARS.contains(&y) => Some(y),
                    _ => {
                        let v = shown();
                        let (first, last) = (YEARS.start(), YEARS.end());
                        return Err(format!(
                            "年份“{v}”无效：请填写 {first}–{last} 之间的四位年份。"
                        ));
                    }
                }
            }
            "page" => {
                self.page = match v.parse::<usize>() {
                    _ if v.is_empty() => 1,
                    Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                    Ok(n) if n > MAX_PAGE => {
                        return Err(format!(
                            "页码 {n} 超出范围：最多只能翻到第 {MAX_PAGE} 页，请缩小检索范围。"
                        ));
                    }
                    _ => return Err(format!("页码“{}”无效：页码应为正整数。", shown())),
                }
            }
            "sort" => {
                self.sort = match v {
                    "" => None,
                    "relevance" => Some(SortOrder::Relevance),
                    "date" => Some(SortOrder::Date),
                    _ => {
                        let v = shown();
                        return Err(format!(
                            "排序方式“{v}”无效：可选 relevance（相关度）或 date（日期）。"
                        ));
                    }
                }
            }
            "correct" => self.as_written = matches!(v, "false" | "0"),
            "match" => {
                self.all = match v {
                    "" | "most" => false,
                    "all" => true,
                    _ => {
                        let v = shown();
                        return Err(format!(
                            "匹配方式“{v}”无效：可选 most（多数词语）或 all（全部词语）。"
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The active filters as (query-string name, value).
    pub(super) fn active_filters(&self) -> Vec<(&'static str, String)> {
        [
            ("kind", self.filters.kind.clone()),
            ("respondent", self.filters.respondent.clone()),
            ("year", self.filters.year.map(|y| y.to_string())),
            ("session", self.filters.session.clone()),
            ("from", self.filters.from.clone()),
            ("to", self.filters.to.clone()),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect()
    }

    pub(super) fn is_landing(&self) -> bool {
        self.q.trim().is_empty() && self.filters.is_empty()
    }

    pub(super) fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            limit: Some(PER_PAGE),
            offset: (self.page - 1) * PER_PAGE,
            filters: self.filters.clone(),
            sort: self.sort,
            // The sidebar shows these.
            facets: Some(FacetField::PAGE.to_vec()),
            match_mode: if self.all {
                MatchMode::All
            } else {
                MatchMode::Most
            },
            correct: Some(!self.as_written),
        }
    }

    /// The URL of this search.
    pub(super) fn url(&self) -> String {
        let query = QueryString {
            q: self.q.trim(),
            filters: &self.filters,
            sort: self.sort,
            match_mode: self.all.then_some(MatchMode::All),
            correct: self.as_written.then_some(false),
            page: (self.page > 1).then_some(self.page),
        };
        with_query("/", &query)
    }

    /// The URL of a changed copy, back on page 1 (a new filter or order invalidates the
    /// page).
    pub(super) fn url_with(&self, change: impl FnOnce(&mut Params)) -> String {
        let mut p = self.clone();
        p.page = 1;
        change(&mut p);
        p.url()
    }

    pub(super) fn page_url(&self, page: usize) -> String {
        Params {
            page,
            ..self.clone()
        }
        .url()
    }

    /// The URL of this search without any filter.
    pub(super) fn unfiltered_url(&self) -> String {
        self.url_with(|p| {
            p.filters = Filters::default();
        })
    }

    /// Active filters as (label, shown value, URL without it).
    pub(super) fn chips(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.filters.respondent {
            let url = self.url_with(|p| p.filters.respondent = None);
            out.push(("承办单位", v.clone(), url));
        }
        if let Some(y) = self.filters.year {
            out.push((
                "年份",
                y.to_string(),
                self.url_with(|p| p.filters.year = None),
            ));
        }
        if let Some(v) = &self.filters.kind {
            let url = self.url_with(|p| p.filters.kind = None);
            out.push(("类别", kind_label(v).to_string(), url));
        }
        if let Some(v) = &self.filters.session {
            out.push((
                "届次",
                v.clone(),
                self.url_with(|p| p.filters.session = None),
            ));
        }
        if let Some(v) = &self.filters.from {
            out.push((
                "起始日期",
                format!("{v} 起"),
                self.url_with(|p| p.filters.from = None),
            ));
        }
        if let Some(v) = &self.filters.to {
            out.push((
                "截止日期",
                format!("至 {v}"),
                self.url_with(|p| p.filters.to = None),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Parses the query string of a URL `Params::url` wrote.
    fn reparse(url: &str) -> Params {
        let query = url.strip_prefix("/?").unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let (p, error) = Params::parse(&pairs);
        assert!(error.is_none(), "{url}: {error:?}");
        p
    }

    #[test]
    fn lenient_params() {
        let (p, e) = Params::parse(&pairs(&[
            ("q", "停车"),
            ("year", ""),
            ("page", "2"),
            ("x", "y"),
        ]));
        assert!(e.is_none());
        assert_eq!((p.q.as_str(), p.filters.year, p.page), ("停车", None, 2));
        assert_eq!(p.url(), "/?q=%E5%81%9C%E8%BD%A6&page=2");
        assert!(Params::parse(&pairs(&[("page", "abc")])).1.is_some());
        assert!(Params::parse(&pairs(&[("page", "0")])).1.is_some());
        assert!(Params::parse(&pairs(&[("year", "x")])).1.is_some());
        assert!(Params::parse(&pairs(&[("sort", "up")])).1.is_some());
    }

    #[test]
    fn the_first_bad_value_is_reported_and_the_good_ones_kept() {
        let (p, e) = Params::parse(&pairs(&[
            ("year", "20x"),
            ("sort", "up"),
            ("kind", " 建议 "),
            ("page", "99999"),
        ]));
        let e = e.expect("an error");
        assert!(e.starts_with("年份“20x”无效"), "{e}");
        assert_eq!(
            (p.filters.kind.as_deref(), p.filters.year, p.page),
            (Some("建议"), None, 1)
        );
    }

    #[test]
    fn urls_round_trip_chinese_ampersands_and_every_field() {
        let p = Params {
            q: " 停车 & \"收费\" ".into(),
            filters: Filters {
                kind: Some("建议".into()),
                respondent: Some("福田区&发改局 =?#".into()),
                year: Some(2024),
                session: Some("八届四次".into()),
                from: Some("2024-01".into()),
                to: Some("2024-12-31".into()),
            },
            sort: Some(SortOrder::Date),
            page: 3,
            all: true,
            as_written: true,
        };
        let url = p.url();
        assert!(url.starts_with("/?q=%E5%81%9C%E8%BD%A6+%26+%22"), "{url}");
        assert!(
            url.ends_with("&sort=date&match=all&correct=false&page=3"),
            "{url}"
        );
        let back = reparse(&url);
        assert_eq!(back.q, "停车 & \"收费\"");
        assert_eq!(back.filters.respondent, p.filters.respondent);
        assert_eq!(back.filters, p.filters);
        assert_eq!((back.sort, back.page, back.all), (p.sort, 3, true));
        assert!(back.as_written);
    }

    #[test]
    fn defaults_stay_out_of_urls() {
        assert_eq!(Params::default().url(), "/");
        let p = Params {
            q: "  ".into(),
            filters: Filters {
                year: Some(2023),
                ..Filters::default()
            },
            page: 4,
            ..Params::default()
        };
        assert_eq!(p.url_with(|_| {}), "/?year=2023");
        assert_eq!(p.page_url(1), "/?year=2023");
        assert_eq!(p.unfiltered_url(), "/");
        assert!(!p.is_landing());
    }
}
