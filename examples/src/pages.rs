//! The HTML pages of the example apps, shared by the axum and actix versions.

use kinde_core::web::escape_html;
use kinde_core::{KindeUser, Organization, Permissions, Roles};

/// A minimal page.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;color:#222}}\
         nav a{{margin-right:1rem}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape_html(title)
    )
}

/// `GET /`: sign-in links, or the user's name and the app's links.
pub fn home(user: Option<&KindeUser>) -> String {
    match user {
        Some(u) => page(
            "kinde-rs demo",
            &format!(
                "<p>Signed in as <strong>{}</strong>.</p><nav><a href=\"/dashboard\">Dashboard</a>\
                 <a href=\"/me\">/me</a><a href=\"/todos\">To-dos</a><a href=\"/admin\">Admin</a>\
                 <a href=\"/portal\">Account</a><a href=\"/logout\">Sign out</a></nav>",
                escape_html(&u.display_name())
            ),
        ),
        None => page(
            "kinde-rs demo",
            "<p>You are not signed in.</p><nav><a href=\"/login?returnTo=/dashboard\">Sign in</a>\
             <a href=\"/register\">Sign up</a><a href=\"/create-org?org_name=My%20Org\">Create an organisation</a></nav>",
        ),
    }
}

/// `GET /dashboard`.
pub fn dashboard(
    user: &KindeUser,
    perms: &Permissions,
    roles: &Roles,
    org: Option<&Organization>,
) -> String {
    let current = org.map(|o| o.code.as_str());
    let org = org
        .map(|o| o.name.clone().unwrap_or_else(|| o.code.clone()))
        .unwrap_or_else(|| "none".into());
    // A link to `/switch-org` for each other organisation of the user (codes are
    // letters, digits, `_` and `-`, so they need no encoding; any other is skipped).
    let switch: String = user
        .organizations
        .iter()
        .filter(|o| Some(o.code.as_str()) != current)
        .filter(|o| {
            o.code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .map(|o| {
            format!(
                "<a href=\"/switch-org?org_code={}&amp;returnTo=/dashboard\">Switch to {}</a>",
                o.code,
                escape_html(o.name.as_deref().unwrap_or(&o.code))
            )
        })
        .collect();
    page(
        "Dashboard",
        &format!(
            "<p>Welcome, {}.</p><ul><li>Email: {}</li><li>Organisation: {}</li><li>Permissions: {}</li><li>Roles: {}</li></ul>\
             <nav><a href=\"/\">Home</a>{switch}<a href=\"/logout\">Sign out</a></nav>",
            escape_html(&user.display_name()),
            escape_html(user.email.as_deref().unwrap_or("-")),
            escape_html(&org),
            escape_html(&perms.keys().join(", ")),
            escape_html(&roles.keys().collect::<Vec<_>>().join(", ")),
        ),
    )
}

/// `GET /admin`.
pub fn admin(user: &KindeUser) -> String {
    page(
        "Admin",
        &format!("<p>Hello admin {}.</p>", escape_html(&user.display_name())),
    )
}
