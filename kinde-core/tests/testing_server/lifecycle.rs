//! Server instances: independent servers side by side, use from synchronous code,
//! stopping on drop or shutdown, and the config glue.

use std::time::Duration;

use kinde_core::testing::{Endpoint, TestKinde, TestUser};

use crate::support::{
    REDIRECT, decode_unverified, error_of, get, get_bearer, http, login_tokens, refresh,
};

#[tokio::test]
async fn two_servers_side_by_side() {
    let a = TestKinde::start();
    let b = TestKinde::builder()
        .user(TestUser::new("kp_bob", "bob@example.com").name("Bob", "Builder"))
        .start();
    assert_ne!(a.issuer(), b.issuer());
    assert_ne!(a.signing_key_kid(), b.signing_key_kid());
    assert_eq!(a.users().len(), 3);
    assert_eq!(b.users().len(), 1);
    let c = http();

    let ta = login_tokens(&a, &c, &[]).await;
    let tb = login_tokens(&b, &c, &[]).await;
    assert_eq!(
        decode_unverified(tb["access_token"].as_str().unwrap())["sub"],
        "kp_bob"
    );
    // A's token means nothing to B, and vice versa.
    let resp = get_bearer(
        &c,
        &b.url("/oauth2/v2/user_profile"),
        ta["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(resp.status(), 401);
    let resp = refresh(&a, &c, tb["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(resp).await, (400, "invalid_grant".into()));

    a.set_jwks_available(false);
    assert_eq!(get(&c, &b.url("/.well-known/jwks")).await.status(), 200);
    assert_eq!(a.requests(Endpoint::Token), 2);
    assert_eq!(b.requests(Endpoint::Token), 1);
}

/// The server runs on its own thread: usable from plain synchronous code.
#[test]
fn works_from_sync_code_and_stops_when_dropped() {
    use std::io::{Read, Write};
    let kinde = TestKinde::start();
    let addr = format!("127.0.0.1:{}", kinde.port());
    let get = |addr: &str| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(
            b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    };
    let response = get(&addr).expect("server answers");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(&kinde.issuer()));

    let clone = kinde.clone();
    drop(kinde);
    assert!(get(&addr).is_ok(), "a clone keeps the server alive");
    drop(clone);
    assert!(get(&addr).is_err(), "the last drop stops the server");

    let other = TestKinde::start();
    other.shutdown();
    assert!(get(&format!("127.0.0.1:{}", other.port())).is_err());
}

#[test]
fn handle_is_send_sync_and_config_glue_works() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<TestKinde>();

    let kinde = TestKinde::start();
    let config = kinde
        .config_builder()
        .redirect_uri(REDIRECT)
        .build()
        .expect("a config for the test server builds");
    assert_eq!(config.client_id(), kinde.client_id());
}

/// The server's records (authorize requests, secrets) keep the latest `RECORD_LIMIT`
/// items at most: a demo left running, or a fuzzer's millions of requests (the
/// `server_form` target ran out of memory before this), do not grow it without bound.
#[tokio::test]
async fn records_are_bounded() {
    use kinde_core::testing::RECORD_LIMIT;
    let k = TestKinde::start();
    let n = RECORD_LIMIT + RECORD_LIMIT / 5;
    for i in 0..n {
        let query = format!("client_id=nobody&state=s{i}");
        assert!(
            k.__answer("GET", "/oauth2/auth", query.as_bytes(), false)
                .await
                >= 400
        );
        let form = format!("grant_type=refresh_token&refresh_token=r{i}");
        assert!(
            k.__answer("POST", "/oauth2/token", form.as_bytes(), true)
                .await
                >= 400
        );
    }
    let recorded = k.authorize_requests();
    assert!(
        (RECORD_LIMIT / 2..=RECORD_LIMIT).contains(&recorded.len()),
        "{} authorize requests kept",
        recorded.len()
    );
    let last = k.last_authorize_request().expect("the latest is kept");
    assert!(
        last.as_str().ends_with(&format!("state=s{}", n - 1)),
        "{last}"
    );
    assert!(!recorded.iter().any(|u| u.as_str().ends_with("state=s0")));

    let secrets = k.secrets_exchanged();
    assert!(
        secrets.len() <= RECORD_LIMIT,
        "{} secrets kept",
        secrets.len()
    );
    assert!(secrets.contains(&format!("r{}", n - 1)));
    assert!(!secrets.contains(&"r0".to_string()));
}
