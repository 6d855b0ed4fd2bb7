//! Micro-benchmarks of the hot paths the load benchmark cannot isolate: JWT sign/verify,
//! PKCE, client-secret checks (argon2 vs the cache), the calculator and the revocation set.
//! Run with `cargo bench --bench micro`; see "Performance" in the README.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mcp_oauth::config::{Overrides, Settings};
use mcp_oauth::mcp::calculator;
use mcp_oauth::oauth::client_auth::{self, Presented, SecretCache};
use mcp_oauth::oauth::pkce;
use mcp_oauth::storage::{self, Store};
use mcp_oauth::tokens::{AccessClaims, KeyRing, RevocationList, VerifiedTokens, jwt, keys};
use mcp_oauth::{crypto, startup};

/// The documented confidential client, seeded by `prepare_store`.
const CLIENT_ID: &str = "mcp_test_client";
const CLIENT_SECRET: &str = "test_secret_key_2024";

/// A migrated, seeded SQLite store in a temporary directory, and the settings that made it.
struct Fixture {
    settings: Settings,
    store: Store,
    _dir: tempfile::TempDir,
}

fn fixture(runtime: &tokio::runtime::Runtime) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/micro.db", dir.path().display());
    let env = [("MCP_OAUTH__DATABASE__URL".to_string(), url)];
    let settings = Settings::load_from(&Overrides::default(), env).expect("settings");
    let store = runtime
        .block_on(startup::prepare_store(&settings))
        .expect("store");
    Fixture {
        settings,
        store,
        _dir: dir,
    }
}

fn claims(settings: &Settings) -> AccessClaims {
    let now = storage::unix_now();
    AccessClaims {
        iss: settings.issuer().to_string(),
        sub: CLIENT_ID.into(),
        aud: settings.mcp_resource(),
        exp: now + 3600,
        iat: now,
        nbf: now,
        jti: crypto::random_token(16),
        client_id: CLIENT_ID.into(),
        scope: "mcp:tools mcp:resources".into(),
    }
}

fn jwt_benches(c: &mut Criterion, runtime: &tokio::runtime::Runtime, fx: &Fixture) {
    runtime
        .block_on(keys::ensure_active_key(&fx.store))
        .expect("key");
    let ring = runtime.block_on(KeyRing::load(&fx.store)).expect("ring");
    let claims = claims(&fx.settings);
    let token = jwt::sign(&ring, &claims).expect("sign");
    let (issuer, audience) = (fx.settings.issuer(), fx.settings.mcp_resource());
    c.bench_function("jwt_sign_es256", |b| {
        b.iter(|| jwt::sign(&ring, black_box(&claims)).expect("sign"));
    });
    c.bench_function("jwt_verify_es256", |b| {
        b.iter(|| jwt::verify(&ring, black_box(&token), issuer, &audience).expect("verify"));
    });
    // What the MCP endpoints do: the same token again is answered from the verified cache.
    let verified = VerifiedTokens::default();
    c.bench_function("jwt_verify_cached", |b| {
        b.iter(|| {
            verified
                .verify(&ring, black_box(&token), issuer, &audience)
                .expect("verify")
        });
    });
}

fn pkce_benches(c: &mut Criterion) {
    // RFC 7636 Appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    c.bench_function("pkce_verify_s256", |b| {
        b.iter(|| {
            assert!(pkce::verify(
                pkce::S256,
                black_box(challenge),
                black_box(verifier)
            ));
        });
    });
}

/// What the token endpoint pays per client authentication: argon2id alone, and the whole
/// `authenticate` (client row read + check) with the verification cache cold and warm.
fn secret_benches(c: &mut Criterion, runtime: &tokio::runtime::Runtime, fx: &Fixture) {
    let client = runtime
        .block_on(fx.store.get_client(CLIENT_ID))
        .expect("read client")
        .expect("seeded client");
    let hash = client.secret_hash.expect("confidential");
    let presented = Presented::Post {
        client_id: CLIENT_ID.into(),
        secret: CLIENT_SECRET.into(),
    };
    let mut group = c.benchmark_group("client_secret");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| {
            let ok = runtime.block_on(crypto::verify_secret(CLIENT_SECRET.into(), hash.clone()));
            assert!(ok);
        });
    });
    // A zero TTL never hits: every call verifies with argon2.
    let cold = SecretCache::new(Duration::ZERO);
    group.bench_function("authenticate_cache_cold", |b| {
        b.iter(|| {
            runtime
                .block_on(client_auth::authenticate(&fx.store, &cold, &presented))
                .expect("authenticated")
        });
    });
    group.finish();
    let warm = SecretCache::new(Duration::from_secs(300));
    runtime
        .block_on(client_auth::authenticate(&fx.store, &warm, &presented))
        .expect("authenticated");
    c.bench_function("client_secret/authenticate_cache_warm", |b| {
        b.iter(|| {
            runtime
                .block_on(client_auth::authenticate(&fx.store, &warm, &presented))
                .expect("authenticated")
        });
    });
}

fn calculator_benches(c: &mut Criterion) {
    for (name, expression) in [
        ("calculator_simple", "2 + 3 * 4"),
        (
            "calculator_functions",
            "2^10 - sqrt(16) + sin(pi / 2) * log10(100)",
        ),
        (
            "calculator_nested",
            "((((1 + 2) * (3 + 4)) / ((5 - 6) ^ 2)) + abs(-7)) * 1e3",
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| calculator::evaluate(black_box(expression)).expect("valid"));
        });
    }
}

/// The set every MCP request consults, at the size of a busy day's revocations.
fn revocation_benches(c: &mut Criterion) {
    let list = RevocationList::default();
    let far = storage::unix_now() + 3600;
    for i in 0..10_000 {
        list.insert(format!("revoked-jti-{i:08}"), far);
    }
    let absent = crypto::random_token(16);
    c.bench_function("revocation_lookup_miss_10k", |b| {
        b.iter(|| assert!(!list.contains(black_box(&absent))));
    });
    c.bench_function("revocation_lookup_hit_10k", |b| {
        b.iter(|| assert!(list.contains(black_box("revoked-jti-00004242"))));
    });
}

fn all(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let fx = fixture(&runtime);
    jwt_benches(c, &runtime, &fx);
    pkce_benches(c);
    secret_benches(c, &runtime, &fx);
    calculator_benches(c);
    revocation_benches(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
