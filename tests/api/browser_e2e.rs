//! A real browser (headless Chromium through WebDriver) logs in, consents and lands on the
//! callback page with a code; SQLite only, since this is about the browser flow, not storage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{
    ADMIN_PASSWORD, Engine, TestApp, free_loopback_port, spawn_app_at_public_url,
};

pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const PATIENCE: Duration = Duration::from_secs(15);

/// chromedriver on a port of its own, killed when dropped (also when the test panics).
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub(crate) async fn start() -> Driver {
        let port = free_loopback_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Bounded polling: chromedriver answers /status once it listens.
        let status = format!("{}/status", driver.url);
        let deadline = Instant::now() + PATIENCE;
        while reqwest::get(&status).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }

    /// A headless Chromium session with a fresh profile in `profile`.
    pub(crate) async fn session(&self, profile: &Path) -> Client {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,600",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({"goog:chromeOptions": {"binary": CHROMIUM, "args": args}});
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Screenshots are build artifacts in `target/screenshots/`; with `UPDATE_SCREENSHOTS=1`
/// they also replace the committed copies the README shows (so plain runs leave git clean).
fn save_screenshot(name: &str, png: &[u8]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("target/screenshots")];
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        dirs.push(root.join("docs/screenshots"));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// The scope the 401 challenge names: what a client following our hints asks for.
pub(crate) async fn hinted_scope(app: &TestApp) -> String {
    let response = app
        .http
        .post(app.url("/mcp"))
        .send()
        .await
        .expect("unauthenticated MCP request");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ASCII")
        .to_string();
    challenge
        .split("scope=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("scope in challenge")
        .to_string()
}

/// Registers a public client whose redirect URI is this server's own callback page.
pub(crate) async fn register_client(app: &TestApp, redirect_uri: &str, scope: &str) -> String {
    let response = app
        .http
        .post(app.url("/oauth/register"))
        .json(
            &json!({"client_name": "Browser Test", "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none", "scope": scope}),
        )
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("registration JSON");
    body["client_id"].as_str().expect("client_id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_browser_logs_in_consents_and_lands_on_the_callback_with_a_code() {
    if !Path::new(CHROMEDRIVER).exists() {
        // Written to the raw handle so libtest's capture does not hide it.
        let _ = std::io::stderr().write_all(
            b"\n*** SKIPPED: chromium-driver not installed (no /usr/bin/chromedriver). ***\n",
        );
        return;
    }
    let app = spawn_app_at_public_url(Engine::Sqlite)
        .await
        .expect("SQLite app");
    let redirect_uri = app.url("/oauth/callback");
    let scope = hinted_scope(&app).await;
    let client_id = register_client(&app, &redirect_uri, &scope).await;
    let verifier = format!("browser-verifier-{}", crate::helpers::random_suffix()).repeat(2);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect_uri),
            ("scope", scope.as_str()),
            ("state", "browser-state-42"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .finish();

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("browser profile directory");
    let browser = driver.session(profile.path()).await;
    browser
        .goto(&app.url(&format!("/oauth/authorize?{query}")))
        .await
        .expect("open the authorization URL");

    let username = browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#username"))
        .await
        .expect("the login form");
    assert_eq!(browser.current_url().await.expect("URL").path(), "/login");
    username
        .send_keys("admin")
        .await
        .expect("type the username");
    browser
        .find(Locator::Css("#password"))
        .await
        .expect("password field")
        .send_keys(ADMIN_PASSWORD)
        .await
        .expect("type the password");
    save_screenshot(
        "login.png",
        &browser.screenshot().await.expect("login screenshot"),
    );
    browser
        .find(Locator::Css("button[type=submit]"))
        .await
        .expect("sign-in button")
        .click()
        .await
        .expect("sign in");

    let allow = browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("button[value=approve]"))
        .await
        .expect("the consent form");
    let consent = browser.source().await.expect("consent HTML");
    assert!(
        consent.contains("Browser Test") && consent.contains("tool echo"),
        "{consent}"
    );
    // Tall enough that the screenshot shows the Allow and Deny buttons too.
    browser
        .set_window_size(1000, 900)
        .await
        .expect("resize the window");
    save_screenshot(
        "consent.png",
        &browser.screenshot().await.expect("consent screenshot"),
    );
    allow.click().await.expect("approve");

    let heading = browser
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath("//h1[text()='Authorization code']"))
        .await
        .expect("the callback page with a code");
    assert_eq!(heading.text().await.expect("heading"), "Authorization code");
    let landed = browser.current_url().await.expect("final URL");
    let params: std::collections::HashMap<String, String> =
        landed.query_pairs().into_owned().collect();
    assert_eq!(landed.path(), "/oauth/callback", "{landed}");
    assert_eq!(
        (params["state"].as_str(), params["iss"].as_str()),
        ("browser-state-42", app.settings.issuer())
    );
    let shown = browser
        .find(Locator::Css("pre.copy"))
        .await
        .expect("code on the page")
        .text()
        .await
        .expect("code text");
    assert_eq!(shown, params["code"]);
    browser.close().await.expect("end the browser session");
    drop(driver);

    // The code the browser carried is a real one.
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", &redirect_uri),
                ("client_id", &client_id),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    // One consent with the boxes as the page offered them: the whole catalogue.
    assert_eq!(tokens["scope"], crate::claude::EVERY_SCOPE);
    let access = tokens["access_token"].as_str().expect("access token");
    let mut tools = crate::claude::listed(&app, access, "tools", "name").await;
    tools.sort();
    assert_eq!(tools, ["calculator", "echo", "system_info"], "every tool");
    let mut resources = crate::claude::listed(&app, access, "resources", "uri").await;
    resources.sort();
    assert_eq!(resources, ["system://metrics", "system://platform"]);
}
