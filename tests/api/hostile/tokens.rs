//! Unusable access tokens: forged, confused algorithms, foreign or unknown keys, other
//! audiences and issuers, out of their lifetime, tampered with, revoked.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_oauth::tokens::keys;
use serde_json::{Value, json};

use crate::helpers::{CLAUDE, TestApp};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn header(alg: Algorithm, typ: &str, kid: Option<&str>) -> Header {
    let mut header = Header::new(alg);
    header.typ = Some(typ.into());
    header.kid = kid.map(str::to_string);
    header
}

fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("signs")
}

/// Hostile `Authorization` values (name, value, whether it carries a token) and hostile
/// token strings for the introspection and revocation forms, derived from `valid`.
#[allow(clippy::type_complexity)]
pub async fn hostile(
    app: &TestApp,
    valid: &str,
) -> (
    Vec<(&'static str, Option<Vec<u8>>, bool)>,
    Vec<(&'static str, String)>,
) {
    let parts: Vec<&str> = valid.split('.').collect();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let (kid, ours) = app.auth.keys.signing_key().expect("an active key");
    let now = mcp_oauth::storage::unix_now();
    let with = |changes: Value| {
        let mut claims = claims.clone();
        for (key, value) in changes.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    };
    let at = |alg, kid: Option<&str>| header(alg, "at+jwt", kid);
    let foreign_record = keys::generate_key(now, true).unwrap();
    let foreign = EncodingKey::from_ec_der(&STANDARD.decode(&foreign_record.private_key).unwrap());
    let foreign_jwk: Value = serde_json::from_str(&foreign_record.public_jwk).unwrap();
    // Algorithm confusion: HMAC keyed with what the JWKS publishes.
    let jwks = app.auth.keys.jwks();
    let published = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();
    let mut point = vec![4u8];
    for coordinate in ["x", "y"] {
        point.extend(
            URL_SAFE_NO_PAD
                .decode(published[coordinate].as_str().unwrap())
                .unwrap(),
        );
    }
    let mut embedded = at(Algorithm::ES256, Some(foreign_record.kid.as_str()));
    embedded.jwk = Some(serde_json::from_value(foreign_jwk).unwrap());
    let mut flipped = parts[2].as_bytes().to_vec();
    flipped[20] = if flipped[20] == b'A' { b'B' } else { b'A' };
    let every_scope =
        with(json!({ "scope": "mcp:tools mcp:resources mcp:prompts system:read system:monitor" }));
    let revoked = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &revoked),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200);

    let tokens: Vec<(&'static str, String)> = vec![
        ("garbage", "not-a-jwt".into()),
        ("three empty parts", "..".into()),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
                parts[1]
            ),
        ),
        (
            "alg NONE with the real signature",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "NONE", "typ": "at+jwt", "kid": kid})),
                parts[1],
                parts[2]
            ),
        ),
        (
            "HS256 keyed with the JWKS text",
            sign(
                &at(Algorithm::HS256, Some(&kid)),
                &claims,
                &EncodingKey::from_secret(jwks.to_string().as_bytes()),
            ),
        ),
        (
            "HS256 keyed with the JWK",
            sign(
                &at(Algorithm::HS256, Some(&kid)),
                &claims,
                &EncodingKey::from_secret(published.to_string().as_bytes()),
            ),
        ),
        (
            "HS256 keyed with the public point",
            sign(
                &at(Algorithm::HS256, Some(&kid)),
                &claims,
                &EncodingKey::from_secret(&point),
            ),
        ),
        (
            "unknown kid",
            sign(&at(Algorithm::ES256, Some("unknown-kid")), &claims, &ours),
        ),
        (
            "kid path traversal",
            sign(
                &at(Algorithm::ES256, Some("../../../../dev/null")),
                &claims,
                &ours,
            ),
        ),
        (
            "kid SQL",
            sign(&at(Algorithm::ES256, Some("' OR '1'='1")), &claims, &ours),
        ),
        ("no kid", sign(&at(Algorithm::ES256, None), &claims, &ours)),
        ("embedded attacker jwk", sign(&embedded, &claims, &foreign)),
        (
            "foreign key under our kid",
            sign(&at(Algorithm::ES256, Some(&kid)), &claims, &foreign),
        ),
        (
            "foreign key and kid",
            sign(
                &at(Algorithm::ES256, Some(&foreign_record.kid)),
                &claims,
                &foreign,
            ),
        ),
        (
            "typ JWT",
            sign(&header(Algorithm::ES256, "JWT", Some(&kid)), &claims, &ours),
        ),
        (
            "wrong audience",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &with(json!({"aud": "https://other.example/mcp"})),
                &ours,
            ),
        ),
        (
            "audience list without us",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &with(json!({"aud": ["https://other.example/mcp"]})),
                &ours,
            ),
        ),
        (
            "wrong issuer",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &with(json!({"iss": "https://evil.example"})),
                &ours,
            ),
        ),
        (
            "expired",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &with(json!({"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200})),
                &ours,
            ),
        ),
        (
            "not yet valid",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &with(json!({"nbf": now + 3600, "iat": now + 3600, "exp": now + 7200})),
                &ours,
            ),
        ),
        (
            "exp as a string",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &with(json!({"exp": "never"})),
                &ours,
            ),
        ),
        (
            "claims missing",
            sign(
                &at(Algorithm::ES256, Some(&kid)),
                &json!({"iss": claims["iss"], "aud": claims["aud"]}),
                &ours,
            ),
        ),
        (
            "signature tampered",
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                String::from_utf8(flipped).unwrap()
            ),
        ),
        (
            "scope widened, signature kept",
            format!("{}.{}.{}", parts[0], b64(&every_scope), parts[2]),
        ),
        ("five parts", format!("{valid}.{}.{}", parts[1], parts[2])),
        ("16 KB of junk", "e".repeat(16_000)),
        ("revoked", revoked),
    ];

    let mut bearers: Vec<(&'static str, Option<Vec<u8>>, bool)> = vec![
        ("no Authorization header", None, false),
        ("empty Bearer", Some(b"Bearer ".to_vec()), false),
        ("Bearer without a token", Some(b"Bearer".to_vec()), false),
        (
            "Basic credentials",
            Some(b"Basic Y2xhdWRlX2FpX2NsaWVudDpjbGF1ZGVfc2VjcmV0X2tleV8yMDI0".to_vec()),
            false,
        ),
        (
            "obs-text in the header",
            Some(b"Bearer \xff\xfe\xfd".to_vec()),
            false,
        ),
        (
            "a token with a space",
            Some(b"Bearer not a token".to_vec()),
            true,
        ),
        (
            "two tokens",
            Some(format!("Bearer {valid}, Bearer {valid}").into_bytes()),
            true,
        ),
    ];
    bearers.extend(
        tokens
            .iter()
            .map(|(name, token)| (*name, Some(format!("Bearer {token}").into_bytes()), true)),
    );

    let mut values = tokens;
    values.extend([
        ("SQL", "' OR '1'='1' --".to_string()),
        ("CR LF", "abc\r\nSet-Cookie: x=1".to_string()),
        ("50 KB", "a".repeat(50_000)),
        ("dots only", "...".to_string()),
    ]);
    (bearers, values)
}
