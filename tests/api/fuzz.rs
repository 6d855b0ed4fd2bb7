//! Stable-toolchain fuzzing: random and structured inputs against the parsers that face
//! untrusted text, for a time budget (`FUZZ_SECONDS`, default 2 s per target, so `cargo test`
//! smoke-runs every target). Run long with e.g.
//! `FUZZ_SECONDS=600 cargo test --test api fuzz:: -- --nocapture --test-threads 1`
//! (with `TEST_DATABASE_URL` set, the HTTP targets run on Postgres too).

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mcp_oauth::mcp::calculator;
use mcp_oauth::oauth::redirect_uri;
use mcp_oauth::oauth::scope::ScopeSet;
use mcp_oauth::tokens::jwt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, spawn_app, spawn_app_with};
use crate::on_both_engines;

fn budget() -> Duration {
    let secs = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    Duration::from_secs(secs)
}

/// Values drawn from a strategy until the budget runs out.
struct Draws<S: Strategy> {
    strategy: S,
    runner: TestRunner,
    deadline: Instant,
}

impl<S: Strategy> Iterator for Draws<S> {
    type Item = S::Value;

    fn next(&mut self) -> Option<S::Value> {
        (Instant::now() < self.deadline).then(|| {
            self.strategy
                .new_tree(&mut self.runner)
                .expect("strategy generates")
                .current()
        })
    }
}

fn draws<S: Strategy>(strategy: S) -> Draws<S> {
    Draws {
        strategy,
        runner: TestRunner::default(),
        deadline: Instant::now() + budget(),
    }
}

/// Feeds values from `strategy` to `check` until the budget runs out; returns how many ran.
fn fuzz<S: Strategy>(strategy: S, mut check: impl FnMut(S::Value)) -> u64 {
    let mut runs = 0;
    for value in draws(strategy) {
        check(value);
        runs += 1;
    }
    runs
}

/// Text that is mostly calculator-shaped, with arbitrary characters mixed in.
fn calculator_input() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[0-9]{1,20}(\\.[0-9]{0,10})?([eE][-+]?[0-9]{1,4})?",
        Just("(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        "[-+*/%^]",
        "(sqrt|abs|ln|log10|exp|sin|cos|tan|min|max|round|pow|pi|e|foo)",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(token, 0..400).prop_map(|parts| parts.concat())
}

#[test]
fn the_calculator_never_panics_and_only_returns_finite_values() {
    let runs = fuzz(calculator_input(), |input| {
        if let Ok(value) = calculator::evaluate(&input) {
            assert!(value.is_finite(), "{input:?} gave {value}");
        }
    });
    assert!(runs > 0);
}

#[test]
fn scope_and_redirect_uri_parsing_never_panic_and_stay_consistent() {
    let text = prop_oneof![
        any::<String>(),
        "(https?|javascript|com\\.example\\.app|urn)://?[a-z0-9.:@\\[\\]-]{0,30}(/[a-z0-9./#?%=&-]{0,30})?",
    ];
    let runs = fuzz((text.clone(), text), |(a, b)| {
        if let Ok(set) = ScopeSet::parse(&a) {
            // A parsed set prints back to something that parses to the same set.
            assert_eq!(ScopeSet::parse(&set.to_string()), Ok(set));
        }
        let valid = redirect_uri::validate_for_registration(&a).is_ok();
        if valid && a != redirect_uri::OOB {
            assert!(!a.contains('#'), "{a:?} has a fragment");
        }
        // Matching is exact or loopback-any-port: never a match across different hosts.
        if redirect_uri::matches_registered(&b, &a) && a != b {
            let (ua, ub) = (url::Url::parse(&a).unwrap(), url::Url::parse(&b).unwrap());
            assert_eq!(ua.host(), ub.host(), "{a:?} ~ {b:?}");
            assert!(redirect_uri::is_loopback(&ua));
        }
    });
    assert!(runs > 0);
}

/// A form body as pairs, each spelt raw or percent-encoded, with stray escapes, bytes that
/// are not UTF-8, NULs and repeated names mixed in.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "grant_type",
            "client_id",
            "client_secret",
            "scope",
            "resource",
            "code",
            "redirect_uri",
            "refresh_token",
            "token",
            "token_type_hint",
            "code_verifier"
        ])
        .prop_map(String::from),
        "[a-z_%+=&;\\x00]{0,12}",
        any::<String>(),
    ];
    let value = prop_oneof![
        prop::sample::select(vec![
            "client_credentials",
            "authorization_code",
            "refresh_token",
            CLAUDE.0,
            CLAUDE.1,
            "mcp:tools",
            "mcp:tools mcp:resources",
            "http://localhost:5000/mcp",
            "https://claude.ai/oauth/callback"
        ])
        .prop_map(String::from),
        "([a-zA-Z0-9 .:/_-]|%[0-9a-fA-F]{2}|%[g-z]?|\\+|\\x00){0,40}",
        any::<String>(),
    ];
    let pair = (
        name,
        value,
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..3),
    );
    prop::collection::vec(pair, 0..8).prop_map(|pairs| {
        let mut body = Vec::new();
        for (i, (name, value, encode, raw)) in pairs.into_iter().enumerate() {
            if i > 0 {
                body.push(b'&');
            }
            if encode {
                body.extend(
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair(&name, &value)
                        .finish()
                        .into_bytes(),
                );
            } else {
                body.extend(format!("{name}={value}").into_bytes());
            }
            body.extend(raw);
        }
        body
    })
}

