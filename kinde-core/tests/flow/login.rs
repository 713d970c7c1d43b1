//! A full browser login: the authorization URL, the callback, and the verified session
//! (user, permissions, roles, organisation, feature flags, tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinde_core::testing::TestKinde;
use kinde_core::{FlagError, FlagKind, LoginOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{
    ADMIN, ADMIN_EMAIL, REDIRECT, client, follow_authorize, pending_field, pending_with, query,
    resume, signed_in, without_query,
};

#[tokio::test]
async fn full_login_signs_in_with_verified_claims() {
    let server = TestKinde::start();
    let kinde = client(&server);

    let login = kinde
        .login_url(LoginOptions::new().return_to("/dashboard?tab=1"))
        .await
        .expect("login_url");
    let url = &login.url;
    assert_eq!(without_query(url), server.url("/oauth2/auth"));
    let q = query(url);
    assert_eq!(q["client_id"], server.client_id());
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "openid profile email offline");
    assert_eq!(q["state"], login.pending.state());
    assert!(q["state"].len() >= 16, "state has enough entropy");
    assert_eq!(q["nonce"], pending_field(&login, "nonce"));
    assert!(q["nonce"].len() >= 16, "nonce has enough entropy");
    assert_eq!(q["code_challenge_method"], "S256");
    let verifier = pending_field(&login, "verifier");
    assert_eq!(
        q["code_challenge"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        "code_challenge is the S256 of the kept verifier"
    );
    assert_eq!(q["supports_reauth"], "true");
    assert!(!q.contains_key("audience"), "no audience configured");
    assert!(!q.contains_key("client_secret"));
    assert_eq!(login.pending.return_to(), Some("/dashboard?tab=1"));

    // Every login gets fresh values.
    let other = kinde
        .login_url(LoginOptions::new())
        .await
        .expect("login_url");
    let q2 = query(&other.url);
    for k in ["state", "nonce", "code_challenge"] {
        assert_ne!(q[k], q2[k], "{k} is fresh per login");
    }

    let mut pending = pending_with(&kinde, &login);
    pending.insert(other.pending.clone(), kinde.config().login_ttl());
    let callback = follow_authorize(&login.url).await;
    assert_eq!(callback.state.as_deref(), Some(login.pending.state()));
    assert!(callback.code.is_some());
    let outcome = kinde
        .complete_login(&callback, &mut pending)
        .await
        .expect("complete_login");
    assert_eq!(pending.len(), 1, "only this login's entry is consumed");
    let (session, return_to) = signed_in(outcome);
    assert_eq!(return_to, "/dashboard?tab=1");
    assert!(!session.refreshed);
    assert_eq!(server.token_requests("authorization_code"), 1);

    let user = session.user().expect("user");
    assert_eq!(user.id, ADMIN);
    assert_eq!(user.email.as_deref(), Some(ADMIN_EMAIL));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.given_name.as_deref(), Some("Ada"));
    assert_eq!(user.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.display_name(), "Ada Lovelace");
    assert_eq!(user.org_code.as_deref(), Some("org_demo"));
    let orgs: Vec<&str> = user.organizations.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(orgs, ["org_demo", "org_demo_labs"]);

    let perms = session.permissions();
    assert!(perms.is_granted("read:todos"));
    assert!(perms.all_granted(["read:todos", "write:todos"]));
    assert!(!perms.is_granted("delete:todos"));
    assert_eq!(perms.org_code(), Some("org_demo"));
    let roles = session.roles();
    assert!(roles.has("admin"));
    assert!(!roles.has("member"));
    assert_eq!(roles.all().len(), 1);
    let org = session.organization().expect("org");
    assert_eq!(org.code, "org_demo");
    assert_eq!(org.name.as_deref(), Some("Demo Org"));

    let flags = session.feature_flags();
    assert_eq!(flags.bool("dark_mode"), Ok(true));
    assert_eq!(flags.string("theme").as_deref(), Ok("ocean"));
    assert_eq!(flags.integer("todo_limit"), Ok(100));
    assert_eq!(
        flags.get("onboarding").map(|f| f.kind),
        Some(FlagKind::Json)
    );
    assert_eq!(
        flags.json("onboarding").expect("json flag")["skippable"],
        true
    );
    assert!(matches!(
        flags.bool("theme"),
        Err(FlagError::TypeMismatch { .. })
    ));
    assert!(matches!(flags.integer("nope"), Err(FlagError::Absent(_))));
    assert_eq!(flags.integer_or("nope", 7), Ok(7));
    assert_eq!(flags.bool_or("dark_mode", false), Ok(true));

    // Tokens: all three present, verified, and consistent.
    let tokens = &session.tokens;
    assert!(tokens.refresh_token().is_some_and(|r| !r.is_empty()));
    assert!(tokens.id_token().is_some());
    assert!(!tokens.is_expired());
    assert_eq!(
        Some(tokens.expires_at()),
        session.access.expires_at(),
        "expiry comes from the verified access token"
    );
    let id = session.id.as_ref().expect("ID claims");
    assert_eq!(
        id.get("nonce").and_then(Value::as_str),
        Some(pending_field(&login, "nonce").as_str())
    );
    assert_eq!(id.audience(), [server.client_id().as_str()]);
    assert!(session.access.audience().is_empty());
    assert_eq!(session.access.issuer(), Some(server.issuer().as_str()));

    // The stored tokens authenticate later requests without another round trip.
    let again = resume(&kinde, tokens).await.expect("authenticate_session");
    assert!(!again.refreshed);
    assert_eq!(&again.tokens, tokens);
    assert_eq!(again.user(), session.user());
    assert_eq!(server.token_requests("refresh_token"), 0);

    // An unsafe return_to is dropped: the configured default applies.
    let evil = kinde
        .login_url(LoginOptions::new().return_to("//evil.example/x"))
        .await
        .expect("login_url");
    assert_eq!(evil.pending.return_to(), None);
    let (_, return_to) = {
        let mut pending = pending_with(&kinde, &evil);
        let cb = follow_authorize(&evil.url).await;
        signed_in(
            kinde
                .complete_login(&cb, &mut pending)
                .await
                .expect("login"),
        )
    };
    assert_eq!(return_to, "/");
}
