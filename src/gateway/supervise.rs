//! Keeping one upstream available: connect, list what it offers, watch it (the process, the
//! connection, a periodic ping, `list_changed`), and when it is lost, mark it down and try
//! again with exponential backoff until the server stops.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rmcp::RoleClient;
use rmcp::model::ClientRequest;
use rmcp::service::{Peer, PeerRequestOptions};
use tokio::sync::watch;

use super::Shared;
use super::connect::{Connection, connect};
use super::list::{ListKind, list};
use super::offer::{self, Lists};
use super::upstream::{Link, Upstream};

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Up this long, the next loss starts the backoff from the beginning again.
const STABLE: Duration = Duration::from_secs(60);
/// How often the process and the connection are looked at.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// Runs until `stop` turns true; `first` is told once the first attempt has settled.
pub(super) async fn supervise(
    shared: Arc<Shared>,
    upstream: Arc<Upstream>,
    mut stop: watch::Receiver<bool>,
    first: watch::Sender<bool>,
) {
    let mut backoff = FIRST_BACKOFF;
    let patience = Duration::from_secs(upstream.settings.timeout_secs);
    loop {
        let attempt = tokio::select! {
            attempt = connect(&upstream, patience) => attempt,
            () = stopped(&mut stop) => return,
        };
        let started = Instant::now();
        match attempt {
            Ok(connection) => {
                let peer = connection.service.peer().clone();
                refresh(&shared, &upstream, &peer).await;
                upstream.set_link(Link::Up(peer));
                tracing::info!(upstream = %upstream.name(), "upstream connected");
                let _ = first.send(true);
                let why = watch_over(&upstream, connection, &mut stop, &shared).await;
                upstream.forget_waiting();
                match why {
                    None => {
                        upstream.set_link(Link::Down("the server is stopping".into()));
                        return;
                    }
                    Some(why) => {
                        tracing::warn!(upstream = %upstream.name(), reason = %why, "upstream lost");
                        upstream.set_link(Link::Down(why));
                    }
                }
            }
            Err(error) => {
                let why = format!("{error:#}");
                tracing::warn!(upstream = %upstream.name(), reason = %why, "upstream did not start");
                upstream.set_link(Link::Down(why));
                let _ = first.send(true);
            }
        }
        if started.elapsed() >= STABLE {
            backoff = FIRST_BACKOFF;
        }
        upstream.restarts.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("mcp_upstream_restarts_total", "upstream" => upstream.name().to_owned())
            .increment(1);
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stopped(&mut stop) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Watches a live connection; returns why it was lost, or `None` when the server stops.
async fn watch_over(
    upstream: &Arc<Upstream>,
    mut connection: Connection,
    stop: &mut watch::Receiver<bool>,
    shared: &Arc<Shared>,
) -> Option<String> {
    let peer = connection.service.peer().clone();
    let health_every = Duration::from_secs(upstream.settings.health_check_secs);
    let mut next_health = Instant::now() + health_every;
    let why = loop {
        tokio::select! {
            () = stopped(stop) => {
                connection.close().await;
                return None;
            }
            () = upstream.lists_changed.notified() => {
                refresh(shared, upstream, &peer).await;
                continue;
            }
            () = tokio::time::sleep(WATCH_EVERY) => {}
        }
        if let Some(child) = connection.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            break format!("the process exited ({status})");
        }
        if connection.service.is_closed() {
            break "the connection closed".to_owned();
        }
        if Instant::now() >= next_health {
            next_health = Instant::now() + health_every;
            if let Err(why) = ping(&peer, upstream).await {
                break why;
            }
        }
    };
    connection.close().await;
    Some(why)
}

/// Resolves once the server is stopping.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

async fn ping(peer: &Peer<RoleClient>, upstream: &Upstream) -> Result<(), String> {
    let timeout = Duration::from_secs(upstream.settings.timeout_secs);
    let request = ClientRequest::PingRequest(Default::default());
    let handle = peer
        .send_request_with_option(request, PeerRequestOptions::with_timeout(timeout))
        .await
        .map_err(|e| format!("the health check could not be sent ({e})"))?;
    match handle.await_response().await {
        // Any answer will do, even an error from a server that does not know ping.
        Ok(_) | Err(rmcp::ServiceError::McpError(_)) => Ok(()),
        Err(e) => Err(format!("the health check failed ({e})")),
    }
}

/// Lists what the upstream offers and rebuilds the merged catalogue. A list that fails keeps
/// what was offered before.
async fn refresh(shared: &Arc<Shared>, upstream: &Arc<Upstream>, peer: &Peer<RoleClient>) {
    let timeout = Duration::from_secs(upstream.settings.timeout_secs);
    let capabilities = peer.peer_info().map(|info| info.capabilities.clone());
    let offers = |check: fn(&rmcp::model::ServerCapabilities) -> bool| {
        capabilities.as_ref().is_some_and(check)
    };
    let mut left_out = Vec::new();
    let listed = tokio::time::timeout(timeout, async {
        let mut lists = Lists::default();
        if offers(|c| c.tools.is_some()) {
            lists.tools = list(peer, ListKind::Tools, &mut left_out).await?;
        }
        // A server that fails these still offers its tools.
        if upstream.settings.resources && offers(|c| c.resources.is_some()) {
            let resources = list(peer, ListKind::Resources, &mut left_out).await;
            lists.resources = resources.unwrap_or_default();
            let templates = list(peer, ListKind::Templates, &mut left_out).await;
            lists.templates = templates.unwrap_or_default();
        }
        if upstream.settings.prompts && offers(|c| c.prompts.is_some()) {
            lists.prompts = list(peer, ListKind::Prompts, &mut left_out)
                .await
                .unwrap_or_default();
        }
        Ok::<_, rmcp::ServiceError>(lists)
    })
    .await;
    match listed {
        Ok(Ok(lists)) => {
            let (entries, skipped) = offer::entries(upstream, lists);
            left_out.extend(skipped);
            if upstream.left_out.changed(&left_out) {
                for item in &left_out {
                    tracing::warn!(upstream = %upstream.name(), "left out: {item}");
                }
            }
            *upstream
                .offered
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = entries;
            shared.rebuild();
        }
        Ok(Err(error)) => {
            tracing::warn!(upstream = %upstream.name(), %error, "listing the upstream failed");
        }
        Err(_) => {
            tracing::warn!(upstream = %upstream.name(), "listing the upstream timed out");
        }
    }
}
