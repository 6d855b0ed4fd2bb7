//! Memory settings of the real binary, as the kernel reports them for the running process.

use crate::faults::service::Service;

const PUBLIC_URL: &str = "http://mcp-oauth.memory.test";

/// The `THP_enabled` line of `/proc/<pid>/status`: "0" once a process turned huge pages off.
fn thp_enabled(pid: impl std::fmt::Display) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("THP_enabled:"))
        .map(|value| value.trim().to_string())
        .expect("the kernel reports THP_enabled")
}

#[tokio::test]
async fn the_server_declines_transparent_huge_pages_unless_the_operator_asks_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/memory.db", dir.path().display());
    let log = dir.path().join("log");

    let service = Service::start(&database, PUBLIC_URL, &log).await;
    assert_eq!(thp_enabled(service.pid()), "0", "{}", service.log_tail());
    drop(service);

    // mimalloc's own variable is the operator's override: the process keeps what it inherited.
    assert_eq!(
        thp_enabled("self"),
        "1",
        "the test runner must not inherit THP off"
    );
    let service =
        Service::start_with_env(&database, PUBLIC_URL, &log, &[("MIMALLOC_ALLOW_THP", "1")]).await;
    assert_eq!(thp_enabled(service.pid()), "1", "{}", service.log_tail());
}
