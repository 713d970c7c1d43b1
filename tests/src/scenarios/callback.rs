//! Callback failures: each a clean 4xx/503 that never establishes a session.

use super::*;

/// `/callback` without `state` → 400, nothing sent to Kinde.
pub async fn callback_missing_state(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let cb = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let code = query_map(&cb)["code"].clone();
    for path in [
        format!("/callback?code={code}"),
        format!("/callback?code={code}&state="),
        "/callback".to_string(),
    ] {
        assert_clean_error(b.get(&path).await, 400, &ctx.internals()).await;
    }
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 0);
    assert_signed_out(&ctx, &b).await;
}

/// A `state` this browser never issued (forged, or another browser's), or one already
/// used → 400; the code is never redeemed on the attacker's behalf.
pub async fn callback_unknown_or_replayed_state(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let internals = ctx.internals();
    let victim = ctx.browser();
    let cb = callback_url_for(&ctx, &victim, &login_path(&[("login_hint", ADA)])).await;

    let forged = with_param(&cb, "state", "forged-state");
    assert_clean_error(victim.get(forged.as_str()).await, 400, &internals).await;
    assert_signed_out(&ctx, &victim).await;

    // Another browser (login CSRF / a leaked callback URL).
    let attacker = ctx.browser();
    assert_clean_error(attacker.get(cb.as_str()).await, 400, &internals).await;
    assert_signed_out(&ctx, &attacker).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 0);

    // The real callback still works once; a replay is refused.
    let r = victim.get(cb.as_str()).await;
    assert_eq!(assert_redirect(&r), "/");
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
    let fresh = ctx.browser();
    let r = fresh.get(cb.as_str()).await;
    assert_clean_error(r, 400, &internals).await;
    assert_signed_out(&ctx, &fresh).await;
    assert_clean_error(victim.get(cb.as_str()).await, 400, &internals).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
}

/// Kinde sends the visitor back with `error=access_denied` → 400 with a short message
/// (Kinde's description is not echoed); no session; a new sign-in works.
pub async fn callback_access_denied(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    ctx.kinde.set_authorize_error(Some("access_denied".into()));
    let cb = callback_url_for(
        &ctx,
        &b,
        &login_path(&[("login_hint", ADA), ("returnTo", "/dashboard")]),
    )
    .await;
    assert_eq!(query_map(&cb)["error"], "access_denied");
    assert_clean_error(b.get(cb.as_str()).await, 400, &ctx.internals()).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 0);
    assert_signed_out(&ctx, &b).await;

    // Hostile error parameters are not reflected either.
    let r = b
        .get("/callback?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%3Cimg%20src=x%3E&state=x")
        .await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 400);
    assert!(
        !text.contains("<script>alert") && !text.contains("<img"),
        "{text}"
    );

    ctx.kinde.set_authorize_error(None);
    assert_eq!(
        b.sign_in(Some("/dashboard"), ADA).await.landed,
        "/dashboard"
    );
}

/// A code Kinde rejects (forged or already redeemed) → 400; no session.
pub async fn callback_code_rejected_by_kinde(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let cb = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let forged = with_param(&cb, "code", "forged-code");
    assert_clean_error(b.get(forged.as_str()).await, 400, &ctx.internals()).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
    assert_signed_out(&ctx, &b).await;

    // A code already redeemed by another login of this browser.
    let first = ctx.browser();
    let s = first.sign_in(None, ADA).await;
    let used_code = query_map(&s.callback_url)["code"].clone();
    let cb2 = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let replayed = with_param(&cb2, "code", &used_code);
    assert_clean_error(b.get(replayed.as_str()).await, 400, &ctx.internals()).await;
    assert_signed_out(&ctx, &b).await;
}

/// Tokens that fail verification at the callback (an ID token for another login's
/// nonce) → a clean 4xx; no session.
pub async fn callback_token_fails_verification(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    let (auth, _) = b
        .start_login(&login_path(&[
            ("login_hint", ADA),
            ("returnTo", "/dashboard"),
        ]))
        .await;
    // The authorize request is altered in flight: Kinde issues an ID token for another nonce.
    let tampered = with_param(&auth, "nonce", "attacker-nonce");
    let cb = b.follow_until(&tampered, &callback_prefix(&ctx)).await;
    let r = b.get(cb.as_str()).await;
    let status = r.status().as_u16();
    assert!(
        status == 400 || status == 401,
        "a token failing verification is a 400 or 401, got {status}"
    );
    assert_clean_error(r, status, &ctx.internals()).await;
    assert_eq!(ctx.kinde.token_requests("authorization_code"), 1);
    assert_signed_out(&ctx, &b).await;
    assert!(b.get("/dashboard").await.status().is_redirection());
}

/// Kinde failing (503 from the token endpoint) or unreachable (server gone) at the
/// callback → 503 with a short message; no session.
pub async fn callback_kinde_unreachable(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let internals = ctx.internals();
    let b = ctx.browser();
    let cb1 = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;
    let cb2 = callback_url_for(&ctx, &b, &login_path(&[("login_hint", ADA)])).await;

    ctx.kinde.set_token_endpoint_failure(Some(503));
    assert_clean_error(b.get(cb1.as_str()).await, 503, &internals).await;
    assert_signed_out(&ctx, &b).await;

    ctx.kinde.shutdown();
    assert_clean_error(b.get(cb2.as_str()).await, 503, &internals).await;
    assert_signed_out(&ctx, &b).await;
}

/// `error=login_link_expired` (with `reauth_state`) restarts the login with the original
/// options and a fresh state/nonce/PKCE; completing it lands on the original `returnTo`.
pub async fn callback_login_link_expired_restarts_the_login(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let tk = &ctx.kinde;
    let b = ctx.browser();
    tk.set_authorize_error(Some("login_link_expired".into()));
    let (auth, _) = b
        .start_login(&login_path(&[
            ("login_hint", ADA),
            ("org_code", "org_demo_labs"),
            ("lang", "fr"),
            ("returnTo", "/dashboard"),
        ]))
        .await;
    let cb = b.follow_until(&auth, &callback_prefix(&ctx)).await;
    let cbq = query_map(&cb);
    assert_eq!(cbq["error"], "login_link_expired");
    assert!(cbq.contains_key("reauth_state"));
    tk.set_authorize_error(None);

    let r = b.get(cb.as_str()).await;
    assert_no_store(&r);
    let restart = Url::parse(&assert_redirect(&r)).expect("absolute authorize URL");
    assert!(
        restart.as_str().starts_with(&tk.url("/oauth2/auth")),
        "{restart}"
    );
    let (old, new) = (query_map(&auth), query_map(&restart));
    for kept in [
        "org_code",
        "lang",
        "login_hint",
        "client_id",
        "redirect_uri",
    ] {
        assert_eq!(new.get(kept), old.get(kept), "{kept} kept");
    }
    for fresh in ["state", "nonce", "code_challenge"] {
        assert_ne!(new[fresh], old[fresh], "{fresh} must be fresh");
    }
    assert_signed_out(&ctx, &b).await;

    let cb = b.follow_until(&restart, &callback_prefix(&ctx)).await;
    let r = b.get(cb.as_str()).await;
    assert_eq!(assert_redirect(&r), "/dashboard");
    assert_eq!(tk.authorize_requests().len(), 2);
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(me["id"], "kp_demo_admin");
    assert_eq!(me["org_code"], "org_demo_labs");
}
