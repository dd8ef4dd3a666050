//! Minimal HTML to text conversion for saved web pages of reply letters.
//!
//! Not a full HTML parser: it drops markup and non-content elements, decodes entities
//! and turns block boundaries into newlines, which is all the cleaner needs.

/// Elements whose whole content is dropped (scripts, styles, navigation chrome).
const SKIPPED: &[&str] = &[
    "script", "style", "nav", "head", "noscript", "template", "svg", "header", "footer", "iframe",
    "select", "button", "form",
];

/// Elements that start a new line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "hr",
    "main",
    "aside",
    "center",
    "title",
    "address",
    "figure",
    "figcaption",
    "tbody",
    "thead",
];

/// Converts HTML to plain text: one line per block, whitespace inside blocks collapsed.
pub fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut pending_text = String::new();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < html.len() {
        if bytes[i] != b'<' {
            let next = html[i..].find('<').map_or(html.len(), |p| i + p);
            pending_text.push_str(&html[i..next]);
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
            pending_text.push('<');
            i += 1;
            continue;
        };
        let end = tag_end(html, i);
        let closing = rest.starts_with("</");
        if !closing && SKIPPED.contains(&name) && !rest[..end - i].ends_with("/>") {
            let close = format!("</{name}");
            i = lower[end..].find(&close).map_or(html.len(), |p| {
                let at = end + p;
                tag_end(html, at)
            });
            flush(&mut out, &mut pending_text);
            out.push('\n');
            continue;
        }
        if BLOCKS.contains(&name) || name == "td" || name == "th" {
            flush(&mut out, &mut pending_text);
            // Table cells stay on their row's line, separated by a space.
            if name == "td" || name == "th" {
                if !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
            } else {
                out.push('\n');
            }
        }
        i = end;
    }
    flush(&mut out, &mut pending_text);
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Decodes a text run and appends it with whitespace (source line breaks) collapsed.
fn flush(out: &mut String, text: &mut String) {
    if text.is_empty() {
        return;
    }
    let decoded = html_escape::decode_html_entities(text.as_str());
    let mut last_space = out.ends_with([' ', '\n']) || out.is_empty();
    for c in decoded.chars() {
        // Non-breaking spaces from &nbsp; are layout, like other whitespace.
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

/// The lowercase tag name if `rest` (lowercased, starting at '<') opens or closes a tag.
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
    }
}
