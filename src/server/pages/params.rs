//! The search page's query string: parsed leniently, and turned back into URLs.

use super::*;

/// The search page's query string, parsed leniently.
#[derive(Debug, Clone)]
pub(super) struct Params {
    pub(super) q: String,
    pub(super) kind: Option<String>,
    pub(super) respondent: Option<String>,
    pub(super) year: Option<u32>,
    pub(super) session: Option<String>,
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    pub(super) sort: Option<SortOrder>,
    /// 1-based.
    pub(super) page: usize,
    pub(super) all: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            q: String::new(),
            kind: None,
            respondent: None,
            year: None,
            session: None,
            from: None,
            to: None,
            sort: None,
            page: 1,
            all: false,
        }
    }
}

impl Params {
    /// Unknown keys are ignored and empty values count as absent; the first bad value is
    /// returned as a Chinese message while the good ones still fill the form.
    pub(super) fn parse(pairs: &[(String, String)]) -> (Params, Option<String>) {
        let mut p = Params::default();
        let mut error: Option<String> = None;
        let mut fail = |msg: String| {
            error.get_or_insert(msg);
        };
        for (key, value) in pairs {
            let v = value.trim();
            let opt = || (!v.is_empty()).then(|| v.to_string());
            let shown = truncate_chars(v, 40);
            match key.as_str() {
                "q" => p.q = value.clone(),
                "kind" => p.kind = opt(),
                "respondent" => p.respondent = opt(),
                "session" => p.session = opt(),
                "from" => p.from = opt(),
                "to" => p.to = opt(),
                "year" if v.is_empty() => p.year = None,
                "year" => match v.parse::<u32>() {
                    Ok(y) if (1900..=2100).contains(&y) => p.year = Some(y),
                    _ => fail(format!(
                        "年份“{shown}”无效：请填写 1900–2100 之间的四位年份。"
                    )),
                },
                "page" if v.is_empty() => p.page = 1,
                "page" => match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_PAGE).contains(&n) => p.page = n,
                    Ok(n) if n > MAX_PAGE => fail(format!(
                        "页码 {n} 超出范围：最多只能翻到第 {MAX_PAGE} 页，请缩小检索范围。"
                    )),
                    _ => fail(format!("页码“{shown}”无效：页码应为正整数。")),
                },
                "sort" => match v {
                    "" => p.sort = None,
                    "relevance" => p.sort = Some(SortOrder::Relevance),
                    "date" => p.sort = Some(SortOrder::Date),
                    _ => fail(format!(
                        "排序方式“{shown}”无效：可选 relevance（相关度）或 date（日期）。"
                    )),
                },
                "match" => match v {
                    "" | "most" => p.all = false,
                    "all" => p.all = true,
                    _ => fail(format!(
                        "匹配方式“{shown}”无效：可选 most（多数词语）或 all（全部词语）。"
                    )),
                },
                _ => {}
            }
        }
        (p, error)
    }

    pub(super) fn has_filter(&self) -> bool {
        self.kind.is_some()
            || self.respondent.is_some()
            || self.year.is_some()
            || self.session.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }

    pub(super) fn is_landing(&self) -> bool {
        self.q.trim().is_empty() && !self.has_filter()
    }

    pub(super) fn request(&self) -> SearchRequest {
        SearchRequest {
            q: self.q.clone(),
            limit: Some(PER_PAGE),
            offset: (self.page - 1) * PER_PAGE,
            filters: crate::engine::Filters {
                respondent: self.respondent.clone(),
                kind: self.kind.clone(),
                year: self.year,
                session: self.session.clone(),
                from: self.from.clone(),
                to: self.to.clone(),
            },
            sort: self.sort,
            facets: None,
            match_mode: if self.all {
                MatchMode::All
            } else {
                MatchMode::Most
            },
        }
    }

    /// The URL of this search (not yet HTML-escaped).
    pub(super) fn url(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut add = |k: &str, v: &str| parts.push(format!("{k}={}", url_encode(v)));
        if !self.q.trim().is_empty() {
            add("q", self.q.trim());
        }
        for (k, v) in [
            ("kind", &self.kind),
            ("respondent", &self.respondent),
            ("session", &self.session),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v {
                add(k, v);
            }
        }
        if let Some(y) = self.year {
            add("year", &y.to_string());
        }
        match self.sort {
            Some(SortOrder::Relevance) => add("sort", "relevance"),
            Some(SortOrder::Date) => add("sort", "date"),
            None => {}
        }
        if self.all {
            add("match", "all");
        }
        if self.page > 1 {
            add("page", &self.page.to_string());
        }
        if parts.is_empty() {
            "/".into()
        } else {
            format!("/?{}", parts.join("&"))
        }
    }

    /// A changed copy, back on page 1 (a new filter or order invalidates the page).
    pub(super) fn with(&self, change: impl FnOnce(&mut Params)) -> Params {
        let mut p = self.clone();
        p.page = 1;
        change(&mut p);
        p
    }

    pub(super) fn href_with(&self, change: impl FnOnce(&mut Params)) -> String {
        esc(&self.with(change).url())
    }

    pub(super) fn page_href(&self, page: usize) -> String {
        let mut p = self.clone();
        p.page = page;
        esc(&p.url())
    }

    /// Active filters as (label, shown value, URL without it).
    pub(super) fn chips(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.respondent {
            out.push((
                "承办单位",
                v.clone(),
                self.href_with(|p| p.respondent = None),
            ));
        }
        if let Some(y) = self.year {
            out.push(("年份", y.to_string(), self.href_with(|p| p.year = None)));
        }
        if let Some(v) = &self.kind {
            out.push((
                "类别",
                kind_label(v).to_string(),
                self.href_with(|p| p.kind = None),
            ));
        }
        if let Some(v) = &self.session {
            out.push(("届次", v.clone(), self.href_with(|p| p.session = None)));
        }
        if let Some(v) = &self.from {
            out.push((
                "起始日期",
                format!("{v} 起"),
                self.href_with(|p| p.from = None),
            ));
        }
        if let Some(v) = &self.to {
            out.push((
                "截止日期",
                format!("至 {v}"),
                self.href_with(|p| p.to = None),
            ));
        }
        out
    }
}
