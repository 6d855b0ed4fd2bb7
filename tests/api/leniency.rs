//! Lenient on names, strict on security: unknown scopes, metadata and URL spellings are
//! tolerated and reported; anything that would grant more is refused as before.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use crate::browser::{authorize, location, pkce_pair, to_consent};
use crate::claude::audited;
use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn unknown_scopes_at_the_token_endpoint_are_dropped_but_a_scope_beyond_the_allowance_is_refused(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let grant = |client: (&'static str, &'static str), scope: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client.0),
                    ("client_secret", client.1),
                    ("scope", scope),
                ],
            )
            .await
        }
    };
    let (status, body) = grant(TEST_CLIENT, "claudeai mcp:tools").await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("mcp:tools")),
        "{body}"
    );
    let (status, body) = grant(TEST_CLIENT, "claudeai").await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("mcp:resources mcp:tools system:read")),
        "nothing known left: the client's own scopes"
    );
    let (status, body) = grant(TEST_CLIENT, "claudeai system:monitor").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("system:monitor")
    );
    let reported = audited(&app, "unknown_scopes_dropped").await;
    assert!(
        reported
            .iter()
            .any(|d| d["endpoint"] == "token" && d["dropped"] == json!(["claudeai"])),
        "{reported:?}"
    );
}
on_both_engines!(
    unknown_scopes_at_the_token_endpoint_are_dropped_but_a_scope_beyond_the_allowance_is_refused
);

async fn a_resource_differing_only_in_scheme_or_host_case_or_default_port_names_the_mcp_endpoint(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    for resource in [
        "HTTP://LOCALHOST:5000/mcp",
        "http://LocalHost:5000/mcp/",
        "HTTP://localhost:5000",
    ] {
        let (status, body) = app
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", CLAUDE.0),
                    ("client_secret", CLAUDE.1),
                    ("resource", resource),
                ],
            )
            .await;
        assert_eq!(status, 200, "{resource}: {body}");
        let (_, info) = app
            .post_form(
                "/oauth/introspect",
                &[
                    ("token", body["access_token"].as_str().unwrap()),
                    ("client_id", CLAUDE.0),
                    ("client_secret", CLAUDE.1),
                ],
            )
            .await;
        assert_eq!(info["aud"], "http://localhost:5000/mcp", "{resource}");
    }
    for resource in [
        "http://localhost:5000/MCP",
        "http://localhost:5001/mcp",
        "https://localhost:5000/mcp",
    ] {
        let (status, body) = app
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", CLAUDE.0),
                    ("client_secret", CLAUDE.1),
                    ("resource", resource),
                ],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target")),
            "{resource}"
        );
    }
}
on_both_engines!(
    a_resource_differing_only_in_scheme_or_host_case_or_default_port_names_the_mcp_endpoint
);

async fn a_client_id_this_server_does_not_know_gets_invalid_client_or_an_error_page_so_claude_registers_again(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let gone = "client-from-a-wiped-database";
    let verifier = "v".repeat(43);
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", "https://claude.ai/api/mcp/auth_callback"),
            ("client_id", gone),
            ("code_verifier", verifier.as_str()),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "r"),
            ("client_id", gone),
        ],
    ] {
        let (status, body) = app.post_form("/oauth/token", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{form:?}: {body}"
        );
    }
    let (_, challenge) = pkce_pair();
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", gone),
            ("redirect_uri", "https://claude.ai/api/mcp/auth_callback"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none(), "never redirected");
    assert!(response.text().await.unwrap().contains("No client with id"));
}
on_both_engines!(a_client_id_this_server_does_not_know_gets_invalid_client_or_an_error_page_so_claude_registers_again);

async fn registration_stores_application_type_and_ignores_metadata_it_does_not_know(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let response = app.http.post(app.url("/register")).json(&json!({"redirect_uris": ["http://127.0.0.1/cb"],
            "token_endpoint_auth_method": "none", "application_type": "native", "scope": "mcp:tools offline_access",
            "software_statement_future": {"x": 1}, "tos_uri": "https://example.com/tos"})).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["application_type"].as_str(), body["scope"].as_str()),
        (Some("native"), Some("mcp:tools"))
    );
    let stored = app
        .store
        .get_client(body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.application_type.as_deref(), Some("native"));
}
on_both_engines!(registration_stores_application_type_and_ignores_metadata_it_does_not_know);

