//! The Account API: pagination and response shapes, refused tokens, and portal links.

use std::collections::HashMap;

use jsonwebtoken::Algorithm;
use kinde_core::testing::{MintOptions, TestEntitlement, TestKinde, TestSigner, TestUser};
use serde_json::{Value, json};
use url::Url;

use crate::support::{
    get, get_bearer, get_bearer_json, get_bearer_query, get_query, http, login_tokens, query_map,
};

fn paged_user() -> TestUser {
    TestUser::new("kp_paged", "paged@example.com")
        .name("Page", "Turner")
        .org("org_p", "Paged Org")
        .permission("a:1")
        .permission("b:2")
        .permission("c:3")
        .role("r1", "Role one")
        .role("r2", "Role two")
        .bool_flag("flag_b", false)
        .string_flag("flag_s", "")
        .int_flag("flag_i", 0)
        .json_flag("flag_j", "j", json!({"x": 1}))
        .property("kp_usr_city", "Paris")
        .property("kp_usr_team", "Blue")
        .plan("pro", "2024-01-01T00:00:00Z")
        .entitlement(TestEntitlement::new("seats", "Seats").limits(Some(1), Some(10)))
        .entitlement(TestEntitlement::new("storage", "Storage"))
}

async fn get_all_pages(
    kinde: &TestKinde,
    c: &reqwest::Client,
    token: &str,
    path: &str,
    field: &str,
) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("page_size", "1")];
        if let Some(cur) = &cursor {
            query.push(("starting_after", cur.as_str()));
        }
        let body: Value = get_bearer_query(c, &kinde.url(path), token, &query)
            .await
            .json()
            .await
            .unwrap();
        pages += 1;
        items.extend(body["data"][field].as_array().unwrap().iter().cloned());
        if body["metadata"]["has_more"] != true {
            break;
        }
        cursor = Some(
            body["metadata"]["next_page_starting_after"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        assert!(pages < 20, "runaway pagination");
    }
    (items, pages)
}

#[tokio::test]
async fn account_api_pagination_and_shapes() {
    let kinde = TestKinde::builder().user(paged_user()).start();
    let c = http();
    let tokens = login_tokens(&kinde, &c, &[]).await;
    let token = tokens["access_token"].as_str().unwrap();

    let (perms, pages) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/permissions",
        "permissions",
    )
    .await;
    assert_eq!(pages, 3);
    let keys: Vec<&str> = perms.iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["a:1", "b:2", "c:3"]);
    assert!(
        perms
            .iter()
            .all(|p| p["id"].is_string() && p["name"].is_string())
    );

    let (roles, _) = get_all_pages(&kinde, &c, token, "/account_api/v1/roles", "roles").await;
    assert_eq!(
        roles[1],
        json!({"id": "role_r2", "name": "Role two", "key": "r2"})
    );

    let (flags, pages) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/feature_flags",
        "feature_flags",
    )
    .await;
    assert_eq!(pages, 4);
    let by_key: HashMap<&str, &Value> = flags
        .iter()
        .map(|f| (f["key"].as_str().unwrap(), f))
        .collect();
    assert_eq!(by_key["flag_b"]["type"], "boolean");
    assert_eq!(by_key["flag_b"]["value"], false);
    assert_eq!(by_key["flag_s"]["type"], "string");
    assert_eq!(by_key["flag_i"]["type"], "integer");
    assert_eq!(by_key["flag_i"]["value"], 0);
    assert_eq!(by_key["flag_j"]["type"], "json");
    assert_eq!(by_key["flag_j"]["value"], json!({"x": 1}));

    let (props, _) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/properties",
        "properties",
    )
    .await;
    assert_eq!(props.len(), 2);
    assert_eq!(props[0]["key"], "kp_usr_city");
    assert_eq!(props[0]["value"], "Paris");

    let (ents, pages) = get_all_pages(
        &kinde,
        &c,
        token,
        "/account_api/v1/entitlements",
        "entitlements",
    )
    .await;
    assert_eq!(pages, 2);
    assert_eq!(ents[0]["feature_key"], "seats");
    assert_eq!(ents[0]["entitlement_limit_max"], 10);
    for k in [
        "id",
        "fixed_charge",
        "price_name",
        "unit_amount",
        "feature_key",
        "feature_name",
        "entitlement_limit_max",
        "entitlement_limit_min",
    ] {
        assert!(ents[1].get(k).is_some(), "entitlement lacks {k}");
    }

    // A full page at the default size, with org_code and plans.
    let body = get_bearer_json(&c, &kinde.url("/account_api/v1/entitlements"), token).await;
    assert_eq!(body["data"]["org_code"], "org_p");
    assert_eq!(
        body["data"]["plans"],
        json!([{"key": "pro", "subscribed_on": "2024-01-01T00:00:00Z"}])
    );
    assert_eq!(body["metadata"]["has_more"], false);

    let body = get_bearer_json(&c, &kinde.url("/account_api/v1/entitlement/storage"), token).await;
    assert_eq!(body["data"]["org_code"], "org_p");
    assert_eq!(body["data"]["entitlement"]["feature_name"], "Storage");
    assert_eq!(body["metadata"], json!({}));
    let resp = get_bearer(&c, &kinde.url("/account_api/v1/entitlement/nope"), token).await;
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<Value>().await.is_ok());

    // Bad paging parameters.
    for q in [
        ("page_size", "0"),
        ("page_size", "x"),
        ("starting_after", "unknown"),
    ] {
        let resp =
            get_bearer_query(&c, &kinde.url("/account_api/v1/permissions"), token, &[q]).await;
        assert_eq!(resp.status(), 400, "{q:?}");
    }

    // Stuck cursor: same cursor forever.
    kinde.set_account_api_stuck_cursor(true);
    let mut cursors = Vec::new();
    let mut cursor = String::new();
    for _ in 0..3 {
        let body: Value = get_bearer_query(
            &c,
            &kinde.url("/account_api/v1/permissions"),
            token,
            &[("page_size", "1"), ("starting_after", cursor.as_str())],
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(body["metadata"]["has_more"], true);
        cursor = body["metadata"]["next_page_starting_after"]
            .as_str()
            .unwrap()
            .to_string();
        cursors.push(cursor.clone());
    }
    assert!(cursors.windows(2).all(|w| w[0] == w[1]), "{cursors:?}");
    kinde.set_account_api_stuck_cursor(false);
}