/// What the form parser must refuse: undecodable UTF-8, NUL, a repeated name.
fn must_refuse(body: &[u8]) -> bool {
    let mut seen = std::collections::HashSet::new();
    form_urlencoded::parse(body).any(|(name, value)| {
        [&name, &value]
            .iter()
            .any(|s| s.contains(['\u{FFFD}', '\0']))
            || !seen.insert(name.into_owned())
    })
}

async fn the_oauth_form_parser_refuses_exactly_the_malformed_bodies_and_never_fails(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |s| s.rate_limits.enabled = false)
        .await
        .unwrap();
    let basic = prop_oneof![
        Just(None),
        prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| Some(format!("Basic {}", STANDARD.encode(b)))),
        "Basic [A-Za-z0-9+/=%:]{0,40}".prop_map(Some),
    ];
    let paths = prop::sample::select(vec!["/oauth/token", "/oauth/revoke", "/oauth/introspect"]);
    let mut runs = 0;
    for (body, path, authorization) in draws((form_body(), paths, basic)) {
        let mut request = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone());
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let shown = String::from_utf8_lossy(&body);
        assert!(status < 500, "{status} for {path} {shown:?}: {text}");
        if must_refuse(&body) {
            let answer: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                (status, answer["error"].as_str()),
                (400, Some("invalid_request")),
                "{path} {shown:?}"
            );
        } else if status != 200 {
            let answer: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} {text:?}"));
            assert!(
                answer["error"].is_string() && answer["error_description"].is_string(),
                "{answer}"
            );
        }
        runs += 1;
    }
    eprintln!("form parser ({engine:?}): {runs} bodies");
    assert!(runs > 0);
}
on_both_engines!(the_oauth_form_parser_refuses_exactly_the_malformed_bodies_and_never_fails);

/// JSON of any shape, for headers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![
            "ES256", "none", "HS256", "RS256", "at+jwt", "JWT", "ES256K", ""
        ])
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,4}|alg|typ|kid|jwk|crit|x5u", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One edit to a token's text: replace, insert or delete a character, or cut the token.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let alphabet = prop_oneof![
        prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "
                .chars()
                .collect::<Vec<_>>()
        ),
        any::<char>(),
    ];
    let edit = prop_oneof![
        (any::<usize>(), alphabet.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), alphabet).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..4)
}

fn apply(token: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    for edit in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match *edit {
            Edit::Replace(i, c) if !chars.is_empty() => {
                let i = at(i, chars.len());
                chars[i] = c;
            }
            Edit::Insert(i, c) => chars.insert(at(i, chars.len() + 1), c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(at(i, chars.len()));
            }
            Edit::Truncate(i) => chars.truncate(at(i, chars.len())),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_verification_never_panics_and_never_accepts_a_mutated_or_forged_token() {
    let app = spawn_app(Engine::Sqlite).await.unwrap();
    let token = app
        .client_credentials_token(CLAUDE, Some("mcp:tools"))
        .await;
    let (issuer, audience) = (
        app.settings.issuer().to_string(),
        app.settings.mcp_resource(),
    );
    let keys = &app.auth.keys;
    assert!(jwt::verify(keys, &token, &issuer, &audience).is_ok());
    let parts: Vec<&str> = token.split('.').collect();
    let (payload, signature) = (parts[1].to_string(), parts[2].to_string());
    let candidates = prop_oneof![
        "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,90}",
        any::<String>(),
        // Any header at all over the real payload and signature.
        json_value().prop_map(move |header| format!(
            "{}.{payload}.{signature}",
            URL_SAFE_NO_PAD.encode(header.to_string())
        )),
        edits().prop_map({
            let token = token.clone();
            move |edits| apply(&token, &edits)
        }),
    ];
    let runs = fuzz(candidates, |candidate| {
        if candidate == token {
            return;
        }
        assert!(
            jwt::verify(keys, &candidate, &issuer, &audience).is_err(),
            "{candidate:?} verified"
        );
        assert!(
            jwt::verify_signature_only(keys, &candidate, &issuer).is_err(),
            "{candidate:?} verified (signature only)"
        );
    });
    eprintln!("JWT verification: {runs} candidates");
    assert!(runs > 0);
}
