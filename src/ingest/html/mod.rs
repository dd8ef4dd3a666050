//! HTML to text for web pages of reply letters saved from government portals.
//!
//! Not a full HTML parser: a tolerant tokenizer builds a small element tree, then
//! 1. page chrome is removed: scripts and styles, `nav`/`header`/`footer`/`aside`/`form`
//!    elements, elements whose class or id names chrome (menu, breadcrumb, share, …),
//!    hidden elements, 索引号 metadata tables, "您当前的位置" trails, link lists and
//!    print/share/visit-count bars;
//! 2. the main content block is chosen: a conventional content container of government
//!    portals (`#zoom`, `.TRS_Editor`, …), else `<article>`/`<main>`/`.content`, else the
//!    block that scores highest on Chinese text, widened while its surroundings add little;
//! 3. the page's heading is put back in front when it sits just outside that block;
//! 4. the block is rendered as one line per block element, cells of a row on one line.
//!
//! Every removal except of scripts and styles is refused for an element holding at least
//! half of the page's text: a page wrapped whole in a `<form>` or a `.nav-page` still reads.

use crate::text::is_han;

mod words;

use words::*;

enum Child {
    El(usize),
    Text(String),
}

struct Node {
    name: String,
    /// Lowercase class and id tokens.
    tokens: Vec<String>,
    hidden: bool,
    parent: usize,
    children: Vec<Child>,
}

/// Converts HTML to plain text: the main content block, one line per block, whitespace
/// inside blocks collapsed.
pub fn html_to_text(html: &str) -> String {
    let nodes = parse(html);
    Page::new(nodes).text()
}

// ---- tokenizer and tree ------------------------------------------------------------

fn parse(html: &str) -> Vec<Node> {
    let lower = html.to_ascii_lowercase();
    let mut nodes = vec![Node {
        name: "#root".into(),
        tokens: Vec::new(),
        hidden: false,
        parent: 0,
        children: Vec::new(),
    }];
    let mut stack: Vec<usize> = vec![0];
    let mut text = String::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    let flush = |nodes: &mut Vec<Node>, stack: &[usize], text: &mut String| {
        if !text.is_empty() {
            let decoded = html_escape::decode_html_entities(text.as_str()).into_owned();
            let top = *stack.last().unwrap_or(&0);
            nodes[top].children.push(Child::Text(decoded));
            text.clear();
        }
    };
    while i < html.len() {
        if bytes[i] != b'<' {
            let next = html[i..].find('<').map_or(html.len(), |p| i + p);
            text.push_str(&html[i..next]);
            i = next;
            continue;
        }
        let rest = &lower[i..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(html.len(), |p| i + p + 3);
            continue;
        }
        let Some(name) = tag_name(rest) else {
            // A '<' that does not open a tag is text.
            text.push('<');
            i += 1;
            continue;
        };
        let end = tag_end(html, i);
        flush(&mut nodes, &stack, &mut text);
        if name == "!" {
            i = end;
            continue;
        }
        let closing = rest.starts_with("</");
        let self_closing = html[i..end].ends_with("/>");
        if closing {
            // Close the nearest open element of that name; stray end tags are ignored.
            if let Some(pos) = stack.iter().rposition(|&n| nodes[n].name == name)
                && pos > 0
            {
                stack.truncate(pos);
            }
            i = end;
            continue;
        }
        if RAW_SKIPPED.contains(&name) {
            i = if self_closing {
                end
            } else {
                let close = format!("</{name}");
                lower[end..]
                    .find(&close)
                    .map_or(html.len(), |p| tag_end(html, end + p))
            };
            continue;
        }
        // The end tags HTML lets authors omit.
        let top_name =
            |stack: &[usize], nodes: &[Node]| nodes[*stack.last().unwrap_or(&0)].name.clone();
        match name {
            "p" | "li" | "dt" | "dd" | "option" if top_name(&stack, &nodes) == name => {
                stack.pop();
            }
            "td" | "th" if matches!(top_name(&stack, &nodes).as_str(), "td" | "th") => {
                stack.pop();
            }
            "tr" => {
                while matches!(top_name(&stack, &nodes).as_str(), "td" | "th") {
                    stack.pop();
                }
                if top_name(&stack, &nodes) == "tr" {
                    stack.pop();
                }
            }
            _ => {}
        }
        let (tokens, hidden) = attributes(&html[i..end]);
        let parent = *stack.last().unwrap_or(&0);
        let id = nodes.len();
        nodes.push(Node {
            name: name.to_string(),
            tokens,
            hidden,
            parent,
            children: Vec::new(),
        });
        nodes[parent].children.push(Child::El(id));
        if !self_closing && !VOID.contains(&name) {
            stack.push(id);
        }
        i = end;
    }
    flush(&mut nodes, &stack, &mut text);
    nodes
}

