//! rmcp's `ServerHandler` for [`McpServer`]: reads the verified caller from the HTTP request and
//! hands every MCP method to the same scope-checked functions the REST endpoints use.

// rmcp deprecates logging (SEP-2577); 2025-11-25 clients still set the level.
#[allow(deprecated)]
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams,
    CompleteRequestParams, CompleteResult, CompletionInfo, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetTaskParams, GetTaskResult, Implementation, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, Reference, ServerCapabilities, ServerConfig,
    SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::RequestContext;
use rmcp::service::SubscriptionContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use tracing::Instrument;

use super::access::authorized_entry;
use super::caller::Caller;
use super::catalog::{Kind, ResourceRead};
use super::dispatch::DispatchSpan;
use super::error::CallError;
use super::notify::ListChange;
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

impl McpServer {
    /// What a tool, resource or prompt reaches through its request's extensions: the
    /// list-change fan-out and this session's log level (see [`log_message`](super::notify::log_message)).
    fn equip(&self, context: &mut RequestContext<RoleServer>) {
        context.extensions.insert(self.list_changes.clone());
        context.extensions.insert(self.log_level.clone());
        context.extensions.insert(self.tasks.clone());
    }
}

impl ServerHandler for McpServer {
    // https://modelcontextprotocol.io/specification/2025-11-25/basic/lifecycle#initialization
    #[allow(deprecated)]
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_resources_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_logging()
            .enable_completions()
            .enable_tasks()
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
        mut context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.equip(&mut context);
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
        mut context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.equip(&mut context);
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
        mut context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        self.equip(&mut context);
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

    /// A 2025-11-25 session's minimum level for `notifications/message` (rmcp answers
    /// 2026-07-28 requests with -32601 itself: they carry `_meta` logLevel instead).
    // https://modelcontextprotocol.io/specification/2025-11-25/server/utilities/logging
    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log_level.set(request.level);
        Ok(())
    }

    /// Accepts a watch on a resource the caller may read. No resource here announces
    /// updates, so nothing is remembered and no `notifications/resources/updated` follows.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/resources#subscriptions
    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let caller = caller_of(&context);
        authorized_entry(&self.catalog(), &caller, Kind::Resource, &request.uri)
            .map_err(protocol_error)?;
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }

    /// `subscriptions/listen` (2026-07-28): list changes, whatever the client asks of them;
    /// rmcp narrows the filter to what `get_info` advertises. Resource updates are not offered.
    // https://modelcontextprotocol.io/specification/draft/basic/utilities/subscriptions
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = requested.clone();
        accepted.resource_subscriptions = None;
        Some(accepted)
    }

    /// Forwards list changes to one listen stream until the client goes away.
    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.list_changes.listen();
        let sink = subscription.sink();
        let accepted = subscription.accepted();
        loop {
            let change = tokio::select! {
                () = subscription.cancelled() => return Ok(()),
                change = changes.recv() => change,
            };
            let sent = match change {
                Ok(ListChange::Tools) if accepted.tools_list_changed == Some(true) => {
                    sink.notify_tool_list_changed().await
                }
                Ok(ListChange::Prompts) if accepted.prompts_list_changed == Some(true) => {
                    sink.notify_prompt_list_changed().await
                }
                Ok(ListChange::Resources) if accepted.resources_list_changed == Some(true) => {
                    sink.notify_resource_list_changed().await
                }
                // Not asked for, or missed while the stream was slow: nothing to send.
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Ok(()),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
            };
            if sent.is_err() {
                // The stream is gone; rmcp ends the request.
                return Ok(());
            }
        }
    }

    /// rmcp has checked that the client declared the tasks extension; [`Tasks`](super::tasks::Tasks) checks that
    /// the task is the caller's.
    // https://modelcontextprotocol.io/seps/2663-tasks-extension
    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let task = self.tasks.get(&caller_of(&context), &request.task_id)?;
        Ok(GetTaskResult::new(task))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let caller = caller_of(&context);
        self.tasks
            .update(&caller, &request.task_id, request.input_responses)
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.tasks.cancel(&caller_of(&context), &request.task_id)
    }
}
