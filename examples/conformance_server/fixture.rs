//! Closure-backed handlers, so each fixture is its definition plus one `async` block instead of
//! a struct and a trait impl; and the small builders every fixture file uses.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use mcp_oauth::mcp::{
    BoxFuture, CallError, PromptGet, PromptHandler, ResourceHandler, ResourceRead,
    ResourceTemplateHandler, ToolCall, ToolHandler,
};
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, GetPromptResponse, JsonObject, Prompt,
    ReadResourceResponse, Resource, ResourceTemplate, Tool,
};
use serde_json::Value;

pub type ToolResult = Result<CallToolResponse, CallError>;
pub type ReadResult = Result<ReadResourceResponse, CallError>;
pub type PromptResult = Result<GetPromptResponse, CallError>;

/// A tool whose body is a closure over the call.
pub struct FnTool<F> {
    definition: Tool,
    run: F,
}

pub fn tool<F, Fut>(definition: Tool, run: F) -> FnTool<F>
where
    F: Fn(ToolCall) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ToolResult> + Send + 'static,
{
    FnTool { definition, run }
}

impl<F, Fut> ToolHandler for FnTool<F>
where
    F: Fn(ToolCall) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ToolResult> + Send + 'static,
{
    fn definition(&self) -> Tool {
        self.definition.clone()
    }

    fn call(&self, call: ToolCall) -> BoxFuture<'_, ToolResult> {
        Box::pin((self.run)(call))
    }
}

/// A resource with a fixed URI whose contents a closure makes.
pub struct FnResource<F> {
    definition: Resource,
    read: F,
}

pub fn resource<F, Fut>(definition: Resource, read: F) -> FnResource<F>
where
    F: Fn(ResourceRead) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ReadResult> + Send + 'static,
{
    FnResource { definition, read }
}

impl<F, Fut> ResourceHandler for FnResource<F>
where
    F: Fn(ResourceRead) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ReadResult> + Send + 'static,
{
    fn definition(&self) -> Resource {
        self.definition.clone()
    }

    fn read(&self, read: ResourceRead) -> BoxFuture<'_, ReadResult> {
        Box::pin((self.read)(read))
    }
}

/// A URI template whose reads a closure over the template's variables answers.
pub struct FnTemplate<F> {
    definition: ResourceTemplate,
    read: F,
}

pub fn template<F, Fut>(definition: ResourceTemplate, read: F) -> FnTemplate<F>
where
    F: Fn(ResourceRead, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ReadResult> + Send + 'static,
{
    FnTemplate { definition, read }
}

impl<F, Fut> ResourceTemplateHandler for FnTemplate<F>
where
    F: Fn(ResourceRead, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ReadResult> + Send + 'static,
{
    fn definition(&self) -> ResourceTemplate {
        self.definition.clone()
    }

    fn read(
        &self,
        read: ResourceRead,
        variables: BTreeMap<String, String>,
    ) -> BoxFuture<'_, ReadResult> {
        Box::pin((self.read)(read, variables))
    }
}

/// A prompt whose messages a closure makes.
pub struct FnPrompt<F> {
    definition: Prompt,
    get: F,
}

pub fn prompt<F, Fut>(definition: Prompt, get: F) -> FnPrompt<F>
where
    F: Fn(PromptGet) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = PromptResult> + Send + 'static,
{
    FnPrompt { definition, get }
}

impl<F, Fut> PromptHandler for FnPrompt<F>
where
    F: Fn(PromptGet) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = PromptResult> + Send + 'static,
{
    fn definition(&self) -> Prompt {
        self.definition.clone()
    }

    fn get(&self, get: PromptGet) -> BoxFuture<'_, PromptResult> {
        Box::pin((self.get)(get))
    }
}

/// A JSON Schema object from a `json!` literal (anything else becomes `{}`).
pub fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(object) => Arc::new(object),
        _ => Arc::default(),
    }
}

/// A tool with no arguments.
pub fn no_arguments(name: &'static str, description: &'static str) -> Tool {
    Tool::new(
        name,
        description,
        schema(serde_json::json!({ "type": "object", "properties": {} })),
    )
}

/// A tool with one required string argument.
pub fn one_string_argument(
    name: &'static str,
    description: &'static str,
    argument: &str,
    argument_description: &str,
) -> Tool {
    let input = serde_json::json!({
        "type": "object",
        "properties": { argument: { "type": "string", "description": argument_description } },
        "required": [argument],
    });
    Tool::new(name, description, schema(input))
}

/// A successful result with one text block.
pub fn text(text: impl Into<String>) -> ToolResult {
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
}

/// A string argument, or the refusal the model sees when it is missing.
pub fn string_argument<'a>(call: &'a ToolCall, name: &str) -> Result<&'a str, CallError> {
    call.arguments
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| CallError::InvalidArguments(format!("`{name}` must be a string")))
}
