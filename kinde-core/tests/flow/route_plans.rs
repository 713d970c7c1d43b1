//! The route flows as plans, sans I/O on the session: what each route reads, the session
//! writes it asks for in order, and the reply; and the same flows driven end to end
//! through a session (`serve_route`, `caller_from_session`) kept in a map.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use kinde_core::flow::{Resolution, RouteInput, RoutePlan};
use kinde_core::testing::{Endpoint, MintOptions, TestKinde};
use kinde_core::web::{Caller, Reply, Route, TokenSource};
use kinde_core::{Kinde, PendingLogins, SessionAccess, SessionSlot, SessionWrite, TokenSet};
use url::Url;

use crate::support::{ADMIN, REDIRECT, admin, browser_get, client, location, query};

/// Kinde's callback query for a login whose authorization URL is `reply`'s `Location`.
async fn callback_query(reply: &Reply) -> String {
    let authorize = Url::parse(reply.header("location").expect("Location")).expect("URL");
    let resp = browser_get(&authorize).await;
    let callback = Url::parse(location(&resp)).expect("absolute callback URL");
    assert!(callback.as_str().starts_with(REDIRECT), "{callback}");
    callback.query().expect("a query").to_string()
}

/// The value a plan sets in `slot`.
fn set_value(plan: &RoutePlan, slot: SessionSlot) -> Option<&str> {
    plan.writes.iter().find_map(|w| match w {
        SessionWrite::Set { slot: s, value } if *s == slot => Some(value.as_str()),
        _ => None,
    })
}

#[tokio::test]
async fn login_callback_and_logout_plan_their_writes_in_order() {
    let server = TestKinde::start();
    let kinde = client(&server);

    // `/login` keeps the new pending login beside one already pending (another tab).
    let first = kinde
        .begin_login(Route::Login, Some("returnTo=%2Fone"), None)
        .await;
    let kept = set_value(&first, SessionSlot::PendingLogins).expect("pending logins");
    let plan = kinde
        .begin_login(
            Route::Login,
            Some("returnTo=%2Fcaf%C3%A9%3Fq%3D1"),
            Some(kept),
        )
        .await;
    assert_eq!(plan.reply.status, 303);
    assert_eq!(plan.reply.header("cache-control"), Some("no-store"));
    let authorize = Url::parse(plan.reply.header("location").expect("Location")).unwrap();
    assert_eq!(query(&authorize)["code_challenge_method"], "S256");
    assert_eq!(plan.writes.len(), 1, "{:?}", plan.writes);
    let stored = set_value(&plan, SessionSlot::PendingLogins).expect("pending logins");
    assert_eq!(
        PendingLogins::from_stored(Some(stored)).len(),
        2,
        "both tabs"
    );

    // The callback: the used login leaves the pending logins first, whatever comes
    // next; then a new session id, then the tokens.
    let callback = callback_query(&plan.reply).await;
    let done = kinde.finish_callback(Some(&callback), Some(stored)).await;
    assert_eq!(done.writes.len(), 3, "{:?}", done.writes);
    let left = set_value(&done, SessionSlot::PendingLogins).expect("the other tab's login");
    assert_eq!(PendingLogins::from_stored(Some(left)).len(), 1);
    assert_eq!(done.writes[1], SessionWrite::CycleId);
    let tokens = set_value(&done, SessionSlot::Tokens).expect("tokens");
    assert!(matches!(
        &done.writes[2],
        SessionWrite::Set {
            slot: SessionSlot::Tokens,
            ..
        }
    ));
    assert!(TokenSet::from_json(tokens).is_ok());
    // A returnTo with non-ASCII characters lands as a valid Location header.
    assert_eq!(done.reply.status, 303);
    assert_eq!(done.reply.header("location"), Some("/caf%C3%A9?q=1"));

    // A replay: the state is gone; the pending logins are written back as they are,
    // and no session is established.
    let replay = kinde.finish_callback(Some(&callback), Some(left)).await;
    assert_eq!(replay.reply.status, 400);
    assert_eq!(replay.reply.header("cache-control"), Some("no-store"));
    assert_eq!(replay.writes.len(), 1);
    assert!(set_value(&replay, SessionSlot::Tokens).is_none());

    // Without a state: refused, the other tab's login kept as it was.
    let bad = kinde.finish_callback(Some("code=x"), Some(left)).await;
    assert_eq!(bad.reply.status, 400);
    assert_eq!(set_value(&bad, SessionSlot::PendingLogins), Some(left));
    assert!(set_value(&bad, SessionSlot::Tokens).is_none());

    // `/logout` clears the whole session, then goes to Kinde with the ID token hint; the
    // refresh token is revoked once the session is cleared.
    let out = kinde.logout(Some(tokens)).await;
    assert_eq!(out.writes, vec![SessionWrite::Clear]);
    assert_eq!(
        out.revoke.as_ref(),
        TokenSet::from_json(tokens).ok().as_ref()
    );
    let to = Url::parse(out.reply.header("location").expect("Location")).unwrap();
    assert!(to.as_str().starts_with(&server.issuer()));
    assert!(query(&to).contains_key("id_token_hint"));
    // Tokens that do not parse are still signed out of, without a hint.
    let out = kinde.logout(Some("{not json")).await;
    assert_eq!(out.writes, vec![SessionWrite::Clear]);
    let to = Url::parse(out.reply.header("location").expect("Location")).unwrap();
    assert!(!query(&to).contains_key("id_token_hint"));
}

