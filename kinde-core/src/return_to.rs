//! Where a visitor may be sent back to after signing in: local paths only, so that no
//! `returnTo` can become an open redirect.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode, utf8_percent_encode};

/// Accept `return_to` only if it is a local path that cannot leave the site: it must
/// start with a single `/`, contain no backslash or control character (raw or
/// percent-encoded, also double-encoded), and be at most 2 KiB.
///
/// ```
/// use kinde_core::safe_return_to;
/// assert_eq!(safe_return_to("/dashboard?tab=1"), Some("/dashboard?tab=1"));
/// for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)",
///             "/%0d%0aSet-Cookie:x", "/%2F%2Fevil.example", "/%252F%252Fevil.example", "dashboard"] {
///     assert_eq!(safe_return_to(bad), None, "{bad}");
/// }
/// ```
pub fn safe_return_to(raw: &str) -> Option<&str> {
    if raw.len() > 2048 || !raw.starts_with('/') {
        return None;
    }
    let decoded = decoded_repeatedly(raw.as_bytes());
    let bad_char = |b: &u8| *b == b'\\' || b.is_ascii_control();
    if raw.as_bytes().iter().any(bad_char) || decoded.iter().any(bad_char) {
        return None;
    }
    if raw.starts_with("//") || decoded.starts_with(b"//") {
        return None;
    }
    Some(raw)
}

/// Percent-decode until nothing changes (at most three rounds), so double encoding
/// (`%252F`) cannot smuggle a `/` or a control character past the check.
fn decoded_repeatedly(input: &[u8]) -> Vec<u8> {
    let mut current: Vec<u8> = input.to_vec();
    for _ in 0..3 {
        let decoded: Vec<u8> = percent_decode(&current).collect();
        if decoded == current {
            break;
        }
        current = decoded;
    }
    current
}

/// Bytes a `Location` header cannot carry as they are: controls, space, non-ASCII, and
/// the few ASCII characters that are not valid in a URL.
const NOT_IN_LOCATION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'^');

/// A local path as a valid `Location` header value: non-ASCII characters (a `returnTo`
/// of `/café` arrives decoded from the query) and the few characters a URL cannot hold
/// are percent-encoded; everything else, existing `%XX` escapes included, is kept.
///
/// ```
/// use kinde_core::web::location_value;
/// assert_eq!(location_value("/café?q=a b"), "/caf%C3%A9?q=a%20b");
/// assert_eq!(location_value("/a%2Fb?x=1#top"), "/a%2Fb?x=1#top");
/// ```
pub fn location_value(path: &str) -> Cow<'_, str> {
    utf8_percent_encode(path, NOT_IN_LOCATION).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_rules() {
        assert_eq!(safe_return_to("/"), Some("/"));
        assert_eq!(safe_return_to("/a/b?c=d#e"), Some("/a/b?c=d#e"));
        assert_eq!(safe_return_to("/café"), Some("/café"));
        for bad in [
            "",
            "//evil",
            "/\\evil",
            "\\\\evil",
            "https://evil",
            "http:/evil",
            "javascript:x",
            "/%0aX",
            "/%0D%0AX",
            "/a\r\nb",
            "/%5Cevil",
            "/%2f%2fevil",
            "/%252F%252Fevil",
            "/\tx",
        ] {
            assert_eq!(safe_return_to(bad), None, "{bad:?}");
        }
        assert_eq!(safe_return_to(&format!("/{}", "a".repeat(2048))), None);
    }

    #[test]
    fn locations_are_valid_header_values() {
        for path in ["/café", "/a b", "/x?y=<z>", "/ü/ß?ä=ö#é", "/%41"] {
            let value = location_value(path);
            assert!(
                value.bytes().all(|b| b.is_ascii_graphic()),
                "{path:?} → {value:?}"
            );
        }
        assert_eq!(location_value("/plain?x=1"), "/plain?x=1");
    }
}
