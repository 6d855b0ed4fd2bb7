//! Rows for the form endpoints: token, revocation and introspection.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Expect, Fixtures, Row, encode};
use crate::helpers::CLAUDE;

const INVALID_REQUEST: &[&str] = &["invalid_request"];
const INVALID_CLIENT: &[&str] = &["invalid_client"];
const INVALID_GRANT: &[&str] = &["invalid_grant"];
const INVALID_SCOPE: &[&str] = &["invalid_scope"];
const INVALID_TARGET: &[&str] = &["invalid_target"];
const UNSUPPORTED_GRANT: &[&str] = &["unsupported_grant_type"];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Token,
    Revoke,
    Introspect,
}

const ENDPOINTS: [(&str, Kind); 4] = [
    ("/oauth/token", Kind::Token),
    ("/token", Kind::Token),
    ("/oauth/revoke", Kind::Revoke),
    ("/oauth/introspect", Kind::Introspect),
];

/// The request each endpoint would accept, as pairs: the rows spoil it one way each.
fn base(kind: Kind) -> Vec<(&'static str, String)> {
    let first = match kind {
        Kind::Token => ("grant_type", "client_credentials".to_string()),
        Kind::Revoke | Kind::Introspect => ("token", "opaque-token".to_string()),
    };
    vec![
        first,
        ("client_id", CLAUDE.0.into()),
        ("client_secret", CLAUDE.1.into()),
    ]
}

fn with(kind: Kind, extra: &[(&str, &str)]) -> String {
    let base = base(kind);
    let mut pairs: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend_from_slice(extra);
    encode(&pairs)
}

/// `base` with `key` replaced by `value` (or left out when `value` is None).
fn replacing(kind: Kind, key: &str, value: Option<&str>) -> String {
    let base = base(kind);
    let pairs: Vec<(&str, &str)> = base
        .iter()
        .filter(|(k, _)| *k != key)
        .map(|(k, v)| (*k, v.as_str()))
        .chain(value.map(|v| (key, v)))
        .collect();
    encode(&pairs)
}

/// What a spoilt parameter that the endpoint does not judge amounts to: nothing for
/// revocation and introspection (RFC 7009 §2.2, RFC 7662 §2.2), `error` for the token endpoint.
fn harmless(kind: Kind, status: u16, error: &'static [&'static str]) -> Expect {
    match kind {
        Kind::Token => Expect::OAuth(status, error),
        Kind::Revoke => Expect::Revoked,
        Kind::Introspect => Expect::Inactive,
    }
}