#[tokio::test]
async fn register_create_org_and_portal_plans() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let register = kinde.begin_login(Route::Register, None, None).await;
    let url = Url::parse(register.reply.header("location").unwrap()).unwrap();
    assert_eq!(query(&url)["prompt"], "create");
    let create = kinde
        .begin_login(Route::CreateOrg, Some("org_name=Acme"), None)
        .await;
    let url = Url::parse(create.reply.header("location").unwrap()).unwrap();
    assert_eq!(query(&url)["is_create_org"], "true");
    assert_eq!(query(&url)["org_name"], "Acme");

    // The portal needs a signed-in caller; it writes nothing.
    let anonymous = kinde.portal(None, &Caller::Anonymous).await;
    assert_eq!(anonymous.reply.status, 401);
    assert!(anonymous.writes.is_empty());
    let token = server.mint_access_token(&admin(&server), MintOptions::default());
    let caller = kinde.bearer_caller(&token).await.expect("a valid token");
    let portal = kinde
        .portal(Some("subnav=profile&returnTo=%2Fsettings"), &caller)
        .await;
    assert_eq!(portal.reply.status, 303, "{:?}", portal.reply);
    assert!(portal.writes.is_empty());
    let bad = kinde.portal(Some("subnav=nowhere"), &caller).await;
    assert_eq!(bad.reply.status, 400);

    // `run_route` dispatches; a store that failed to read is the 503 page, except on
    // `/logout`, which signs out without the stored tokens.
    let failed = || Err(kinde_core::KindeError::session_store(&"store down"));
    let input = |stored| RouteInput {
        query: None,
        stored,
        caller: None,
    };
    let plan = kinde.run_route(Route::Login, input(failed())).await;
    assert_eq!(plan.reply.status, 503);
    assert!(plan.writes.is_empty());
    let plan = kinde.run_route(Route::Logout, input(failed())).await;
    assert_eq!(plan.writes, vec![SessionWrite::Clear]);
    assert_eq!(plan.reply.status, 303);
    let plan = kinde.run_route(Route::Portal, input(Ok(None))).await;
    assert_eq!(plan.reply.status, 401, "no caller");
}

#[tokio::test]
async fn resolution_decides_between_the_bearer_token_and_the_session() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let token = server.mint_access_token(&admin(&server), MintOptions::default());
    let header = format!("Bearer {token}");
    let bearer = Some(header.as_bytes());
    let resolve = |source, header| kinde.resolve_request(source, header);

    assert!(matches!(
        resolve(TokenSource::Both, None).await,
        Ok(Resolution::NeedsSession)
    ));
    assert!(matches!(
        resolve(TokenSource::Bearer, None).await,
        Ok(Resolution::Resolved(Caller::Anonymous))
    ));
    // A session-only source ignores the header; the others verify it.
    assert!(matches!(
        resolve(TokenSource::Session, bearer).await,
        Ok(Resolution::NeedsSession)
    ));
    for source in [TokenSource::Both, TokenSource::Bearer] {
        match resolve(source, bearer).await {
            Ok(Resolution::Resolved(caller)) => {
                assert_eq!(caller.user().expect("user").id, ADMIN);
                assert_eq!(
                    caller.access_token().map(|t| t.secret()),
                    Some(token.as_str())
                );
            }
            other => panic!("expected a bearer caller, got {other:?}"),
        }
    }
    // A bad header is a 401, never a fall-back to the session.
    let err = resolve(TokenSource::Both, Some(b"Bearer not.a.token"))
        .await
        .expect_err("refused");
    assert_eq!(err.status(), 401);
}

/// A session kept in a map, whose store can be made to fail; it records the writes.
#[derive(Default)]
struct MapSession {
    values: RefCell<HashMap<String, String>>,
    writes: RefCell<Vec<&'static str>>,
    down: Cell<bool>,
}

