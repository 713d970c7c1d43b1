//! The session cookie: its attributes (safe by default, settable), the `Set-Cookie`
//! values the session layers send, and finding it among a request's cookies.

use std::borrow::Cow;
use std::time::Duration;

use crate::config::KindeConfig;

/// The value of the first cookie called `name` in a request's `Cookie` headers (given
/// as bytes, in order), without its optional quotes; `None` when there is none or it is
/// not UTF-8. What the session layers use to find their one cookie without parsing,
/// decoding and copying every cookie of the request.
///
/// ```
/// use kinde_core::web::cookie_value;
/// let headers: [&[u8]; 2] = [b"theme=dark; kinde_session_b=x", b"kinde_session=\"k1\"; a=1"];
/// assert_eq!(cookie_value(headers, "kinde_session"), Some("k1"));
/// assert_eq!(cookie_value(headers, "missing"), None);
/// ```
pub fn cookie_value<'h>(
    headers: impl IntoIterator<Item = &'h [u8]>,
    name: &str,
) -> Option<&'h str> {
    headers.into_iter().find_map(|header| {
        header.split(|b| *b == b';').find_map(|pair| {
            let rest = pair.trim_ascii_start().strip_prefix(name.as_bytes())?;
            let value = rest.trim_ascii_start().strip_prefix(b"=")?.trim_ascii();
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                other => other,
            };
            std::str::from_utf8(value).ok()
        })
    })
}

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent only with requests from the app's own site: not even on the way back from
    /// Kinde's sign-in page, so a visitor arriving from a link elsewhere looks signed
    /// out on that first page.
    Strict,
    /// Sent with the app's own requests and with top-level navigations to it from
    /// elsewhere (the callback from Kinde included), not with cross-site subrequests
    /// (default).
    #[default]
    Lax,
    /// Sent with every request, cross-site ones included; the cookie is then always
    /// `Secure` (browsers refuse `SameSite=None` without it).
    None,
}

/// The attributes of the session cookie, shared by both adapters' session layers:
/// `HttpOnly` always; `SameSite=Lax`, `Path=/`, no `Domain`, a 14-day inactivity
/// lifetime and the name `kinde_session` by default; `Secure` unless the app runs on
/// http loopback.
///
/// ```
/// use std::time::Duration;
/// use kinde_core::web::{SameSite, SessionCookie};
///
/// let cookie = SessionCookie::new(true).with_name("app_session").with_ttl(Duration::from_secs(3600));
/// let set = cookie.set_cookie("k1", Some(cookie.ttl()));
/// assert_eq!(set, "app_session=k1; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600");
/// assert!(cookie.removal().starts_with("app_session=; HttpOnly"));
///
/// let cross_site = SessionCookie::new(false).with_same_site(SameSite::None);
/// assert!(cross_site.set_cookie("k", None).contains("Secure"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    name: Cow<'static, str>,
    secure: bool,
    same_site: SameSite,
    path: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
    ttl: Duration,
}

impl SessionCookie {
    /// The default cookie name.
    pub const DEFAULT_NAME: &'static str = "kinde_session";
    /// The default lifetime of a session without activity: 14 days.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(14 * 24 * 60 * 60);

    /// The defaults, `Secure` when `secure`.
    pub fn new(secure: bool) -> Self {
        SessionCookie {
            name: Cow::Borrowed(Self::DEFAULT_NAME),
            secure,
            same_site: SameSite::Lax,
            path: Cow::Borrowed("/"),
            domain: None,
            ttl: Self::DEFAULT_TTL,
        }
    }

    /// The defaults for an app of `config`: `Secure` unless its redirect URI is http on
    /// loopback (a browser would not send a `Secure` cookie back over plain http).
    pub fn for_config(config: &KindeConfig) -> Self {
        Self::new(!config.is_local_http())
    }

    /// The cookie's name; give each app (or tenant) sharing a host its own.
    pub fn with_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Whether the cookie is `Secure`.
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The cookie's `SameSite`.
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie's `Path`.
    pub fn with_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.path = path.into();
        self
    }

    /// The cookie's `Domain` (default: none, so only the host that set it).
    pub fn with_domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// How long a session lives after its last change (the cookie's `Max-Age`).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long a session lives after its last change.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// This cookie's value among a request's `Cookie` headers (see [`cookie_value`]).
    pub fn value_in<'h>(&self, headers: impl IntoIterator<Item = &'h [u8]>) -> Option<&'h str> {
        cookie_value(headers, &self.name)
    }

    /// The `Set-Cookie` value that keeps `value` in the browser for `max_age` (`None`:
    /// until the browser closes).
    pub fn set_cookie(&self, value: &str, max_age: Option<Duration>) -> String {
        let mut cookie = self.build(value);
        if let Some(age) = max_age {
            let secs = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
            cookie.set_max_age(cookie::time::Duration::seconds(secs));
        }
        cookie.to_string()
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn removal(&self) -> String {
        let mut cookie = self.build("");
        cookie.make_removal();
        cookie.to_string()
    }

    fn build<'c>(&'c self, value: &'c str) -> cookie::Cookie<'c> {
        let same_site = match self.same_site {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        };
        let mut cookie = cookie::Cookie::build((self.name.as_ref(), value))
            .http_only(true)
            .same_site(same_site)
            .secure(self.secure || self.same_site == SameSite::None)
            .path(self.path.as_ref());
        if let Some(domain) = &self.domain {
            cookie = cookie.domain(domain.as_ref());
        }
        cookie.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_one_cookie_among_others() {
        let one = |h: &'static str| cookie_value([h.as_bytes()], "kinde_session");
        assert_eq!(one("a=1; kinde_session=abc ; b=2"), Some("abc"));
        assert_eq!(one("kinde_session=\"xyz\""), Some("xyz"));
        assert_eq!(one("kinde_session = spaced"), Some("spaced"));
        // The first of two wins; a name that only starts or ends with ours is not ours.
        assert_eq!(
            one("my_kinde_session=no; kinde_session_b=no; kinde_session=one; kinde_session=two"),
            Some("one")
        );
        assert_eq!(one("kinde_session"), None);
        assert_eq!(one("kinde_session="), Some(""));
        assert_eq!(
            cookie_value([&b"kinde_session=\xff"[..]], "kinde_session"),
            None
        );
        let two: [&[u8]; 2] = [b"a=1", b"kinde_session=k"];
        assert_eq!(cookie_value(two, "kinde_session"), Some("k"));
        assert_eq!(cookie_value([], "kinde_session"), None);
    }

    #[test]
    fn cookies_carry_the_safe_attributes() {
        let set = SessionCookie::new(true).set_cookie("id", Some(SessionCookie::DEFAULT_TTL));
        for part in [
            "kinde_session=id",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=1209600",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        let local = SessionCookie::new(false).set_cookie("id", None);
        assert!(
            !local.contains("Secure") && !local.contains("Max-Age"),
            "{local}"
        );
        let custom = SessionCookie::new(false)
            .with_path("/app")
            .with_domain("example.com")
            .with_same_site(SameSite::Strict)
            .set_cookie("id", None);
        for part in ["Path=/app", "Domain=example.com", "SameSite=Strict"] {
            assert!(custom.contains(part), "{custom} lacks {part}");
        }
        let removal = SessionCookie::new(false).removal();
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }
}
