//! Listing and getting prompts for a caller, and completions for prompt arguments and
//! resource-template variables, over whatever the catalogue declares.

use rmcp::ErrorData;
use rmcp::RoleServer;
use rmcp::model::{GetPromptResponse, GetPromptResult, InputResponses, JsonObject, Prompt};
use rmcp::service::RequestContext;

use super::access::{authorize, authorized_entry};
use super::caller::Caller;
use super::catalog::{Item, Kind, PromptGet};
use super::error::CallError;
use super::server::McpServer;

impl McpServer {
    // https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#listing-prompts
    pub fn list_prompts_for(&self, caller: &Caller) -> Result<Vec<Prompt>, CallError> {
        authorize(caller, &[Kind::Prompt.base_scope()])?;
        Ok(self
            .catalog()
            .entries_of(Kind::Prompt)
            .filter(|e| caller.has_all(&e.scopes))
            .filter_map(|e| match &e.item {
                Item::Prompt(definition, _) => Some(definition.clone()),
                _ => None,
            })
            .collect())
    }

    /// Gets a prompt outside an MCP session (tests, REST).
    // https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#getting-a-prompt
    pub async fn get_prompt_for(
        &self,
        caller: &Caller,
        name: &str,
        arguments: Option<JsonObject>,
    ) -> Result<GetPromptResult, CallError> {
        match self
            .run_prompt(caller, name, arguments, None, None, None)
            .await?
        {
            GetPromptResponse::Complete(result) => Ok(result),
            _ => Err(CallError::Protocol(ErrorData::invalid_request(
                format!("prompt {name} needs an MCP client; get it over /mcp"),
                None,
            ))),
        }
    }

    /// Checks scopes, then hands the request to the prompt's handler.
    pub(super) async fn run_prompt(
        &self,
        caller: &Caller,
        name: &str,
        arguments: Option<JsonObject>,
        input_responses: Option<InputResponses>,
        request_state: Option<String>,
        context: Option<RequestContext<RoleServer>>,
    ) -> Result<GetPromptResponse, CallError> {
        let catalog = self.catalog();
        let entry = authorized_entry(&catalog, caller, Kind::Prompt, name)?;
        let Item::Prompt(_, handler) = &entry.item else {
            return Err(CallError::UnknownPrompt(name.to_owned()));
        };
        let get = PromptGet {
            caller: caller.clone(),
            name: name.to_owned(),
            arguments: arguments.unwrap_or_default(),
            input_responses,
            request_state,
            context,
        };
        handler.get(get).await
    }

    /// Suggestions for a prompt argument (`completion/complete`), behind the prompt's scopes.
    // https://modelcontextprotocol.io/specification/2025-11-25/server/utilities/completion
    pub fn complete_prompt_argument_for(
        &self,
        caller: &Caller,
        prompt: &str,
        argument: &str,
        prefix: &str,
    ) -> Result<Vec<String>, CallError> {
        let catalog = self.catalog();
        let entry = authorized_entry(&catalog, caller, Kind::Prompt, prompt)?;
        Ok(match &entry.item {
            Item::Prompt(_, handler) => handler.complete(argument, prefix),
            _ => Vec::new(),
        })
    }

    /// Suggestions for a resource-template variable, behind the template's scopes. A fixed
    /// resource has no variables, so nothing to suggest.
    pub fn complete_resource_argument_for(
        &self,
        caller: &Caller,
        uri: &str,
        argument: &str,
        prefix: &str,
    ) -> Result<Vec<String>, CallError> {
        authorize(caller, &[Kind::Resource.base_scope()])?;
        let catalog = self.catalog();
        let template = catalog
            .entries_of(Kind::Resource)
            .find(|e| e.name == uri)
            .or_else(|| catalog.resource_for(uri));
        let Some(entry) = template else {
            return Err(CallError::UnknownResource(uri.to_owned()));
        };
        authorize(caller, &entry.scopes)?;
        Ok(match &entry.item {
            Item::Template(_, _, handler) => handler.complete(argument, prefix),
            _ => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use rmcp::ErrorData;
    use rmcp::model::{ContentBlock, ErrorCode};
    use serde_json::json;

    use super::super::test_support::{caller_with, server};
    use super::*;
    use serde_json::Value;

    const HEALTH_REPORT: &str = "system_health_report";
    const EXPLAIN_CALCULATION: &str = "explain_calculation";

    fn args(value: &Value) -> Option<JsonObject> {
        value.as_object().cloned()
    }

    #[tokio::test]
    async fn a_missing_required_argument_is_invalid_params() {
        let caller = caller_with(&["mcp:prompts"]);
        let error = server()
            .get_prompt_for(&caller, EXPLAIN_CALCULATION, None)
            .await
            .expect_err("expression is required");
        assert!(matches!(&error, CallError::InvalidArguments(m) if m.contains("expression")));
        assert_eq!(ErrorData::from(error).code, ErrorCode::INVALID_PARAMS);
    }

    #[tokio::test]
    async fn explain_calculation_includes_the_calculators_answer() {
        let caller = caller_with(&["mcp:prompts"]);
        let result = server()
            .get_prompt_for(
                &caller,
                EXPLAIN_CALCULATION,
                args(&json!({"expression": "0.1 + 0.2"})),
            )
            .await
            .expect("renders");
        let text = match &result.messages[0].content {
            ContentBlock::Text(t) => t.text.clone(),
            other => panic!("expected text, got {other:?}"),
        };
        assert!(text.contains("answer is 0.3"), "{text}");
    }

    #[tokio::test]
    async fn the_health_report_embeds_metrics_and_needs_system_monitor() {
        let prompts_only = caller_with(&["mcp:prompts"]);
        let names: Vec<String> = server()
            .list_prompts_for(&prompts_only)
            .expect("may list")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, vec![EXPLAIN_CALCULATION]);
        let refused = server()
            .get_prompt_for(&prompts_only, HEALTH_REPORT, None)
            .await;
        assert!(matches!(refused, Err(CallError::InsufficientScope(_))));

        let caller = caller_with(&["mcp:prompts", "system:monitor"]);
        let result = server()
            .get_prompt_for(&caller, HEALTH_REPORT, args(&json!({"focus": "disk"})))
            .await
            .expect("renders");
        assert!(matches!(
            &result.messages[1].content,
            ContentBlock::Resource(_)
        ));
        let bad = server()
            .get_prompt_for(&caller, HEALTH_REPORT, args(&json!({"focus": "vibes"})))
            .await;
        assert!(matches!(bad, Err(CallError::InvalidArguments(_))));
    }
}
