//! Request parsing and response shapes shared by every route (`server.rs` and
//! `account.rs`): form and query parameters, bearer tokens, URL checks, and the JSON,
//! bearer-error and HTML responses.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use url::Url;

/// Form or query parameters, in order, duplicates kept.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(input: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(crate) fn query(raw: Option<&str>) -> Self {
        Self::parse(raw.unwrap_or_default().as_bytes())
    }

    /// The first value, if present and non-empty.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub(crate) fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first parameter that appears more than once (RFC 6749 §3.1, §3.2).
    pub(crate) fn duplicated(&self, allowed: &[&str]) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(i, (k, _))| {
            (!allowed.contains(&k.as_str()) && self.0[..i].iter().any(|(k2, _)| k2 == k))
                .then_some(k.as_str())
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<_, _>>(),
        )
    }
}

/// The status `code`, or 500 if it is not one.
pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A JSON response that no cache keeps.
pub(crate) fn json_response(code: u16, body: &Value) -> Response {
    (
        status(code),
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}
/// 401 for a missing or bad bearer token.
pub(crate) fn bearer_error(description: &str) -> Response {
    let mut resp = json_response(
        401,
        &json!({
            "error": "invalid_token",
            "error_description": description,
            "errors": [{"code": "UNAUTHORIZED", "message": description}],
        }),
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    resp
}

/// An HTML page that no cache keeps and that loads nothing from elsewhere.
pub(crate) fn html_response(code: u16, body: String) -> Response {
    (
        status(code),
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        body,
    )
        .into_response()
}

/// The `Authorization: Bearer` token, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `s` if it is an absolute http(s) URL with a host.
pub(crate) fn absolute_http_url(s: &str) -> Option<Url> {
    let url = Url::parse(s).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.has_host()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_keep_duplicates() {
        let p = Params::parse(b"a=1&b=2&a=3&c=");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("c"), None);
        assert!(p.has("c"));
        assert_eq!(p.duplicated(&[]), Some("a"));
        assert_eq!(p.duplicated(&["a"]), None);
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }
}