#[tokio::test]
async fn account_api_rejects_bad_tokens() {
    let kinde = TestKinde::start();
    let c = http();
    let admin = kinde.users()[0].clone();
    let forger = TestSigner::generate();
    let claims = kinde.access_claims(&admin, &[]);
    let bad_tokens = vec![
        String::new(),
        "not.a.jwt".to_string(),
        forger.sign(&claims),
        forger.sign_with_kid(&claims, &kinde.signing_key_kid()),
        kinde.sign_claims_with_kid(&claims, "unknown-kid"),
        kinde.mint_access_token(
            &admin,
            MintOptions {
                expired: true,
                ..MintOptions::default()
            },
        ),
        kinde.mint_access_token(
            &admin,
            MintOptions {
                not_before: Some(600),
                ..MintOptions::default()
            },
        ),
        kinde.sign_claims(&json!({
            "sub": "kp_demo_admin",
            "iss": "https://evil.example.com",
            "exp": 4_102_444_800u64,
        })),
        hs256_with_public_key(&kinde, &claims),
    ];
    for (i, token) in bad_tokens.iter().enumerate() {
        let url = kinde.url("/account_api/v1/permissions");
        let resp = if token.is_empty() {
            get(&c, &url).await
        } else {
            get_bearer(&c, &url, token).await
        };
        assert_eq!(resp.status(), 401, "token #{i} accepted");
        assert!(resp.headers().contains_key("www-authenticate"));
        assert!(resp.json::<Value>().await.is_ok());
    }
    // A properly minted one works, with the minted org.
    let ok = kinde.mint_access_token(&admin, MintOptions::default());
    let body = get_bearer_json(&c, &kinde.url("/account_api/v1/permissions"), &ok).await;
    assert_eq!(body["data"]["org_code"], "org_demo");
    assert_eq!(body["data"]["permissions"].as_array().unwrap().len(), 2);
}

fn hs256_with_public_key(kinde: &TestKinde, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.kid = Some(kinde.signing_key_kid());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(&kinde.public_key_der()).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn portal_link_validation() {
    let kinde = TestKinde::start();
    let c = http();
    let token = kinde.mint_access_token(&kinde.users()[0], MintOptions::default());
    let portal_link = kinde.url("/account_api/v1/portal_link");
    let resp = get_bearer_query(
        &c,
        &portal_link,
        &token,
        &[
            ("return_url", "http://localhost:3000/account"),
            ("subnav", "organization_members"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let url = Url::parse(body["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/portal");
    assert!(url.as_str().starts_with(&kinde.issuer()));
    let q = query_map(&url);
    assert_eq!(q["subnav"], "organization_members");
    assert_eq!(q["return_url"], "http://localhost:3000/account");
    let page = get(&c, url.as_str()).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("http://localhost:3000/account")
    );

    let resp = get_bearer_query(
        &c,
        &portal_link,
        &token,
        &[("return_url", "https://app.example.com/")],
    )
    .await;
    assert_eq!(resp.status(), 200);

    for bad in [
        vec![],
        vec![("return_url", "/relative")],
        vec![("return_url", "javascript:alert(1)")],
        vec![("return_url", "http://localhost/"), ("subnav", "admin")],
        vec![("return_url", "http://localhost/"), ("sub_nav", "profile")],
    ] {
        let resp = get_bearer_query(&c, &portal_link, &token, &bad).await;
        assert_eq!(resp.status(), 400, "{bad:?}");
    }
    let resp = get_query(&c, &portal_link, &[("return_url", "http://localhost/")]).await;
    assert_eq!(resp.status(), 401);
}
