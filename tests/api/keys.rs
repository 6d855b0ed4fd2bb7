//! JWT access tokens: JWKS, independent verification, pinned algorithm, key rotation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mcp_oauth::tokens::{VerifyError, jwt, keys};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, spawn_app};
use crate::on_both_engines;

fn header_of(token: &str) -> serde_json::Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn metadata_advertises_every_endpoint_under_one_issuer(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let meta: serde_json::Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = app.settings.issuer();
    assert_eq!(meta["issuer"], issuer);
    for (key, path) in [
        ("token_endpoint", "/oauth/token"),
        ("authorization_endpoint", "/oauth/authorize"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
        ("registration_endpoint", "/oauth/register"),
        ("jwks_uri", "/.well-known/jwks.json"),
    ] {
        assert_eq!(meta[key], format!("{issuer}{path}"), "{key}");
    }
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256", "plain"])
    );
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    assert_eq!(meta["scopes_supported"].as_array().unwrap().len(), 5);
    assert_eq!(
        meta["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token", "client_credentials"])
    );
}
on_both_engines!(metadata_advertises_every_endpoint_under_one_issuer);

async fn issued_tokens_verify_independently_against_the_jwks(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let header = header_of(&token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let set: JwkSet = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = set
        .find(header["kid"].as_str().unwrap())
        .expect("kid published");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[app.settings.mcp_resource()]);
    validation.set_issuer(&[app.settings.issuer()]);
    let data = jsonwebtoken::decode::<serde_json::Value>(
        &token,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap();
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "client_id",
        "scope",
    ] {
        assert!(!data.claims[claim].is_null(), "missing {claim}");
    }
    assert_eq!(data.claims["sub"], CLAUDE.0);
}
on_both_engines!(issued_tokens_verify_independently_against_the_jwks);

async fn verification_rejects_none_hs256_confusion_unknown_kids_and_wrong_audience(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let (iss, aud) = (
        app.settings.issuer().to_string(),
        app.settings.mcp_resource(),
    );
    assert!(jwt::verify(&app.auth.keys, &token, &iss, &aud).is_ok());
    let payload = token.split('.').nth(1).unwrap();
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#)
    );
    // `none` is not even a parsable algorithm for the pinned verifier.
    assert_eq!(
        jwt::verify(&app.auth.keys, &none, &iss, &aud),
        Err(VerifyError::Malformed)
    );
    // HS256 keyed with the public JWK text: the classic algorithm-confusion forgery.
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let jwks = app.auth.keys.jwks().to_string();
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    header.kid = header_of(&token)["kid"].as_str().map(String::from);
    let forged =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(jwks.as_bytes())).unwrap();
    assert_eq!(
        jwt::verify(&app.auth.keys, &forged, &iss, &aud),
        Err(VerifyError::WrongAlgorithmOrType)
    );
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    let mut h = header_of(&token);
    h["kid"] = "unknown-kid".into();
    parts[0] = URL_SAFE_NO_PAD.encode(h.to_string());
    assert_eq!(
        jwt::verify(&app.auth.keys, &parts.join("."), &iss, &aud),
        Err(VerifyError::UnknownKey)
    );
    assert_eq!(
        jwt::verify(&app.auth.keys, &token, &iss, "https://other.example/mcp"),
        Err(VerifyError::WrongAudience)
    );
    assert_eq!(
        jwt::verify(&app.auth.keys, &token, "https://other.example", &aud),
        Err(VerifyError::WrongIssuer)
    );
}
on_both_engines!(verification_rejects_none_hs256_confusion_unknown_kids_and_wrong_audience);

async fn rotation_publishes_the_new_key_and_old_tokens_stay_valid(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let old_token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let old_kid = header_of(&old_token)["kid"].as_str().unwrap().to_string();
    let pending = keys::prepublish(&app.store).await.unwrap();
    app.auth.keys.reload(&app.store).await.unwrap();
    let set: JwkSet = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        set.find(&pending).is_some(),
        "pre-published before it signs"
    );
    assert_eq!(
        header_of(
            &app.client_credentials_token(CLAUDE, Some("mcp:tools"))
                .await
        )["kid"],
        old_kid.as_str(),
        "still signing with the old key"
    );

    let new_kid = keys::rotate(&app.store, 3600).await.unwrap();
    assert_eq!(new_kid, pending, "rotation activates the pre-published key");
    app.auth.keys.reload(&app.store).await.unwrap();
    let new_token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    assert_eq!(header_of(&new_token)["kid"], new_kid.as_str());
    let set: JwkSet = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(set.find(&old_kid).is_some() && set.find(&new_kid).is_some());
    for token in [&old_token, &new_token] {
        let (_, info) = app
            .post_form(
                "/oauth/introspect",
                &[
                    ("token", token),
                    ("client_id", CLAUDE.0),
                    ("client_secret", CLAUDE.1),
                ],
            )
            .await;
        assert_eq!(info["active"], true);
    }
}
on_both_engines!(rotation_publishes_the_new_key_and_old_tokens_stay_valid);

async fn an_issuer_with_a_path_is_also_discovered_at_the_suffixed_location(engine: Engine) {
    let app = crate::helpers::spawn_app_with(engine, |s| {
        s.server.public_url = "http://localhost:5000/auth".into();
    })
    .await
    .unwrap();
    let response = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server/auth"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let meta: serde_json::Value = response.json().await.unwrap();
    assert_eq!(meta["issuer"], "http://localhost:5000/auth");
}
on_both_engines!(an_issuer_with_a_path_is_also_discovered_at_the_suffixed_location);
