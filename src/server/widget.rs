//! The embeddable search box: `GET /widget.js` serves a dependency-free custom element
//! (`<reply-search>`) that other sites include with a script tag.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;

/// The widget source, compiled in so the binary is self-contained.
pub const WIDGET_JS: &str = include_str!("../../assets/widget.js");

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
        WIDGET_JS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_is_small_and_self_contained() {
        assert!(
            WIDGET_JS.len() < 20 * 1024,
            "widget.js is {} bytes",
            WIDGET_JS.len()
        );
        assert!(WIDGET_JS.contains("customElements.define"));
        // No external resources: the only URLs the widget builds come from `endpoint`.
        assert!(
            !WIDGET_JS.contains("https://"),
            "widget.js must not load external resources"
        );
    }
}
