//! The blocking client: parity with the async client (every operation has a twin with
//! the same signature, and both give the same results against the local Kinde server),
//! and clear errors instead of panics or deadlocks inside an async runtime.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use kinde_core::blocking::{self, InAsync};
use kinde_core::testing::{Endpoint, MintOptions, TestKinde};
use kinde_core::{
    CallbackOutcome, CallbackParams, Kinde, KindeError, LoginOptions, PendingLogins, PortalPage,
    VerifiedSession,
};

/// `pub async fn name(&self, args) -> ret` of every async operation of the client in
/// kinde-core's sources (every module, nested ones included).
fn async_operations() -> BTreeMap<String, String> {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut out = BTreeMap::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("blocking.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Operations of the client live in `impl Kinde` blocks; other types' async
            // helpers (the Redis stores') are not the client's.
            if !text.contains("impl Kinde {") {
                continue;
            }
            for (i, _) in text.match_indices("pub async fn ") {
                let rest = &text[i + "pub async fn ".len()..];
                let sig_end = rest.find('{').unwrap();
                let sig = rest[..sig_end].to_string();
                let name = sig[..sig.find('(').unwrap()].to_string();
                // Operations of the client (`&self` methods); free functions such as
                // `redis::connect` build things for async code only.
                if sig[name.len()..]
                    .trim_start_matches(['(', ' ', '\n'])
                    .starts_with("&self")
                {
                    out.insert(name, sig);
                }
            }
        }
    }
    out
}

/// `fn name(args) -> ret;` of every twin in blocking.rs.
fn blocking_twins() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/blocking.rs"))
            .unwrap();
    let body = &text[text.find("twins! {").unwrap()..];
    let mut out = BTreeMap::new();
    for line in body.lines().map(str::trim).filter(|l| l.starts_with("fn ")) {
        let sig = line
            .trim_start_matches("fn ")
            .trim_end_matches(';')
            .to_string();
        out.insert(sig[..sig.find('(').unwrap()].to_string(), sig);
    }
    out
}

fn normalize(sig: &str) -> String {
    sig.split_whitespace()
        .collect::<String>()
        .replace("'_", "")
        .replace(",)", ")")
}

#[test]
fn every_async_operation_has_a_blocking_twin_with_the_same_signature() {
    let async_ops = async_operations();
    let twins = blocking_twins();
    assert!(
        async_ops.len() >= 20,
        "found only {} async operations",
        async_ops.len()
    );
    for (name, sig) in &async_ops {
        let twin = twins
            .get(name)
            .unwrap_or_else(|| panic!("`{name}` has no blocking twin in blocking.rs"));
        assert_eq!(
            normalize(twin),
            normalize(sig),
            "signature of `{name}` differs between the clients"
        );
    }
    for name in twins.keys() {
        assert!(
            async_ops.contains_key(name),
            "blocking `{name}` has no async original"
        );
    }
}

fn server() -> TestKinde {
    TestKinde::start()
}

fn config(server: &TestKinde) -> kinde_core::KindeConfig {
    server
        .config_builder()
        .redirect_uri("http://127.0.0.1:9/callback")
        .post_logout_redirect_url("http://127.0.0.1:9/")
        .build()
        .unwrap()
}

/// Follow the local server's auto-login redirect to the callback parameters.
fn authorize(url: &url::Url) -> CallbackParams {
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(url.clone()).send().unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let cb = url::Url::parse(&location).unwrap();
    let q: BTreeMap<String, String> = cb.query_pairs().into_owned().collect();
    CallbackParams {
        code: q.get("code").cloned(),
        state: q.get("state").cloned(),
        ..Default::default()
    }
}

fn signed_in(outcome: CallbackOutcome) -> VerifiedSession {
    match outcome {
        CallbackOutcome::SignedIn { session, .. } => *session,
        CallbackOutcome::Restart(_) => panic!("unexpected restart"),
    }
}

fn stable_params(url: &url::Url) -> BTreeMap<String, String> {
    url.query_pairs()
        .into_owned()
        .filter(|(k, _)| !matches!(k.as_str(), "state" | "nonce" | "code_challenge"))
        .collect()
}

