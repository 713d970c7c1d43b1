//! Bearer tokens: on the API, and on the browser app next to a session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The token with its payload edited (signature kept, so it no longer matches).
fn tamper_payload(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url payload"))
            .expect("JWT payload");
    edit(&mut claims);
    let payload = b64(&serde_json::to_vec(&claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// Bearer access to the API with a good token, and 401 `invalid_token` for forged,
/// expired, wrong-audience, wrong-issuer, not-yet-valid and malformed ones.
pub async fn bearer_tokens_on_the_api(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Api);
    let b = ctx.browser();
    let tk = &ctx.kinde;
    let internals = ctx.internals();
    let users = tk.users();
    let (ada, grace) = (&users[0], &users[1]);
    let good = tk.mint_access_token(ada, MintOptions::default());

    let r = b.get_bearer("/api/me", &good).await;
    assert!(
        set_cookies(&r).is_empty(),
        "a bearer API never sets cookies"
    );
    let me = ok_json(r).await;
    assert_eq!(me["id"], "kp_demo_admin");
    assert_eq!(me["email"], ADA);
    assert_eq!(me["org_code"], "org_demo");
    assert_eq!(me["permissions"], json!(["read:todos", "write:todos"]));
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(me["feature_flags"]["theme"], "ocean");
    assert_eq!(
        ok_json(b.get_bearer("/api/admin", &good).await).await,
        json!({"admin": true, "id": "kp_demo_admin"})
    );
    let r = b
        .post_json("/api/todos", &json!({"title": "ship"}), Some(&good))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(body_json(r).await, json!({"todos": ["ship"]}));
    assert_eq!(
        ok_json(b.get_bearer("/api/todos", &good).await).await,
        json!({"todos": ["ship"]})
    );

    // Signed in (by token) but not allowed → 403.
    let reader = tk.mint_access_token(grace, MintOptions::default());
    assert_eq!(
        ok_json(b.get_bearer("/api/todos", &reader).await).await,
        json!({"todos": []})
    );
    let r = b
        .post_json("/api/todos", &json!({"title": "x"}), Some(&reader))
        .await;
    assert_clean_error(r, 403, &internals).await;
    assert_clean_error(b.get_bearer("/api/admin", &reader).await, 403, &internals).await;

    // No token at all → 401 with a plain challenge, even for a page-like request.
    let r = b.get_json("/api/me").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert_clean_error(r, 401, &internals).await;
    let r = b.get("/api/me").await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a bearer-only API never redirects to a login page"
    );
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");

    // Bad tokens.
    let other = TestKinde::start();
    let claims = tk.access_claims(ada, &[]);
    let none_alg = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_vec(&claims).unwrap())
    );
    let bad: Vec<(&str, String)> = vec![
        (
            "expired",
            tk.mint_access_token(
                ada,
                MintOptions {
                    expired: true,
                    ..MintOptions::default()
                },
            ),
        ),
        (
            "wrong audience",
            tk.mint_access_token(
                ada,
                MintOptions {
                    audience: vec!["https://other.example/api".into()],
                    ..MintOptions::default()
                },
            ),
        ),
        (
            "not yet valid",
            tk.mint_access_token(
                ada,
                MintOptions {
                    not_before: Some(3600),
                    ..MintOptions::default()
                },
            ),
        ),
        (
            "forged: payload edited",
            tamper_payload(&tk.mint_access_token(grace, MintOptions::default()), |c| {
                c["permissions"] = json!(["read:todos", "write:todos"]);
            }),
        ),
        (
            "forged: signed by another key with our kid",
            other.sign_claims_with_kid(&claims, &tk.signing_key_kid()),
        ),
        ("forged: signed by another key", other.sign_claims(&claims)),
        (
            "wrong issuer",
            other.mint_access_token(ada, MintOptions::default()),
        ),
        ("alg none", none_alg),
        ("malformed", "not.a.jwt".to_string()),
    ];
    for (what, token) in &bad {
        for path in ["/api/me", "/api/todos"] {
            let r = b.get_bearer(path, token).await;
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{what} on {path} must be refused"
            );
            assert_eq!(
                header_str(&r, header::WWW_AUTHENTICATE),
                r#"Bearer error="invalid_token""#,
                "{what}"
            );
            let body = r.text().await.unwrap();
            assert!(!body.contains(token.as_str()), "{what}: token echoed");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["error"], "invalid_token", "{what}");
            for leak in &internals {
                assert!(!body.contains(leak.as_str()), "{what}: leaks {leak}");
            }
        }
    }
    // A forged POST does not write anything.
    let forged = tamper_payload(&reader, |c| c["permissions"] = json!(["write:todos"]));
    let r = b
        .post_json("/api/todos", &json!({"title": "forged"}), Some(&forged))
        .await;
    assert_clean_error(r, 401, &internals).await;
    assert_eq!(
        ok_json(b.get_bearer("/api/todos", &reader).await).await,
        json!({"todos": []})
    );
    // Unknown `kid`s do not hammer Kinde's JWKS endpoint.
    assert!(
        tk.requests(Endpoint::Jwks) <= 2,
        "JWKS fetched {} times",
        tk.requests(Endpoint::Jwks)
    );
    // And the good token still works.
    assert_eq!(
        ok_json(b.get_bearer("/api/me", &good).await).await["id"],
        "kp_demo_admin"
    );
}

/// On the browser app (token source "both") a bearer token authenticates the request
/// without creating or changing a session; a bad bearer token never falls back to the
/// session.
pub async fn bearer_token_on_the_browser_app_never_touches_the_session(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let tk = &ctx.kinde;
    let users = tk.users();
    let grace_token = tk.mint_access_token(&users[1], MintOptions::default());

    let b = ctx.browser();
    let r = b.get_bearer("/me", &grace_token).await;
    assert!(
        set_cookies(&r).is_empty(),
        "no session for a bearer request"
    );
    assert_eq!(ok_json(r).await["id"], "kp_demo_reader");
    assert!(b.cookie(SESSION_COOKIE).is_none());
    assert_signed_out(&ctx, &b).await;

    // Signed in as Ada; a bearer token for Grace wins for that request only.
    let b = ctx.browser();
    b.sign_in(None, ADA).await;
    let before = b.cookie(SESSION_COOKIE);
    let r = b.get_bearer("/me", &grace_token).await;
    assert!(set_cookies(&r).is_empty());
    assert_eq!(ok_json(r).await["id"], "kp_demo_reader");
    assert_eq!(b.cookie(SESSION_COOKIE), before);
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );

    // A bad bearer token is a 401 even with a valid session.
    let expired = tk.mint_access_token(
        &users[0],
        MintOptions {
            expired: true,
            ..MintOptions::default()
        },
    );
    let r = b.get_bearer("/me", &expired).await;
    assert_eq!(
        header_str(&r, header::WWW_AUTHENTICATE),
        r#"Bearer error="invalid_token""#
    );
    assert_clean_error(r, 401, &ctx.internals()).await;
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );
}
