//! Where traces go: an OTLP endpoint from the settings or the standard `OTEL_*` variables.

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// Trace export. Unset values fall back to the OpenTelemetry variables
/// (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`), so a
/// stock collector setup works without naming this service's own keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// Where spans are sent, e.g. `http://localhost:4318` (HTTP) or `http://localhost:4317`
    /// (gRPC). For HTTP a bare origin gets `/v1/traces` appended.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
    #[serde(default)]
    pub otlp_protocol: Option<OtlpProtocol>,
    /// Which spans are exported (an `EnvFilter`), independent of what is logged.
    pub trace_filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtlpProtocol {
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
    #[serde(rename = "grpc")]
    Grpc,
}

impl OtlpProtocol {
    /// The spelling the OpenTelemetry variables use.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "http/protobuf" => Some(Self::HttpProtobuf),
            "grpc" => Some(Self::Grpc),
            _ => None,
        }
    }
}

impl TelemetrySettings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if let Some(endpoint) = self.otlp_endpoint.as_deref() {
            let url = url::Url::parse(endpoint)
                .map_err(|e| anyhow::anyhow!("telemetry.otlp_endpoint: {e} ({endpoint:?})"))?;
            if !matches!(url.scheme(), "http" | "https") {
                bail!("telemetry.otlp_endpoint must be an http(s) URL, got {endpoint:?}");
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.trace_filter).is_err() {
            bail!(
                "telemetry.trace_filter is not a valid filter: {:?}",
                self.trace_filter
            );
        }
        Ok(())
    }
}