async fn the_landing_page_says_how_to_connect_and_the_metadata_points_at_it(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    for needle in [
        "http://localhost:5000/mcp",
        "Claude.ai",
        "claude mcp add",
        "Inspector",
        "href=\"/login\"",
        "href=\"/account/apps\"",
    ] {
        assert!(html.contains(needle), "{needle} on the landing page");
    }
    let server: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resource: Value = app
        .http
        .get(app.url("/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for url in [
        &server["service_documentation"],
        &resource["resource_documentation"],
    ] {
        assert_eq!(url.as_str(), Some("http://localhost:5000/"));
    }
    assert!(
        server["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("none"))
    );
    let challenge = app.http.post(app.url("/mcp")).send().await.unwrap();
    let hint = challenge.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        hint.contains(r#"scope="mcp:prompts mcp:resources mcp:tools system:monitor system:read""#)
            || hint.contains(
                r#"scope="mcp:tools mcp:resources mcp:prompts system:read system:monitor""#
            ),
        "{hint}"
    );
}
on_both_engines!(the_landing_page_says_how_to_connect_and_the_metadata_points_at_it);

/// A metadata document whose server answers what `status` holds (200 serves the document).
async fn flaky_document(status: Arc<AtomicU16>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/client.json", listener.local_addr().unwrap());
    let body = json!({"client_id": url, "client_name": "Flaky CDN client", "token_endpoint_auth_method": "none",
        "redirect_uris": ["http://localhost/callback"]}).to_string();
    let router = Router::new().route(
        "/client.json",
        get(move || {
            let (body, status) = (body.clone(), status.load(Ordering::SeqCst));
            async move {
                match status {
                    200 => (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CACHE_CONTROL, "no-store"),
                        ],
                        body,
                    )
                        .into_response(),
                    other => StatusCode::from_u16(other).unwrap().into_response(),
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn an_unreachable_metadata_document_falls_back_to_its_last_validated_copy_for_a_bounded_time(
    engine: Engine,
) {
    let status = Arc::new(AtomicU16::new(200));
    let document = flaky_document(status.clone()).await;
    let app = spawn_app_with(engine, |s| {
        s.clients.metadata_documents_allow_private = true;
    })
    .await
    .unwrap();
    let (_, challenge) = pkce_pair();
    let params = [
        ("response_type", "code"),
        ("client_id", document.as_str()),
        ("redirect_uri", "http://localhost:4567/callback"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = to_consent(&app, &params).await;
    assert!(page.contains("Flaky CDN client"));
    // The CDN turns us away (403) or the origin fails (503): the validated copy stands in.
    for failing in [503, 403] {
        app.auth.metadata_documents.forget(&document);
        status.store(failing, Ordering::SeqCst);
        let response = authorize(&app, &params).await;
        assert_eq!(
            response.status(),
            200,
            "{failing}: the last validated copy is used"
        );
        assert!(response.text().await.unwrap().contains("Flaky CDN client"));
    }
    let used: Vec<Value> = app
        .audit_events("metadata_document_used", 3)
        .await
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect();
    assert!(used.iter().any(|d| d["copy"] == "fetched"), "{used:?}");
    assert!(
        used.iter().any(|d| d["copy"] == "last_validated"),
        "{used:?}"
    );
    // A 404 means the document is gone: never the old copy.
    app.auth.metadata_documents.forget(&document);
    status.store(404, Ordering::SeqCst);
    let response = authorize(&app, &params).await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
    // Older than the window (7 days by default): refused too.
    sqlx::query("UPDATE clients SET updated_at = updated_at - 8 * 86400 WHERE id = $1")
        .bind(&document)
        .execute(app.store.pool())
        .await
        .unwrap();
    app.auth.metadata_documents.forget(&document);
    status.store(503, Ordering::SeqCst);
    let response = authorize(&app, &params).await;
    assert_eq!(
        response.status(),
        400,
        "a copy older than the window is not used"
    );
}
on_both_engines!(
    an_unreachable_metadata_document_falls_back_to_its_last_validated_copy_for_a_bounded_time
);

async fn a_pinned_metadata_document_is_used_without_any_fetch_and_a_bad_one_stops_the_start(
    engine: Engine,
) {
    let dir = tempfile::tempdir().unwrap();
    let url = "https://claude.invalid/oauth/claude-code-client-metadata";
    let file = dir.path().join("claude-code.json");
    std::fs::write(
        &file,
        json!({"client_id": url, "client_name": "Pinned Claude Code",
            "redirect_uris": ["http://localhost/callback"], "token_endpoint_auth_method": "none"})
        .to_string(),
    )
    .unwrap();
    let pinned = mcp_oauth::config::PinnedMetadataDocument {
        url: url.into(),
        file: file.clone(),
    };
    let app = spawn_app_with(engine, |s| {
        s.clients.pinned_metadata_documents = vec![pinned.clone()];
    })
    .await
    .unwrap();
    let (_, challenge) = pkce_pair();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", url),
            ("redirect_uri", "http://localhost:40001/callback"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(page.contains("Pinned Claude Code"), "{page}");
    assert!(
        audited(&app, "metadata_document_used")
            .await
            .iter()
            .any(|d| d["copy"] == "pinned")
    );

    std::fs::write(
        &file,
        json!({"client_id": "https://someone.else/doc", "redirect_uris": ["http://localhost/cb"]})
            .to_string(),
    )
    .unwrap();
    let mut settings = app.settings.clone();
    settings.clients.pinned_metadata_documents = vec![pinned];
    let error = mcp_oauth::startup::Application::build(settings)
        .await
        .err()
        .expect("a bad pinned document stops the start");
    assert!(
        format!("{error:#}").contains("does not equal its URL"),
        "{error:#}"
    );
}
on_both_engines!(
    a_pinned_metadata_document_is_used_without_any_fetch_and_a_bad_one_stops_the_start
);
