//! What an upstream offers, turned into catalogue entries: names prefixed, tools filtered by
//! the allow and deny lists, scopes from the upstream's settings, and handlers that forward
//! each call to the upstream under its own (unprefixed) name.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, ClientRequest, GetPromptRequest,
    GetPromptRequestParams, GetPromptResponse, Prompt, ReadResourceRequest,
    ReadResourceRequestParams, ReadResourceResponse, Resource, ResourceTemplate, ServerResult,
    Tool,
};

use super::list::MAX_ITEMS;
use super::upstream::Upstream;
use crate::mcp::catalog::Entry;
use crate::mcp::{
    BoxFuture, CallError, PromptGet, PromptHandler, ResourceHandler, ResourceRead,
    ResourceTemplateHandler, ToolCall, ToolHandler,
};

/// Titles longer than this are cut for the consent page.
const TITLE_MAX: usize = 200;

/// The lists an upstream answered with.
#[derive(Debug, Default)]
pub(super) struct Lists {
    pub tools: Vec<Tool>,
    pub resources: Vec<Resource>,
    pub templates: Vec<ResourceTemplate>,
    pub prompts: Vec<Prompt>,
}

/// The catalogue entries for `lists`, and what was left out and why.
pub(super) fn entries(upstream: &Arc<Upstream>, lists: Lists) -> (Vec<Entry>, Vec<String>) {
    let settings = &upstream.settings;
    let mut entries = Vec::new();
    let mut left_out = Vec::new();
    let mut over = |kind: &str, count: usize| {
        if count > MAX_ITEMS {
            left_out.push(format!(
                "{} {kind}s beyond the first {MAX_ITEMS}",
                count - MAX_ITEMS
            ));
        }
    };
    over("tool", lists.tools.len());
    over("resource", lists.resources.len() + lists.templates.len());
    over("prompt", lists.prompts.len());
    for tool in lists.tools.into_iter().take(MAX_ITEMS) {
        let original = tool.name.to_string();
        if !settings.offers_tool(&original) {
            continue;
        }
        let mut definition = tool;
        definition.name = settings.offered_name(&original).into();
        definition.title = Some(title(definition.title.as_deref(), &original));
        let handler = UpstreamTool {
            upstream: Arc::clone(upstream),
            name: original.clone(),
            definition: definition.clone(),
        };
        let scopes = settings.scopes_for_tool(&original).to_vec();
        entries.push(Entry::tool(definition, Arc::new(handler), &scopes));
    }
    if settings.resources {
        for resource in lists.resources.into_iter().take(MAX_ITEMS) {
            let mut definition = resource;
            definition.title = Some(title(definition.title.as_deref(), &definition.name));
            let handler = UpstreamResource {
                upstream: Arc::clone(upstream),
                definition: definition.clone(),
            };
            entries.push(Entry::resource(
                definition,
                Arc::new(handler),
                &settings.scopes,
            ));
        }
        for template in lists.templates.into_iter().take(MAX_ITEMS) {
            let mut definition = template;
            definition.title = Some(title(definition.title.as_deref(), &definition.name));
            let uri = definition.uri_template.clone();
            let handler = UpstreamTemplate {
                upstream: Arc::clone(upstream),
                definition: definition.clone(),
            };
            match Entry::template(definition, Arc::new(handler), &settings.scopes) {
                Some(entry) => entries.push(entry),
                None => left_out.push(format!(
                    "resource template {uri}: only {{name}} path variables are supported"
                )),
            }
        }
    }
    if settings.prompts {
        for prompt in lists.prompts.into_iter().take(MAX_ITEMS) {
            let original = prompt.name.clone();
            let mut definition = prompt;
            definition.name = settings.offered_name(&original);
            definition.title = Some(title(definition.title.as_deref(), &original));
            let handler = UpstreamPrompt {
                upstream: Arc::clone(upstream),
                name: original,
                definition: definition.clone(),
            };
            entries.push(Entry::prompt(
                definition,
                Arc::new(handler),
                &settings.scopes,
            ));
        }
    }
    (entries, left_out)
}

