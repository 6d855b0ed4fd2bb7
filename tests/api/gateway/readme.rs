//! The README's "Put your MCP server behind OAuth" configuration, loaded and validated as
//! written by the real loader (a typo there would stop an operator's start-up).

use std::io::Write;
use std::sync::Arc;

use mcp_oauth::config::{Overrides, Settings, UpstreamTransport};
use mcp_oauth::gateway::Gateway;
use mcp_oauth::mcp::{Catalog, SystemMonitor};
use mcp_oauth::startup::with_custom_scopes;

fn readme_gateway_example() -> String {
    let readme = include_str!("../../../README.md");
    let section = &readme[readme
        .find("## Put your MCP server behind OAuth")
        .expect("the README section")..];
    let start = section.find("```toml\n").expect("its TOML block") + "```toml\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_owned()
}

#[test]
fn the_readme_upstream_example_loads_as_written() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(readme_gateway_example().as_bytes()).unwrap();
    let overrides = Overrides {
        config_file: Some(file.path().to_path_buf()),
        ..Overrides::default()
    };
    let settings = Settings::load_from(&overrides, Vec::new()).expect("loads and validates");
    let upstreams = &settings.mcp.upstreams;
    assert_eq!(upstreams.len(), 2);
    assert!(matches!(upstreams[0].transport, UpstreamTransport::Stdio));
    assert_eq!(upstreams[0].command.as_deref(), Some("uvx"));
    assert!(matches!(upstreams[1].transport, UpstreamTransport::Http));
    assert_eq!(upstreams[1].scopes, ["docs:read"]);
    let declared: Vec<&str> = settings
        .scopes
        .custom
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(declared, ["time:read", "docs:read"]);
    // What start-up checks next: every scope an upstream names is declared.
    let catalog = Catalog::builtin(Arc::new(SystemMonitor::new()));
    let catalog = with_custom_scopes(catalog, &settings).expect("the custom scopes join");
    Gateway::new(&settings.mcp, catalog).expect("each upstream's scopes are declared");
}
