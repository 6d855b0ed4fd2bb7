//! Rows for the authorization endpoint: errors that must stay on an error page (an
//! untrusted client or redirect URI) and errors sent back to the registered redirect URI.

use super::forms::resource_tricks;
use super::{Expect, Fixtures, Row, encode};
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK};

/// Redirect URIs that look like, but are not, one `claude_ai_client` registered.
const LOOKALIKES: &[&str] = &[
    "https://cl\u{0430}ude.ai/oauth/callback",
    "https://claude.ai/\u{03BF}auth/callback",
    "https://claude.ai\u{FF0F}oauth/callback",
    "https://claude.ai/oauth/callback\u{200B}",
    "https://claude.ai/oauth/callback/",
    "https://CLAUDE.AI/oauth/callback",
    "https://claude.ai:443/oauth/callback",
    "https://claude.ai/oauth/callback#x",
    "https://claude.ai/oauth/callback?x=1",
    "https://claude.ai/oauth/callback ",
    "https://claude.ai@evil.example/oauth/callback",
    "https://evil.example@claude.ai/oauth/callback",
    "https://claude.ai.evil.example/oauth/callback",
    "https://claude.ai/oauth/callback/../../evil",
    "https://claude.ai/oauth/%2e%2e/oauth/callback",
    "https://claude.ai/oauth/callback\r\nSet-Cookie: x=1",
    "http://claude.ai/oauth/callback",
    "//claude.ai/oauth/callback",
    "javascript:alert(1)//https://claude.ai/oauth/callback",
    "urn:ietf:wg:oauth:2.0:oob:auto",
    "http://\u{FF4C}\u{FF4F}\u{FF43}\u{FF41}\u{FF4C}\u{FF48}\u{FF4F}\u{FF53}\u{FF54}:8080/callback",
    "http://LOCALHOST:8080/callback",
    "http://localhost:8080/callback/../callback",
    "http://localhost:8080/x/%2e%2e/callback",
    "http://localhost:8080/%63allback",
    "http://localhost.:8080/callback",
    "http://127.0.0.1:8080/callback",
    "http://[::1]:8080/callback",
    "http://localhost:8080@evil.example/callback",
    "http://localhost:8080/callback?x=1",
];

pub fn rows(fixtures: &Fixtures) -> Vec<Row> {
    let mut rows = rows_for("/oauth/authorize", fixtures);
    rows.extend(rows_for("/authorize", fixtures));
    rows
}