pub fn rows(fixtures: &Fixtures) -> Vec<Row> {
    let mut rows = Vec::new();
    for (path, kind) in ENDPOINTS {
        let row = |name: &str, expect| Row::post(format!("{path}: {name}"), path, expect);
        let bad = |name: &str| row(name, Expect::OAuth(400, INVALID_REQUEST));
        let b = with(kind, &[]);
        rows.extend([
            bad("oversized body").form(with(kind, &[("pad", &"a".repeat(70_000))])),
            bad("raw invalid UTF-8").form([b.as_bytes(), b"&x=\xff\xfe"].concat()),
            bad("percent-encoded invalid UTF-8").form(format!("x=%FF%FE&{b}")),
            bad("overlong UTF-8").form(format!("x=%C0%AF&{b}")),
            bad("UTF-16 surrogate in UTF-8").form(format!("x=%ED%A0%80&{b}")),
            bad("latin-1 body").body(Some("application/x-www-form-urlencoded; charset=iso-8859-1"), [b.as_bytes(), b"&name=caf\xe9"].concat()),
            bad("duplicate client_id").form(with(kind, &[("client_id", "mcp_test_client")])),
            bad("duplicate client_secret").form(with(kind, &[("client_secret", "x")])),
            bad("duplicate first parameter").form(format!("{b}&{}", encode(&[(base(kind)[0].0, "x")]))),
            bad("JSON body").json(serde_json::json!({"grant_type": "client_credentials", "client_id": CLAUDE.0, "client_secret": CLAUDE.1}).to_string()),
            bad("no content type").body(None, b.clone()),
            bad("text/plain").body(Some("text/plain"), b.clone()),
            bad("multipart").body(Some("multipart/form-data; boundary=x"), format!("--x\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n{}\r\n--x--\r\n", CLAUDE.0)),
            bad("NUL in client_id").form(replacing(kind, "client_id", Some("claude_ai_client\0"))),
            bad("NUL in client_secret").form(replacing(kind, "client_secret", Some("claude_secret_key_2024\0"))),
            bad("Basic and client_secret together").header("authorization", basic(CLAUDE.0, CLAUDE.1)).form(b.clone()),
            bad("Basic for another client_id").header("authorization", basic("mcp_test_client", "x")).form(replacing(kind, "client_secret", None)),
            bad("obs-text in Authorization").header("authorization", b"Basic \xff\xfe").form(b.clone()),
            bad(&format!("5000 junk parameters and no {}", base(kind)[0].0)).form(junk_without_first(kind)),
            row("JSON labelled as a form", Expect::OAuth(401, INVALID_CLIENT)).form(serde_json::json!({"client_id": CLAUDE.0}).to_string()),
            row("empty body", Expect::OAuth(401, INVALID_CLIENT)).form(""),
            row("only separators", Expect::OAuth(401, INVALID_CLIENT)).form("&&&&"),
            row("wrong secret", Expect::OAuth(401, INVALID_CLIENT)).form(replacing(kind, "client_secret", Some("guess"))),
            row("CR LF in client_id", Expect::OAuth(401, INVALID_CLIENT)).form(replacing(kind, "client_id", Some("claude_ai_client\r\nX-Injected: 1"))),
            row("Basic without a colon", Expect::OAuth(401, INVALID_CLIENT)).header("authorization", format!("Basic {}", STANDARD.encode("claude_ai_client"))).form(replacing(kind, "client_secret", None)),
            row("Basic that is not base64", Expect::OAuth(401, INVALID_CLIENT)).header("authorization", "Basic !!!").form(replacing(kind, "client_secret", None)),
            row("Basic with invalid UTF-8", Expect::OAuth(401, INVALID_CLIENT)).header("authorization", format!("Basic {}", STANDARD.encode(b"\xff:\xfe"))).form(replacing(kind, "client_secret", None)),
            row("Basic with NUL in the id", Expect::OAuth(401, INVALID_CLIENT)).header("authorization", basic("claude_ai_client%00", CLAUDE.1)).body(Some("application/x-www-form-urlencoded"), encode(&[base(kind)[0].clone()].iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())),
        ]);
        for (label, id) in [
            ("quote", "' OR '1'='1"),
            ("comment", "claude_ai_client'--"),
            ("statement", "x\"; DROP TABLE clients; --"),
            ("LIKE wildcard", "%"),
            ("underscore", "claude_ai_clien_"),
            ("backslash", "claude_ai_client\\"),
        ] {
            rows.push(
                row(
                    &format!("SQL {label} in client_id"),
                    Expect::OAuth(401, INVALID_CLIENT),
                )
                .form(replacing(kind, "client_id", Some(id))),
            );
        }
        match kind {
            Kind::Token => rows.extend(token_rows(path, fixtures)),
            Kind::Revoke | Kind::Introspect => {
                for (name, token) in &fixtures.token_values {
                    rows.push(
                        row(
                            &format!("token {name}"),
                            harmless(kind, 400, INVALID_REQUEST),
                        )
                        .form(replacing(kind, "token", Some(token))),
                    );
                }
                rows.push(
                    row("hint SQL", harmless(kind, 400, INVALID_REQUEST)).form(with(
                        kind,
                        &[("token_type_hint", "'; DROP TABLE access_tokens; --")],
                    )),
                );
                rows.push(
                    row(
                        "hint refresh_token for junk",
                        harmless(kind, 400, INVALID_REQUEST),
                    )
                    .form(with(kind, &[("token_type_hint", "refresh_token")])),
                );
            }
        }
    }
    rows
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn junk_without_first(kind: Kind) -> String {
    let junk: Vec<(String, String)> = (0..5000)
        .map(|i| (format!("p{i}"), "1".to_string()))
        .collect();
    let base = base(kind);
    let pairs: Vec<(&str, &str)> = base[1..]
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(junk.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    encode(&pairs)
}

/// Grant-specific rows: grant types, scopes, resources, codes and refresh tokens.
fn token_rows(path: &'static str, fixtures: &Fixtures) -> Vec<Row> {
    let row = |name: &str, expect| Row::post(format!("{path}: {name}"), path, expect);
    let client_credentials = |extra: &[(&str, &str)]| with(Kind::Token, extra);
    let mut rows = Vec::new();
    for grant in [
        "CLIENT_CREDENTIALS",
        "client_credentials ",
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "' OR '1'='1",
        "client_credentials\r\n",
    ] {
        rows.push(
            row(
                &format!("grant_type {grant:?}"),
                Expect::OAuth(400, UNSUPPORTED_GRANT),
            )
            .form(replacing(Kind::Token, "grant_type", Some(grant))),
        );
    }
    // CR LF and quotes within the scope grammar only separate or spell unknown names, which
    // are dropped (RFC 6749 §3.3): the client gets its default scope.
    for (name, scope) in [
        ("CR LF in scope", "mcp:tools\r\nadmin:all"),
        ("SQL in scope", "mcp:tools' OR '1'='1"),
    ] {
        rows.push(row(name, Expect::Status(200)).form(client_credentials(&[("scope", scope)])));
    }
    let many: Vec<String> = (0..3000).map(|i| format!("scope:{i}")).collect();
    for (name, scope) in [
        ("3000 scopes", many.join(" ")),
        ("quote in scope", "mcp:tools\"".into()),
        ("backslash in scope", "mcp:tools\\".into()),
    ] {
        rows.push(
            row(name, Expect::OAuth(400, INVALID_SCOPE))
                .form(client_credentials(&[("scope", &scope)])),
        );
    }
    rows.push(
        row("NUL in scope", Expect::OAuth(400, INVALID_REQUEST))
            .form(client_credentials(&[("scope", "mcp:tools\0")])),
    );
    for (name, resource) in resource_tricks(&fixtures.resource) {
        rows.push(
            row(
                &format!("resource {name}"),
                Expect::OAuth(400, INVALID_TARGET),
            )
            .form(client_credentials(&[("resource", &resource)])),
        );
    }
    let code = |code: &str| {
        encode(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", "https://claude.ai/oauth/callback"),
            ("client_id", CLAUDE.0),
            ("client_secret", CLAUDE.1),
        ])
    };
    let refresh = |token: &str| {
        encode(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", CLAUDE.0),
            ("client_secret", CLAUDE.1),
        ])
    };
    for (name, value) in [
        ("SQL", "' OR '1'='1".to_string()),
        ("CR LF", "a\r\nb".into()),
        ("path", "../../../etc/passwd".into()),
        ("20 KB", "c".repeat(20_000)),
    ] {
        rows.push(
            row(&format!("code {name}"), Expect::OAuth(400, INVALID_GRANT)).form(code(&value)),
        );
        rows.push(
            row(
                &format!("refresh_token {name}"),
                Expect::OAuth(400, INVALID_GRANT),
            )
            .form(refresh(&value)),
        );
    }
    rows
}

/// Resource indicators that try to leave the MCP endpoint (RFC 8707 §2).
pub fn resource_tricks(resource: &str) -> Vec<(&'static str, String)> {
    let origin = resource
        .strip_suffix("/mcp")
        .expect("the resource ends in /mcp");
    let host = origin.strip_prefix("http://").expect("plain http in tests");
    vec![
        ("dot segments", format!("{resource}/../oauth/token")),
        (
            "encoded dot segments",
            format!("{resource}/%2e%2e/oauth/token"),
        ),
        (
            "upper-case encoded dots",
            format!("{resource}/%2E%2E/admin"),
        ),
        ("half-encoded dots", format!("{resource}/.%2e/admin")),
        ("fragment", format!("{resource}#admin")),
        ("userinfo", format!("http://admin@{host}/mcp")),
        ("another host", "https://evil.example/mcp".into()),
        ("prefix of another path", format!("{resource}x")),
        ("query", format!("{resource}?admin=1")),
        ("CR LF", format!("{resource}\r\nX: 1")),
    ]
}
