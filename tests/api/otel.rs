//! OpenTelemetry export: the real binary, configured only through the standard `OTEL_*`
//! variables, sends its spans to a collector started inside the test (OTLP over HTTP/protobuf
//! and over gRPC), which decodes them so the test can check names, attributes and parent links.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde_json::{Value, json};

use crate::helpers::{TEST_CLIENT, free_loopback_port};

/// A received span with what the assertions need, ids in hex as in `traceparent`.
#[derive(Debug, Clone)]
struct Received {
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    kind: i32,
    attributes: HashMap<String, String>,
    resource: HashMap<String, String>,
}

#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Received>>>,
}

fn text_of(attributes: &[KeyValue]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::IntValue(i)) => i.to_string(),
                Some(any_value::Value::BoolValue(b)) => b.to_string(),
                Some(any_value::Value::DoubleValue(d)) => d.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Collector {
    fn record(&self, request: ExportTraceServiceRequest) {
        let mut spans = self.spans.lock().unwrap();
        for resource_spans in request.resource_spans {
            let resource = resource_spans
                .resource
                .map(|r| text_of(&r.attributes))
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    spans.push(Received {
                        name: span.name,
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        kind: span.kind,
                        attributes: text_of(&span.attributes),
                        resource: resource.clone(),
                    });
                }
            }
        }
    }

    fn in_trace(&self, trace_id: &str) -> Vec<Received> {
        let spans = self.spans.lock().unwrap();
        spans
            .iter()
            .filter(|s| s.trace_id == trace_id)
            .cloned()
            .collect()
    }

    /// Waits (bounded) until a span named `name` of `trace_id` has arrived.
    async fn wait_for(&self, trace_id: &str, name: &str) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let spans = self.in_trace(trace_id);
            if spans.iter().any(|s| s.name == name) {
                return spans;
            }
            assert!(
                Instant::now() < deadline,
                "no span {name:?} in trace {trace_id}; got {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// OTLP/HTTP: `POST /v1/traces` with a protobuf `ExportTraceServiceRequest`.
async fn serve_http(collector: Collector) -> u16 {
    async fn traces(State(collector): State<Collector>, body: Bytes) -> Vec<u8> {
        let request = ExportTraceServiceRequest::decode(body).expect("a valid OTLP protobuf body");
        collector.record(request);
        ExportTraceServiceResponse::default().encode_to_vec()
    }
    let app = axum::Router::new()
        .route("/v1/traces", post(traces))
        .with_state(collector);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.record(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// OTLP/gRPC: the collector's `TraceService`.
async fn serve_grpc(collector: Collector) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector))
            .serve_with_incoming(incoming)
            .await
            .unwrap();
    });
    port
}

