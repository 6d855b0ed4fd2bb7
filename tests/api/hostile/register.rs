//! Rows for dynamic client registration (RFC 7591), on both registration paths.

use super::{Expect, Row};

const METADATA: &[&str] = &["invalid_client_metadata"];
const REDIRECT_URI: &[&str] = &["invalid_redirect_uri"];

/// Registration (RFC 7591) bodies that must be refused, on both registration paths.
pub fn rows() -> Vec<Row> {
    let ok = r#""redirect_uris": ["https://app.example/cb"]"#;
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let many_scopes: Vec<String> = (0..3000).map(|i| format!("scope:{i}")).collect();
    let cases: Vec<(&str, Option<&str>, Vec<u8>, Expect)> = vec![
        (
            "20000 nested arrays",
            Some("application/json"),
            nested(20_000).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "5000 nested objects",
            Some("application/json"),
            objects(5_000).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "nesting inside redirect_uris",
            Some("application/json"),
            format!(r#"{{"redirect_uris": {}}}"#, nested(1000)).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "oversized",
            Some("application/json"),
            format!(r#"{{{ok}, "client_name": "{}"}}"#, "n".repeat(70_000)).into_bytes(),
            Expect::OAuth(413, METADATA),
        ),
        (
            "invalid UTF-8",
            Some("application/json"),
            [
                br#"{"client_name": ""#.as_slice(),
                b"\xff\xfe",
                br#"", "redirect_uris": ["https://app.example/cb"]}"#,
            ]
            .concat(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "a form",
            Some("application/x-www-form-urlencoded"),
            b"redirect_uris=https%3A%2F%2Fapp.example%2Fcb".to_vec(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "empty",
            Some("application/json"),
            Vec::new(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "null",
            Some("application/json"),
            b"null".to_vec(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "a string",
            Some("application/json"),
            br#""https://app.example/cb""#.to_vec(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "byte-order mark",
            Some("application/json"),
            [b"\xef\xbb\xbf".as_slice(), format!("{{{ok}}}").as_bytes()].concat(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "NUL in client_name",
            Some("application/json"),
            format!(r#"{{{ok}, "client_name": "a\u0000b"}}"#).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "control characters in client_name",
            Some("application/json"),
            format!(r#"{{{ok}, "client_name": "a\u001b[31mb"}}"#).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "3000 scopes",
            Some("application/json"),
            format!(r#"{{{ok}, "scope": "{}"}}"#, many_scopes.join(" ")).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "NUL in scope",
            Some("application/json"),
            format!(r#"{{{ok}, "scope": "mcp:tools\u0000"}}"#).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "NUL in auth method",
            Some("application/json"),
            format!(r#"{{{ok}, "token_endpoint_auth_method": "none\u0000"}}"#).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "SQL in grant_types",
            Some("application/json"),
            format!(r#"{{{ok}, "grant_types": ["authorization_code' OR '1'='1"]}}"#).into_bytes(),
            Expect::OAuth(400, METADATA),
        ),
        (
            "duplicate key, the last one bad",
            Some("application/json"),
            format!(r#"{{{ok}, "redirect_uris": ["http://evil.example/cb"]}}"#).into_bytes(),
            Expect::OAuth(400, REDIRECT_URI),
        ),
    ];
    let uris: Vec<(&str, &str)> = vec![
        ("NUL in a redirect URI", "https://app.example/cb\u{0}"),
        (
            "CR LF in a redirect URI",
            "https://app.example/cb\r\nLocation: https://evil.example",
        ),
        (
            "userinfo in a redirect URI",
            "https://app.example@evil.example/cb",
        ),
        ("fragment in a redirect URI", "https://app.example/cb#x"),
        ("empty host", "https://"),
        (
            "javascript redirect URI",
            "javascript:alert(document.cookie)",
        ),
        (
            "data redirect URI",
            "data:text/html,<script>alert(1)</script>",
        ),
        ("http on a public host", "http://evil.example/cb"),
        ("tab in a redirect URI", "https://app.example/c\tb"),
    ];
    let mut rows = Vec::new();
    for path in ["/oauth/register", "/register"] {
        for (name, content_type, body, expect) in &cases {
            rows.push(
                Row::post(format!("{path}: {name}"), path, expect.clone())
                    .body(*content_type, body.clone()),
            );
        }
        for (name, uri) in &uris {
            let body = serde_json::json!({"redirect_uris": [uri]}).to_string();
            rows.push(
                Row::post(
                    format!("{path}: {name}"),
                    path,
                    Expect::OAuth(400, REDIRECT_URI),
                )
                .json(body),
            );
        }
    }
    rows
}
