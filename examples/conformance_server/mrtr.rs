//! The 2026-07-28 input-required fixtures (SEP-2322): tools and a prompt that answer the first
//! call with the questions they need answered (`inputRequests`) and finish when the client calls
//! again with the answers. State that spans rounds travels in `requestState`, sealed with an
//! HMAC bound to the caller and the tool, so a forged or replayed value is refused (-32602).

use std::sync::Arc;
use std::time::Duration;

use mcp_oauth::mcp::{CallError, CatalogBuilder, ToolCall};
use rmcp::ErrorData;
use rmcp::model::{
    ClientCapabilities, GetPromptResult, InputRequiredResult, InputRequests, JsonObject, Prompt,
    PromptMessage, RequestStateCodec, Role, SealOptions,
};
use serde_json::{Value, json};

use crate::fixture::{ToolResult, no_arguments, prompt, text, tool};

/// How long an unanswered round stays redeemable.
const STATE_TTL: Duration = Duration::from_secs(600);

/// One input-required tool: decides, from what this call brought, to ask or to finish.
type Fixture = fn(&Turn<'_>) -> ToolResult;

const FIXTURES: [(&str, &str, Fixture); 8] = [
    (
        "test_input_required_result_elicitation",
        "MRTR: returns InputRequiredResult with elicitation request",
        elicitation,
    ),
    (
        "test_input_required_result_sampling",
        "MRTR: returns InputRequiredResult with sampling request",
        sampling,
    ),
    (
        "test_input_required_result_list_roots",
        "MRTR: returns InputRequiredResult with roots/list request",
        list_roots,
    ),
    (
        "test_input_required_result_request_state",
        "MRTR: returns InputRequiredResult with requestState",
        request_state,
    ),
    (
        "test_input_required_result_multiple_inputs",
        "MRTR: returns InputRequiredResult with multiple input requests",
        multiple_inputs,
    ),
    (
        "test_input_required_result_multi_round",
        "MRTR: multi-round InputRequiredResult workflow",
        multi_round,
    ),
    (
        "test_input_required_result_tampered_state",
        "MRTR: HMAC-signed requestState integrity test",
        tampered_state,
    ),
    (
        "test_input_required_result_capabilities",
        "MRTR: respects client capabilities in inputRequests",
        capabilities,
    ),
];

pub fn register(catalog: CatalogBuilder) -> anyhow::Result<CatalogBuilder> {
    let mut key = [0u8; 32];
    mcp_oauth::crypto::fill_random(&mut key);
    let codec = Arc::new(RequestStateCodec::try_new(key.to_vec())?);
    let mut catalog = catalog;
    for (name, description, fixture) in FIXTURES {
        let codec = codec.clone();
        let handler = tool(no_arguments(name, description), move |call| {
            let codec = codec.clone();
            async move { fixture(&Turn::new(&call, name, &codec)) }
        });
        catalog = catalog.tool(handler, &[]);
    }
    let definition = Prompt::new(
        "test_input_required_result_prompt",
        Some("MRTR: prompt that requires elicitation input"),
        None,
    );
    let handler = prompt(definition, |get| async move {
        let answer = get
            .input_responses
            .as_ref()
            .and_then(|r| accepted(r.get("user_context")));
        if let Some(answer) = answer {
            let context = answer.get("context").and_then(Value::as_str).unwrap_or("");
            let text = format!("Prompt with context: {context}");
            return Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into());
        }
        let question = elicit(
            "What context should the prompt use?",
            json!({ "context": { "type": "string" } }),
            "context",
        );
        let declared = get.context.as_ref().and_then(|c| c.client_capabilities());
        let asked = input_required(declared, json!({ "user_context": question }), None)?;
        Ok(asked.into())
    });
    Ok(catalog.prompt(handler, &[]))
}

/// One call of an input-required tool: its answers, its state and how to seal the next one.
struct Turn<'a> {
    call: &'a ToolCall,
    codec: &'a RequestStateCodec,
    /// Sealed state only opens for the same client, user and tool.
    binding: String,
}

impl<'a> Turn<'a> {
    fn new(call: &'a ToolCall, tool: &str, codec: &'a RequestStateCodec) -> Self {
        let caller = &call.caller;
        let binding = format!("{}\n{}\n{tool}", caller.client_id, caller.subject);
        Self {
            call,
            codec,
            binding,
        }
    }

