//! The few HTML pages the test server shows (inline CSS, no external assets).

use std::fmt::Write as _;

use super::state::AuthorizeRequest;
use super::users::TestUser;

use crate::web::escape_html as escape;

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f4f6;color:#1c1c24}
main{max-width:560px;margin:48px auto;padding:0 16px}
.card{background:#fff;border:1px solid #e3e3e8;border-radius:14px;padding:28px;box-shadow:0 1px 3px rgba(0,0,0,.05)}
h1{font-size:22px;margin:0 0 4px}
p.sub{margin:0 0 20px;color:#6b6b76}
.badge-test{display:inline-block;font-size:11px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;background:#fff4d6;color:#7a5a00;border-radius:6px;padding:2px 8px;margin-bottom:12px}
form{margin:0}
button.user{display:block;width:100%;text-align:left;background:#fff;border:1px solid #e3e3e8;border-radius:10px;padding:14px 16px;margin:0 0 10px;cursor:pointer;font:inherit;color:inherit}
button.user:hover,button.user:focus{border-color:#1c1c24;outline:none;background:#fafafa}
.name{font-weight:600}
.email{color:#6b6b76;font-size:14px}
.tags{margin-top:6px}
.tag{display:inline-block;font-size:12px;border-radius:5px;padding:1px 7px;margin:2px 4px 0 0;background:#eef0ff;color:#2b3a8f}
.tag.role{background:#e8f6ee;color:#1d6b3d}
.tag.org{background:#f1f1f4;color:#44444e}
.tag.none{background:none;color:#9a9aa5;padding-left:0}
button.deny{width:100%;margin-top:8px;background:none;border:1px solid #e3b4b4;color:#a12b2b;border-radius:10px;padding:10px;font:inherit;cursor:pointer}
button.deny:hover{background:#fdf3f3}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:18px 0 0;font-size:13px;color:#6b6b76}
dt{font-weight:600}
dd{margin:0;word-break:break-all}
a{color:#2b3a8f}
"#;

/// A complete page around `body`.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Kinde test server</title><style>{CSS}</style></head>\
         <body><main><div class=\"card\"><span class=\"badge-test\">Kinde test server</span>{body}</div></main></body></html>\n",
        escape(title)
    )
}

/// An error page (no redirect: used when the client or redirect URI cannot be trusted).
pub(crate) fn error_page(title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p class=\"sub\">{}</p>",
            escape(title),
            escape(message)
        ),
    )
}

/// The page where a person picks a user or denies the request.
pub(crate) fn login_page(pending_id: &str, req: &AuthorizeRequest, users: &[TestUser]) -> String {
    let mut body = String::new();
    let heading = if req.prompt.as_deref() == Some("create") {
        "Create an account"
    } else {
        "Sign in"
    };
    let _ = write!(
        body,
        "<h1>{heading}</h1><p class=\"sub\">Choose a test user to continue to <strong>{}</strong>.</p>",
        escape(&req.client_id)
    );
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/oauth2/auth/select\">\
         <input type=\"hidden\" name=\"pending\" value=\"{}\">",
        escape(pending_id)
    );
    for u in users {
        let _ = write!(
            body,
            "<button class=\"user\" type=\"submit\" name=\"user_id\" value=\"{}\">\
             <div class=\"name\">{}</div><div class=\"email\">{}</div><div class=\"tags\">",
            escape(&u.id),
            escape(&u.full_name()),
            escape(&u.email)
        );
        for r in &u.roles {
            let _ = write!(body, "<span class=\"tag role\">{}</span>", escape(&r.name));
        }
        for p in &u.permissions {
            let _ = write!(body, "<span class=\"tag\">{}</span>", escape(p));
        }
        for o in &u.organizations {
            let _ = write!(body, "<span class=\"tag org\">{}</span>", escape(&o.name));
        }
        if u.roles.is_empty() && u.permissions.is_empty() {
            body.push_str("<span class=\"tag none\">no roles or permissions</span>");
        }
        body.push_str("</div></button>");
    }
    body.push_str(
        "<button class=\"deny\" type=\"submit\" name=\"action\" value=\"deny\">Deny</button></form>",
    );
    body.push_str("<dl>");
    let mut row = |k: &str, v: &str| {
        let _ = write!(body, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    };
    row("redirect_uri", req.redirect_uri.as_str());
    row("scope", &req.scopes.join(" "));
    if !req.audience.is_empty() {
        row("audience", &req.audience.join(" "));
    }
    if let Some(v) = &req.prompt {
        row("prompt", v);
    }
    if let Some(v) = &req.org_code {
        row("org_code", v);
    }
    if req.is_create_org {
        row("is_create_org", "true");
    }
    if let Some(v) = &req.login_hint {
        row("login_hint", v);
    }
    body.push_str("</dl>");
    page(heading, &body)
}

/// Shown by `/logout` without a `redirect`.
pub(crate) fn signed_out_page() -> String {
    page(
        "Signed out",
        "<h1>You are signed out</h1><p class=\"sub\">You can close this window.</p>",
    )
}

/// The self-service portal stand-in.
pub(crate) fn portal_page(subnav: Option<&str>, return_url: Option<&str>) -> String {
    let mut body = format!(
        "<h1>Account portal</h1><p class=\"sub\">Section: <strong>{}</strong></p>",
        escape(subnav.unwrap_or("profile"))
    );
    if let Some(r) = return_url {
        let _ = write!(
            body,
            "<p><a href=\"{}\">Return to the application</a></p>",
            escape(r)
        );
    }
    page("Account portal", &body)
}