/// The upstream's title (or name), cut to a length a consent page can show.
fn title(given: Option<&str>, name: &str) -> String {
    let text = given.filter(|t| !t.trim().is_empty()).unwrap_or(name);
    match text.char_indices().nth(TITLE_MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn unexpected(upstream: &Upstream) -> CallError {
    CallError::Unavailable(
        upstream.name().to_owned(),
        "it answered with something unexpected".into(),
    )
}

struct UpstreamTool {
    upstream: Arc<Upstream>,
    /// The upstream's own name for the tool.
    name: String,
    definition: Tool,
}

impl ToolHandler for UpstreamTool {
    fn definition(&self) -> Tool {
        self.definition.clone()
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'_, Result<CallToolResponse, CallError>> {
        Box::pin(async move {
            let mut params = CallToolRequestParams::new(self.name.clone());
            params.arguments = Some(call.arguments);
            params.input_responses = call.input_responses;
            params.request_state = call.request_state;
            let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
            let answer = self
                .upstream
                .forward(request, &call.caller, call.context.as_ref(), &self.name)
                .await?;
            match answer {
                ServerResult::CallToolResult(result) => Ok(CallToolResponse::Complete(result)),
                ServerResult::InputRequiredResult(result) => {
                    Ok(CallToolResponse::InputRequired(result))
                }
                _ => Err(unexpected(&self.upstream)),
            }
        })
    }
}

async fn read(upstream: &Upstream, read: ResourceRead) -> Result<ReadResourceResponse, CallError> {
    let mut params = ReadResourceRequestParams::new(read.uri.clone());
    params.input_responses = read.input_responses;
    params.request_state = read.request_state;
    let request = ClientRequest::ReadResourceRequest(ReadResourceRequest::new(params));
    let answer = upstream
        .forward(request, &read.caller, read.context.as_ref(), &read.uri)
        .await?;
    match answer {
        ServerResult::ReadResourceResult(result) => Ok(ReadResourceResponse::Complete(result)),
        ServerResult::InputRequiredResult(result) => {
            Ok(ReadResourceResponse::InputRequired(result))
        }
        _ => Err(unexpected(upstream)),
    }
}

struct UpstreamResource {
    upstream: Arc<Upstream>,
    definition: Resource,
}

impl ResourceHandler for UpstreamResource {
    fn definition(&self) -> Resource {
        self.definition.clone()
    }

    fn read(
        &self,
        request: ResourceRead,
    ) -> BoxFuture<'_, Result<ReadResourceResponse, CallError>> {
        Box::pin(read(&self.upstream, request))
    }
}

struct UpstreamTemplate {
    upstream: Arc<Upstream>,
    definition: ResourceTemplate,
}

impl ResourceTemplateHandler for UpstreamTemplate {
    fn definition(&self) -> ResourceTemplate {
        self.definition.clone()
    }

    fn read(
        &self,
        request: ResourceRead,
        _variables: BTreeMap<String, String>,
    ) -> BoxFuture<'_, Result<ReadResourceResponse, CallError>> {
        Box::pin(read(&self.upstream, request))
    }
}

struct UpstreamPrompt {
    upstream: Arc<Upstream>,
    name: String,
    definition: Prompt,
}

impl PromptHandler for UpstreamPrompt {
    fn definition(&self) -> Prompt {
        self.definition.clone()
    }

    fn get(&self, get: PromptGet) -> BoxFuture<'_, Result<GetPromptResponse, CallError>> {
        Box::pin(async move {
            let mut params = GetPromptRequestParams::new(self.name.clone());
            params.arguments = Some(get.arguments);
            params.input_responses = get.input_responses;
            params.request_state = get.request_state;
            let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(params));
            let answer = self
                .upstream
                .forward(request, &get.caller, get.context.as_ref(), &self.name)
                .await?;
            match answer {
                ServerResult::GetPromptResult(result) => Ok(GetPromptResponse::Complete(result)),
                ServerResult::InputRequiredResult(result) => {
                    Ok(GetPromptResponse::InputRequired(result))
                }
                _ => Err(unexpected(&self.upstream)),
            }
        })
    }
}
