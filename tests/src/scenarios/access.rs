//! What a signed-in user gets: `/me`, and 403 without the permission or role.

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
