//! The tracing subscriber: logs (pretty on a terminal, JSON otherwise) and, when an OTLP
//! endpoint is configured, the same spans exported to an OpenTelemetry collector.

pub mod metrics;
mod otlp;
pub mod propagation;

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{LogFormat, TelemetrySettings};

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// What must outlive the process's work: the exporter, flushed by [`Telemetry::shutdown`].
#[must_use = "dropping it without shutdown loses the last batch of spans"]
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are being exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends the spans still queued; bounded by the exporter's own timeout.
    pub async fn shutdown(self) {
        if let Some(provider) = self.provider {
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(error)) = flushed {
                eprintln!("trace export did not shut down cleanly: {error}");
            }
        }
    }
}

/// Logs only; later calls (tests) are no-ops.
pub fn init(format: LogFormat, filter: &str) {
    let _ = Registry::default()
        .with(vec![log_layer(format, filter)])
        .try_init();
}

/// Logs, plus OTLP trace export when `settings` or the `OTEL_*` variables name an endpoint.
pub fn init_with_traces(
    format: LogFormat,
    filter: &str,
    settings: &TelemetrySettings,
) -> anyhow::Result<Telemetry> {
    let mut layers = vec![log_layer(format, filter)];
    let exporter = otlp::pipeline(settings)?;
    let provider = exporter.map(|(layer, provider)| {
        layers.push(layer);
        provider
    });
    // Already installed (only tests build several apps per process): keep the first one.
    let _ = Registry::default().with(layers).try_init();
    if provider.is_some() {
        tracing::info!("exporting traces over OTLP");
    }
    Ok(Telemetry { provider })
}

fn log_layer(format: LogFormat, filter: &str) -> BoxedLayer {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    if json {
        layer
            .json()
            .with_current_span(true)
            .with_filter(filter)
            .boxed()
    } else {
        layer.with_filter(filter).boxed()
    }
}
