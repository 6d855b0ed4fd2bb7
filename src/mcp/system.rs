//! One shared sysinfo sampler: host readings are expensive, so they are taken at most about once a
//! second and every request (and every MCP session) reads the same cached snapshot.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sysinfo::{
    CpuRefreshKind, Disks, MemoryRefreshKind, Networks, ProcessRefreshKind, ProcessesToUpdate,
    RefreshKind, System,
};

use super::readings::{
    CpuMetrics, InterfaceTotals, LoadAverage, MemoryMetrics, Metrics, PlatformInfo, cpu_metrics,
    disk_metrics, memory_metrics, network_totals, platform_info,
};

/// Readings younger than this are served from the cache.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[error("the system sampling task did not finish")]
pub struct SamplingFailed(#[source] tokio::task::JoinError);

/// The shared sampler; hold it in an `Arc` and clone that into every handler.
pub struct SystemMonitor {
    platform: Arc<PlatformInfo>,
    sampler: Mutex<Sampler>,
}

struct Sampler {
    // `None` where sysinfo cannot read the host at all; metrics then report zeros.
    system: Option<System>,
    disks: Option<Disks>,
    networks: Option<Networks>,
    latest: Option<(Instant, Arc<Metrics>)>,
}

impl SystemMonitor {
    /// Reads the static platform facts and primes the CPU counters (usage needs two readings).
    /// Blocks briefly; call it once at startup.
    pub fn new() -> Self {
        let kinds = RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing().with_usage())
            .with_memory(MemoryRefreshKind::everything());
        let system = System::new_with_specifics(kinds)
            .inspect_err(|e| tracing::warn!(error = %e, "sysinfo cannot read this host"))
            .ok();
        let platform = Arc::new(platform_info(system.as_ref()));
        let sampler = Sampler {
            system,
            disks: Disks::new_with_refreshed_list().ok(),
            networks: Networks::new_with_refreshed_list().ok(),
            latest: None,
        };
        Self {
            platform,
            sampler: Mutex::new(sampler),
        }
    }

    pub fn platform(&self) -> Arc<PlatformInfo> {
        Arc::clone(&self.platform)
    }

    /// The current metrics, refreshed if the cached ones are older than [`REFRESH_INTERVAL`].
    /// Sampling reads /proc and friends, so it runs on the blocking pool.
    pub async fn metrics(self: &Arc<Self>) -> Result<Arc<Metrics>, SamplingFailed> {
        let monitor = Arc::clone(self);
        tokio::task::spawn_blocking(move || monitor.sample())
            .await
            .map_err(SamplingFailed)
    }

    fn sample(&self) -> Arc<Metrics> {
        // A panic mid-refresh leaves only stale counters behind, which the next refresh fixes.
        let mut sampler = self.sampler.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((taken, metrics)) = &sampler.latest
            && taken.elapsed() < REFRESH_INTERVAL
        {
            return Arc::clone(metrics);
        }
        let metrics = Arc::new(sampler.refresh());
        sampler.latest = Some((Instant::now(), Arc::clone(&metrics)));
        metrics
    }
}

impl Default for SystemMonitor {
    fn default() -> Self {
        Self::new()
    }
}

impl Sampler {
    fn refresh(&mut self) -> Metrics {
        let (cpu, memory, process_count) = match self.system.as_mut() {
            Some(system) => {
                system.refresh_cpu_usage();
                system.refresh_memory();
                system.refresh_processes_specifics(
                    ProcessesToUpdate::All,
                    true,
                    ProcessRefreshKind::nothing(),
                );
                (
                    cpu_metrics(system),
                    memory_metrics(system),
                    system.processes().len(),
                )
            }
            None => (CpuMetrics::default(), MemoryMetrics::default(), 0),
        };
        let disks = self.disks.as_mut().map_or_else(Vec::new, |disks| {
            disks.refresh(true);
            disks.iter().map(disk_metrics).collect()
        });
        let network = self.networks.as_mut().map_or_else(
            || network_totals(std::iter::empty()),
            |networks| {
                networks.refresh(true);
                network_totals(networks.iter().map(|(name, data)| InterfaceTotals {
                    name: name.to_string_lossy().into_owned(),
                    received_bytes: data.total_received(),
                    transmitted_bytes: data.total_transmitted(),
                }))
            },
        );
        Metrics {
            sampled_at_unix_ms: unix_millis(),
            uptime_seconds: System::uptime().ok(),
            cpu,
            load_average: System::load_average().ok().map(|l| LoadAverage {
                one: l.one,
                five: l.five,
                fifteen: l.fifteen,
            }),
            memory,
            disks,
            network,
            process_count,
        }
    }
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readings_within_the_refresh_interval_are_shared() {
        let monitor = Arc::new(SystemMonitor::new());
        let first = monitor.metrics().await.expect("sampling runs");
        let second = monitor.metrics().await.expect("sampling runs");
        assert!(Arc::ptr_eq(&first, &second));
        assert!(first.memory.total_bytes > 0);
        assert!(first.process_count > 0);
    }

    #[test]
    fn platform_facts_are_read_once() {
        let monitor = SystemMonitor::new();
        assert!(!monitor.platform().architecture.is_empty());
        assert!(Arc::ptr_eq(&monitor.platform(), &monitor.platform()));
    }
}