/// Lowercase class and id tokens of a tag, and whether its inline style hides it.
fn attributes(tag: &str) -> (Vec<String>, bool) {
    let mut tokens = Vec::new();
    let mut hidden = false;
    let lower = tag.to_ascii_lowercase();
    for key in ["class", "id", "style"] {
        let mut from = 0;
        while let Some(p) = lower[from..].find(key) {
            let at = from + p;
            from = at + key.len();
            // Must be a whole attribute name followed by '='.
            let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
            let after = lower[from..].trim_start();
            let Some(value) = after.strip_prefix('=').map(str::trim_start) else {
                continue;
            };
            if !before_ok {
                continue;
            }
            let value = match value.as_bytes().first() {
                Some(&q @ (b'"' | b'\'')) => {
                    let v = &value[1..];
                    &v[..v.find(q as char).unwrap_or(v.len())]
                }
                _ => {
                    &value[..value
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(value.len())]
                }
            };
            if key == "style" {
                let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                hidden |= compact.contains("display:none") || compact.contains("visibility:hidden");
            } else {
                tokens.extend(value.split_whitespace().map(str::to_string));
            }
            break;
        }
    }
    (tokens, hidden)
}

/// The lowercase tag name if `rest` (lowercased, starting at '<') opens or closes a tag;
/// "!" for declarations and processing instructions.
fn tag_name(rest: &str) -> Option<&str> {
    let body = rest.strip_prefix("</").or_else(|| rest.strip_prefix('<'))?;
    if body.starts_with('!') || body.starts_with('?') {
        return Some("!");
    }
    let len = body
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(body.len());
    (len > 0 && body.as_bytes()[0].is_ascii_alphabetic()).then(|| &body[..len])
}

/// Index just past the '>' closing the tag that starts at `start`, skipping quoted
/// attribute values.
fn tag_end(html: &str, start: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (k, &b) in html.as_bytes()[start..].iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return start + k + 1,
            _ => {}
        }
    }
    html.len()
}

// ---- chrome removal and content selection ------------------------------------------

/// Counted characters: Han and alphanumerics (what a letter is made of).
fn weight(s: &str) -> usize {
    s.chars()
        .filter(|&c| is_han(c) || c.is_alphanumeric())
        .count()
}

struct Page {
    nodes: Vec<Node>,
    /// Last index of each node's subtree (nodes are numbered in document order).
    end: Vec<usize>,
    removed: Vec<bool>,
}

