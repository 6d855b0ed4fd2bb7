//! The real `mcp-oauth serve` binary as a child process, so that a kill is a real SIGKILL.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::private_postgres::tail;
use crate::helpers::{ADMIN_PASSWORD, free_loopback_port};

/// How long start-up (migrations, seeding, first argon2 hashes) may take before we give up.
const START_DEADLINE: Duration = Duration::from_secs(30);

pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    log: PathBuf,
}

impl Service {
    /// Starts `mcp-oauth serve` on `database_url` and waits until `/readyz` answers 200.
    ///
    /// `public_url` is the issuer: a restarted service must keep it for earlier tokens to
    /// verify, while its listening port may change. Output is appended to `log`.
    pub async fn start(database_url: &str, public_url: &str, log: &Path) -> Service {
        Self::start_with_env(database_url, public_url, log, &[]).await
    }

    /// [`Service::start`] with extra environment variables for the child.
    pub async fn start_with_env(
        database_url: &str,
        public_url: &str,
        log: &Path,
        env: &[(&str, &str)],
    ) -> Service {
        // The port was free a moment ago; should another process take it first, try again.
        for attempt in 0.. {
            let port = free_loopback_port();
            let mut service = Self::spawn(database_url, public_url, port, log, env);
            match service.wait_until_ready(START_DEADLINE).await {
                Ok(()) => return service,
                Err(why) if attempt < 3 && why.contains("cannot listen") => {
                    eprintln!("port {port} was taken; trying another");
                }
                Err(why) => panic!("mcp-oauth serve did not become ready: {why}"),
            }
        }
        unreachable!()
    }

    fn spawn(
        database_url: &str,
        public_url: &str,
        port: u16,
        log: &Path,
        env: &[(&str, &str)],
    ) -> Service {
        let output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("service log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-oauth"));
        // Nothing from the developer's environment: only what this test sets.
        for (key, _) in std::env::vars() {
            if key.starts_with("MCP_OAUTH") || key == "DATABASE_URL" {
                command.env_remove(key);
            }
        }
        let child = command
            .arg("serve")
            .env("MCP_OAUTH__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("MCP_OAUTH__SERVER__PUBLIC_URL", public_url)
            .env("MCP_OAUTH__DATABASE__URL", database_url)
            .env("MCP_OAUTH__DATABASE__MAX_CONNECTIONS", "5")
            // Bounds every request's wait for a connection while the database is down.
            .env("MCP_OAUTH__DATABASE__CONNECT_TIMEOUT_SECS", "2")
            .env("MCP_OAUTH__RATE_LIMITS__ENABLED", "false")
            .env("MCP_OAUTH__METRICS__ENABLED", "false")
            .env("MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log handle"))
            .stderr(output)
            .spawn()
            .expect("mcp-oauth binary starts");
        Service {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        }
    }

    /// Polls `/readyz` until 200; an early exit or the deadline is an error with the log's tail.
    async fn wait_until_ready(&mut self, deadline: Duration) -> Result<(), String> {
        let http = http_client();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                return Err(format!("it exited ({status}):\n{}", self.log_tail()));
            }
            let ready = http.get(self.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            if started.elapsed() > deadline {
                return Err(format!(
                    "not ready after {deadline:?}:\n{}",
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The child's process id, for reading what the kernel says about it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Whether the process is still alive (it has neither exited nor crashed).
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("child status").is_none()
    }

    /// SIGKILL: no shutdown handler, no draining, no pool close. Returns once the process is gone.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL delivered");
        let status = self.child.wait().expect("killed child reaped");
        assert_eq!(status.signal(), Some(9), "died of SIGKILL: {status}");
    }

    pub fn log_tail(&self) -> String {
        tail(&std::fs::read_to_string(&self.log).unwrap_or_default(), 30)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every request bounded, so a wedged server fails the test instead of hanging it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client")
}
