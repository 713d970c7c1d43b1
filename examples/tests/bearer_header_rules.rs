//! `axum-api` over real HTTP, as a client of the API would call it: a bearer token
//! signed by the issuer's own key is still refused when its header requires an
//! extension (`crit`) or says it is another kind of token (`typ`).

use kinde_axum::KindeAuth;
use kinde_core::Kinde;
use kinde_core::testing::{MintOptions, TestKinde};
use kinde_examples::axum_api;
use serde_json::{Value, json};

#[tokio::test]
async fn the_api_refuses_a_genuinely_signed_token_whose_header_it_must_not_accept() {
    let server = TestKinde::start();
    let kinde = Kinde::new(server.config_builder().build().expect("config")).expect("client");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let api = format!("http://{}/api/me", listener.local_addr().expect("address"));
    tokio::spawn(
        async move { axum::serve(listener, axum_api::router(KindeAuth::new(kinde))).await },
    );
    let http = reqwest::Client::new();
    let status = |token: String| {
        let request = http.get(&api).bearer_auth(token).send();
        async move { request.await.expect("the API answers").status().as_u16() }
    };

    let user = server.users()[0].clone();
    let good = server.mint_access_token(&user, MintOptions::default());
    assert_eq!(status(good).await, 200);

    let claims = server.access_claims(&user, &[]);
    let header = |v: Value| v.as_object().expect("an object").clone();
    let crit = server.sign_claims_with_header(
        &claims,
        &header(json!({"crit": ["exp-ext"], "exp-ext": true})),
    );
    // Twice: a refused token is never remembered as verified.
    assert_eq!(status(crit.clone()).await, 401);
    assert_eq!(status(crit).await, 401);
    let logout_token =
        server.sign_claims_with_header(&claims, &header(json!({"typ": "logout+jwt"})));
    assert_eq!(status(logout_token).await, 401);
    // The same claims and key with an ordinary header field: accepted.
    let plain = server.sign_claims_with_header(&claims, &header(json!({"exp-ext": true})));
    assert_eq!(status(plain).await, 200);
}
