//! What a signed-in user gets: `/me`, 403 without the permission or role (the example
//! app's routes, and the guards of the starter's [`TestApp`]), and rejections rendered
//! by the app.

use super::*;

/// `/me` JSON for users with and without permissions, roles and flags.
pub async fn me_contents(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let b = ctx.browser();
    b.sign_in(None, ADA).await;
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(
        me,
        json!({
            "id": "kp_demo_admin",
            "email": ADA,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "org_code": "org_demo",
            "permissions": ["read:todos", "write:todos"],
            "roles": ["admin"],
            "feature_flags": {
                "dark_mode": true,
                "theme": "ocean",
                "todo_limit": 100,
                "onboarding": {"steps": ["welcome", "import"], "skippable": true}
            }
        })
    );

    let b = ctx.browser();
    b.sign_in(None, GRACE).await;
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(me["id"], "kp_demo_reader");
    assert_eq!(me["permissions"], json!(["read:todos"]));
    assert_eq!(me["roles"], json!(["member"]));
    assert_eq!(
        me["feature_flags"],
        json!({"dark_mode": false, "todo_limit": 10})
    );

    let b = ctx.browser();
    b.sign_in(None, ALAN).await;
    let me = ok_json(b.get_json("/me").await).await;
    assert_eq!(me["id"], "kp_demo_basic");
    assert_eq!(me["given_name"], "Alan");
    assert_eq!(me["family_name"], "Turing");
    assert_eq!(me["permissions"], json!([]));
    assert_eq!(me["roles"], json!([]));
    assert_eq!(me["feature_flags"], json!({}));
}

/// Signed in without the permission or role → 403 (page or JSON), never a login
/// redirect; with it → 200/201.
pub async fn missing_permission_or_role_is_403(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Browser);
    let internals = ctx.internals();

    let grace = ctx.browser();
    grace.sign_in(None, GRACE).await;
    assert_eq!(
        ok_json(grace.get("/todos").await).await,
        json!({"todos": []})
    );
    let r = grace
        .post_json("/todos", &json!({"title": "nope"}), None)
        .await;
    assert_clean_error(r, 403, &internals).await;
    let r = grace.get("/admin").await;
    assert!(
        header_str(&r, header::CONTENT_TYPE).starts_with("text/html"),
        "a page request gets a page"
    );
    assert_clean_error(r, 403, &internals).await;
    let r = grace.get_json("/admin").await;
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "forbidden");

    let alan = ctx.browser();
    alan.sign_in(None, ALAN).await;
    assert_clean_error(alan.get("/todos").await, 403, &internals).await;
    assert_clean_error(alan.get("/admin").await, 403, &internals).await;

    let ada = ctx.browser();
    ada.sign_in(None, ADA).await;
    let r = ada
        .post_json("/todos", &json!({"title": "Write the e2e suite"}), None)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        body_json(r).await,
        json!({"todos": ["Write the e2e suite"]})
    );
    assert_eq!(
        ok_json(ada.get("/todos").await).await,
        json!({"todos": ["Write the e2e suite"]})
    );
    let r = ada.post_json("/todos", &json!({}), None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let admin = ok_text(ada.get("/admin").await).await;
    assert!(admin.contains("Hello admin Ada Lovelace."), "{admin}");
    // To-dos are per user.
    assert_eq!(
        ok_json(grace.get("/todos").await).await,
        json!({"todos": []})
    );
}

/// The guards of the starter's [`TestApp`], as extractors (`/ext/…`) and on a group of
/// routes (`/group/…`: axum route layers, actix scope middleware): without a session a
/// browser is sent to the login (back to the full path) and an API client gets 401;
/// signed in without the permission or role, 403 (never a login loop); with it, 200.
pub async fn guards_as_extractors_and_on_groups_of_routes(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Test(TestApp::default()));
    let tk = &ctx.kinde;
    let b = ctx.browser();
    let guarded = [
        ("/ext/write", "write ok"),
        ("/ext/admin", "admin ok"),
        ("/group/write/x", "write ok"),
        ("/group/admin/x", "admin ok"),
    ];

    for (path, _) in guarded {
        let r = b.get(path).await;
        let expected = format!(
            "/login?returnTo={}",
            url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
        );
        assert_eq!(assert_redirect(&r), expected);
        let r = b.get_json(path).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
        for who in [GRACE, ALAN] {
            let r = b.get_bearer(path, &token_for(tk, who)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} as {who}");
        }
        let (status, body) = status_body(b.get_bearer(path, &token_for(tk, ADA)).await).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.ends_with(" ok"), "{body}");
    }

    // With a browser session: 403 pages for Grace (no login loop), 200 for Ada.
    let grace = ctx.browser();
    grace.sign_in(None, GRACE).await;
    for (path, _) in guarded {
        assert_eq!(
            grace.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let ada = ctx.browser();
    ada.sign_in(None, ADA).await;
    for (path, want) in guarded {
        let (status, body) = status_body(ada.get(path).await).await;
        assert_eq!((status, body.as_str()), (200, want), "{path}");
    }
}

/// A renderer set with `render_rejections_with` renders every rejection (503, 401,
/// 403; extractors and guards); a handler that takes the rejection as a `Result` can
/// still render it the default way.
pub async fn custom_rejection_rendering(start: StartApp) {
    let tk = TestKinde::start();
    tk.set_jwks_available(false);
    let app = TestApp {
        custom_rejections: true,
        ..TestApp::default()
    };
    let ctx = Ctx::start_with(start, AppKind::Test(app), tk, |c| {
        c.jwks_min_refetch_interval(Duration::from_millis(100))
    });
    let tk = &ctx.kinde;
    let b = ctx.browser();
    let ada = token_for(tk, ADA);
    let custom = |r: &reqwest::Response| header_str(r, "x-custom-rejection".parse().unwrap());

    // 503 (keys unavailable).
    let r = b.get_bearer("/me", &ada).await;
    assert_eq!(custom(&r), "1");
    assert_eq!(status_body(r).await, (503, "custom 503 api=true".into()));
    let r = b.get_bearer("/me-default", &ada).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(custom(&r), "");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");

    // 401 (nobody signed in, API request).
    let r = b.get_json("/me").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "");
    assert_eq!(status_body(r).await, (401, "custom 401 api=true".into()));
    let r = b.get_json("/me-default").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert!(header_str(&r, header::CONTENT_TYPE).starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string() && body["message"].is_string());

    // 403 (Grace is no admin), once the keys are back.
    tk.set_jwks_available(true);
    let grace = token_for(tk, GRACE);
    let mut status = 0;
    for _ in 0..100 {
        let r = b.get_bearer("/admin", &grace).await;
        status = r.status().as_u16();
        if status != 503 {
            assert_eq!(
                status_body(r).await,
                (403, "custom 403 api=true".into()),
                "custom 403"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 403, "keys never came back");
    let r = b.get_bearer("/admin-default", &grace).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    let (status, body) = status_body(b.get_bearer("/admin", &ada).await).await;
    assert_eq!((status, body.as_str()), (200, "admin"));
}
