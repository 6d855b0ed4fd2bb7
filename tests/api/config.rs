//! Layered configuration: defaults, file, environment, flags; bad values stop start-up.

use std::io::Write;

use mcp_oauth::config::{Overrides, Settings};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_match_the_original_readme() {
    let settings = Settings::load_from(&Overrides::default(), env(&[])).unwrap();
    assert_eq!(settings.server.bind.to_string(), "127.0.0.1:5000");
    assert_eq!(settings.server.public_url, "http://localhost:5000");
    assert_eq!(settings.database.url.expose(), "sqlite://data/mcp-oauth.db");
    assert_eq!(settings.tokens.access_ttl_secs, 3600);
    assert_eq!(settings.tokens.refresh_ttl_secs, 30 * 24 * 3600);
    assert!(settings.tokens.code_ttl_secs <= 600);
    assert!(settings.clients.seed_documented);
    assert_eq!(settings.mcp_resource(), "http://localhost:5000/mcp");
}

#[test]
fn the_file_overrides_defaults_env_overrides_the_file_and_flags_override_env() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "[server]\nbind = \"127.0.0.1:6000\"\npublic_url = \"https://from-file.example\"\n[tokens]\naccess_ttl_secs = 60"
    )
    .unwrap();
    let overrides = Overrides {
        config_file: Some(file.path().to_path_buf()),
        public_url: Some("https://from-flag.example".into()),
        ..Overrides::default()
    };
    let settings = Settings::load_from(
        &overrides,
        env(&[
            ("MCP_OAUTH__SERVER__BIND", "127.0.0.1:7000"),
            ("MCP_OAUTH__SERVER__PUBLIC_URL", "https://from-env.example"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.tokens.access_ttl_secs, 60, "file beats defaults");
    assert_eq!(
        settings.server.bind.to_string(),
        "127.0.0.1:7000",
        "env beats file"
    );
    assert_eq!(
        settings.server.public_url, "https://from-flag.example",
        "flag beats env"
    );
}

#[test]
fn database_url_is_honoured_but_the_namespaced_variable_wins() {
    let plain = Settings::load_from(
        &Overrides::default(),
        env(&[("DATABASE_URL", "postgres://u@127.0.0.1/a")]),
    )
    .unwrap();
    assert_eq!(plain.database.url.expose(), "postgres://u@127.0.0.1/a");
    let both = Settings::load_from(
        &Overrides::default(),
        env(&[
            ("DATABASE_URL", "postgres://u@127.0.0.1/a"),
            ("MCP_OAUTH__DATABASE__URL", "sqlite://x.db"),
        ]),
    )
    .unwrap();
    assert_eq!(both.database.url.expose(), "sqlite://x.db");
}

#[test]
fn an_unknown_key_stops_start_up_naming_the_key() {
    let error = Settings::load_from(
        &Overrides::default(),
        env(&[("MCP_OAUTH__SERVER__BINDD", "127.0.0.1:1")]),
    )
    .unwrap_err();
    assert!(format!("{error:#}").contains("bindd"), "{error:#}");
}

#[test]
fn invalid_values_stop_start_up_naming_the_key() {
    for (key, value, expect) in [
        (
            "MCP_OAUTH__SERVER__PUBLIC_URL",
            "http://localhost:5000/",
            "public_url",
        ),
        ("MCP_OAUTH__SERVER__PUBLIC_URL", "not a url", "public_url"),
        ("MCP_OAUTH__TOKENS__CODE_TTL_SECS", "3600", "code_ttl_secs"),
        (
            "MCP_OAUTH__TOKENS__ACCESS_TTL_SECS",
            "-5",
            "access_ttl_secs",
        ),
        ("MCP_OAUTH__DATABASE__URL", "mysql://x", "database.url"),
        ("MCP_OAUTH__SERVER__BIND", "nowhere", "bind"),
    ] {
        let error = Settings::load_from(&Overrides::default(), env(&[(key, value)])).unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains(expect), "{key}={value} gave {text:?}");
    }
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let overrides = Overrides {
        config_file: Some("/nonexistent/mcp-oauth.toml".into()),
        ..Overrides::default()
    };
    let error = Settings::load_from(&overrides, env(&[])).unwrap_err();
    assert!(format!("{error:#}").contains("does not exist"));
}

#[test]
fn debug_and_print_config_never_show_secrets() {
    let settings = Settings::load_from(
        &Overrides::default(),
        env(&[
            (
                "MCP_OAUTH__DATABASE__URL",
                "postgres://app:hunter2secret@db.example/app",
            ),
            (
                "MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD",
                "admin-pass-very-secret",
            ),
        ]),
    )
    .unwrap();
    let debug = format!("{settings:?}");
    let toml = settings.to_redacted_toml().unwrap();
    for shown in [debug, toml] {
        assert!(!shown.contains("hunter2secret"), "{shown}");
        assert!(!shown.contains("admin-pass-very-secret"), "{shown}");
        assert!(
            shown.contains("db.example"),
            "the URL is still shown: {shown}"
        );
    }
}

#[test]
fn operations_settings_layer_from_the_environment_and_are_validated() {
    let settings = Settings::load_from(
        &Overrides::default(),
        env(&[
            ("MCP_OAUTH__RATE_LIMITS__TOKEN__BURST", "7"),
            ("MCP_OAUTH__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1"),
            ("MCP_OAUTH__METRICS__BIND", "127.0.0.1:0"),
            ("MCP_OAUTH__SERVER__OAUTH_CONCURRENCY_PER_CORE", "16"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.server.oauth_concurrency_per_core, 16);
    assert_eq!(settings.rate_limits.token.burst, 7);
    assert_eq!(
        settings.rate_limits.token.period_ms, 100,
        "the rest of the group keeps its default"
    );
    assert_eq!(settings.trusted_proxy_nets().unwrap().len(), 2);
    assert_eq!(settings.maintenance.batch_size, 500);
    for (key, value, expect) in [
        (
            "MCP_OAUTH__SERVER__TRUSTED_PROXIES",
            "proxy.local",
            "trusted_proxies",
        ),
        (
            "MCP_OAUTH__RATE_LIMITS__LOGIN__BURST",
            "0",
            "rate_limits.login",
        ),
        ("MCP_OAUTH__MAINTENANCE__BATCH_SIZE", "0", "maintenance"),
        (
            "MCP_OAUTH__SERVER__OAUTH_CONCURRENCY_PER_CORE",
            "0",
            "oauth_concurrency_per_core",
        ),
    ] {
        let error = Settings::load_from(&Overrides::default(), env(&[(key, value)])).unwrap_err();
        assert!(
            format!("{error:#}").contains(expect),
            "{key}={value}: {error:#}"
        );
    }
}

#[test]
fn print_config_output_loads_back_as_a_config_file() {
    let settings = Settings::load_from(&Overrides::default(), env(&[])).unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "{}", settings.to_redacted_toml().unwrap()).unwrap();
    let overrides = Overrides {
        config_file: Some(file.path().to_path_buf()),
        ..Overrides::default()
    };
    let reloaded = Settings::load_from(&overrides, env(&[])).unwrap();
    assert_eq!(
        reloaded.rate_limits.mcp.burst,
        settings.rate_limits.mcp.burst
    );
    assert_eq!(reloaded.metrics.bind, settings.metrics.bind);
}

/// `[[login.oidc]]` from a file (five lines), `login.password` from the environment.
fn with_provider_file(extra: &str) -> anyhow::Result<Settings> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        "[[login.oidc]]\nid = \"corp\"\ndisplay_name = \"Corp SSO\"\n\
         issuer = \"https://login.corp.example\"\nclient_id = \"mcp\"\n\
         client_secret = \"oidc-client-secret-value\"\n{extra}"
    )
    .unwrap();
    let overrides = Overrides {
        config_file: Some(file.path().to_path_buf()),
        ..Overrides::default()
    };
    Settings::load_from(&overrides, env(&[("MCP_OAUTH__LOGIN__PASSWORD", "false")]))
}

#[test]
fn upstream_providers_load_from_the_file_with_defaults_and_their_secret_never_shows() {
    let settings = with_provider_file("").unwrap();
    assert!(
        !settings.login.password,
        "the simple keys come from the environment"
    );
    let corp = settings.login.provider("corp").unwrap();
    assert_eq!(corp.scopes, ["openid", "email", "profile"]);
    assert_eq!(corp.username_claim, "email");
    assert_eq!(corp.provisioning, mcp_oauth::config::Provisioning::Auto);
    let toml = settings.to_redacted_toml().unwrap();
    for shown in [format!("{settings:?}"), toml.clone()] {
        assert!(!shown.contains("oidc-client-secret-value"), "{shown}");
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "{toml}").unwrap();
    let overrides = Overrides {
        config_file: Some(file.path().to_path_buf()),
        ..Overrides::default()
    };
    let reloaded = Settings::load_from(&overrides, env(&[])).unwrap();
    assert_eq!(reloaded.login.oidc[0].issuer, corp.issuer);

    for (extra, expect) in [
        ("allowed_groups = [\"ops\"]", "needs groups_claim"),
        ("scopes = [\"email\"]", "must include \"openid\""),
        ("provisioning = \"sometimes\"", "provisioning"),
        (
            "[[login.oidc]]\nid = \"corp\"\ndisplay_name = \"Again\"\n\
             issuer = \"https://other.example\"\nclient_id = \"x\"\nclient_secret = \"y\"",
            "used twice",
        ),
        (
            "[[login.oidc]]\nid = \"plain\"\ndisplay_name = \"Plain\"\n\
             issuer = \"http://idp.example\"\nclient_id = \"x\"\nclient_secret = \"y\"",
            "must be https",
        ),
    ] {
        let error = with_provider_file(extra).unwrap_err();
        assert!(format!("{error:#}").contains(expect), "{extra}: {error:#}");
    }
}
