//! Organisations: the user's list, and moving between them with `/switch-org`.

use super::*;

/// Ada belongs to two organisations. Signed in, `CurrentOrganization` names the first
/// and her list (`KindeUser::organizations`) both; `/switch-org?org_code=…` is a new
/// authorization request at Kinde (`prompt=none` and that `org_code`), and once Kinde
/// comes back `CurrentOrganization` names the other one, she is still Ada, and
/// `returnTo` is honoured. A missing or malformed `org_code` is a 400 (nothing sent to
/// Kinde); nobody signed in: a browser is sent to sign in first (back to the switch),
/// an API request gets 401.
pub async fn switch_organization(start: StartApp) {
    let ctx = Ctx::start(start, AppKind::Test(TestApp::default()));
    let tk = &ctx.kinde;
    let b = ctx.browser();
    let internals = ctx.internals();

    let r = b.get("/switch-org?org_code=org_demo_labs").await;
    assert_eq!(
        assert_redirect(&r),
        "/login?returnTo=%2Fswitch-org%3Forg_code%3Dorg_demo_labs"
    );
    let r = b.get_json("/switch-org?org_code=org_demo_labs").await;
    assert_eq!(header_str(&r, header::WWW_AUTHENTICATE), "Bearer");
    assert_clean_error(r, 401, &internals).await;

    let s = b.sign_in_via(&login_as("/login", ADA, Some("/org"))).await;
    assert_eq!(s.landed, "/org");
    let both = json!(["org_demo", "org_demo_labs"]);
    let v = ok_json(b.get_json("/org").await).await;
    assert_eq!(
        v,
        json!({"code": "org_demo", "name": "Demo Org", "all": both})
    );

    for bad in [
        "/switch-org",
        "/switch-org?org_code=",
        "/switch-org?org_code=org%20demo",
        "/switch-org?org_code=%3Cscript%3E",
        "/switch-org?org_code=org_demo_labs%0d%0aSet-Cookie:x=1",
    ] {
        assert_clean_error(b.get(bad).await, 400, &internals).await;
    }
    assert_eq!(tk.authorize_requests().len(), 1, "nothing sent to Kinde");

    let s = b
        .sign_in_via("/switch-org?org_code=org_demo_labs&returnTo=%2Forg")
        .await;
    let q = query_map(&s.authorize_url);
    assert_eq!(q["prompt"], "none");
    assert_eq!(q["org_code"], "org_demo_labs");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(s.landed, "/org");
    let v = ok_json(b.get_json("/org").await).await;
    assert_eq!(
        v,
        json!({"code": "org_demo_labs", "name": "Demo Labs", "all": both})
    );
    assert_eq!(
        ok_json(b.get_json("/me").await).await["id"],
        "kp_demo_admin"
    );

    // And back, landing on the post-login URL without a returnTo (or with one that
    // could leave the site).
    let s = b
        .sign_in_via("/switch-org?org_code=org_demo&returnTo=%2F%2Fevil.example")
        .await;
    assert_eq!(s.landed, "/");
    assert_eq!(ok_json(b.get_json("/org").await).await["code"], "org_demo");
}