impl Page {
    fn new(nodes: Vec<Node>) -> Page {
        let n = nodes.len();
        let mut end: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let p = nodes[i].parent;
            end[p] = end[p].max(end[i]);
        }
        let mut page = Page {
            nodes,
            end,
            removed: vec![false; n],
        };
        page.remove_chrome();
        page
    }

    /// Weight of each subtree, counting only text outside removed elements, and the part
    /// of it inside links.
    fn weights(&self) -> (Vec<usize>, Vec<usize>) {
        let n = self.nodes.len();
        let mut in_link = vec![false; n];
        for i in 1..n {
            in_link[i] = self.nodes[i].name == "a" || in_link[self.nodes[i].parent];
        }
        let mut total = vec![0usize; n];
        let mut link = vec![0usize; n];
        for i in (0..n).rev() {
            if self.removed[i] {
                continue;
            }
            let own: usize = self.nodes[i]
                .children
                .iter()
                .map(|c| match c {
                    Child::Text(t) => weight(t),
                    Child::El(_) => 0,
                })
                .sum();
            total[i] += own;
            if in_link[i] {
                link[i] += own;
            }
            if i > 0 {
                let p = self.nodes[i].parent;
                total[p] += total[i];
                link[p] += link[i];
            }
        }
        (total, link)
    }

    /// Text of a subtree, at most `limit` bytes (for matching chrome wording).
    fn snippet(&self, root: usize, limit: usize) -> String {
        let mut out = String::new();
        for i in root..=self.end[root] {
            if self.removed[i] {
                continue;
            }
            for c in &self.nodes[i].children {
                if let Child::Text(t) = c {
                    out.push_str(t);
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        out
    }

    fn has_ancestor(&self, i: usize, names: &[&str]) -> bool {
        let mut p = self.nodes[i].parent;
        while p != 0 {
            if names.contains(&self.nodes[p].name.as_str()) {
                return true;
            }
            p = self.nodes[p].parent;
        }
        false
    }

    fn remove_subtree(&mut self, i: usize) {
        for k in i..=self.end[i] {
            self.removed[k] = true;
        }
    }

    fn remove_chrome(&mut self) {
        // Structural chrome first (tags, class/id names, hidden), then chrome recognised
        // by its wording or links, judged on what is left.
        for pass in 0..2 {
            let (total, link) = self.weights();
            let page = total[0].max(1);
            for i in 1..self.nodes.len() {
                if self.removed[i] || total[i] * 2 >= page {
                    continue;
                }
                let chrome = if pass == 0 {
                    self.is_structural_chrome(i)
                } else {
                    self.is_worded_chrome(i, total[i], link[i])
                };
                if chrome {
                    self.remove_subtree(i);
                }
            }
        }
    }

    fn is_structural_chrome(&self, i: usize) -> bool {
        let node = &self.nodes[i];
        if node.hidden {
            return true;
        }
        // An article's own header holds its title.
        let in_article = || self.has_ancestor(i, &["article", "main"]);
        if CHROME_TAGS.contains(&node.name.as_str()) {
            return !(node.name == "header" && in_article());
        }
        node.tokens.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            let parts: Vec<&str> = t.split(['-', '_']).filter(|p| !p.is_empty()).collect();
            let header_word = parts.iter().any(|p| *p == "header" || *p == "head");
            if header_word && in_article() {
                return false;
            }
            CHROME_SUBSTRINGS.iter().any(|w| t.contains(w))
                || parts.iter().any(|p| CHROME_TOKENS.contains(p))
        })
    }

    fn is_worded_chrome(&self, i: usize, weight: usize, link: usize) -> bool {
        let name = self.nodes[i].name.as_str();
        if weight == 0 {
            return false;
        }
        // Lists of links (menus, related articles) without telling class names.
        if link * 10 >= weight * 6 && self.count_links(i) >= 3 {
            return true;
        }
        let text = self.snippet(i, 4 * BAR_MAX_CHARS);
        let chars = text.chars().count();
        if matches!(name, "table" | "ul" | "dl" | "div" | "tbody")
            && weight < 400
            && (text.contains("索引号")
                || METADATA_LABELS.iter().filter(|l| text.contains(*l)).count() >= 3)
        {
            return true;
        }
        if chars > BAR_MAX_CHARS {
            return false;
        }
        let strong = BAR_WORDS_STRONG.iter().any(|w| text.contains(w));
        let weak = BAR_WORDS_WEAK.iter().filter(|w| text.contains(*w)).count();
        strong || weak >= 2
    }

    fn count_links(&self, i: usize) -> usize {
        (i..=self.end[i])
            .filter(|&k| !self.removed[k] && self.nodes[k].name == "a")
            .count()
    }

    /// The element holding the letter.
    fn main_block(&self) -> usize {
        let (total, link) = self.weights();
        let page = total[0];
        if page == 0 {
            return 0;
        }
        let token_match = |i: usize, list: &[&str]| {
            self.nodes[i].tokens.iter().any(|t| {
                let t = t.to_ascii_lowercase();
                list.contains(&t.as_str()) || (list == CONTENT_TOKENS && t.starts_with("trs_"))
            })
        };
        let best_of = |pred: &dyn Fn(usize) -> bool| {
            (1..self.nodes.len())
                .filter(|&i| !self.removed[i] && pred(i))
                // Content, not a link list, and a fair share of the page.
                .filter(|&i| total[i] * 10 >= page * 3 && link[i] * 2 < total[i])
                .max_by_key(|&i| (total[i], std::cmp::Reverse(i)))
        };
        if let Some(i) = best_of(&|i| token_match(i, CONTENT_TOKENS)) {
            return i;
        }
        if let Some(i) = best_of(&|i| {
            matches!(self.nodes[i].name.as_str(), "article" | "main")
                || token_match(i, GENERIC_CONTENT_TOKENS)
        }) {
            return self.widen(i, &total);
        }
        self.widen(self.densest(), &total)
    }

    /// Readability-style scoring: each block's own text counts for its parent and half for
    /// its grandparent; the best-scoring element is the one whose children carry the text.
    fn densest(&self) -> usize {
        let n = self.nodes.len();
        let mut score = vec![0usize; n];
        for i in 1..n {
            if self.removed[i] || !self.is_block(i) {
                continue;
            }
            let own = self.inline_weight(i);
            if own == 0 {
                continue;
            }
            let p = self.nodes[i].parent;
            score[p] += own * 2;
            score[self.nodes[p].parent] += own;
            score[i] += own;
        }
        (0..n)
            .filter(|&i| !self.removed[i])
            .max_by_key(|&i| (score[i], std::cmp::Reverse(i)))
            .unwrap_or(0)
    }

    /// Weight of the text a block holds itself or through inline children.
    fn inline_weight(&self, i: usize) -> usize {
        let mut sum = 0;
        let mut todo = vec![i];
        while let Some(k) = todo.pop() {
            for c in &self.nodes[k].children {
                match c {
                    Child::Text(t) => sum += weight(t),
                    Child::El(e) if !self.removed[*e] && !self.is_block(*e) => todo.push(*e),
                    Child::El(_) => {}
                }
            }
        }
        sum
    }

    fn is_block(&self, i: usize) -> bool {
        let name = self.nodes[i].name.as_str();
        BLOCKS.contains(&name) || name == "td" || name == "th"
    }

    /// Widens a block to its parent while the parent adds little text (a salutation, a
    /// signature, the heading) — chrome is already gone, so what is left is the letter.
    fn widen(&self, mut i: usize, total: &[usize]) -> usize {
        while i != 0 {
            let p = self.nodes[i].parent;
            if total[p] * 10 > total[i] * 13 {
                break;
            }
            i = p;
        }
        i
    }

    /// The page's heading when it sits just before the block, outside it: the last h1–h3
    /// (or `.title`) in the block's parent or grandparent that precedes the block.
    fn heading_before(&self, block: usize) -> Option<String> {
        let mut scope = block;
        for _ in 0..3 {
            if scope == 0 {
                break;
            }
            scope = self.nodes[scope].parent;
        }
        (scope..block)
            .rev()
            .filter(|&k| self.end[k] < block && !self.removed[k])
            .find(|&k| {
                let n = &self.nodes[k];
                matches!(n.name.as_str(), "h1" | "h2" | "h3")
                    || n.tokens.iter().any(|t| {
                        let t = t.to_ascii_lowercase();
                        t == "title" || t.ends_with("-title") || t.ends_with("_title")
                    })
            })
            .map(|k| self.render(k))
            .filter(|t| weight(t) >= 4 && !t.contains('\n'))
    }

    fn text(&self) -> String {
        let block = self.main_block();
        let body = self.render(block);
        match self.heading_before(block) {
            Some(h) if !body.lines().take(3).any(|l| l.trim() == h) => format!("{h}\n{body}"),
            _ => body,
        }
    }

    /// One line per block element; cells of a row share a line, separated by a space.
    /// Iterative, so deeply nested markup cannot overflow the stack.
    fn render(&self, root: usize) -> String {
        enum Step<'a> {
            Open(usize),
            Close(usize),
            Text(&'a str),
        }
        let mut out = String::new();
        let mut pending = String::new();
        let mut todo = vec![Step::Open(root)];
        while let Some(step) = todo.pop() {
            match step {
                Step::Open(i) => {
                    if self.removed[i] {
                        continue;
                    }
                    self.boundary(i, &mut out, &mut pending);
                    todo.push(Step::Close(i));
                    for c in self.nodes[i].children.iter().rev() {
                        todo.push(match c {
                            Child::El(e) => Step::Open(*e),
                            Child::Text(t) => Step::Text(t),
                        });
                    }
                }
                Step::Text(t) => pending.push_str(t),
                Step::Close(i) => {
                    if self.is_block(i) && !matches!(self.nodes[i].name.as_str(), "td" | "th") {
                        flush(&mut out, &mut pending);
                        out.push('\n');
                    }
                }
            }
        }
        flush(&mut out, &mut pending);
        out.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Line or cell break before an element.
    fn boundary(&self, i: usize, out: &mut String, pending: &mut String) {
        let name = self.nodes[i].name.as_str();
        if name == "td" || name == "th" {
            flush(out, pending);
            if !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
        } else if self.is_block(i) {
            flush(out, pending);
            out.push('\n');
        }
    }
}

/// Appends a text run with whitespace (source line breaks, &nbsp;) collapsed.
fn flush(out: &mut String, text: &mut String) {
    if text.is_empty() {
        return;
    }
    let mut last_space = out.ends_with([' ', '\n']) || out.is_empty();
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
    text.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_markup_and_keeps_blocks() {
        let html = r#"<html><head><title>T</title><style>p{color:red}</style></head>
<body><nav><a href="/">首页</a> &gt; 公开</nav>
<script>var a = "<p>no</p>";</script>
<h1>关于第1号建议的答复</h1>
<p>王义代表:</p><p>您提出的
建议收悉&nbsp;&amp;现答复如下:</p><!-- c -->
<table><tr><td>发布机构</td><td>区政府</td></tr></table>
<p>a < b<br/>第二行</p><footer>版权所有</footer></body></html>"#;
        assert_eq!(
            html_to_text(html),
            "关于第1号建议的答复\n王义代表:\n您提出的 建议收悉 &现答复如下:\n发布机构 区政府\na < b\n第二行"
        );
    }

    #[test]
    fn survives_broken_markup() {
        assert_eq!(html_to_text("<p>x<script>never closed"), "x");
        assert_eq!(html_to_text("<div title='a>b'>y</div"), "y");
        assert_eq!(html_to_text("<<>>&amp"), "<<>>&amp");
        assert_eq!(html_to_text(""), "");
        assert_eq!(
            html_to_text("</div></p>文字<p>段一<p>段二</td>"),
            "文字\n段一\n段二"
        );
        let deep = "<div>".repeat(100_000) + "深层文字";
        assert_eq!(html_to_text(&deep), "深层文字");
    }

    #[test]
    fn picks_content_container_and_heading() {
        let html = r#"<body><div class="top-nav"><a>首页</a><a>政务公开</a><a>互动</a></div>
<div class="main"><div class="crumbs">您当前的位置：首页 &gt; 建议提案</div>
<table><tr><td>索引号：</td><td>123/2024-01</td><td>发布机构：</td><td>某局</td></tr></table>
<h1 class="title">关于第5号建议的答复</h1><div class="info">发布时间：2024-06-12 浏览次数：35</div>
<div id="zoom"><p>张三代表：</p><p>您提出的建议收悉，现答复如下：已经办理完毕，感谢支持。</p><p>某某局</p></div>
<div class="bdsharebuttonbox">分享到：微信 微博</div></div>
<div id="footer">版权所有 某某局 京ICP备123号 联系我们</div></body>"#;
        assert_eq!(
            html_to_text(html),
            "关于第5号建议的答复\n张三代表：\n您提出的建议收悉，现答复如下：已经办理完毕，感谢支持。\n某某局"
        );
    }

    #[test]
    fn form_wrapped_page_without_class_names() {
        let html = r#"<form id="form1"><div><a href="/">首页</a> | <a>新闻</a> | <a>公开</a> | <a>办事</a></div>
<div><div>当前位置：首页 » 信息公开</div><div>李四委员：<br>您的提案收悉。经研究，答复如下：将于年内完成改造。<br>某某局<br>2021年5月10日</div></div>
<div>Copyright © 2021 某某局 版权所有</div></form>"#;
        assert_eq!(
            html_to_text(html),
            "李四委员：\n您的提案收悉。经研究，答复如下：将于年内完成改造。\n某某局\n2021年5月10日"
        );
    }
}
