//! The demo apps in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven through WebDriver, clicking what a person clicks and
//! asserting on what the browser shows: the page's text, the address bar, the cookies
//! it holds. Each step is screenshotted; a failing test names the folder that keeps the
//! pictures of its steps.
//!
//! Ignored in a plain `cargo test` (they need Chromium); `.ci/run` runs them, and so
//! does, alone:
//!
//! ```sh
//! bash scripts/browser.sh
//! ```
//!
//! which installs the packages when missing and starts `oidc-provider` (with its own
//! login pages) for the tests that sign in there.

mod apps;
mod chrome;

use anyhow::{bail, ensure};
use apps::{ACTIX_APP, AXUM_APP, DemoApp};
use chrome::{Chrome, click_labelled, cookie, script_cookies, wait_for_text, wait_for_url};
use fantoccini::{Client, Locator};

const SESSION_COOKIE: &str = "kinde_session";

/// Whether `url` is the local Kinde server's sign-in page (not the app's).
fn on_kinde_sign_in(app: &DemoApp, url: &url::Url) -> bool {
    !app.owns(url) && url.path() == "/oauth2/auth"
}

/// Open `path` and see the 403 page a person sees, at the page's own address (a 403 is
/// not a redirect, so no sign-in loop); the page's text.
async fn forbidden_page(c: &Client, demo: &DemoApp, path: &str) -> anyhow::Result<String> {
    c.goto(&demo.url(path)).await?;
    let text = wait_for_text(c, "You do not have access to this page.").await?;
    ensure!(text.contains("403"), "{text}");
    let url = c.current_url().await?;
    ensure!(
        demo.owns(&url) && url.path() == path,
        "a 403 is not a redirect: {url}"
    );
    Ok(text)
}

/// Sign in from the home page as a person does, pick a user with a permission but not
/// the admin role, see a page the permission opens and the 403 page of the one it does
/// not, sign out, go back, and find the protected page sending the browser to sign in.
async fn sign_in_see_forbidden_sign_out(app: (&str, &str)) {
    let demo = DemoApp::start(app, &[]);
    let demo = &demo;
    let mut b = Chrome::start(&format!("{}-sign-in-and-out", app.0)).await;

    b.step("open the home page", |c| async move {
        c.goto(&demo.url("/")).await?;
        wait_for_text(&c, "You are not signed in.").await?;
        Ok(())
    })
    .await;

    b.step("click Sign in: the local Kinde page", |c| async move {
        c.find(Locator::LinkText("Sign in")).await?.click().await?;
        wait_for_url(&c, "the local Kinde sign-in page", |u| {
            on_kinde_sign_in(demo, u)
        })
        .await?;
        wait_for_text(&c, "Choose a test user").await?;
        Ok(())
    })
    .await;

    b.step("pick Grace Hopper: back on the dashboard", |c| async move {
        click_labelled(&c, "button.user", "Grace Hopper").await?;
        let url = wait_for_url(&c, "the app's dashboard", |u| {
            demo.owns(u) && u.path() == "/dashboard"
        })
        .await?;
        ensure!(url.query().is_none(), "no code or state left in {url}");
        let text = wait_for_text(&c, "Welcome, Grace Hopper.").await?;
        ensure!(text.contains("Permissions: read:todos"), "{text}");
        ensure!(text.contains("Roles: member"), "{text}");
        Ok(())
    })
    .await;

    b.step(
        "the session cookie as the browser holds it",
        |c| async move {
            let Some(session) = cookie(&c, SESSION_COOKIE).await? else {
                bail!("the browser holds no {SESSION_COOKIE} cookie");
            };
            ensure!(
                session.http_only() == Some(true),
                "not HttpOnly: {session:?}"
            );
            ensure!(
                session.same_site().map(|s| s.to_string()).as_deref() == Some("Lax"),
                "not SameSite=Lax: {session:?}"
            );
            ensure!(
                session.secure() != Some(true),
                "Secure on plain-HTTP loopback"
            );
            let seen_by_scripts = script_cookies(&c).await?;
            ensure!(
                !seen_by_scripts.contains(SESSION_COOKIE),
                "the page's scripts see the session cookie: {seen_by_scripts}"
            );
            Ok(())
        },
    )
    .await;

    b.step("a page her permission opens", |c| async move {
        c.goto(&demo.url("/todos")).await?;
        let text = wait_for_text(&c, "\"todos\"").await?;
        ensure!(!text.contains("403"), "{text}");
        Ok(())
    })
    .await;

    b.step(
        "a page she lacks the role for: the 403 page",
        |c| async move {
            forbidden_page(&c, demo, "/admin").await?;
            Ok(())
        },
    )
    .await;

    b.step("sign out from the dashboard", |c| async move {
        c.goto(&demo.url("/dashboard")).await?;
        wait_for_text(&c, "Welcome, Grace Hopper.").await?;
        c.find(Locator::LinkText("Sign out")).await?.click().await?;
        wait_for_url(&c, "the app's home page", |u| {
            demo.owns(u) && u.path() == "/"
        })
        .await?;
        wait_for_text(&c, "You are not signed in.").await?;
        Ok(())
    })
    .await;

    b.step("the back button after signing out", |c| async move {
        // Back to the dashboard's entry in the history: the browser asks the app
        // again (the page was `no-store`), which sends it to sign in, rather than
        // showing the signed-out user's dashboard out of a cache.
        c.back().await?;
        wait_for_url(&c, "the local Kinde sign-in page", |u| {
            on_kinde_sign_in(demo, u)
        })
        .await?;
        let text = wait_for_text(&c, "Choose a test user").await?;
        ensure!(
            !text.contains("Welcome,"),
            "the back button shows the signed-out user's page:\n{text}"
        );
        Ok(())
    })
    .await;

    b.step(
        "the protected page now sends the browser to sign in",
        |c| async move {
            c.goto(&demo.url("/dashboard")).await?;
            wait_for_url(&c, "the local Kinde sign-in page", |u| {
                on_kinde_sign_in(demo, u)
            })
            .await?;
            wait_for_text(&c, "Choose a test user").await?;
            Ok(())
        },
    )
    .await;

    b.close().await;
}

