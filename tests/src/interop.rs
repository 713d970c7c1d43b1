//! The sign-in flow of a browser app against an independent OpenID provider
//! (panva/oidc-provider dressed up as Kinde), for any adapter. Run through the script
//! that starts the provider and exports its coordinates:
//!
//! ```sh
//! bash scripts/interop.sh 'cargo test -p kinde-e2e --test interop -- --ignored'
//! ```

use kinde_core::KindeConfig;
use reqwest::StatusCode;

use crate::{App, AppKind, StartApp, assert_no_store, assert_redirect};

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run this test through scripts/interop.sh"))
}

/// Sign in to the browser app started by `start` at the provider named by the
/// `KINDE_INTEROP_*` variables, and check what the visitor sees.
pub async fn sign_in_against_oidc_provider(start: StartApp) {
    let issuer = env("KINDE_INTEROP_ISSUER");
    let client_id = env("KINDE_INTEROP_CLIENT_ID");
    let client_secret = env("KINDE_INTEROP_CLIENT_SECRET");
    let audience = env("KINDE_INTEROP_AUDIENCE");

    let app = App::start(start, AppKind::Browser, |port| {
        KindeConfig::builder()
            .domain(issuer.clone())
            .client_id(client_id)
            .client_secret(client_secret)
            .audience(audience)
            .redirect_uri(format!("http://127.0.0.1:{port}/callback"))
            .post_logout_redirect_url(format!("http://127.0.0.1:{port}/"))
            .build()
            .expect("interop configuration")
    });
    let b = app.browser();

    // Not signed in: the page sends the browser to the login route.
    let r = b.get("/dashboard").await;
    assert_eq!(assert_redirect(&r), "/login?returnTo=%2Fdashboard");

    let (authorize, cookie) = b.start_login("/login?returnTo=/dashboard").await;
    assert!(cookie.is_some(), "/login sets the session cookie");
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{issuer}/oauth2/auth")),
        "{authorize}"
    );
    // The provider's login: a chain of redirects with cookies on its own origin.
    let callback = b.follow_until(&authorize, &app.url("/callback")).await;
    let r = b.get(callback.as_str()).await;
    assert_no_store(&r);
    assert_eq!(assert_redirect(&r), "/dashboard");

    let r = b.get("/dashboard").await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Inter Op"), "{page}");

    let r = b.get_json("/me").await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["id"], "user-1");
    assert_eq!(me["email"], "interop@example.com");
    assert_eq!(me["given_name"], "Inter");

    let home = b.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Signed in as <strong>Inter Op</strong>"),
        "{home}"
    );

    // Replaying the callback does not work.
    assert_eq!(
        b.get(callback.as_str()).await.status(),
        StatusCode::BAD_REQUEST
    );
}
