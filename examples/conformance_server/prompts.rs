//! The prompt fixtures: plain, with arguments, with an embedded resource and with an image.

use mcp_oauth::mcp::{CallError, CatalogBuilder, PromptGet};
use rmcp::model::{
    ContentBlock, GetPromptResult, Prompt, PromptArgument, PromptMessage, ResourceContents, Role,
};
use serde_json::Value;

use crate::fixture::{PromptResult, prompt};
use crate::media::{PNG_MIME, png_base64};

pub fn register(catalog: CatalogBuilder) -> CatalogBuilder {
    catalog
        .prompt(
            prompt(
                definition("test_simple_prompt", "Simple Test Prompt", "A simple prompt without arguments", &[]),
                |_| async { messages(vec![user_text("This is a simple prompt for testing.")]) },
            ),
            &[],
        )
        .prompt(
            prompt(
                definition(
                    "test_prompt_with_arguments",
                    "Prompt With Arguments",
                    "A prompt with required arguments",
                    &[("arg1", "First test argument"), ("arg2", "Second test argument")],
                ),
                |get| async move {
                    let (arg1, arg2) = (argument(&get, "arg1")?, argument(&get, "arg2")?);
                    let text = format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'");
                    messages(vec![user_text(text)])
                },
            ),
            &[],
        )
        .prompt(
            prompt(
                definition(
                    "test_prompt_with_embedded_resource",
                    "Prompt With Embedded Resource",
                    "A prompt that includes an embedded resource",
                    &[("resourceUri", "URI of the resource to embed")],
                ),
                |get| async move {
                    let uri = argument(&get, "resourceUri")?;
                    let embedded =
                        ResourceContents::text("Embedded resource content for testing.", uri)
                            .with_mime_type("text/plain");
                    messages(vec![
                        PromptMessage::new(Role::User, ContentBlock::resource(embedded)),
                        user_text("Please process the embedded resource above."),
                    ])
                },
            ),
            &[],
        )
        .prompt(
            prompt(
                definition(
                    "test_prompt_with_image",
                    "Prompt With Image",
                    "A prompt that includes image content",
                    &[],
                ),
                |_| async {
                    let image = ContentBlock::image(png_base64(), PNG_MIME);
                    messages(vec![
                        PromptMessage::new(Role::User, image),
                        user_text("Please analyze the image above."),
                    ])
                },
            ),
            &[],
        )
}

/// A prompt whose `arguments` (name, description) are all required.
fn definition(
    name: &str,
    title: &str,
    description: &str,
    arguments: &[(&str, &str)],
) -> Prompt {
    let arguments: Vec<PromptArgument> = arguments
        .iter()
        .map(|(name, description)| {
            PromptArgument::new(*name)
                .with_description(*description)
                .with_required(true)
        })
        .collect();
    let arguments = (!arguments.is_empty()).then_some(arguments);
    Prompt::new(name, Some(description), arguments).with_title(title)
}

fn argument(get: &PromptGet, name: &str) -> Result<String, CallError> {
    match get.arguments.get(name) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(CallError::InvalidArguments(format!("`{name}` is required"))),
    }
}

fn user_text(text: impl Into<String>) -> PromptMessage {
    PromptMessage::new_text(Role::User, text)
}

fn messages(messages: Vec<PromptMessage>) -> PromptResult {
    Ok(GetPromptResult::new(messages).into())
}
