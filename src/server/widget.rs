//! The embeddable search box: `GET /widget.js` serves a dependency-free custom element
//! (`<reply-search>`) that other sites include with a script tag.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;

/// The widget source, compiled in so the binary is self-contained.
pub const WIDGET_JS: &str = include_str!("../../assets/widget.js");

/// The widget as served: the source without its indentation, blank lines and whole-line
/// `//` comments (line breaks are kept, so automatic semicolons are unchanged). The source
/// has no multi-line string in which leading spaces or a `//` line would matter.
static SERVED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| served(WIDGET_JS));

fn served(source: &str) -> String {
    source
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/widget.js", get(widget_js))
}

async fn widget_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Short cache: embedders pick up a new version within minutes of a deploy.
            (header::CACHE_CONTROL, "public, max-age=300"),
            // Script tags need no CORS, but `<script type="module" crossorigin>` and fetch()
            // loads do; the file is public, so any origin may read it.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        SERVED.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_is_small_and_self_contained() {
        assert!(
            SERVED.len() < 20 * 1024,
            "widget.js is served in {} bytes",
            SERVED.len()
        );
        assert!(WIDGET_JS.contains("customElements.define"));
        // No external resources: the only URLs the widget builds come from `endpoint`.
        assert!(
            !WIDGET_JS.contains("https://"),
            "widget.js must not load external resources"
        );
    }

    #[test]
    fn serving_drops_indentation_and_comment_lines_only() {
        let source = "(() => {\n  // a comment\n\n  const a = `x`; // kept\n    f();\n})();\n";
        assert_eq!(
            served(source),
            "(() => {\nconst a = `x`; // kept\nf();\n})();"
        );
        assert!(SERVED.contains("customElements.define('reply-search'"));
    }
}
