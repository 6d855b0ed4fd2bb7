//! The OTLP pipeline: exporter (HTTP/protobuf or gRPC), resource, sampler and batching, all
//! configurable through the standard OpenTelemetry variables.

use anyhow::{Context, bail};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer};

use super::BoxedLayer;
use crate::config::{OtlpProtocol, TelemetrySettings};

/// Crates whose own spans would only be noise, or would trace the exporter exporting.
const QUIET: &str = "opentelemetry=off,opentelemetry_sdk=off,opentelemetry_otlp=off,\
                     opentelemetry_http=off,hyper=off,hyper_util=off,h2=off,tonic=off,tower=off,\
                     reqwest=off,rmcp=off,sqlx=off";

/// The export layer and its provider, or `None` when no endpoint is configured.
pub(super) fn pipeline(
    settings: &TelemetrySettings,
) -> anyhow::Result<Option<(BoxedLayer, SdkTracerProvider)>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || env("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"));
    let configured = settings.otlp_endpoint.is_some()
        || env("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        || env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some();
    if disabled || !configured {
        return Ok(None);
    }
    let protocol = match settings.otlp_protocol {
        Some(protocol) => protocol,
        None => match env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            .or_else(|| env("OTEL_EXPORTER_OTLP_PROTOCOL"))
        {
            None => OtlpProtocol::HttpProtobuf,
            Some(value) => OtlpProtocol::parse(&value).with_context(|| {
                format!("OTLP protocol {value:?} is not supported: use http/protobuf or grpc")
            })?,
        },
    };
    let exporter = match protocol {
        OtlpProtocol::HttpProtobuf => {
            let mut builder = SpanExporter::builder().with_http();
            if let Some(endpoint) = &settings.otlp_endpoint {
                builder = builder.with_endpoint(http_traces_url(endpoint)?);
            }
            builder.build()
        }
        OtlpProtocol::Grpc => {
            let mut builder = SpanExporter::builder().with_tonic();
            if let Some(endpoint) = &settings.otlp_endpoint {
                builder = builder.with_endpoint(endpoint.clone());
            }
            builder.build()
        }
    }
    .context("cannot build the OTLP span exporter")?;
    // The sampler comes from OTEL_TRACES_SAMPLER / _ARG (the SDK's default configuration).
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(format!("{},{QUIET}", settings.trace_filter))
        .context("telemetry.trace_filter")?;
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("mcp-oauth"))
        .with_filter(filter)
        .boxed();
    Ok(Some((layer, provider)))
}

/// `service.name` and the rest from `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES`, with this
/// service's name where neither sets one.
fn resource() -> Resource {
    let named = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|v| !v.is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| {
            v.split(',')
                .any(|kv| kv.trim().starts_with("service.name="))
        });
    let builder = Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    if named {
        builder.build()
    } else {
        builder.with_service_name("mcp-oauth").build()
    }
}

/// Like `OTEL_EXPORTER_OTLP_ENDPOINT`: a bare origin means the collector's `/v1/traces`.
fn http_traces_url(endpoint: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(endpoint).context("telemetry.otlp_endpoint")?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("telemetry.otlp_endpoint must be http(s)");
    }
    if url.path() == "/" || url.path().is_empty() {
        url.set_path("/v1/traces");
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::http_traces_url;

    #[test]
    fn a_bare_collector_origin_gets_the_traces_path_and_a_full_url_is_kept() {
        assert_eq!(
            http_traces_url("http://collector:4318").unwrap(),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            http_traces_url("https://otel.example/custom/path").unwrap(),
            "https://otel.example/custom/path"
        );
        assert!(http_traces_url("ftp://collector").is_err());
    }
}
