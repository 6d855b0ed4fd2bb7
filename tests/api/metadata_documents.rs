//! Client ID Metadata Documents: a URL client_id, fetched SSRF-safely from a local server
//! (under the test-only allowance for loopback), validated, and used for a PKCE flow.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::browser::{authorize, decide, location, query_of, to_consent};
use crate::helpers::Engine;
use crate::helpers::{spawn_app, spawn_app_with};
use crate::on_both_engines;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// Serves documents on a loopback port; returns the base URL.
async fn document_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let me = base.clone();
    let doc = move |path: &str, extra: serde_json::Value| {
        let mut body = json!({ "client_id": format!("{me}{path}"), "client_name": "<b>Doc</b> client",
            "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none" });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        body.to_string()
    };
    let (good, wrong, secret, no_uris) = (
        doc("/good.json", json!({})),
        doc(
            "/wrong.json",
            json!({ "client_id": "https://someone-else.example/x" }),
        ),
        doc("/secret.json", json!({ "client_secret": "s3cret" })),
        doc("/no-uris.json", json!({ "redirect_uris": [] })),
    );
    let json_response = |body: String| {
        (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "max-age=300"),
            ],
            body,
        )
            .into_response()
    };
    let router = Router::new()
        .route(
            "/good.json",
            get(move || {
                let b = good.clone();
                async move { json_response(b) }
            }),
        )
        .route(
            "/wrong.json",
            get(move || {
                let b = wrong.clone();
                async move { json_response(b) }
            }),
        )
        .route(
            "/secret.json",
            get(move || {
                let b = secret.clone();
                async move { json_response(b) }
            }),
        )
        .route(
            "/no-uris.json",
            get(move || {
                let b = no_uris.clone();
                async move { json_response(b) }
            }),
        )
        .route(
            "/big.json",
            get(|| async { format!("{{\"pad\":\"{}\"}}", "x".repeat(8 * 1024)) }),
        )
        .route(
            "/moved.json",
            get(|| async {
                (StatusCode::FOUND, [(header::LOCATION, "/good.json")]).into_response()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

async fn a_metadata_document_client_completes_a_pkce_flow(engine: Engine) {
    let docs = document_server().await;
    let app = spawn_app_with(engine, |s| {
        s.clients.metadata_documents_allow_private = true;
    })
    .await
    .unwrap();
    let meta: serde_json::Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    let client_id = format!("{docs}/good.json");
    let verifier = "metadata-document-verifier-0123456789-abcdefghijk";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "cimd"),
        ],
    )
    .await;
    assert!(
        !page.contains("<b>Doc</b>"),
        "the document's name is escaped"
    );
    assert!(
        page.contains("&#60;b&#62;Doc&#60;/b&#62; client")
            || page.contains("&lt;b&gt;Doc&lt;/b&gt; client")
    );
    let query = query_of(&location(&decide(&app, &page, "approve").await).unwrap());
    assert_eq!(query["state"], "cimd");
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", REDIRECT),
                ("client_id", &client_id),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let stored = app.store.get_client(&client_id).await.unwrap().unwrap();
    assert_eq!(
        (stored.origin.as_str(), stored.secret_hash.is_none()),
        ("metadata", true)
    );
}
on_both_engines!(a_metadata_document_client_completes_a_pkce_flow);

async fn invalid_documents_are_refused_on_an_error_page_without_redirecting(engine: Engine) {
    let docs = document_server().await;
    let app = spawn_app_with(engine, |s| {
        s.clients.metadata_documents_allow_private = true;
    })
    .await
    .unwrap();
    for (path, why) in [
        ("/wrong.json", "does not equal"),
        ("/secret.json", "secret"),
        ("/no-uris.json", "redirect_uris"),
        ("/big.json", "exceeds"),
        ("/moved.json", "redirects are not followed"),
        ("/missing.json", "404"),
    ] {
        let client_id = format!("{docs}{path}");
        let response = authorize(
            &app,
            &[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", REDIRECT),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(response.status(), 400, "{path}");
        assert!(location(&response).is_none(), "{path} must not redirect");
        let page = response.text().await.unwrap();
        assert!(page.contains(why), "{path}: expected {why:?} in the page");
    }
    let link_local = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", "http://169.254.169.254/latest/meta-data"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(link_local.status(), 400);
    assert!(
        link_local.text().await.unwrap().contains("link-local"),
        "cloud metadata stays unreachable even in tests"
    );
}
on_both_engines!(invalid_documents_are_refused_on_an_error_page_without_redirecting);

async fn without_the_test_allowance_loopback_and_plain_http_documents_are_refused(engine: Engine) {
    let docs = document_server().await;
    let app = spawn_app(engine).await.unwrap();
    let port = docs.rsplit(':').next().unwrap();
    for (client_id, why) in [
        (format!("{docs}/good.json"), "https"),
        (format!("https://127.0.0.1:{port}/good.json"), "loopback"),
        (format!("https://localhost:{port}/good.json"), "loopback"),
        ("https://10.0.0.1/c.json".to_string(), "private"),
    ] {
        let response = authorize(
            &app,
            &[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
        assert_eq!(response.status(), 400, "{client_id}");
        assert!(location(&response).is_none());
        assert!(
            response.text().await.unwrap().contains(why),
            "{client_id}: {why}"
        );
    }
}
on_both_engines!(without_the_test_allowance_loopback_and_plain_http_documents_are_refused);
