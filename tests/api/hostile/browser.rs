//! Rows for what a browser reaches: the authorization endpoint, the login and consent
//! pages, the callback page, the discovery documents, and paths and methods nobody serves.

use super::forms::resource_tricks;
use super::{Expect, Fixtures, Row, encode};
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TestApp};

/// A fresh browser session: its cookie (`name=value`) and the CSRF token of its login form.
pub async fn session(app: &TestApp) -> (String, String) {
    let response = reqwest::get(app.url("/login")).await.unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = response.text().await.unwrap();
    (cookie, crate::browser::hidden(&page, "csrf_token"))
}

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
    let mut rows = Vec::new();
    for path in ["/oauth/authorize", "/authorize"] {
        rows.extend(authorize_rows(path, fixtures));
    }
    rows.extend(page_rows(fixtures));
    rows.extend(document_rows(fixtures));
    rows
}

fn authorize_rows(path: &'static str, fixtures: &Fixtures) -> Vec<Row> {
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
    let long_scope: Vec<String> = (0..3000).map(|i| format!("scope:{i}")).collect();
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
            "3000 scopes",
            &[("scope", Some(&long_scope))],
            "invalid_scope",
        ),
        redirect(
            "CR LF in scope",
            &[("scope", Some("mcp:tools\r\nadmin:all"))],
            "invalid_scope",
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

fn page_rows(fixtures: &Fixtures) -> Vec<Row> {
    let (cookie, csrf) = (fixtures.cookie.as_str(), fixtures.csrf.as_str());
    let login = |name: &str, expect| Row::post(format!("/login: {name}"), "/login", expect);
    let consent = |name: &str, expect| Row::post(format!("/consent: {name}"), "/consent", expect);
    let form = |pairs: &[(&str, &str)]| encode(pairs);
    let mut rows = Vec::new();
    for (post, target) in [
        (&login as &dyn Fn(&str, Expect) -> Row, "login"),
        (&consent, "consent"),
    ] {
        let fields: &[(&str, &str)] = if target == "login" {
            &[("username", "admin"), ("password", "x")]
        } else {
            &[("decision", "approve"), ("request_id", "r")]
        };
        let mut with_csrf = vec![("csrf_token", csrf)];
        with_csrf.extend_from_slice(fields);
        rows.extend([
            post("no session", Expect::Page(403)).form(form(&with_csrf)),
            post("a forged CSRF token", Expect::Page(403))
                .header("cookie", cookie)
                .form(form(&[&[("csrf_token", "forged")], fields].concat())),
            post("JSON instead of a form", Expect::Page(403))
                .header("cookie", cookie)
                .json(serde_json::json!({"csrf_token": csrf}).to_string()),
            post("invalid UTF-8", Expect::Page(400))
                .header("cookie", cookie)
                .form([form(&with_csrf).as_bytes(), b"&x=\xff"].concat()),
            post("duplicate csrf_token", Expect::Page(400))
                .header("cookie", cookie)
                .form(format!("{}&csrf_token=x", form(&with_csrf))),
            post("NUL in a field", Expect::Page(400))
                .header("cookie", cookie)
                .form(format!("{}&x=%00", form(&with_csrf))),
            post("oversized", Expect::Page(413))
                .header("cookie", cookie)
                .form(format!("{}&pad={}", form(&with_csrf), "a".repeat(70_000))),
            post("a session cookie that is SQL", Expect::Page(403))
                .header("cookie", "mcp_oauth_session=' OR '1'='1")
                .form(form(&with_csrf)),
        ]);
    }
    rows.push(
        login("username NUL", Expect::Page(400))
            .header("cookie", cookie)
            .form(form(&[
                ("csrf_token", csrf),
                ("username", "admin\0"),
                ("password", "wrong password"),
            ])),
    );
    for (name, username) in [
        ("SQL", "admin' OR '1'='1' --"),
        ("CR LF", "admin\r\nX: 1"),
        ("10 KB", &"u".repeat(10_000)),
        ("Cyrillic look-alike", "\u{0430}dmin"),
        ("zero-width space", "admin\u{200B}"),
        ("upper case", "ADMIN"),
    ] {
        rows.push(
            login(&format!("username {name}"), Expect::LoginRefused)
                .header("cookie", cookie)
                .form(form(&[
                    ("csrf_token", csrf),
                    ("username", username),
                    ("password", "wrong password"),
                ])),
        );
    }
    rows.extend([
        Row::get("/consent: nothing pending", "/consent", Expect::Page(400))
            .header("cookie", cookie),
        Row::get("/consent: a forged session", "/consent", Expect::Page(400))
            .header("cookie", "mcp_oauth_session=forged"),
        Row::post(
            "/account/apps/revoke: no session",
            "/account/apps/revoke",
            Expect::Page(403),
        )
        .form("grant_id=x&csrf_token=x"),
        Row::get(
            "/oauth/callback: script in error",
            "/oauth/callback?error=%3Cscript%3Ealert(1)%3C/script%3E",
            Expect::Page(400),
        ),
        Row::get(
            "/oauth/callback: script in state",
            "/oauth/callback?state=%3Cscript%3Ealert(1)%3C/script%3E",
            Expect::Page(400),
        ),
        Row::get("/consent: 100 KB cookie", "/consent", Expect::Page(400))
            .header("cookie", format!("a={}", "b".repeat(100_000))),
        Row::get("/consent: 1 MB cookie", "/consent", Expect::Status(431))
            .header("cookie", format!("a={}", "b".repeat(1_000_000))),
        Row::get(
            "/oauth/authorize: 60 KB query",
            format!("/oauth/authorize?state={}", "s".repeat(60_000)),
            Expect::Page(400),
        ),
    ]);
    rows
}

fn document_rows(fixtures: &Fixtures) -> Vec<Row> {
    let issuer = || Expect::Document("issuer", fixtures.issuer.clone());
    vec![
        Row::get(
            "metadata: hostile query",
            "/.well-known/oauth-authorization-server?issuer=https://evil.example&%FF=%00",
            issuer(),
        ),
        Row::get(
            "resource metadata: hostile query",
            "/.well-known/oauth-protected-resource/mcp?resource=https://evil.example",
            Expect::Document("resource", fixtures.resource.clone()),
        ),
        Row::post(
            "metadata: POST",
            "/.well-known/oauth-authorization-server",
            Expect::Status(405),
        )
        .json("{}"),
        Row::new(
            "jwks: DELETE",
            http::Method::DELETE,
            "/.well-known/jwks.json",
            Expect::Status(405),
        ),
        Row::get(
            "metadata: encoded traversal",
            "/.well-known/oauth-authorization-server/..%2f..%2fetc%2fpasswd",
            Expect::Status(404),
        ),
        Row::get(
            "jwks: raw traversal",
            "/.well-known/jwks.json/../../etc/passwd",
            Expect::Status(404),
        ),
        Row::get(
            "resource metadata: NUL",
            "/.well-known/oauth-protected-resource/mcp%00",
            Expect::Status(404),
        ),
        Row::get(
            "resource metadata: encoded dots",
            "/.well-known/oauth-protected-resource/%2e%2e/%2e%2e/oauth/token",
            Expect::Status(404),
        ),
        Row::get(
            "OpenID configuration",
            "/.well-known/openid-configuration",
            Expect::Status(404),
        ),
        Row::get(
            "root traversal",
            "/%2e%2e/%2e%2e/etc/passwd",
            Expect::Status(404),
        ),
        Row::get(
            "token: GET",
            "/oauth/token?grant_type=client_credentials",
            Expect::Status(405),
        ),
        Row::new(
            "register: PUT",
            http::Method::PUT,
            "/oauth/register",
            Expect::Status(405),
        )
        .json("{}"),
        Row::get(
            "introspect: GET",
            "/oauth/introspect?token=x",
            Expect::Status(405),
        ),
        Row::new(
            "token: TRACE",
            http::Method::TRACE,
            "/oauth/token",
            Expect::Status(405),
        ),
    ]
}
