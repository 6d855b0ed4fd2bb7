//! What the host readings look like on the wire (JSON and its schema), and how they are taken
//! from sysinfo. Sampling and caching live in `system.rs`.

use schemars::JsonSchema;
use serde::Serialize;
use sysinfo::System;

/// Facts about the host that do not change while the process runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlatformInfo {
    /// Operating system name, e.g. "Debian GNU/Linux".
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    /// Human-readable OS description, e.g. "Linux (Debian GNU/Linux 13)".
    pub long_os_version: Option<String>,
    pub distribution_id: String,
    pub kernel_version: Option<String>,
    /// CPU architecture, e.g. "x86_64".
    pub architecture: String,
    pub hostname: Option<String>,
    /// CPU model as the processor reports it.
    pub cpu_model: Option<String>,
    pub cpu_vendor: Option<String>,
    pub logical_cpus: usize,
    pub physical_cores: Option<usize>,
    pub total_memory_bytes: u64,
    pub total_swap_bytes: u64,
    /// Boot time in seconds since the Unix epoch.
    pub boot_time_unix: Option<u64>,
}

/// Live host readings, as of `sampled_at_unix_ms`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Metrics {
    pub sampled_at_unix_ms: u64,
    pub uptime_seconds: Option<u64>,
    pub cpu: CpuMetrics,
    /// 1, 5 and 15 minute load averages; absent where the OS has none.
    pub load_average: Option<LoadAverage>,
    pub memory: MemoryMetrics,
    pub disks: Vec<DiskMetrics>,
    pub network: NetworkTotals,
    pub process_count: usize,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CpuMetrics {
    /// Usage across all cores, in percent.
    pub usage_percent: f32,
    /// Usage of each logical core, in percent.
    pub per_core_percent: Vec<f32>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoadAverage {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct MemoryMetrics {
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_used_bytes: u64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiskMetrics {
    pub mount_point: String,
    pub file_system: String,
    /// "SSD", "HDD" or "Unknown".
    pub kind: String,
    pub total_bytes: u64,
    pub available_bytes: u64,
}

/// Bytes moved since boot, summed over interfaces and per interface.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NetworkTotals {
    pub received_bytes: u64,
    pub transmitted_bytes: u64,
    pub interfaces: Vec<InterfaceTotals>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InterfaceTotals {
    pub name: String,
    pub received_bytes: u64,
    pub transmitted_bytes: u64,
}

pub(super) fn platform_info(system: Option<&System>) -> PlatformInfo {
    let first_cpu = system.and_then(|s| s.cpus().first());
    PlatformInfo {
        os_name: System::name().ok(),
        os_version: System::os_version().ok(),
        long_os_version: System::long_os_version().ok(),
        distribution_id: System::distribution_id(),
        kernel_version: System::kernel_version().ok(),
        architecture: System::cpu_arch(),
        hostname: System::host_name().ok(),
        cpu_model: first_cpu.map(|c| c.brand().trim().to_owned()),
        cpu_vendor: first_cpu.map(|c| c.vendor_id().to_owned()),
        logical_cpus: system.map_or(0, |s| s.cpus().len()),
        physical_cores: System::physical_core_count().ok(),
        total_memory_bytes: system.map_or(0, System::total_memory),
        total_swap_bytes: system.map_or(0, System::total_swap),
        boot_time_unix: System::boot_time().ok(),
    }
}

/// One decimal place is all a person or a model needs, and NaN (first reading) becomes 0.
fn percent(value: f32) -> f32 {
    if value.is_finite() {
        (value * 10.0).round() / 10.0
    } else {
        0.0
    }
}

pub(super) fn cpu_metrics(system: &System) -> CpuMetrics {
    CpuMetrics {
        usage_percent: percent(system.global_cpu_usage()),
        per_core_percent: system.cpus().iter().map(|c| percent(c.usage())).collect(),
    }
}

pub(super) fn memory_metrics(system: &System) -> MemoryMetrics {
    MemoryMetrics {
        total_bytes: system.total_memory(),
        used_bytes: system.used_memory(),
        available_bytes: system.available_memory(),
        swap_total_bytes: system.total_swap(),
        swap_used_bytes: system.used_swap(),
    }
}

pub(super) fn disk_metrics(disk: &sysinfo::Disk) -> DiskMetrics {
    DiskMetrics {
        mount_point: disk.mount_point().to_string_lossy().into_owned(),
        file_system: disk.file_system().to_string_lossy().into_owned(),
        kind: disk.kind().to_string(),
        total_bytes: disk.total_space(),
        available_bytes: disk.available_space(),
    }
}

pub(super) fn network_totals(interfaces: impl Iterator<Item = InterfaceTotals>) -> NetworkTotals {
    let mut interfaces: Vec<InterfaceTotals> = interfaces.collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    // Counters come from the kernel; saturate rather than trust them not to overflow a sum.
    let total = |bytes: fn(&InterfaceTotals) -> u64| {
        interfaces
            .iter()
            .fold(0u64, |sum, i| sum.saturating_add(bytes(i)))
    };
    NetworkTotals {
        received_bytes: total(|i| i.received_bytes),
        transmitted_bytes: total(|i| i.transmitted_bytes),
        interfaces,
    }
}
