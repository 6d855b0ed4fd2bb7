//! Stable-toolchain fuzzing: random and structured inputs against the parsers that face
//! untrusted text, for a time budget. CI runs a few seconds each; run long with e.g.
//! `FUZZ_SECONDS=600 cargo test --test api fuzz:: -- --nocapture`.

use std::time::{Duration, Instant};

use mcp_oauth::mcp::calculator;
use mcp_oauth::oauth::redirect_uri;
use mcp_oauth::oauth::scope::ScopeSet;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn budget() -> Duration {
    let secs = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    Duration::from_secs(secs)
}

/// Feeds values from `strategy` to `check` until the budget runs out; returns how many ran.
fn fuzz<S: Strategy>(strategy: S, mut check: impl FnMut(S::Value)) -> u64 {
    let mut runner = TestRunner::default();
    let deadline = Instant::now() + budget();
    let mut runs = 0;
    while Instant::now() < deadline {
        let value = strategy
            .new_tree(&mut runner)
            .expect("strategy generates")
            .current();
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
