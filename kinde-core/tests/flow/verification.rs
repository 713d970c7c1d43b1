//! Token verification: forged, tampered, misaddressed, expired and malformed tokens are
//! refused with the right reason; bearer headers are parsed strictly.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kinde_core::TokenRejection;
use kinde_core::testing::{Endpoint, MintOptions, TestKinde, TestSigner};
use serde_json::json;

use crate::support::{ADMIN, admin, assert_rejected, b64_json, client, client_with, rejection};

#[tokio::test]
async fn forged_and_invalid_tokens_are_rejected_with_the_right_reason() {
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = admin(&server);
    let kid = server.signing_key_kid();

    // Control: a genuine token verifies.
    let good = server.mint_access_token(&user, MintOptions::default());
    let claims = kinde.verify_access_token(&good).await.expect("valid token");
    assert_eq!(claims.subject(), Some(ADMIN));

    // Same claims, same kid, another key: only the signature is wrong.
    let forger = TestSigner::generate();
    let forged = forger.sign_with_kid(&server.access_claims(&user, &[]), &kid);
    assert_rejected(
        kinde.verify_access_token(&forged).await,
        TokenRejection::BadSignature,
    );
    // A key the issuer does not publish.
    let foreign = forger.sign(&server.access_claims(&user, &[]));
    assert_rejected(
        kinde.verify_access_token(&foreign).await,
        TokenRejection::UnknownKey,
    );

    // alg: none, with the server's kid and no signature.
    let none = format!(
        "{}.{}.",
        b64_json(&json!({"alg": "none", "typ": "JWT", "kid": kid})),
        b64_json(&server.access_claims(&user, &[]))
    );
    assert_rejected(
        kinde.verify_access_token(&none).await,
        TokenRejection::UnsupportedAlgorithm,
    );

    // HS256 keyed with the server's public key (algorithm confusion).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.clone());
    let hs = jsonwebtoken::encode(
        &header,
        &server.access_claims(&user, &[]),
        &EncodingKey::from_secret(&server.public_key_der()).expect("HMAC key"),
    )
    .expect("HS256 token");
    assert_rejected(
        kinde.verify_access_token(&hs).await,
        TokenRejection::UnsupportedAlgorithm,
    );

    // Signed by the server's key, but naming another issuer.
    let mut c = server.access_claims(&user, &[]);
    c["iss"] = json!("https://someone-else.kinde.com");
    assert_rejected(
        kinde.verify_access_token(&server.sign_claims(&c)).await,
        TokenRejection::WrongIssuer,
    );
    // Issuer with a trailing slash is not the same issuer.
    let mut c = server.access_claims(&user, &[]);
    c["iss"] = json!(format!("{}/", server.issuer()));
    assert_rejected(
        kinde.verify_access_token(&server.sign_claims(&c)).await,
        TokenRejection::WrongIssuer,
    );

    // Audience: a token for another API, to a client that asked for none…
    let other_api = server.mint_access_token(
        &user,
        MintOptions {
            audience: vec!["other-api".into()],
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_access_token(&other_api).await,
        TokenRejection::WrongAudience,
    );
    // …and a token for no API, to a client that requires one.
    let api = client_with(&server, |b| b.audience("my-api"));
    let no_aud = server.mint_access_token(&user, MintOptions::default());
    assert_rejected(
        api.verify_access_token(&no_aud).await,
        TokenRejection::WrongAudience,
    );
    assert_rejected(
        api.verify_access_token(&other_api).await,
        TokenRejection::WrongAudience,
    );
    let mine = server.mint_access_token(
        &user,
        MintOptions {
            audience: vec!["other-api".into(), "my-api".into()],
            ..MintOptions::default()
        },
    );
    api.verify_access_token(&mine)
        .await
        .expect("a token naming my-api");

    // Time: expired, and not yet valid (beyond the 30 s leeway).
    let expired = server.mint_access_token(
        &user,
        MintOptions {
            expired: true,
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_access_token(&expired).await,
        TokenRejection::Expired,
    );
    let future = server.mint_access_token(
        &user,
        MintOptions {
            not_before: Some(3600),
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_access_token(&future).await,
        TokenRejection::NotYetValid,
    );
    // No exp at all.
    let mut c = server.access_claims(&user, &[]);
    c.as_object_mut().expect("object").remove("exp");
    let (r, _) = rejection(kinde.verify_access_token(&server.sign_claims(&c)).await);
    assert!(matches!(r, TokenRejection::MissingClaim(_)), "{r:?}");

    // Not a JWT.
    assert_rejected(
        kinde.verify_access_token("not-a-token").await,
        TokenRejection::Malformed,
    );
    assert_rejected(
        kinde.verify_access_token("").await,
        TokenRejection::Malformed,
    );

    // ID tokens: nonce and audience.
    let id = server.mint_id_token(
        &user,
        MintOptions {
            nonce: Some("another-nonce".into()),
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_id_token(&id, Some("expected")).await,
        TokenRejection::WrongNonce,
    );
    kinde
        .verify_id_token(&id, Some("another-nonce"))
        .await
        .expect("matching nonce");
    let no_nonce = server.mint_id_token(&user, MintOptions::default());
    assert_rejected(
        kinde.verify_id_token(&no_nonce, Some("expected")).await,
        TokenRejection::WrongNonce,
    );
    let for_other_client = server.mint_id_token(
        &user,
        MintOptions {
            client_id: Some("another-client".into()),
            ..MintOptions::default()
        },
    );
    assert_rejected(
        kinde.verify_id_token(&for_other_client, None).await,
        TokenRejection::WrongAudience,
    );
    // An access token (aud []) is not an ID token for this client.
    assert_rejected(
        kinde.verify_id_token(&good, None).await,
        TokenRejection::WrongAudience,
    );

    // One JWKS fetch per client served all of that (the unknown kid did not refetch:
    // rate limited).
    assert_eq!(server.requests(Endpoint::Jwks), 2);
}

#[tokio::test]
async fn bearer_headers_are_parsed_strictly_and_a_seen_token_is_recognised_from_its_bytes() {
    use kinde_core::flow::Resolution;
    use kinde_core::web::{Caller, TokenSource};
    /// What `resolve_request` makes of a header for a bearer-only API.
    async fn bearer(
        kinde: &kinde_core::Kinde,
        header: Option<&[u8]>,
    ) -> kinde_core::Result<Option<Caller>> {
        match kinde.resolve_request(TokenSource::Bearer, header).await? {
            Resolution::Resolved(Caller::Anonymous) => Ok(None),
            Resolution::Resolved(caller) => Ok(Some(caller)),
            Resolution::NeedsSession => panic!("a bearer-only source never needs the session"),
        }
    }
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = admin(&server);
    let token = server.mint_access_token(&user, MintOptions::default());
    let subject = |id: Option<Caller>| {
        id.and_then(|i| i.user())
            .map(|u| u.id.clone())
            .expect("a bearer identity")
    };

    assert!(bearer(&kinde, None).await.unwrap().is_none());
    // First sight verifies in full, later ones are served from the cache: same answer,
    // and the scheme is case-insensitive, surrounding blanks ignored.
    for header in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("  BEARER   {token} "),
    ] {
        let id = bearer(&kinde, Some(header.as_bytes())).await;
        assert_eq!(subject(id.expect("valid token")), ADMIN);
    }

    // The same (cached) token with a byte changed, a space, a tab or a non-ASCII byte
    // inside, or under another scheme: rejected, never a cache hit.
    let mut flipped = token.clone().into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let flipped = String::from_utf8(flipped).unwrap();
    let spaced = format!("{} {}", &token[..middle], &token[middle..]);
    let tabbed = format!("{}\t{}", &token[..middle], &token[middle..]);
    let accented = format!("{}é{}", &token[..middle], &token[middle + 1..]);
    let (_, error) = rejection(bearer(&kinde, Some(format!("Bearer {flipped}").as_bytes())).await);
    assert_eq!(error.status(), 401);
    for header in [
        format!("Bearer {spaced}"),
        format!("Bearer {tabbed}"),
        format!("Bearer {accented}"),
        format!("Basic {token}"),
        format!("Bearer{token}"),
        "Bearer".to_string(),
        "Bearer    ".to_string(),
    ] {
        let result = bearer(&kinde, Some(header.as_bytes())).await;
        let (reason, _) = rejection(result);
        assert_eq!(reason, TokenRejection::Malformed, "{header:.20}…");
    }
    // Raw bytes that are not UTF-8 at all.
    let mut raw = format!("Bearer {token}").into_bytes();
    raw.push(0xff);
    let (reason, _) = rejection(bearer(&kinde, Some(&raw)).await);
    assert_eq!(reason, TokenRejection::Malformed);
    // The keys were fetched once, for the genuine token.
    assert_eq!(server.requests(Endpoint::Jwks), 1);
}

#[tokio::test]
async fn header_extensions_and_key_pointers_are_never_trusted() {
    use kinde_core::flow::Resolution;
    use kinde_core::web::TokenSource;
    let server = TestKinde::start();
    let kinde = client(&server);
    let user = admin(&server);
    let header = |v: serde_json::Value| v.as_object().expect("an object").clone();

    // Signed by the issuer's real key, but requiring an extension nobody implements
    // (RFC 7515 §4.1.11): refused, through the API and as a bearer token, and still
    // refused the second time (it never entered the verified-token cache).
    let crit = server.sign_claims_with_header(
        &server.access_claims(&user, &[]),
        &header(json!({"crit": ["exp-ext"], "exp-ext": 1})),
    );
    for _ in 0..2 {
        assert_rejected(
            kinde.verify_access_token(&crit).await,
            TokenRejection::UnsupportedCritical,
        );
        let bearer = format!("Bearer {crit}");
        let resolved = kinde
            .resolve_request(TokenSource::Bearer, Some(bearer.as_bytes()))
            .await;
        let resolved = resolved.map(|r| matches!(r, Resolution::Resolved(_)));
        assert_rejected(resolved, TokenRejection::UnsupportedCritical);
    }
    // An empty `crit` is itself forbidden by §4.1.11.
    let empty = server.sign_claims_with_header(
        &server.access_claims(&user, &[]),
        &header(json!({"crit": []})),
    );
    assert_rejected(
        kinde.verify_access_token(&empty).await,
        TokenRejection::UnsupportedCritical,
    );

    // The same claims and key with a harmless extra header field: accepted, so it is
    // `crit` that made the difference.
    let extra = server.sign_claims_with_header(
        &server.access_claims(&user, &[]),
        &header(json!({"exp-ext": 1})),
    );
    let claims = kinde.verify_access_token(&extra).await.expect("no crit");
    assert_eq!(claims.subject(), Some(ADMIN));

    // `typ`: another kind of token of the same issuer is not an access or ID token.
    for typ in ["logout+jwt", "secevent+jwt"] {
        let other = server.sign_claims_with_header(
            &server.access_claims(&user, &[]),
            &header(json!({ "typ": typ })),
        );
        assert_rejected(
            kinde.verify_access_token(&other).await,
            TokenRejection::WrongType,
        );
    }
    let at_jwt = server.sign_claims_with_header(
        &server.access_claims(&user, &[]),
        &header(json!({"typ": "at+jwt"})),
    );
    kinde
        .verify_access_token(&at_jwt)
        .await
        .expect("RFC 9068 typ");

    // A forger's key offered in the token itself (`jwk`), or by URL (`jku`, `x5u`,
    // pointing at an endpoint of the server that counts its requests): never used,
    // never fetched. With the issuer's kid the signature fails; with the forger's, the
    // key is unknown.
    let forger = TestSigner::generate();
    let profile_url = server.url("/oauth2/v2/user_profile");
    let pointers = json!({"jwk": forger.jwk(), "jku": profile_url, "x5u": profile_url});
    let mut as_issuer = header(pointers.clone());
    as_issuer.insert("kid".into(), json!(server.signing_key_kid()));
    let forged = forger.sign_with_header(&server.access_claims(&user, &[]), &as_issuer);
    assert_rejected(
        kinde.verify_access_token(&forged).await,
        TokenRejection::BadSignature,
    );
    let own_key = forger.sign_with_header(&server.access_claims(&user, &[]), &header(pointers));
    assert_rejected(
        kinde.verify_access_token(&own_key).await,
        TokenRejection::UnknownKey,
    );
    assert_eq!(server.requests(Endpoint::UserProfile), 0);
}
