//! The real OpenID Provider the upstream-login tests sign in at: oidc-provider (pinned in
//! tests/oidc-provider/package-lock.json) run by node on a free loopback port, and the
//! settings that point this server at it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Once;
use std::time::Duration;

use mcp_oauth::config::{OidcProvider, Settings};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::helpers::{Engine, TestApp, spawn_app_at_public_url_with};

/// The password of every account at the test provider (see provider.mjs).
pub const PROVIDER_PASSWORD: &str = "provider-password";
const CLIENT_SECRET: &str = "provider-client-secret";
const PATIENCE: Duration = Duration::from_secs(20);

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

fn node() -> String {
    std::env::var("TEST_NODE").unwrap_or_else(|_| "node".to_string())
}

/// Whether node runs here; otherwise the notice, once, and the test is skipped.
fn node_available() -> bool {
    let found = std::process::Command::new(node())
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        static NOTICE: Once = Once::new();
        NOTICE.call_once(|| {
            let _ = std::io::stderr().write_all(
                b"\n*** node is not installed: the upstream OpenID Connect tests are SKIPPED. ***\n",
            );
        });
    }
    found
}

/// `npm ci` once when the pinned packages are not installed yet (.ci/run does it first).
fn install_packages() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if folder().join("node_modules/oidc-provider").exists() {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(folder())
            .status()
            .expect("run npm ci in tests/oidc-provider");
        assert!(status.success(), "npm ci in tests/oidc-provider failed");
    });
}

/// A running provider; node is killed when this is dropped (and exits when its stdin closes).
pub struct TestProvider {
    pub issuer: String,
    _child: Child,
}

/// Launched and listening, waiting for the redirect URIs of the server under test.
struct Launched {
    issuer: String,
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("the test provider answered in time")
        .expect("read the test provider's output")
        .expect("the test provider is still running")
}

async fn launch() -> Option<Launched> {
    if !node_available() {
        return None;
    }
    install_packages();
    let mut child = Command::new(node())
        .arg("provider.mjs")
        .current_dir(folder())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // TEST_LOG=1 shows the provider's own complaints too.
        .stderr(if std::env::var("TEST_LOG").is_ok() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .expect("start the test provider");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first: serde_json::Value =
        serde_json::from_str(&next_line(&mut lines).await).expect("the issuer line");
    let issuer = first["issuer"].as_str().expect("issuer").to_string();
    Some(Launched {
        issuer,
        child,
        lines,
    })
}

impl Launched {
    async fn ready(mut self, redirect_uri: &str) -> TestProvider {
        let line = serde_json::json!({ "redirect_uris": [redirect_uri] }).to_string();
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("hand the redirect URI over");
        stdin.flush().await.expect("flush");
        assert_eq!(next_line(&mut self.lines).await, "ready");
        // Whatever the provider prints later must not hit a closed pipe.
        let mut lines = self.lines;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        TestProvider {
            issuer: self.issuer,
            _child: self.child,
        }
    }
}

/// `[[login.oidc]]` id "test" at `issuer` as client `client_id`, the groups claim read.
pub fn provider_settings(issuer: &str, client_id: &str) -> OidcProvider {
    let text = serde_json::json!({
        "id": "test", "display_name": "Test IdP", "issuer": issuer,
        "client_id": client_id, "client_secret": CLIENT_SECRET,
        "scopes": ["openid", "email", "profile", "groups"], "groups_claim": "groups",
    });
    serde_json::from_value(text).expect("provider settings")
}

/// The provider and this server, each knowing the other: the server is at its public URL
/// with provider "test" as `client_id`, adjusted by `adjust`. `None` when node is missing
/// or the engine is unavailable.
pub async fn with_provider(
    engine: Engine,
    client_id: &str,
    adjust: impl Fn(&mut OidcProvider, &mut Settings),
) -> Option<(TestApp, TestProvider)> {
    let launched = launch().await?;
    let issuer = launched.issuer.clone();
    let app = spawn_app_at_public_url_with(engine, |settings| {
        let mut provider = provider_settings(&issuer, client_id);
        adjust(&mut provider, settings);
        settings.login.oidc = vec![provider];
    })
    .await?;
    let provider = launched.ready(&app.url("/login/oidc/test/callback")).await;
    Some((app, provider))
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|base| base.join(location))
        .expect("a location")
        .to_string()
}

/// From our "Sign in with Test IdP" to the provider's redirect back: signs in at the
/// provider as `login` (or cancels there with `None`) and returns the callback URL the
/// provider sent the browser to, not yet followed.
pub async fn through_provider(app: &TestApp, op: &TestProvider, login: Option<&str>) -> String {
    let response = crate::browser::get(app, "/login/oidc/test").await;
    assert_eq!(
        response.status(),
        303,
        "the start redirects to the provider"
    );
    let mut next = crate::browser::location(&response).expect("location");
    for _ in 0..10 {
        let url = absolute(&op.issuer, &next);
        if url.starts_with(&app.address) {
            return url;
        }
        let response = app.http.get(&url).send().await.expect("provider request");
        let response = if response.status().is_redirection() {
            response
        } else {
            assert_eq!(response.status(), 200, "the provider's login page: {url}");
            let form = match login {
                Some(login) => app
                    .http
                    .post(format!("{url}/login"))
                    .form(&[("login", login), ("password", PROVIDER_PASSWORD)]),
                None => app.http.post(format!("{url}/abort")),
            };
            form.send().await.expect("submit the provider's login form")
        };
        assert!(response.status().is_redirection(), "{}", response.status());
        next = crate::browser::location(&response).expect("location");
    }
    panic!("the provider never redirected back");
}
