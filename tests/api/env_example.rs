//! `.env.example` is loaded as-is (`cp .env.example .env`, `docker run --env-file`): the real
//! file goes through the real config loader, read the way Docker reads an env file.

use mcp_oauth::config::{Overrides, Settings};

/// Docker's `--env-file` rules, the strictest of the readers: a line starting with `#` and a
/// blank line are skipped; otherwise everything after the first `=` is the value, verbatim (no
/// quotes, no trailing comments).
fn docker_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("an env-file line without '=': {line:?}"));
            (key.trim_start().to_string(), value.to_string())
        })
        .collect()
}

fn env_example() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
    docker_env_file(&std::fs::read_to_string(path).expect(".env.example is readable"))
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_env_example_loads_through_the_config_loader_as_docker_reads_it() {
    let pairs = env_example();
    for list in [
        "MCP_OAUTH__SERVER__TRUSTED_PROXIES",
        "MCP_OAUTH__MCP__ALLOWED_HOSTS",
        "MCP_OAUTH__CLIENTS__INTROSPECT_ANY",
    ] {
        assert!(
            pairs
                .iter()
                .any(|(key, value)| key == list && value.is_empty()),
            "the file has the empty list line {list}="
        );
    }
    for (key, value) in &pairs {
        assert!(
            !value.contains('#') && value.trim() == value,
            "{key}: the value is exactly what the loader gets, no trailing comment: {value:?}"
        );
    }
    let settings = Settings::load_from(&Overrides::default(), pairs)
        .unwrap_or_else(|e| panic!(".env.example must load as-is: {e:#}"));
    assert!(settings.server.trusted_proxies.is_empty());
    assert!(settings.mcp.allowed_hosts.is_empty());
    assert!(settings.clients.introspect_any.is_empty());
    assert_eq!(
        settings.mcp.allowed_origins,
        ["https://claude.ai", "https://claude.com"]
    );
}

#[test]
fn every_value_in_the_env_example_is_the_compiled_default() {
    // The file's header promises "every setting, with its default".
    let from_file = Settings::load_from(&Overrides::default(), env_example()).unwrap();
    let defaults = Settings::load_from(&Overrides::default(), env(&[])).unwrap();
    assert_eq!(
        from_file.to_redacted_toml().unwrap(),
        defaults.to_redacted_toml().unwrap()
    );
}

#[test]
fn an_empty_list_variable_is_an_empty_list() {
    let settings = Settings::load_from(
        &Overrides::default(),
        env(&[
            ("MCP_OAUTH__SERVER__TRUSTED_PROXIES", ""),
            ("MCP_OAUTH__MCP__ALLOWED_HOSTS", ""),
            ("MCP_OAUTH__MCP__ALLOWED_ORIGINS", " "),
            ("MCP_OAUTH__CLIENTS__INTROSPECT_ANY", ""),
        ]),
    )
    .unwrap_or_else(|e| panic!("empty lists load: {e:#}"));
    assert_eq!(settings.server.trusted_proxies, Vec::<String>::new());
    assert_eq!(settings.mcp.allowed_hosts, Vec::<String>::new());
    assert_eq!(settings.mcp.allowed_origins, Vec::<String>::new());
    assert_eq!(settings.clients.introspect_any, Vec::<String>::new());
}

#[test]
fn a_list_variable_with_values_still_splits_on_commas() {
    let settings = Settings::load_from(
        &Overrides::default(),
        env(&[
            ("MCP_OAUTH__SERVER__TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1"),
            ("MCP_OAUTH__CLIENTS__INTROSPECT_ANY", "gateway"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.server.trusted_proxies, ["10.0.0.0/8", "192.0.2.1"]);
    assert_eq!(settings.clients.introspect_any, ["gateway"]);
}