    /// The client's raw answer under `key`.
    fn response(&self, key: &str) -> Option<&'a Value> {
        self.call.input_responses.as_ref()?.get(key)
    }

    /// The content of an accepted elicitation answer under `key`.
    fn accepted(&self, key: &str) -> Option<&'a JsonObject> {
        accepted(self.response(key))
    }

    /// The state this call echoed, opened; `Err` when it fails verification.
    fn state(&self) -> Result<Option<Value>, CallError> {
        let Some(sealed) = &self.call.request_state else {
            return Ok(None);
        };
        self.codec
            .open_json_with(sealed, self.binding.as_bytes())
            .map(Some)
            .map_err(|_| {
                let refusal = ErrorData::invalid_params("requestState integrity check failed", None);
                CallError::Protocol(refusal)
            })
    }

    /// An input-required result asking `requests`, carrying `state` sealed.
    fn ask(&self, requests: Value, state: Option<Value>) -> ToolResult {
        let sealed = match state {
            Some(state) => {
                let options = SealOptions::new()
                    .associated_data(self.binding.as_bytes())
                    .ttl(STATE_TTL);
                let sealed = self.codec.seal_json_with(&state, &options);
                Some(sealed.map_err(CallError::internal)?)
            }
            None => None,
        };
        let declared = self.call.context.as_ref().and_then(|c| c.client_capabilities());
        Ok(input_required(declared, requests, sealed)?.into())
    }

    fn declared(&self) -> ClientCapabilities {
        let context = self.call.context.as_ref();
        context.and_then(|c| c.client_capabilities()).unwrap_or_default()
    }
}

/// The content of an elicitation answer the user accepted.
fn accepted(answer: Option<&Value>) -> Option<&JsonObject> {
    let answer = answer?.as_object()?;
    if answer.get("action")?.as_str()? != "accept" {
        return None;
    }
    answer.get("content")?.as_object()
}

/// Builds the result, refusing (-32021) to ask for anything the client did not declare it can
/// answer; a caller that declared nothing (`None`) is not checked.
fn input_required(
    declared: Option<ClientCapabilities>,
    requests: Value,
    sealed_state: Option<String>,
) -> Result<InputRequiredResult, CallError> {
    if let Some(declared) = declared {
        let mut missing = needed_capabilities(&requests);
        if declared.sampling.is_some() {
            missing.sampling = None;
        }
        if declared.elicitation.is_some() {
            missing.elicitation = None;
        }
        if declared.roots.is_some() {
            missing.roots = None;
        }
        if missing != ClientCapabilities::default() {
            let refusal = ErrorData::missing_required_client_capability(missing);
            return Err(CallError::Protocol(refusal));
        }
    }
    let requests: InputRequests = serde_json::from_value(requests).map_err(CallError::internal)?;
    Ok(InputRequiredResult::new(Some(requests), sealed_state))
}

fn needed_capabilities(requests: &Value) -> ClientCapabilities {
    let methods: Vec<&str> = requests
        .as_object()
        .into_iter()
        .flat_map(|requests| requests.values())
        .filter_map(|request| request.get("method")?.as_str())
        .collect();
    let mut needed = ClientCapabilities::default();
    if methods.contains(&"sampling/createMessage") {
        needed.sampling = Some(Default::default());
    }
    if methods.contains(&"elicitation/create") {
        needed.elicitation = Some(Default::default());
    }
    if methods.contains(&"roots/list") {
        needed.roots = Some(Default::default());
    }
    needed
}

/// An `elicitation/create` input request for one required property.
fn elicit(message: &str, properties: Value, required: &str) -> Value {
    json!({
        "method": "elicitation/create",
        "params": {
            "message": message,
            "requestedSchema": { "type": "object", "properties": properties, "required": [required] }
        }
    })
}

fn sample(prompt: &str, max_tokens: u32) -> Value {
    json!({
        "method": "sampling/createMessage",
        "params": {
            "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }],
            "maxTokens": max_tokens
        }
    })
}

fn roots() -> Value {
    json!({ "method": "roots/list", "params": {} })
}

fn ask_name(message: &str) -> Value {
    elicit(message, json!({ "name": { "type": "string" } }), "name")
}

fn ask_confirmation() -> Value {
    elicit("Please confirm", json!({ "ok": { "type": "boolean" } }), "ok")
}

/// The text a sampling answer carries.
fn sampled_text(answer: Option<&Value>) -> Option<&str> {
    answer?.get("content")?.get("text")?.as_str()
}

fn root_count(answer: Option<&Value>) -> Option<usize> {
    Some(answer?.get("roots")?.as_array()?.len())
}

fn string_in<'a>(content: &'a JsonObject, field: &str) -> &'a str {
    content.get(field).and_then(Value::as_str).unwrap_or("unknown")
}

