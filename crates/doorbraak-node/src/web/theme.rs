//! The look of the web UI: the NL Design System (the Utrecht components for plain HTML and
//! the NL Design System's example theme, embedded; see `nlds/README.md`), our own layout, and
//! the organisation's theme from node.toml laid over it.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::config::Theme;

/// The NL Design System's example theme (design tokens, EUPL-1.2).
pub const NLDS_THEME: &str = include_str!("nlds/voorbeeld-theme.css");
/// The Utrecht components for plain HTML inside `.utrecht-html` (EUPL-1.2).
pub const NLDS_HTML: &str = include_str!("nlds/utrecht-html.css");
/// The Utrecht button's appearances (`utrecht-button--primary-action`, …; EUPL-1.2).
pub const NLDS_BUTTON: &str = include_str!("nlds/utrecht-button.css");
/// Doorbraak's own layout (header, cards, lists, charts).
pub const OWN: &str = include_str!("doorbraak.css");

/// The stylesheets in the order a page loads them: tokens, components, layout, organisation.
pub const STYLESHEETS: [&str; 5] = [
    "/static/nlds-thema.css",
    "/static/nlds-html.css",
    "/static/nlds-button.css",
    "/static/doorbraak.css",
    "/static/thema.css",
];

/// The organisation's theme as CSS: its colours laid over the example theme's tokens (the
/// primary action, links) and over the layout's own variables (the header).
pub fn organisation_css(t: &Theme) -> String {
    let (primary, text, link) = (&t.primary, &t.primary_text, &t.link);
    format!(
        "/* The organisation theme ([web.theme] in node.toml). */\n\
         .doorbraak-thema {{\n\
         \x20 --merk: {primary};\n\
         \x20 --merk-tekst: {text};\n\
         \x20 --link: {link};\n\
         \x20 --basis-color-action-1-inverse-bg-default: {primary};\n\
         \x20 --basis-color-action-1-inverse-bg-hover: {primary};\n\
         \x20 --basis-color-action-1-inverse-bg-active: {primary};\n\
         \x20 --basis-color-action-1-inverse-color-default: {text};\n\
         \x20 --basis-color-action-1-inverse-color-hover: {text};\n\
         \x20 --basis-color-action-1-inverse-color-active: {text};\n\
         \x20 --basis-color-action-1-color-default: {primary};\n\
         \x20 --basis-color-action-1-color-hover: {primary};\n\
         \x20 --basis-color-action-1-color-active: {primary};\n\
         \x20 --basis-color-action-1-border-default: {primary};\n\
         \x20 --basis-color-action-1-border-hover: {primary};\n\
         \x20 --basis-color-action-1-border-active: {primary};\n\
         \x20 --basis-form-control-accent-color: {primary};\n\
         \x20 --basis-color-action-2-color-default: {link};\n\
         \x20 --basis-color-action-2-color-hover: {link};\n\
         \x20 --basis-color-action-2-color-active: {link};\n\
         \x20 --basis-text-font-family-default: system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif;\n\
         \x20 --basis-heading-font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif;\n\
         }}\n"
    )
}

/// A stylesheet answer (cached for a day; the page links them with the release's version).
pub fn css(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// The version the page puts on its stylesheet links, so a new release is fetched anew.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_organisation_theme_sets_the_tokens_the_components_read() {
        let t = Theme {
            title: "Doorbraak".into(),
            logo: None,
            primary: "#123456".into(),
            primary_text: "#ffffff".into(),
            link: "#0b4a8b".into(),
        };
        let css = organisation_css(&t);
        assert!(css.contains("--basis-color-action-1-inverse-bg-default: #123456;"));
        assert!(css.contains("--basis-color-action-2-color-default: #0b4a8b;"));
        // and the example theme does define the tokens overridden here
        for line in css
            .lines()
            .filter(|l| l.trim_start().starts_with("--basis"))
        {
            let name = line.trim().split(':').next().unwrap_or_default();
            assert!(NLDS_THEME.contains(&format!("{name}:")), "{name}");
        }
        // the components read the example theme's class, the page sets it
        assert!(NLDS_THEME.contains(".voorbeeld-theme {"));
        assert!(NLDS_HTML.contains(".utrecht-html button"));
        assert!(NLDS_BUTTON.contains(".utrecht-button--primary-action {"));
    }
}