impl MapSession {
    fn check(&self) -> Result<(), &'static str> {
        if self.down.get() {
            Err("store down")
        } else {
            Ok(())
        }
    }
}

impl SessionAccess for MapSession {
    type Error = &'static str;

    async fn read(&self, key: &str) -> Result<Option<String>, Self::Error> {
        self.check()?;
        Ok(self.values.borrow().get(key).cloned())
    }

    async fn set(&self, key: &str, value: String) -> Result<(), Self::Error> {
        self.check()?;
        self.writes.borrow_mut().push("set");
        self.values.borrow_mut().insert(key.to_string(), value);
        Ok(())
    }

    async fn remove(&self, key: &str) -> Result<(), Self::Error> {
        self.check()?;
        self.writes.borrow_mut().push("remove");
        self.values.borrow_mut().remove(key);
        Ok(())
    }

    async fn cycle_id(&self) -> Result<(), Self::Error> {
        self.check()?;
        self.writes.borrow_mut().push("cycle_id");
        Ok(())
    }

    async fn clear(&self) -> Result<(), Self::Error> {
        self.check()?;
        self.writes.borrow_mut().push("clear");
        self.values.borrow_mut().clear();
        Ok(())
    }
}

/// Serve `route` with `query` through `session`.
async fn serve(kinde: &Kinde, route: Route, query: Option<&str>, session: &MapSession) -> Reply {
    kinde.serve_route(route, query, None, Ok(session)).await
}

#[tokio::test]
async fn routes_served_end_to_end_through_a_session() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let session = MapSession::default();

    // Nobody yet.
    let caller = kinde.caller_from_session(&session).await.expect("resolved");
    assert!(!caller.is_signed_in());

    let login = serve(&kinde, Route::Login, Some("returnTo=%2Fdash"), &session).await;
    assert_eq!(login.status, 303);
    let callback = callback_query(&login).await;
    let landed = serve(&kinde, Route::Callback, Some(&callback), &session).await;
    assert_eq!(landed.header("location"), Some("/dash"));
    assert_eq!(
        *session.writes.borrow(),
        ["set", "remove", "cycle_id", "set"],
        "pending login kept, then consumed; a new id; the tokens"
    );
    let keys = kinde.session_keys();
    assert!(session.values.borrow().contains_key(&keys.tokens));
    assert!(!session.values.borrow().contains_key(&keys.pending));

    let caller = kinde.caller_from_session(&session).await.expect("resolved");
    assert_eq!(caller.user().expect("signed in").id, ADMIN);

    // The store down: the routes answer 503 and the caller is an error, not anonymous.
    session.down.set(true);
    assert_eq!(
        serve(&kinde, Route::Login, None, &session).await.status,
        503
    );
    let err = kinde
        .caller_from_session(&session)
        .await
        .expect_err("store down");
    assert_eq!(err.status(), 503);
    // A missing session layer: an error page on the routes that need a session.
    let no_layer: kinde_core::Result<&MapSession> =
        Err(kinde_core::KindeError::Config("no layer".into()));
    let missing = kinde.serve_route(Route::Login, None, None, no_layer).await;
    assert_eq!(missing.status, 500);
    assert!(
        !missing.body.contains("no layer"),
        "internals stay out of the page"
    );
    // A logout whose session cannot be cleared is a 503, and revokes nothing: the
    // session still holds its refresh token.
    assert_eq!(
        serve(&kinde, Route::Logout, None, &session).await.status,
        503
    );
    session.down.set(false);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.requests(Endpoint::Revoke), 0, "nothing revoked");

    let out = serve(&kinde, Route::Logout, None, &session).await;
    assert_eq!(out.status, 303);
    assert!(session.values.borrow().is_empty());
    // Cleared, then the refresh token revoked in the background.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while server.requests(Endpoint::Revoke) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the refresh token is revoked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let caller = kinde.caller_from_session(&session).await.expect("resolved");
    assert!(!caller.is_signed_in());
}

#[tokio::test]
async fn a_session_whose_stored_tokens_no_longer_verify_is_ended_and_removed() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let session = MapSession::default();
    session
        .values
        .borrow_mut()
        .insert(kinde.session_keys().tokens.clone(), "{not json".into());
    let caller = kinde.caller_from_session(&session).await.expect("resolved");
    assert!(
        !caller.is_signed_in(),
        "a value that does not parse is a clean sign-in"
    );
    assert_eq!(*session.writes.borrow(), ["remove"]);
    assert!(session.values.borrow().is_empty());
}
