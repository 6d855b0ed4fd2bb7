//! The gateway: upstream MCP servers (stdio children or Streamable HTTP endpoints) offered
//! through this server's `/mcp` behind its OAuth. Their tools, resources and prompts join the
//! [`LiveCatalog`] under the scopes the operator gave them, so the guard, the consent page and
//! the lists treat them as they treat the built-ins; calls are forwarded through rmcp's client.
//! The caller's access token never leaves this process: an upstream sees only its configured
//! credentials and, if it asks, the verified subject.
//!
//! No axum here; `/readyz` reads [`Gateway::status`].

mod connect;
mod list;
mod offer;
mod subject;
mod supervise;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::config::McpSettings;
use crate::mcp::catalog::{Catalog, LiveCatalog, Namespace};
use list::Reported;
use upstream::{Link, Upstream};

/// What `/readyz` says about one upstream.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UpstreamStatus {
    pub name: String,
    /// `up`, `starting` or `down`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Tools, resources and prompts it offers here.
    pub items: usize,
    pub restarts: u64,
}

/// What the supervisors share: the catalogue without upstreams, and the live one.
pub(crate) struct Shared {
    base: Catalog,
    live: LiveCatalog,
    upstreams: Vec<Arc<Upstream>>,
    skipped: Reported,
}

impl Shared {
    /// The base catalogue plus every upstream's current entries, swapped in at once.
    fn rebuild(&self) {
        let entries = self.upstreams.iter().flat_map(|u| u.offered()).collect();
        let (next, skipped) = self.base.with_entries(entries);
        if self.skipped.changed(&skipped) {
            for item in skipped {
                tracing::warn!("an upstream item is not offered: {item}");
            }
        }
        self.live.replace(next);
    }
}

/// The upstreams and their supervisors. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl Gateway {
    /// Checks the upstreams' scopes against `catalog` (each must be declared) and prepares
    /// the live catalogue; nothing is started yet.
    pub fn new(settings: &McpSettings, catalog: Catalog) -> anyhow::Result<Self> {
        let mut base = catalog;
        for upstream in &settings.upstreams {
            let what = format!("mcp.upstreams[{}]", upstream.name);
            base.check_scopes(&what, &upstream.scopes)?;
            for (tool, scopes) in &upstream.tool_scopes {
                base.check_scopes(&format!("{what}.tool_scopes.{tool}"), scopes)?;
            }
            if !upstream.prefix().is_empty() {
                base = base.with_namespace(Namespace {
                    prefix: format!("{}__", upstream.prefix()),
                    scopes: upstream.scopes.clone(),
                });
            }
        }
        let upstreams = settings
            .upstreams
            .iter()
            .cloned()
            .map(|s| Arc::new(Upstream::new(s)))
            .collect();
        Ok(Self {
            shared: Arc::new(Shared {
                live: LiveCatalog::new(base.clone()),
                base,
                upstreams,
                skipped: Reported::default(),
            }),
            stop: watch::channel(false).0,
        })
    }

    /// The catalogue every part of the server reads.
    pub fn catalog(&self) -> &LiveCatalog {
        &self.shared.live
    }

    /// Starts a supervisor per upstream and waits up to `wait` for each first attempt, so the
    /// first `tools/list` and consent page already show what the upstreams offer.
    pub async fn start(&self, wait: Duration) {
        let mut firsts = Vec::new();
        for upstream in &self.shared.upstreams {
            let (first, settled) = watch::channel(false);
            firsts.push(settled);
            tokio::spawn(supervise::supervise(
                Arc::clone(&self.shared),
                Arc::clone(upstream),
                self.stop.subscribe(),
                first,
            ));
        }
        let all = async {
            for mut settled in firsts {
                let _ = settled.wait_for(|done| *done).await;
            }
        };
        if tokio::time::timeout(wait, all).await.is_err() {
            tracing::warn!("serving before every upstream answered (mcp.upstream_start_wait_secs)");
        }
    }

    /// Stops every upstream (children are terminated) and waits briefly for them to go.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while tokio::time::Instant::now() < deadline
            && self
                .shared
                .upstreams
                .iter()
                .any(|u| matches!(u.link(), Link::Up(_)))
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Each upstream's state, for `/readyz`.
    pub fn status(&self) -> Vec<UpstreamStatus> {
        self.shared
            .upstreams
            .iter()
            .map(|u| {
                let (state, reason) = match u.link() {
                    Link::Up(_) => ("up", None),
                    Link::Starting => ("starting", None),
                    Link::Down(why) => ("down", Some(why)),
                };
                UpstreamStatus {
                    name: u.name().to_owned(),
                    state,
                    reason,
                    items: u.offered().len(),
                    restarts: u.restarts.load(std::sync::atomic::Ordering::Relaxed),
                }
            })
            .collect()
    }
}