/// The service binary, killed when the test ends however it ends.
struct Service {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_service(otel: &[(&str, String)]) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let port = free_loopback_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-oauth"));
    for (key, _) in std::env::vars() {
        if key.starts_with("MCP_OAUTH") || key.starts_with("OTEL_") || key == "DATABASE_URL" {
            command.env_remove(key);
        }
    }
    let database = format!("sqlite://{}/otel.db", dir.path().display());
    command
        .arg("serve")
        .env("MCP_OAUTH__DATABASE__URL", database)
        .env("MCP_OAUTH__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("MCP_OAUTH__SERVER__PUBLIC_URL", &base)
        .env("MCP_OAUTH__SERVER__LOG_FILTER", "warn")
        .env("MCP_OAUTH__METRICS__ENABLED", "false")
        .env("MCP_OAUTH__RATE_LIMITS__ENABLED", "false")
        .env(
            "MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD",
            "otel-test-admin-password",
        )
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .envs(otel.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let service = Service {
        child: command.spawn().expect("the binary starts"),
        base,
        _dir: dir,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = http.get(format!("{}/readyz", service.base)).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return service;
        }
        assert!(Instant::now() < deadline, "the service never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A W3C `traceparent` for a fresh, sampled remote parent: (header, trace id, span id).
fn remote_parent() -> (String, String, String) {
    let trace_id = format!("{:032x}", rand_u128());
    let span_id = format!("{:016x}", rand_u128() as u64 | 1);
    (format!("00-{trace_id}-{span_id}-01"), trace_id, span_id)
}

fn rand_u128() -> u128 {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    u128::from_le_bytes(bytes) | 1
}

/// True when `span` descends from `ancestor` through parents present in `spans`.
fn descends_from(spans: &[Received], span: &Received, ancestor: &Received) -> bool {
    let mut current = span.parent_span_id.clone();
    for _ in 0..spans.len() {
        if current == ancestor.span_id {
            return true;
        }
        match spans.iter().find(|s| s.span_id == current) {
            Some(parent) => current = parent.parent_span_id.clone(),
            None => return false,
        }
    }
    false
}

fn named<'a>(spans: &'a [Received], name: &str) -> &'a Received {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} among {:?}", names(spans)))
}

fn names(spans: &[Received]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

async fn token_with_parent(service: &Service, traceparent: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", service.base))
        .header("traceparent", traceparent)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", TEST_CLIENT.0),
            ("client_secret", TEST_CLIENT.1),
            ("scope", "mcp:tools"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn echo_with_parent(service: &Service, token: &str, traceparent: Option<&str>) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/mcp", service.base))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                      "params": {"name": "echo", "arguments": {"message": "traced"}}}));
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["content"][0]["text"], "traced", "{body}");
}

#[tokio::test]
async fn spans_go_over_otlp_http_continue_the_callers_trace_and_nest_argon2_db_jwt_and_mcp_dispatch()
 {
    let collector = Collector::default();
    let receiver = serve_http(collector.clone()).await;
    let service = start_service(&[
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{receiver}"),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".into()),
        ("OTEL_SERVICE_NAME", "mcp-oauth-under-test".into()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment.name=ci,team=identity".into(),
        ),
        ("OTEL_TRACES_SAMPLER", "parentbased_always_on".into()),
    ])
    .await;

    // The token request: argon2 (first verification of this client), JWT signing, the database.
    let (traceparent, trace_id, remote_span) = remote_parent();
    let token = token_with_parent(&service, &traceparent).await;
    // Children end before their request span and exports go out in order, so all are in.
    let spans = collector.wait_for(&trace_id, "POST /oauth/token").await;
    let request = named(&spans, "POST /oauth/token");
    assert_eq!(
        request.parent_span_id, remote_span,
        "continues the incoming traceparent"
    );
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(request.attributes["http.request.method"], "POST");
    assert_eq!(request.attributes["http.route"], "/oauth/token");
    assert_eq!(request.attributes["http.response.status_code"], "200");
    let handler = named(&spans, "token");
    assert_eq!(handler.parent_span_id, request.span_id);
    assert_eq!(handler.attributes["grant_type"], "client_credentials");
    assert_eq!(handler.attributes["client_id"], TEST_CLIENT.0);
    assert_eq!(request.resource["service.name"], "mcp-oauth-under-test");
    assert_eq!(request.resource["deployment.environment.name"], "ci");
    assert_eq!(request.resource["team"], "identity");
    for child in [
        "argon2.verify",
        "jwt.sign",
        "db.get_client",
        "db.record_access_token",
    ] {
        let span = named(&spans, child);
        assert!(
            descends_from(&spans, span, request),
            "{child} is not under the request span: {spans:#?}"
        );
    }
    let db = named(&spans, "db.get_client");
    assert_eq!(db.attributes["db.system.name"], "sqlite");
    assert_eq!(db.kind, SpanKind::Client as i32);

    // The MCP call, as the same client's next step in the same trace (its own span as parent):
    // bearer verification and dispatch, named by method and tool.
    let next_span = format!("{:016x}", rand_u128() as u64 | 1);
    let traceparent = format!("00-{trace_id}-{next_span}-01");
    echo_with_parent(&service, &token, Some(&traceparent)).await;
    let spans = collector.wait_for(&trace_id, "POST /mcp").await;
    assert!(
        spans.iter().any(|s| s.name == "POST /oauth/token"),
        "token issuance and the MCP call are one connected trace"
    );
    let request = named(&spans, "POST /mcp");
    assert_eq!(request.parent_span_id, next_span);
    assert_eq!(request.attributes["http.route"], "/mcp");
    let dispatch = named(&spans, "tools/call echo");
    assert_eq!(dispatch.attributes["mcp.method.name"], "tools/call");
    assert_eq!(dispatch.attributes["gen_ai.tool.name"], "echo");
    assert_eq!(dispatch.attributes["jsonrpc.request.id"], "7");
    for child in ["jwt.verify", "tools/call echo"] {
        let span = named(&spans, child);
        assert!(descends_from(&spans, span, request), "{child}: {spans:#?}");
    }

    // Nothing secret travels with the spans.
    let everything = collector.spans.lock().unwrap().clone();
    assert!(everything.len() >= 8, "{}", everything.len());
    for span in &everything {
        for value in span.attributes.values() {
            assert!(
                !value.contains(&token),
                "the access token leaked into {}",
                span.name
            );
            assert!(
                !value.contains(TEST_CLIENT.1),
                "the secret leaked into {}",
                span.name
            );
        }
    }
}

#[tokio::test]
async fn spans_go_over_otlp_grpc_and_the_sampler_comes_from_otel_traces_sampler() {
    let collector = Collector::default();
    let receiver = serve_grpc(collector.clone()).await;
    let service = start_service(&[
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{receiver}"),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".into()),
        // Nothing is sampled unless a caller's sampled traceparent says so.
        ("OTEL_TRACES_SAMPLER", "parentbased_always_off".into()),
    ])
    .await;
    let (traceparent, trace_id, remote_span) = remote_parent();
    let token = token_with_parent(&service, &traceparent).await;
    // Unsampled: a call without a traceparent starts a root span the sampler drops.
    echo_with_parent(&service, &token, None).await;
    // Exports go out in the order spans end, so once this trace's span is in, the unsampled
    // call's spans would have been too.
    let (traceparent, last_trace, _) = remote_parent();
    echo_with_parent(&service, &token, Some(&traceparent)).await;
    collector.wait_for(&trace_id, "POST /oauth/token").await;
    let last = collector.wait_for(&last_trace, "POST /mcp").await;
    assert_eq!(
        named(&last, "tools/call echo").attributes["gen_ai.tool.name"],
        "echo"
    );

    let spans = collector.in_trace(&trace_id);
    assert_eq!(
        named(&spans, "POST /oauth/token").parent_span_id,
        remote_span
    );
    assert_eq!(
        named(&spans, "POST /oauth/token").resource["service.name"],
        "mcp-oauth",
        "the service's own name where OTEL_SERVICE_NAME is unset"
    );
    let everything = collector.spans.lock().unwrap().clone();
    let stray: Vec<&Received> = everything
        .iter()
        .filter(|s| s.trace_id != trace_id && s.trace_id != last_trace)
        .collect();
    assert!(
        stray.is_empty(),
        "unsampled spans were exported: {stray:#?}"
    );
}
