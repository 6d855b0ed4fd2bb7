//! Opening a connection to an upstream: a child process over stdio or a Streamable HTTP
//! endpoint, each through rmcp's client, and the client handler that receives the upstream's
//! notifications (progress and logs for callers, `list_changed` for the supervisor).

// rmcp deprecates MCP logging (SEP-2577); upstreams on 2025-11-25 still send it.
#![allow(deprecated)]

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rmcp::model::{
    ClientCapabilities, ClientInfo, Implementation, InitializeRequestParams,
    LoggingMessageNotificationParam, ProgressNotificationParam,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransport, StreamableHttpClientTransportConfig,
};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::subject::SubjectClient;
use super::upstream::Upstream;
use crate::config::{UpstreamTransport, expand_env};
use crate::mcp::forward_log;

/// The longest stderr line of an upstream we copy into our log.
const STDERR_LINE_MAX: usize = 2000;

/// Receives what an upstream sends on its own.
#[derive(Clone)]
pub(super) struct UpstreamClient(pub Arc<Upstream>);

impl ClientHandler for UpstreamClient {
    fn get_info(&self) -> ClientInfo {
        InitializeRequestParams::new(
            ClientCapabilities::default(),
            Implementation::new("mcp-oauth-gateway", env!("CARGO_PKG_VERSION")),
        )
    }

    /// Progress about a request of ours goes to the caller who made it, under its own token.
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Some((caller, token)) = self.0.progress_route(&params.progress_token) {
            let mut forwarded = params;
            forwarded.progress_token = token;
            // A caller that went away misses it; the request goes on.
            let _ = caller.peer.notify_progress(forwarded).await;
        }
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        tracing::info!(upstream = %self.0.name(), level = ?params.level,
            logger = params.logger.as_deref().unwrap_or(""), "upstream log message");
        if let Some(caller) = self.0.sole_caller() {
            forward_log(&caller, self.0.name(), params).await;
        }
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.lists_changed.notify_one();
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.lists_changed.notify_one();
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.lists_changed.notify_one();
    }
}

/// A live connection: rmcp's service and, for stdio, the child behind it.
pub(super) struct Connection {
    pub service: RunningService<RoleClient, UpstreamClient>,
    pub child: Option<Child>,
}

impl Connection {
    /// Closes the session and stops the child (its whole process group, so a `npx` or shell
    /// wrapper does not leave the real server behind).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.service.cancel()).await;
        if let Some(child) = self.child.as_mut() {
            stop_child(child).await;
        }
    }
}

/// Connects and initializes within `patience`.
pub(super) async fn connect(
    upstream: &Arc<Upstream>,
    patience: Duration,
) -> anyhow::Result<Connection> {
    let handler = UpstreamClient(Arc::clone(upstream));
    let settings = &upstream.settings;
    match settings.transport {
        UpstreamTransport::Stdio => {
            let mut child = spawn(upstream)?;
            let stdout = child.stdout.take().context("the child's stdout")?;
            let stdin = child.stdin.take().context("the child's stdin")?;
            let transport = AsyncRwTransport::new_client(stdout, stdin)
                .with_max_line_length(settings.max_response_bytes);
            match tokio::time::timeout(patience, handler.serve(transport)).await {
                Ok(Ok(service)) => Ok(Connection {
                    service,
                    child: Some(child),
                }),
                Ok(Err(error)) => {
                    stop_child(&mut child).await;
                    Err(anyhow::anyhow!("initialize failed: {error}"))
                }
                Err(_) => {
                    stop_child(&mut child).await;
                    anyhow::bail!("no answer to initialize within {} s", patience.as_secs())
                }
            }
        }
        UpstreamTransport::Http => {
            let url = settings.url.clone().unwrap_or_default();
            let mut headers = HashMap::new();
            for (name, value) in &settings.headers {
                let value = expand_env(value.expose()).with_context(|| format!("header {name}"))?;
                headers.insert(
                    http::HeaderName::from_bytes(name.as_bytes())?,
                    http::HeaderValue::from_str(&value)
                        .with_context(|| format!("header {name} has a value no header may have"))?,
                );
            }
            let mut config = StreamableHttpClientTransportConfig::with_uri(url);
            config.custom_headers = headers;
            config.max_json_response_size = settings.max_response_bytes;
            config.max_sse_event_size = settings.max_response_bytes;
            config.max_concurrent_requests = settings.max_concurrent;
            let client = SubjectClient::new(settings.subject_header.as_deref())?;
            let transport = StreamableHttpClientTransport::with_client(client, config);
            match tokio::time::timeout(patience, handler.serve(transport)).await {
                Ok(Ok(service)) => Ok(Connection {
                    service,
                    child: None,
                }),
                Ok(Err(error)) => Err(anyhow::anyhow!("initialize failed: {error}")),
                Err(_) => anyhow::bail!("no answer to initialize within {} s", patience.as_secs()),
            }
        }
    }
}

/// The variables a stdio upstream inherits from this process (as MCP clients do: HOME, PATH,
/// the user and the locale); everything else it gets only from its `env` setting.
const INHERITED_ENV: [&str; 10] = [
    "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ",
];

/// Starts the stdio child in its own process group, its stderr copied into our log.
fn spawn(upstream: &Upstream) -> anyhow::Result<Child> {
    let settings = &upstream.settings;
    let program = expand_env(settings.command.as_deref().unwrap_or_default())?;
    let mut command = Command::new(&program);
    // Only what a program needs to run, then the configured variables: our own environment
    // (database URL, keys, passwords) is not the upstream's business.
    command.env_clear();
    for (name, value) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| INHERITED_ENV.contains(&n)) {
            command.env(name, value);
        }
    }
    for arg in &settings.args {
        command.arg(expand_env(arg)?);
    }
    for (name, value) in &settings.env {
        command.env(
            name,
            expand_env(value.expose()).with_context(|| format!("env {name}"))?,
        );
    }
    if let Some(cwd) = &settings.cwd {
        command.current_dir(cwd);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {program:?}"))?;
    if let Some(stderr) = child.stderr.take() {
        let name = upstream.name().to_owned();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(mut line)) = lines.next_line().await {
                if line.len() > STDERR_LINE_MAX {
                    let mut end = STDERR_LINE_MAX;
                    while !line.is_char_boundary(end) {
                        end -= 1;
                    }
                    line.truncate(end);
                }
                tracing::info!(upstream = %name, "upstream stderr: {line}");
            }
        });
    }
    Ok(child)
}

/// Stops a child and everything it started: SIGTERM to its group, then SIGKILL after a grace.
async fn stop_child(child: &mut Child) {
    #[cfg(target_os = "linux")]
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::TERM);
        if tokio::time::timeout(Duration::from_secs(2), child.wait())
            .await
            .is_ok()
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            return;
        }
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill().await;
}
