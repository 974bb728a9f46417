//! The web console: a few static files compiled into the binary (no build
//! step, nothing read from disk at run time), served at `/` and under
//! `/console/`. It talks only to the public API, with the session cookie
//! `api::session` sets.
//!
//! Every answer carries a Content-Security-Policy that allows scripts and
//! styles from this origin only (no inline script, no eval), images from
//! this origin, and no framing: text a plugin supplies is put in the page
//! with `textContent`, and should some of it still end up parsed as HTML,
//! the policy keeps it from running.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiPath;

/// The policy of every console answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Name, media type and content of each file. `index.html` is `/`.
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../console/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../console/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/api.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/dom.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/i18n.js"),
    ),
    (
        "form.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/form.js"),
    ),
    (
        "run.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/run.js"),
    ),
    (
        "operators.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/operators.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../console/favicon.svg"),
    ),
];

/// `GET /`: the console's page.
pub async fn index(headers: HeaderMap) -> Response {
    asset("index.html", &headers)
}

/// `GET /console/<file>`.
pub async fn file(ApiPath(name): ApiPath<String>, headers: HeaderMap) -> Response {
    asset(&name, &headers)
}

/// The entity tag of each file of [`ASSETS`], in order: a hash of its
/// content, so a reload revalidates every file in one 304 each.
fn etags() -> &'static [HeaderValue] {
    static TAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    TAGS.get_or_init(|| {
        use sha2::{Digest, Sha256};
        ASSETS
            .iter()
            .map(|(_, _, body)| {
                let digest = Sha256::digest(body.as_bytes());
                HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
                    .unwrap_or_else(|_| HeaderValue::from_static("\"console\""))
            })
            .collect()
    })
}

fn asset(name: &str, request: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|(n, _, _)| *n == name) else {
        return super::ApiError::not_found("no such console file").into_response();
    };
    let (_, media_type, body) = ASSETS[i];
    let etag = &etags()[i];
    let fresh = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == etag.to_str().unwrap_or_default() || tag.trim() == "*");
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let h = r.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // No Referer leaves the site. Not `no-referrer`: under it a browser
    // sends `Origin: null` with the sign-in form's POST, which the
    // cross-site check must refuse.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // The files change only with the binary; revalidating each load (a
    // 304 by the ETag) is cheap and never serves a stale console after an
    // upgrade.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

    #[test]
    fn a_file_revalidates_by_its_etag() {
        let first = super::asset("app.js", &HeaderMap::new());
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].clone();
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, tag.clone());
        let second = super::asset("app.js", &again);
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(second.headers()[header::ETAG], tag);
        let mut other = HeaderMap::new();
        other.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"stale\""));
        assert_eq!(super::asset("app.js", &other).status(), StatusCode::OK);
        let css = super::asset("app.css", &HeaderMap::new());
        assert_ne!(css.headers()[header::ETAG], tag, "each file its own tag");
    }

    #[test]
    fn the_console_stays_under_200_kb() {
        let total: usize = super::ASSETS.iter().map(|(_, _, b)| b.len()).sum();
        assert!(total < 200 * 1024, "{total} bytes");
    }

    #[test]
    fn no_console_file_has_inline_script_or_inline_handlers() {
        for (name, _, body) in super::ASSETS {
            if name.ends_with(".html") {
                assert!(!body.contains("<script>"), "{name}: inline script");
                for handler in ["onclick=", "onload=", "onerror=", "onsubmit=", "onchange="] {
                    assert!(!body.contains(handler), "{name}: inline {handler}");
                }
                assert!(!body.contains("style="), "{name}: inline style");
            }
            if name.ends_with(".js") {
                assert!(!body.contains("innerHTML"), "{name}: innerHTML");
                assert!(!body.contains("insertAdjacentHTML"), "{name}");
                assert!(!body.contains("eval("), "{name}");
            }
        }
    }
}