/// A user without the permission a page needs (Alan has none) sees the 403 page a
/// person sees, at the page's own address (no redirect, no sign-in loop).
async fn missing_permission_shows_the_403_page(app: (&str, &str)) {
    let demo = DemoApp::start(app, &[]);
    let demo = &demo;
    let mut b = Chrome::start(&format!("{}-missing-permission", app.0)).await;

    b.step("sign in as Alan Turing", |c| async move {
        c.goto(&demo.url("/")).await?;
        c.find(Locator::LinkText("Sign in")).await?.click().await?;
        wait_for_text(&c, "Choose a test user").await?;
        click_labelled(&c, "button.user", "Alan Turing").await?;
        let text = wait_for_text(&c, "Welcome, Alan Turing.").await?;
        ensure!(
            !text.contains("read:todos"),
            "Alan holds no permission: {text}"
        );
        Ok(())
    })
    .await;

    b.step(
        "the to-do list needs read:todos: the 403 page",
        |c| async move {
            let text = forbidden_page(&c, demo, "/todos").await?;
            ensure!(!text.contains("\"todos\""), "{text}");
            Ok(())
        },
    )
    .await;

    b.close().await;
}

/// Two tabs of one browser each start a sign-in before either finishes (the parallel
/// login case); the later one finishes first, as Ada, then the earlier one, as Grace:
/// each lands where it was going as the user it picked, and the tabs share one session,
/// the last sign-in's (Grace, who may not open Ada's admin page).
async fn two_tabs_sign_in_at_once(app: (&str, &str)) {
    let demo = DemoApp::start(app, &[]);
    let demo = &demo;
    let mut b = Chrome::start(&format!("{}-two-tabs", app.0)).await;

    let first = b
        .step("tab 1 opens the sign-in page", |c| async move {
            c.goto(&demo.url("/login?returnTo=/dashboard")).await?;
            wait_for_text(&c, "Choose a test user").await?;
            Ok(c.window().await?)
        })
        .await;

    let second = b
        .step("tab 2 opens the sign-in page too", |c| async move {
            let tab = c.new_window(true).await?.handle;
            c.switch_to_window(tab.clone()).await?;
            c.goto(&demo.url("/login?returnTo=/admin")).await?;
            wait_for_text(&c, "Choose a test user").await?;
            Ok(tab)
        })
        .await;

    b.step("tab 2 signs in as Ada: the admin page", |c| async move {
        click_labelled(&c, "button.user", "Ada Lovelace").await?;
        wait_for_url(&c, "the app's admin page", |u| {
            demo.owns(u) && u.path() == "/admin"
        })
        .await?;
        wait_for_text(&c, "Hello admin Ada Lovelace.").await?;
        Ok(())
    })
    .await;

    b.step(
        "tab 1 signs in as Grace: the dashboard",
        move |c| async move {
            c.switch_to_window(first).await?;
            click_labelled(&c, "button.user", "Grace Hopper").await?;
            wait_for_url(&c, "the app's dashboard", |u| {
                demo.owns(u) && u.path() == "/dashboard"
            })
            .await?;
            let text = wait_for_text(&c, "Welcome, Grace Hopper.").await?;
            ensure!(!text.contains("Ada"), "{text}");
            Ok(())
        },
    )
    .await;

    b.step(
        "tab 2 reloaded: the shared session is Grace's, no admin",
        move |c| async move {
            c.switch_to_window(second).await?;
            c.refresh().await?;
            let text = wait_for_text(&c, "You do not have access to this page.").await?;
            ensure!(!text.contains("Hello admin"), "{text}");
            Ok(())
        },
    )
    .await;

    b.close().await;
}

