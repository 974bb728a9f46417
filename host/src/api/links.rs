//! Absolute URLs in answers. The replaced Jobs API (Django REST framework)
//! gave its clients absolute links (`next`, `previous`, artifact URLs),
//! which they follow as they come; patchart's own fields stay relative.
//! The origin is the one the client used: the request's `Host`, and
//! `X-Forwarded-Proto: https` from a TLS-terminating proxy.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

/// The URL a request was sent to, as far as links need it.
#[derive(Debug, Clone, Default)]
pub struct RequestUrl {
    /// `scheme://host[:port]`, or empty when the request named no host
    /// (links are then relative).
    pub origin: String,
    pub path: String,
    /// The query's `key=value` pairs as sent (still percent-encoded).
    query: Vec<String>,
}

impl RequestUrl {
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// This URL with its `page` parameter set to `page`, other parameters
    /// kept as they were.
    pub fn with_page(&self, page: i64) -> String {
        let mut query: Vec<String> = self
            .query
            .iter()
            .filter(|kv| kv.split('=').next() != Some("page"))
            .cloned()
            .collect();
        query.push(format!("page={page}"));
        format!("{}{}?{}", self.origin, self.path, query.join("&"))
    }

    /// The `next` and `previous` links of page `page` of `page_size`
    /// among `count`.
    pub fn page_links(
        &self,
        count: i64,
        page: i64,
        page_size: i64,
    ) -> (Option<String>, Option<String>) {
        let next = (page.saturating_mul(page_size) < count).then(|| self.with_page(page + 1));
        let previous = (page > 1).then(|| self.with_page(page - 1));
        (next, previous)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        // Only a plain host[:port]: anything else would let a request put
        // arbitrary text into the links it gets back.
        let host = value(header::HOST.as_str())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            });
        let scheme = match value("x-forwarded-proto") {
            Some(p) if p.trim().eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        Ok(RequestUrl {
            origin: host.map(|h| format!("{scheme}://{h}")).unwrap_or_default(),
            path: parts.uri.path().to_string(),
            query: parts
                .uri
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(query: &[&str]) -> RequestUrl {
        RequestUrl {
            origin: "http://h:1".into(),
            path: "/api/jobs/".into(),
            query: query.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn page_links_keep_the_other_parameters_and_stop_at_the_ends() {
        let u = url(&["status=SUCCESS", "page=2", "page_size=10"]);
        let (next, previous) = u.page_links(25, 2, 10);
        assert_eq!(
            next.as_deref(),
            Some("http://h:1/api/jobs/?status=SUCCESS&page_size=10&page=3")
        );
        assert_eq!(
            previous.as_deref(),
            Some("http://h:1/api/jobs/?status=SUCCESS&page_size=10&page=1")
        );
        assert_eq!(
            u.page_links(25, 3, 10),
            (
                None,
                Some("http://h:1/api/jobs/?status=SUCCESS&page_size=10&page=2".into())
            )
        );
        assert_eq!(url(&[]).page_links(0, 1, 50), (None, None));
    }
}
