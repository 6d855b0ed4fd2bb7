//! A curl-like browser for the HTML flow: authorize, log in, consent, read hidden fields.

use crate::helpers::{ADMIN_PASSWORD, TestApp};

/// The value of the hidden input `name` on a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page:\n{html}"))
        + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_string()
}

pub fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
}

/// The query parameters of a redirect target.
pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .expect("absolute location")
        .query_pairs()
        .into_owned()
        .collect()
}

pub async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.unwrap()
}

pub async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// GET /oauth/authorize with the given query pairs.
pub async fn authorize(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    get(app, &format!("/oauth/authorize?{query}")).await
}

/// Logs in as admin from the login page; returns the response to the login POST.
pub async fn log_in(app: &TestApp) -> reqwest::Response {
    log_in_as(app, "admin", ADMIN_PASSWORD).await
}

pub async fn log_in_as(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    let page = get(app, "/login").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf_token");
    post(
        app,
        "/login",
        &[
            ("csrf_token", &csrf),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

/// Authorize → login → consent page; returns the consent page HTML.
pub async fn to_consent(app: &TestApp, params: &[(&str, &str)]) -> String {
    let response = authorize(app, params).await;
    assert_eq!(
        response.status(),
        303,
        "authorize sends an anonymous user to login"
    );
    assert_eq!(location(&response).as_deref(), Some("/login"));
    let response = log_in(app).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response).as_deref(), Some("/consent"));
    let response = get(app, "/consent").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Submits the consent page with `decision`.
pub async fn decide(app: &TestApp, consent_page: &str, decision: &str) -> reqwest::Response {
    let csrf = hidden(consent_page, "csrf_token");
    let request_id = hidden(consent_page, "request_id");
    post(
        app,
        "/consent",
        &[
            ("csrf_token", &csrf),
            ("request_id", &request_id),
            ("decision", decision),
        ],
    )
    .await
}

/// Submits the consent page as a browser does: approve, with only `ticked` scope boxes
/// still checked (the page marks its form with `scopes_listed`).
pub async fn approve_only(app: &TestApp, consent_page: &str, ticked: &[&str]) -> reqwest::Response {
    let csrf = hidden(consent_page, "csrf_token");
    let request_id = hidden(consent_page, "request_id");
    let boxes: Vec<String> = ticked.iter().map(|s| format!("scope:{s}")).collect();
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("request_id", request_id.as_str()),
        ("decision", "approve"),
        ("scopes_listed", "1"),
    ];
    form.extend(boxes.iter().map(|b| (b.as_str(), "on")));
    post(app, "/consent", &form).await
}

/// A PKCE (S256) verifier and its challenge (RFC 7636 §4.1–4.2).
pub fn pkce_pair() -> (String, String) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let verifier = format!("v{}", crate::helpers::random_suffix()).repeat(5);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
