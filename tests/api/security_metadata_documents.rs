//! Issue #14, item 12: IPv6 spellings of internal IPv4 addresses and the remaining reserved
//! IPv6 ranges are refused as metadata-document hosts, and why a fetch failed (DNS, refused,
//! timed out) is logged, not shown to the unauthenticated page.

use crate::browser::{authorize, location};
use crate::helpers::Engine;
use crate::helpers::{spawn_app, spawn_app_with};
use crate::on_both_engines;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

async fn ipv4_compatible_nat64_6to4_and_site_local_document_hosts_are_refused(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    for host in [
        "[::127.0.0.1]",
        "[::a9fe:a9fe]",
        "[64:ff9b::7f00:1]",
        "[64:ff9b::a00:1]",
        "[2002:7f00:1::1]",
        "[2002:a9fe:a9fe::]",
        "[fec0::1]",
    ] {
        let client_id = format!("https://{host}/client.json");
        let response = authorize(
            &app,
            &[
                ("response_type", "code"),
                ("client_id", &client_id),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
        assert_eq!(response.status(), 400, "{host}");
        assert!(location(&response).is_none(), "{host}: no redirect");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("private, loopback or link-local address; refused"),
            "{host} refused before any fetch: {page}"
        );
    }
}
on_both_engines!(ipv4_compatible_nat64_6to4_and_site_local_document_hosts_are_refused);

async fn a_failed_fetch_shows_a_generic_reason_not_the_network_error(engine: Engine) {
    // Loopback is allowed here so the fetch is really attempted, at a port nobody serves.
    let app = spawn_app_with(engine, |s| {
        s.clients.metadata_documents_allow_private = true;
    })
    .await
    .unwrap();
    let closed = crate::helpers::free_loopback_port();
    let client_id = format!("http://127.0.0.1:{closed}/client.json");
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
    let page = response.text().await.unwrap().to_lowercase();
    assert!(
        page.contains("the metadata document could not be fetched"),
        "{page}"
    );
    for leak in [
        "connection refused",
        "error sending request",
        "tcp connect",
        "os error",
        "dns",
    ] {
        assert!(
            !page.contains(leak),
            "the page names the network failure ({leak}): {page}"
        );
    }
}
on_both_engines!(a_failed_fetch_shows_a_generic_reason_not_the_network_error);

async fn the_refusal_of_an_internal_host_does_not_say_which_address_it_resolved_to(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", "https://localhost/client.json"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains("loopback"), "{page}");
    assert!(
        !page.contains("127.0.0.1") && !page.contains("::1"),
        "no resolved address on the page: {page}"
    );
}
on_both_engines!(the_refusal_of_an_internal_host_does_not_say_which_address_it_resolved_to);