#[test]
fn both_clients_give_the_same_results() {
    let server = server();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let async_client = Kinde::new(config(&server)).unwrap();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let ttl = Duration::from_secs(600);
    let options = || {
        LoginOptions::new()
            .org_code("org_demo")
            .lang("en")
            .return_to("/x")
    };

    // Login URL.
    let a = rt.block_on(async_client.login_url(options())).unwrap();
    let b = sync_client.login_url(options()).unwrap();
    assert_eq!(stable_params(&a.url), stable_params(&b.url));
    assert_eq!(a.url.path(), b.url.path());

    // Code exchange.
    let (mut pa, mut pb) = (PendingLogins::default(), PendingLogins::default());
    pa.insert(a.pending.clone(), ttl);
    pb.insert(b.pending.clone(), ttl);
    let sa = signed_in(
        rt.block_on(async_client.complete_login(&authorize(&a.url), &mut pa))
            .unwrap(),
    );
    let sb = signed_in(
        sync_client
            .complete_login(&authorize(&b.url), &mut pb)
            .unwrap(),
    );
    assert_eq!(sa.user(), sb.user());
    assert_eq!(sa.permissions(), sb.permissions());
    assert_eq!(sa.roles(), sb.roles());
    assert_eq!(sa.feature_flags(), sb.feature_flags());

    // Verification of one token by both.
    let token = sa.tokens.access_token().secret();
    assert_eq!(
        rt.block_on(async_client.verify_access_token(token))
            .unwrap(),
        sync_client.verify_access_token(token).unwrap()
    );
    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(
        rt.block_on(async_client.verify_access_token(&forged))
            .unwrap_err()
            .to_string(),
        sync_client
            .verify_access_token(&forged)
            .unwrap_err()
            .to_string()
    );

    // Refresh.
    let ra = rt.block_on(async_client.refresh(&sa.tokens)).unwrap();
    let rb = sync_client.refresh(&sb.tokens).unwrap();
    assert!(ra.refreshed && rb.refreshed);
    assert_eq!(ra.user(), rb.user());
    assert_ne!(ra.tokens.refresh_token(), sa.tokens.refresh_token());
    assert_ne!(rb.tokens.refresh_token(), sb.tokens.refresh_token());

    // Account API and portal.
    let ta = ra.tokens.access_token();
    let tb = rb.tokens.access_token();
    assert_eq!(
        rt.block_on(async_client.user_profile(ta)).unwrap(),
        sync_client.user_profile(tb).unwrap()
    );
    assert_eq!(
        rt.block_on(async_client.entitlements(ta)).unwrap(),
        sync_client.entitlements(tb).unwrap()
    );
    assert_eq!(
        rt.block_on(async_client.account_permissions(ta)).unwrap(),
        sync_client.account_permissions(tb).unwrap()
    );
    assert_eq!(
        rt.block_on(async_client.portal_link(ta, "http://127.0.0.1:9/", Some(PortalPage::Profile)))
            .unwrap(),
        sync_client
            .portal_link(tb, "http://127.0.0.1:9/", Some(PortalPage::Profile))
            .unwrap()
    );

    // Logout URL.
    assert_eq!(
        rt.block_on(async_client.logout_url(None)).unwrap(),
        sync_client.logout_url(None).unwrap()
    );

    // Client credentials: same claims but the per-token ones.
    let aud = "https://example.kinde.com/api";
    let ma = rt
        .block_on(async_client.client_credentials_token(Some(aud)))
        .unwrap();
    let mb = sync_client.client_credentials_token(Some(aud)).unwrap();
    assert!(ma.expires_at() > 0 && mb.expires_at() > 0);

    // Webhooks.
    let hook = server.webhook_token("user.created", serde_json::json!({"user": {"id": "kp_1"}}));
    assert_eq!(
        rt.block_on(async_client.verify_webhook(hook.as_bytes()))
            .unwrap(),
        sync_client.verify_webhook(hook.as_bytes()).unwrap()
    );
}

#[test]
fn converted_clients_share_caches() {
    let server = server();
    let async_client = Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async_client.verify_access_token(&token))
        .unwrap();
    let fetches = server.requests(Endpoint::Jwks);
    let sync_client = async_client.blocking().unwrap();
    let other = server.mint_access_token(&server.users()[1], MintOptions::default());
    sync_client.verify_access_token(&other).unwrap();
    let back = sync_client.to_async().unwrap();
    rt.block_on(back.verify_access_token(&other)).unwrap();
    assert_eq!(
        server.requests(Endpoint::Jwks),
        fetches,
        "the key cache is shared"
    );
    // The factory: one configuration, either client.
    let sync_again = config(&server).into_blocking_client().unwrap();
    assert!(sync_again.verify_access_token(&token).is_ok());
    assert!(config(&server).into_client().is_ok());
}

