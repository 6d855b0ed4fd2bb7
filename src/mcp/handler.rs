//! rmcp's `ServerHandler` for [`McpServer`]: reads the verified caller from the HTTP request and
//! hands every MCP method to the same scope-checked functions the REST endpoints use.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, Reference,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use tracing::Instrument;

use super::caller::Caller;
use super::catalog::ResourceRead;
use super::dispatch::DispatchSpan;
use super::error::CallError;
use super::server::McpServer;
use super::tools::ToolRequest;

/// The verified caller, as the bearer middleware left it in the HTTP request's extensions. rmcp
/// puts the request's `http::request::Parts` into the context extensions for every request.
fn caller_of(context: &RequestContext<RoleServer>) -> Caller {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>())
        .cloned()
        .unwrap_or_else(Caller::anonymous)
}

/// The span the HTTP layer opened for this call; rmcp's handler task does not inherit it.
fn dispatch_span(context: &RequestContext<RoleServer>) -> tracing::Span {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<DispatchSpan>())
        .map_or_else(tracing::Span::current, |dispatch| dispatch.0.clone())
}

/// The one place the JSON-RPC path turns a refusal into a protocol error, logging server faults.
fn protocol_error(error: CallError) -> ErrorData {
    if let CallError::Internal(cause) = &error {
        tracing::error!(error = format!("{cause:#}"), "MCP request failed");
    }
    error.into()
}

impl ServerHandler for McpServer {
    // https://modelcontextprotocol.io/specification/2025-11-25/basic/lifecycle#initialization
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_prompts()
            .enable_completions()
            .build();
        let implementation = Implementation::new(&self.identity.name, &self.identity.version);
        let config = ServerConfig::new(capabilities).with_server_info(implementation);
        match &self.identity.instructions {
            Some(text) => config.with_instructions(text.clone()),
            None => config,
        }
    }

    /// Suggestions for prompt arguments and resource-template variables.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/utilities/completion
    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let values = match &request.r#ref {
            Reference::Prompt(prompt) => self
                .complete_prompt_argument_for(
                    &caller_of(&context),
                    &prompt.name,
                    &request.argument.name,
                    &request.argument.value,
                )
                .map_err(protocol_error)?,
            Reference::Resource(resource) => self
                .complete_resource_argument_for(
                    &caller_of(&context),
                    &resource.uri,
                    &request.argument.name,
                    &request.argument.value,
                )
                .map_err(protocol_error)?,
            _ => Vec::new(),
        };
        let completion = CompletionInfo::with_all_values(values)
            .map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(CompleteResult::new(completion))
    }

    // Results are per caller; rmcp marks them `cacheScope: private` for 2026-07-28 peers.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#listing-tools
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .list_tools_for(&caller_of(&context))
            .map_err(protocol_error)?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller_of(&context);
        let span = dispatch_span(&context);
        let call = ToolRequest {
            name: request.name.to_string(),
            arguments: request.arguments.map_or(Value::Null, Value::Object),
            input_responses: request.input_responses,
            request_state: request.request_state,
            context: Some(context),
        };
        match self.run_tool(&caller, call).instrument(span).await {
            Ok(response) => Ok(response),
            // The spec wants bad input reported in the result so the model can correct itself.
            Err(CallError::InvalidArguments(message)) => {
                let text = format!("Invalid arguments: {message}");
                Ok(CallToolResult::error(vec![ContentBlock::text(text)]).into())
            }
            Err(other) => Err(protocol_error(other)),
        }
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool(name)
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#listing-resources
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = self
            .list_resources_for(&caller_of(&context))
            .map_err(protocol_error)?;
        Ok(ListResourcesResult::with_all_items(resources))
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#reading-resources
    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let span = dispatch_span(&context);
        let read = ResourceRead {
            caller: caller_of(&context),
            uri: request.uri,
            input_responses: request.input_responses,
            request_state: request.request_state,
            context: Some(context),
        };
        self.run_read(read)
            .instrument(span)
            .await
            .map_err(protocol_error)
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#resource-templates
    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = self
            .list_resource_templates_for(&caller_of(&context))
            .map_err(protocol_error)?;
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#listing-prompts
    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let prompts = self
            .list_prompts_for(&caller_of(&context))
            .map_err(protocol_error)?;
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#getting-a-prompt
    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let caller = caller_of(&context);
        let span = dispatch_span(&context);
        let name = request.name;
        self.run_prompt(
            &caller,
            &name,
            request.arguments,
            request.input_responses,
            request.request_state,
            Some(context),
        )
        .instrument(span)
        .await
        .map_err(protocol_error)
    }
}