fn rows_for(path: &'static str, fixtures: &Fixtures) -> Vec<Row> {
    let base = [
        ("response_type", "code"),
        ("client_id", CLAUDE.0),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("state", "s-123"),
    ];
    let query = |changes: &[(&str, Option<&str>)]| {
        let mut pairs: Vec<(&str, &str)> = base
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .copied()
            .collect();
        pairs.extend(changes.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
        format!("{path}?{}", encode(&pairs))
    };
    let get =
        |name: &str, query: String, expect| Row::get(format!("{path}: {name}"), query, expect);
    let page = |name: &str, query: String| get(name, query, Expect::Page(400));
    let redirect = |name: &str, changes: &[(&str, Option<&str>)], error| {
        let state = changes
            .iter()
            .find(|(k, _)| *k == "state")
            .map_or(Some("s-123"), |(_, v)| *v);
        get(
            name,
            query(changes),
            Expect::Redirect {
                error,
                state: state.map(str::to_string),
            },
        )
    };
    let mut rows = vec![
        page("no parameters", path.to_string()),
        page("invalid UTF-8", format!("{}&x=%FF%FE", query(&[]))),
        page("NUL in state", query(&[("state", Some("a\0b"))])),
        page(
            "NUL in client_id",
            query(&[("client_id", Some("claude_ai_client\0"))]),
        ),
        page(
            "URL of a private address as client_id",
            query(&[("client_id", Some("https://127.0.0.1/client.json"))]),
        ),
        page(
            "cloud metadata URL as client_id",
            query(&[(
                "client_id",
                Some("http://169.254.169.254/latest/meta-data/"),
            )]),
        ),
        page(
            "10 KB client_id",
            query(&[("client_id", Some(&"c".repeat(10_000)))]),
        ),
        page(
            "CR LF in client_id",
            query(&[("client_id", Some("claude_ai_client\r\nX: 1"))]),
        ),
        page(
            "SQL in client_id",
            query(&[("client_id", Some("' OR '1'='1"))]),
        ),
        page(
            "SQL comment in client_id",
            query(&[("client_id", Some("claude_ai_client'--"))]),
        ),
        page(
            "no redirect_uri on a client with several",
            query(&[("redirect_uri", None)]),
        ),
    ];
    for duplicate in ["client_id", "redirect_uri", "response_type", "state"] {
        rows.push(page(
            &format!("duplicate {duplicate}"),
            format!("{}&{}", query(&[]), encode(&[(duplicate, "x")])),
        ));
    }
    for (i, uri) in LOOKALIKES.iter().enumerate() {
        rows.push(page(
            &format!("look-alike redirect_uri #{i} {uri:?}"),
            query(&[("redirect_uri", Some(uri))]),
        ));
    }
    let long_scope: Vec<String> = (0..1000).map(|i| format!("scope:{i}")).collect();
    let long_scope = long_scope.join(" ");
    let long_state = "s".repeat(2000);
    rows.extend([
        redirect(
            "no response_type",
            &[("response_type", None)],
            "invalid_request",
        ),
        redirect(
            "response_type token",
            &[("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        redirect(
            "response_type code token",
            &[("response_type", Some("code token"))],
            "unsupported_response_type",
        ),
        redirect(
            "response_type CODE",
            &[("response_type", Some("CODE"))],
            "unsupported_response_type",
        ),
        redirect(
            "1000 scopes",
            &[("scope", Some(&long_scope))],
            "invalid_scope",
        ),
        // CR LF separates scope values like a space; the unknown admin:all is dropped
        // (RFC 6749 §3.3), so this is a fine request for mcp:tools: on to the login page.
        get(
            "CR LF in scope",
            query(&[("scope", Some("mcp:tools\r\nadmin:all"))]),
            Expect::Status(303),
        ),
        redirect(
            "quote in scope",
            &[("scope", Some("mcp:tools\""))],
            "invalid_scope",
        ),
        redirect(
            "short code_challenge",
            &[("code_challenge", Some("abc"))],
            "invalid_request",
        ),
        redirect(
            "long code_challenge",
            &[("code_challenge", Some(&"a".repeat(200)))],
            "invalid_request",
        ),
        redirect(
            "code_challenge outside the alphabet",
            &[("code_challenge", Some(&"!".repeat(43)))],
            "invalid_request",
        ),
        redirect(
            "code_challenge_method S512",
            &[
                ("code_challenge", Some(&"a".repeat(43))),
                ("code_challenge_method", Some("S512")),
            ],
            "invalid_request",
        ),
        redirect(
            "code_challenge_method alone",
            &[("code_challenge_method", Some("S256"))],
            "invalid_request",
        ),
        redirect(
            "CR LF in state",
            &[
                ("response_type", Some("token")),
                ("state", Some("x\r\nSet-Cookie: a=b")),
            ],
            "unsupported_response_type",
        ),
        redirect(
            "parameters injected through state",
            &[
                ("response_type", Some("token")),
                (
                    "state",
                    Some("x&error=access_denied&iss=https://evil.example"),
                ),
            ],
            "unsupported_response_type",
        ),
        redirect(
            "2 KB state",
            &[
                ("response_type", Some("token")),
                ("state", Some(&long_state)),
            ],
            "unsupported_response_type",
        ),
    ]);
    for (name, resource) in resource_tricks(&fixtures.resource) {
        rows.push(redirect(
            &format!("resource {name}"),
            &[("resource", Some(&resource))],
            "invalid_target",
        ));
    }
    rows
}
