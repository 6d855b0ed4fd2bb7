//! Load driver for the whole browser flow, as a client would run it: authorize → login POST →
//! consent POST → token exchange with PKCE. Each flow uses a freshly registered public client
//! (registration is not timed) so consent is always asked, and a fresh cookie jar so login is
//! always needed. Prints one JSON line: flows/s, p50/p99 per flow, errors.
//!
//! `cargo run --release --example bench_flow -- http://127.0.0.1:5000 admin PASSWORD 8 20`
//! (base URL, user, password, concurrent flows, seconds).

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

struct Target {
    base: String,
    username: String,
    password: String,
}

/// The value of the hidden input `name` in an HTML page.
fn hidden(html: &str, name: &str) -> anyhow::Result<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).context("hidden field missing")? + marker.len();
    let end = html[start..].find('"').context("unterminated value")? + start;
    Ok(html[start..end].to_string())
}

fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    let value = response.headers().get("location").context("no Location")?;
    Ok(value.to_str()?.to_string())
}

/// Registers a public client (untimed setup).
async fn register(http: &reqwest::Client, target: &Target) -> anyhow::Result<String> {
    let body = json!({
        "client_name": "bench", "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
    });
    let response = http
        .post(format!("{}/oauth/register", target.base))
        .json(&body)
        .send()
        .await?;
    ensure!(response.status() == 201, "register: {}", response.status());
    let body: Value = response.json().await?;
    Ok(body["client_id"].as_str().context("client_id")?.to_string())
}

/// One timed flow with its own cookie jar.
async fn flow(target: &Target, client_id: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()?;
    let base = &target.base;
    let verifier = mcp_oauth::crypto::random_token(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "mcp:tools"),
            ("state", "bench"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let response = http
        .get(format!("{base}/oauth/authorize?{query}"))
        .send()
        .await?;
    ensure!(response.status() == 303, "authorize: {}", response.status());
    let page = http
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = hidden(&page, "csrf_token")?;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("username", &target.username),
        ("password", &target.password),
    ];
    let response = http
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await?;
    ensure!(response.status() == 303, "login: {}", response.status());
    let page = http.get(format!("{base}/consent")).send().await?;
    ensure!(page.status() == 200, "consent page: {}", page.status());
    let page = page.text().await?;
    let (csrf, request_id) = (hidden(&page, "csrf_token")?, hidden(&page, "request_id")?);
    let form = [
        ("csrf_token", csrf.as_str()),
        ("request_id", &request_id),
        ("decision", "approve"),
    ];
    let response = http
        .post(format!("{base}/consent"))
        .form(&form)
        .send()
        .await?;
    ensure!(response.status() == 303, "consent: {}", response.status());
    let redirect = url::Url::parse(&location(&response)?)?;
    let Some((_, code)) = redirect.query_pairs().find(|(k, _)| k == "code") else {
        bail!("no code in {redirect}");
    };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", client_id),
        ("code_verifier", &verifier),
    ];
    let response = http
        .post(format!("{base}/oauth/token"))
        .form(&form)
        .send()
        .await?;
    ensure!(response.status() == 200, "token: {}", response.status());
    let body: Value = response.json().await?;
    ensure!(body["access_token"].is_string(), "no access token");
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    ensure!(
        args.len() == 6,
        "usage: bench_flow BASE_URL USER PASSWORD CONCURRENCY SECONDS"
    );
    let target = std::sync::Arc::new(Target {
        base: args[1].trim_end_matches('/').to_string(),
        username: args[2].clone(),
        password: args[3].clone(),
    });
    let concurrency: usize = args[4].parse()?;
    let seconds: u64 = args[5].parse()?;
    let setup = reqwest::Client::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (target, setup) = (target.clone(), setup.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            while Instant::now() < deadline {
                let client_id = match register(&setup, &target).await {
                    Ok(id) => id,
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(format!("{e:#}"));
                        continue;
                    }
                };
                let begun = Instant::now();
                match flow(&target, &client_id).await {
                    Ok(()) => latencies.push(begun.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(format!("{e:#}"));
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
    for worker in workers {
        let (l, e, f) = worker.await?;
        latencies.extend(l);
        errors += e;
        first_error = first_error.or(f);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let report = json!({
        "flows": latencies.len(),
        "errors": errors,
        "first_error": first_error,
        "seconds": elapsed,
        "rps": latencies.len() as f64 / elapsed,
        "p50_ms": percentile(&latencies, 0.50),
        "p99_ms": percentile(&latencies, 0.99),
    });
    println!("{report}");
    Ok(())
}
