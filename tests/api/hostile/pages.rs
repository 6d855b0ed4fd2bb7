//! Rows for the browser pages (login, consent, connected apps, callback), the discovery
//! documents, and paths and methods nobody serves.

use super::{Expect, Fixtures, Row, encode};
use crate::helpers::TestApp;

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

pub fn rows(fixtures: &Fixtures) -> Vec<Row> {
    let mut rows = form_rows(fixtures);
    rows.extend(document_rows(fixtures));
    rows
}

fn form_rows(fixtures: &Fixtures) -> Vec<Row> {
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
        Row::get("/consent: 40 KB cookie", "/consent", Expect::Status(431))
            .header("cookie", format!("a={}", "b".repeat(40_000))),
        Row::get("/consent: 1 MB cookie", "/consent", Expect::Status(431))
            .header("cookie", format!("a={}", "b".repeat(1_000_000))),
        Row::get(
            "/oauth/authorize: 60 KB query",
            format!("/oauth/authorize?state={}", "s".repeat(60_000)),
            Expect::Status(414),
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
