//! In-process TLS: a self-signed certificate made in the test, HTTP/1.1 and HTTP/2 by ALPN.

use crate::helpers::Engine;
use crate::helpers::spawn_app_with;
use crate::on_both_engines;

/// Writes a fresh self-signed certificate for localhost; returns (dir, cert PEM).
fn self_signed() -> (tempfile::TempDir, String) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    let pem = cert.cert.pem();
    std::fs::write(dir.path().join("cert.pem"), &pem).expect("write cert");
    std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem())
        .expect("write key");
    (dir, pem)
}

async fn the_server_terminates_tls_with_http1_and_http2(engine: Engine) {
    let (dir, pem) = self_signed();
    let app = spawn_app_with(engine, |s| {
        s.server.tls.cert = Some(dir.path().join("cert.pem"));
        s.server.tls.key = Some(dir.path().join("key.pem"));
    })
    .await
    .unwrap();
    let url = format!(
        "https://localhost:{}/healthz",
        app.address.rsplit(':').next().unwrap()
    );
    let root = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    let h1 = reqwest::Client::builder()
        .add_root_certificate(root.clone())
        .http1_only()
        .build()
        .unwrap();
    let response = h1.get(&url).send().await.expect("TLS handshake");
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    let h2 = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    let response = h2.get(&url).send().await.unwrap();
    assert_eq!(
        (response.status().as_u16(), response.version()),
        (200, reqwest::Version::HTTP_2),
        "ALPN picks h2"
    );
    let plain = app.http.get(app.url("/healthz")).send().await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain http is not served on the TLS port"
    );
}
on_both_engines!(the_server_terminates_tls_with_http1_and_http2);

#[test]
fn tls_settings_must_come_in_pairs_and_name_real_files() {
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let only_cert = mcp_oauth::config::Settings::load_from(
        &Default::default(),
        env(&[("MCP_OAUTH__SERVER__TLS__CERT", "/etc/hostname")]),
    );
    assert!(format!("{:#}", only_cert.unwrap_err()).contains("together"));
    let missing = mcp_oauth::config::Settings::load_from(
        &Default::default(),
        env(&[
            ("MCP_OAUTH__SERVER__TLS__CERT", "/nope/cert.pem"),
            ("MCP_OAUTH__SERVER__TLS__KEY", "/nope/key.pem"),
        ]),
    );
    assert!(format!("{:#}", missing.unwrap_err()).contains("server.tls.cert"));
}