fn elicitation(turn: &Turn<'_>) -> ToolResult {
    match turn.accepted("user_name") {
        Some(answer) => text(format!("Hello, {}!", string_in(answer, "name"))),
        None => turn.ask(json!({ "user_name": ask_name("What is your name?") }), None),
    }
}

fn sampling(turn: &Turn<'_>) -> ToolResult {
    match sampled_text(turn.response("capital_question")) {
        Some(said) => text(format!("Sampling result: {said}")),
        None => turn.ask(
            json!({ "capital_question": sample("What is the capital of France?", 100) }),
            None,
        ),
    }
}

fn list_roots(turn: &Turn<'_>) -> ToolResult {
    match root_count(turn.response("client_roots")) {
        Some(count) => text(format!("Found {count} root(s)")),
        None => turn.ask(json!({ "client_roots": roots() }), None),
    }
}

fn request_state(turn: &Turn<'_>) -> ToolResult {
    let state = turn.state()?;
    let confirmed = turn.accepted("confirm").and_then(|c| c.get("ok")?.as_bool());
    if state.is_some_and(|s| s["kind"] == "request-state") && confirmed == Some(true) {
        return text("state-ok: requestState validated");
    }
    let state = json!({ "kind": "request-state" });
    turn.ask(json!({ "confirm": ask_confirmation() }), Some(state))
}

fn multiple_inputs(turn: &Turn<'_>) -> ToolResult {
    let state = turn.state()?;
    let name = turn.accepted("user_name").map(|c| string_in(c, "name"));
    let greeting = sampled_text(turn.response("greeting"));
    let roots = root_count(turn.response("client_roots"));
    if let (true, Some(name), Some(greeting), Some(roots)) = (
        state.is_some_and(|s| s["kind"] == "multiple-inputs"),
        name,
        greeting,
        roots,
    ) {
        return text(format!("Name: {name}; Greeting: {greeting}; Roots: {roots}"));
    }
    let requests = json!({
        "user_name": ask_name("What is your name?"),
        "greeting": sample("Generate a greeting", 50),
        "client_roots": roots(),
    });
    turn.ask(requests, Some(json!({ "kind": "multiple-inputs" })))
}

fn multi_round(turn: &Turn<'_>) -> ToolResult {
    let state = turn.state()?.unwrap_or(Value::Null);
    match state["round"].as_u64() {
        Some(1) => {
            if let Some(answer) = turn.accepted("step1") {
                let color = elicit(
                    "Step 2: What is your favorite color?",
                    json!({ "color": { "type": "string" } }),
                    "color",
                );
                let state = json!({ "round": 2, "name": string_in(answer, "name") });
                return turn.ask(json!({ "step2": color }), Some(state));
            }
        }
        Some(2) => {
            if let Some(answer) = turn.accepted("step2") {
                let name = state["name"].as_str().unwrap_or("friend");
                let color = string_in(answer, "color");
                return text(format!("Multi-round complete for {name} who likes {color}"));
            }
        }
        _ => {}
    }
    // First call, or an answer that does not fit the round: start over.
    let question = ask_name("Step 1: What is your name?");
    turn.ask(json!({ "step1": question }), Some(json!({ "round": 1 })))
}

fn tampered_state(turn: &Turn<'_>) -> ToolResult {
    let state = turn.state()?;
    if state.is_some_and(|s| s["kind"] == "tamper-test") && turn.accepted("confirm").is_some() {
        return text("integrity-ok: state verified");
    }
    let state = json!({ "kind": "tamper-test" });
    turn.ask(json!({ "confirm": ask_confirmation() }), Some(state))
}

/// Asks only for what the client declared it can answer.
fn capabilities(turn: &Turn<'_>) -> ToolResult {
    if let Some(responses) = turn.call.input_responses.as_ref().filter(|r| !r.is_empty()) {
        let keys: Vec<&str> = responses.keys().map(String::as_str).collect();
        return text(format!("capabilities-ok: received {}", keys.join(",")));
    }
    let declared = turn.declared();
    let mut requests = serde_json::Map::new();
    if declared.elicitation.is_some() {
        let question = elicit(
            "Elicitation input",
            json!({ "value": { "type": "string" } }),
            "value",
        );
        requests.insert("elicit_input".into(), question);
    }
    if declared.sampling.is_some() {
        requests.insert("sample_input".into(), sample("Sample request", 50));
    }
    if requests.is_empty() {
        return text("No supported capabilities declared");
    }
    let state = json!({ "kind": "capabilities-test" });
    turn.ask(Value::Object(requests), Some(state))
}