/// The provider's coordinates that `scripts/interop.sh` exports, as the demo apps'
/// `KINDE_*` configuration.
fn oidc_provider_env() -> Vec<(&'static str, String)> {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run this test through scripts/browser.sh")
        })
    };
    vec![
        ("KINDE_DOMAIN", var("KINDE_INTEROP_ISSUER")),
        ("KINDE_CLIENT_ID", var("KINDE_INTEROP_CLIENT_ID")),
        ("KINDE_CLIENT_SECRET", var("KINDE_INTEROP_CLIENT_SECRET")),
        ("KINDE_AUDIENCE", var("KINDE_INTEROP_AUDIENCE")),
    ]
}

/// Sign in through `oidc-provider`'s own pages (an independent OpenID provider, started
/// by `scripts/browser.sh` with its interactive login): type a login and a password
/// into its form, consent, land back on the app signed in, and sign out there.
async fn sign_in_through_oidc_provider_pages(app: (&str, &str)) {
    let env = oidc_provider_env();
    let issuer = url::Url::parse(&env[0].1).expect("the issuer is a URL");
    let issuer = &issuer;
    let demo = DemoApp::start(app, &env);
    let demo = &demo;
    let mut b = Chrome::start(&format!("{}-oidc-provider", app.0)).await;

    b.step("open the home page and click Sign in", |c| async move {
        c.goto(&demo.url("/")).await?;
        wait_for_text(&c, "You are not signed in.").await?;
        c.find(Locator::LinkText("Sign in")).await?.click().await?;
        wait_for_url(&c, "oidc-provider's login page", |u| {
            u.origin() == issuer.origin() && u.path().starts_with("/interaction/")
        })
        .await?;
        wait_for_text(&c, "Sign-in").await?;
        Ok(())
    })
    .await;

    b.step("type a login and a password, submit", |c| async move {
        c.find(Locator::Css("input[name=login]"))
            .await?
            .send_keys("user-1")
            .await?;
        c.find(Locator::Css("input[name=password]"))
            .await?
            .send_keys("any password")
            .await?;
        click_labelled(&c, "button[type=submit]", "Sign-in").await?;
        wait_for_text(&c, "Continue").await?;
        Ok(())
    })
    .await;

    b.step(
        "consent: back on the dashboard, signed in",
        |c| async move {
            click_labelled(&c, "button[type=submit]", "Continue").await?;
            wait_for_url(&c, "the app's dashboard", |u| {
                demo.owns(u) && u.path() == "/dashboard"
            })
            .await?;
            let text = wait_for_text(&c, "Welcome, Inter Op.").await?;
            ensure!(text.contains("interop@example.com"), "{text}");
            ensure!(text.contains("read:interop"), "{text}");
            let Some(session) = cookie(&c, SESSION_COOKIE).await? else {
                bail!("the browser holds no {SESSION_COOKIE} cookie");
            };
            ensure!(
                session.http_only() == Some(true),
                "not HttpOnly: {session:?}"
            );
            Ok(())
        },
    )
    .await;

    b.step("sign out: signed out on the app", |c| async move {
        c.find(Locator::LinkText("Sign out")).await?.click().await?;
        wait_for_url(&c, "the app's home page", |u| {
            demo.owns(u) && u.path() == "/"
        })
        .await?;
        wait_for_text(&c, "You are not signed in.").await?;
        Ok(())
    })
    .await;

    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium, chromedriver and oidc-provider: run scripts/browser.sh"]
async fn axum_app_signs_in_through_oidc_provider_pages() {
    sign_in_through_oidc_provider_pages(AXUM_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium, chromedriver and oidc-provider: run scripts/browser.sh"]
async fn actix_app_signs_in_through_oidc_provider_pages() {
    sign_in_through_oidc_provider_pages(ACTIX_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: run scripts/browser.sh"]
async fn axum_app_sign_in_forbidden_sign_out() {
    sign_in_see_forbidden_sign_out(AXUM_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: run scripts/browser.sh"]
async fn actix_app_sign_in_forbidden_sign_out() {
    sign_in_see_forbidden_sign_out(ACTIX_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: run scripts/browser.sh"]
async fn axum_app_missing_permission_shows_the_403_page() {
    missing_permission_shows_the_403_page(AXUM_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: run scripts/browser.sh"]
async fn actix_app_missing_permission_shows_the_403_page() {
    missing_permission_shows_the_403_page(ACTIX_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: run scripts/browser.sh"]
async fn axum_app_two_tabs_sign_in_at_once() {
    two_tabs_sign_in_at_once(AXUM_APP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver: run scripts/browser.sh"]
async fn actix_app_two_tabs_sign_in_at_once() {
    two_tabs_sign_in_at_once(ACTIX_APP).await;
}
