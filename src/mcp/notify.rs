//! Notifications a tool sends while the protocol decides whether they may go: log messages
//! (only at the level the client asked for) and list changes (to whoever listens).
// rmcp deprecates MCP logging (SEP-2577); 2025-11-25 clients still use it.
#![allow(deprecated)]

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::RoleServer;
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use rmcp::service::RequestContext;
use serde_json::Value;
use tokio::sync::broadcast;

/// The logger name our notifications carry.
const LOGGER: &str = "mcp-oauth";

/// Sends `notifications/message` if the client wants messages of `level`: a 2026-07-28 request
/// only when its `_meta` names a `logLevel` at or below `level` (SEP-2575: none otherwise); a
/// session at the level its last `logging/setLevel` chose (everything until then).
pub async fn log_message(context: &RequestContext<RoleServer>, level: LoggingLevel, data: Value) {
    if wants(context, level) {
        let message = LoggingMessageNotificationParam::new(level, data).with_logger(LOGGER);
        // A client that went away misses the message; the request goes on.
        let _ = context.peer.notify_logging_message(message).await;
    }
}

/// Passes an upstream MCP server's log message on to the caller of `context` under the same
/// level rules, its logger named after the upstream (`time` or `time/its-logger`).
pub async fn forward_log(
    context: &RequestContext<RoleServer>,
    upstream: &str,
    message: LoggingMessageNotificationParam,
) {
    if wants(context, message.level) {
        let logger = match &message.logger {
            Some(theirs) => format!("{upstream}/{theirs}"),
            None => upstream.to_owned(),
        };
        let forwarded =
            LoggingMessageNotificationParam::new(message.level, message.data).with_logger(logger);
        let _ = context.peer.notify_logging_message(forwarded).await;
    }
}

/// Whether the client behind `context` wants log messages of `level`.
fn wants(context: &RequestContext<RoleServer>, level: LoggingLevel) -> bool {
    let threshold = if context.meta.protocol_version().is_some() {
        context.meta.log_level()
    } else {
        let session = context.extensions.get::<SessionLogLevel>();
        Some(
            session
                .and_then(SessionLogLevel::get)
                .unwrap_or(LoggingLevel::Debug),
        )
    };
    threshold.is_some_and(|threshold| rank(level) >= rank(threshold))
}

fn rank(level: LoggingLevel) -> u8 {
    level as u8
}

/// The minimum level a 2025-11-25 session asked for with `logging/setLevel`. One per session
/// (rmcp makes a handler per session), shared with that session's requests.
#[derive(Debug, Clone, Default)]
pub struct SessionLogLevel(Arc<Mutex<Option<LoggingLevel>>>);

impl SessionLogLevel {
    pub fn get(&self) -> Option<LoggingLevel> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, level: LoggingLevel) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(level);
    }
}

/// A list that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListChange {
    Tools,
    Prompts,
    Resources,
}

/// Fans list changes out to every open `subscriptions/listen` stream. One per server; every
/// MCP request finds it in its context's extensions, so a tool can announce a change.
#[derive(Debug, Clone)]
pub struct ListChanges(broadcast::Sender<ListChange>);

impl Default for ListChanges {
    fn default() -> Self {
        Self(broadcast::channel(64).0)
    }
}

impl ListChanges {
    pub fn tools_changed(&self) {
        self.announce(ListChange::Tools);
    }

    pub fn prompts_changed(&self) {
        self.announce(ListChange::Prompts);
    }

    pub fn resources_changed(&self) {
        self.announce(ListChange::Resources);
    }

    /// Nobody listening is fine: there is no one to tell.
    fn announce(&self, change: ListChange) {
        let _ = self.0.send(change);
    }

    pub(crate) fn listen(&self) -> broadcast::Receiver<ListChange> {
        self.0.subscribe()
    }
}