#[tokio::test]
async fn blocking_call_in_a_current_thread_runtime_is_an_error_not_a_panic() {
    let server = server();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let err = sync_client.verify_access_token(&token).unwrap_err();
    assert!(matches!(err, KindeError::BlockingInAsync(_)), "{err:?}");
    assert!(err.to_string().contains("async client"), "{err}");
    // Even the opt-in cannot block a current-thread runtime safely.
    let err = sync_client
        .clone()
        .in_async(InAsync::BlockInPlace)
        .verify_access_token(&token)
        .unwrap_err();
    assert!(matches!(err, KindeError::BlockingInAsync(_)));
    // Dropping the client here (inside a runtime) must not panic either.
    drop(sync_client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_call_in_a_multi_thread_runtime_refuses_unless_opted_in() {
    let server = server();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    assert!(matches!(
        sync_client.verify_access_token(&token),
        Err(KindeError::BlockingInAsync(_))
    ));
    let opted_in = sync_client.in_async(InAsync::BlockInPlace);
    let claims = opted_in
        .verify_access_token(&token)
        .expect("runs with block_in_place");
    assert_eq!(claims.subject(), Some(server.users()[0].id.as_str()));
}

#[test]
fn blocking_client_works_from_plain_threads() {
    let server = server();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (c, t) = (sync_client.clone(), token.clone());
            std::thread::spawn(move || {
                c.verify_access_token(&t)
                    .map(|c| c.subject().map(str::to_string))
            })
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.join().unwrap().unwrap().as_deref(),
            Some(server.users()[0].id.as_str())
        );
    }
}

#[test]
fn blocking_client_works_inside_spawn_blocking_on_either_runtime() {
    let server = server();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let expected = server.users()[0].id.clone();
    let runtimes = [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    ];
    for rt in runtimes {
        let (c, t) = (sync_client.clone(), token.clone());
        // The default policy (refuse inside async code), the usual way to call
        // synchronous code from async code: it runs, over real HTTP (the first call of
        // each runtime fetches discovery and keys on a fresh client).
        let fresh = blocking::Kinde::new(config(&server)).unwrap();
        let subjects = rt.block_on(async move {
            tokio::task::spawn_blocking(move || {
                let a = c.verify_access_token(&t)?;
                let b = fresh.verify_access_token(&t)?;
                let endpoints = fresh.endpoints()?;
                assert!(endpoints.jwks_uri.as_str().ends_with("jwks"));
                Ok::<_, KindeError>([a, b].map(|c| c.subject().map(str::to_string)))
            })
            .await
            .expect("the closure does not panic")
        });
        let subjects = subjects.expect("a blocking call inside spawn_blocking works");
        assert_eq!(subjects, [Some(expected.clone()), Some(expected.clone())]);
    }
    assert!(server.requests(Endpoint::Jwks) >= 2);
}

#[test]
fn blocking_client_inside_an_async_task_is_still_refused() {
    let server = server();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let runtimes = [
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    ];
    for rt in runtimes {
        let (c, t) = (sync_client.clone(), token.clone());
        let (result, budget_left) = rt.block_on(async move {
            tokio::spawn(async move {
                let result = c.verify_access_token(&t);
                (result, tokio::task::coop::has_budget_remaining())
            })
            .await
            .expect("the task does not panic")
        });
        let err = result.unwrap_err();
        assert!(matches!(err, KindeError::BlockingInAsync(_)), "{err:?}");
        assert!(err.to_string().contains("async client"), "{err}");
        // Finding out cost the task none of its scheduling budget.
        assert!(budget_left);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_client_works_inside_block_in_place_without_opting_in() {
    let server = server();
    let sync_client = blocking::Kinde::new(config(&server)).unwrap();
    let token = server.mint_access_token(&server.users()[0], MintOptions::default());
    let claims = tokio::task::block_in_place(|| sync_client.verify_access_token(&token))
        .expect("block_in_place made this thread one that may block");
    assert_eq!(claims.subject(), Some(server.users()[0].id.as_str()));
}
