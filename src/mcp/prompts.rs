//! The MCP prompts: templates that hand the model live metrics or a checked calculation, each
//! behind its scopes, with completions for their arguments.

use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

use super::access::{authorize, authorized_entry};
use super::calculator::{self, MAX_EXPRESSION_CHARS};
use super::caller::Caller;
use super::catalog::{self, Entry, Kind, METRICS_URI};
use super::error::CallError;
use super::server::McpServer;

const HEALTH_REPORT: &str = "system_health_report";
const EXPLAIN_CALCULATION: &str = "explain_calculation";

impl McpServer {
    // https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#listing-prompts
    pub fn list_prompts_for(&self, caller: &Caller) -> Result<Vec<Prompt>, CallError> {
        authorize(caller, &[Kind::Prompt.base_scope()])?;
        Ok(catalog::entries_of(Kind::Prompt)
            .filter(|e| caller.has_all(e.scopes))
            .map(|entry| definition(entry).with_title(entry.title))
            .collect())
    }

    // https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#getting-a-prompt
    pub async fn get_prompt_for(
        &self,
        caller: &Caller,
        name: &str,
        arguments: Option<JsonObject>,
    ) -> Result<GetPromptResult, CallError> {
        let entry = authorized_entry(caller, Kind::Prompt, name)?;
        self.render_prompt(entry, arguments.unwrap_or_default())
            .await
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
        let entry = authorized_entry(caller, Kind::Prompt, prompt)?;
        Ok(complete_argument(entry.name, argument, prefix))
    }
}

/// What prompts/list says about a declared prompt.
fn definition(entry: &Entry) -> Prompt {
    let (description, arguments) = match entry.name {
        HEALTH_REPORT => (
            "Asks for a health assessment of the host, with its current metrics attached.",
            vec![
                PromptArgument::new("focus")
                    .with_description("cpu, memory, disk, network or overall (the default)")
                    .with_required(false),
            ],
        ),
        EXPLAIN_CALCULATION => (
            "Evaluates an expression with the calculator and asks for a step-by-step explanation.",
            vec![
                PromptArgument::new("expression")
                    .with_description("The arithmetic expression to explain, e.g. 2 * (3 + 4)")
                    .with_required(true),
            ],
        ),
        _ => ("", Vec::new()),
    };
    Prompt::new(entry.name, Some(description), Some(arguments))
}

impl McpServer {
    /// Builds a declared prompt; the caller's scopes have already been checked.
    async fn render_prompt(
        &self,
        entry: &Entry,
        arguments: JsonObject,
    ) -> Result<GetPromptResult, CallError> {
        match entry.name {
            HEALTH_REPORT => {
                let focus = Focus::parse(argument(&arguments, "focus")?)?;
                let metrics = self.metrics_json().await?;
                let resource = PromptMessage::new_resource(
                    Role::User,
                    METRICS_URI.to_owned(),
                    Some("application/json".to_owned()),
                    Some(metrics),
                    None,
                    None,
                    None,
                );
                let request = PromptMessage::new_text(Role::User, focus.instructions());
                Ok(GetPromptResult::new(vec![request, resource])
                    .with_description(format!("System health report ({})", focus.name())))
            }
            EXPLAIN_CALCULATION => {
                let Some(expression) = argument(&arguments, "expression")? else {
                    let message = "missing required argument `expression`".to_owned();
                    return Err(CallError::InvalidArguments(message));
                };
                if expression.chars().count() > MAX_EXPRESSION_CHARS {
                    let message = format!("`expression` exceeds {MAX_EXPRESSION_CHARS} characters");
                    return Err(CallError::InvalidArguments(message));
                }
                let text = explain_calculation(expression);
                Ok(
                    GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                        .with_description("Explain a calculation step by step"),
                )
            }
            other => Err(CallError::UnknownPrompt(other.to_owned())),
        }
    }
}

/// A prompt argument: absent, null and empty all count as not given; MCP sends strings only.
fn argument<'a>(arguments: &'a JsonObject, name: &str) -> Result<Option<&'a str>, CallError> {
    match arguments.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim())),
        Some(_) => Err(CallError::InvalidArguments(format!(
            "argument `{name}` must be a string"
        ))),
    }
}

fn explain_calculation(expression: &str) -> String {
    match calculator::evaluate(expression) {
        Ok(value) => format!(
            "Explain, step by step, how to evaluate this expression:\n\n```\n{expression}\n```\n\n\
             Follow the usual operator precedence and show every intermediate result. The \
             calculator's answer is {}; check your final result against it.",
            calculator::format_number(value)
        ),
        Err(error) => format!(
            "The calculator could not evaluate this expression:\n\n```\n{expression}\n```\n\n\
             Its error was: {error}\n\nExplain what is wrong with the expression and suggest a \
             corrected version."
        ),
    }
}

/// Values for `completion/complete`: the known `focus` names that start with `prefix`.
/// Free-form arguments (`expression`) have no suggestions.
fn complete_argument(prompt: &str, argument: &str, prefix: &str) -> Vec<String> {
    if prompt != HEALTH_REPORT || argument != "focus" {
        return Vec::new();
    }
    let prefix = prefix.to_ascii_lowercase();
    ["overall", "cpu", "memory", "disk", "network"]
        .into_iter()
        .filter(|name| name.starts_with(&prefix))
        .map(String::from)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Overall,
    Cpu,
    Memory,
    Disk,
    Network,
}

impl Focus {
    fn parse(value: Option<&str>) -> Result<Self, CallError> {
        match value.map(str::to_ascii_lowercase).as_deref() {
            None | Some("overall") => Ok(Focus::Overall),
            Some("cpu") => Ok(Focus::Cpu),
            Some("memory") => Ok(Focus::Memory),
            Some("disk") => Ok(Focus::Disk),
            Some("network") => Ok(Focus::Network),
            Some(_) => Err(CallError::InvalidArguments(
                "`focus` must be one of cpu, memory, disk, network, overall".to_owned(),
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Focus::Overall => "overall",
            Focus::Cpu => "cpu",
            Focus::Memory => "memory",
            Focus::Disk => "disk",
            Focus::Network => "network",
        }
    }

    fn instructions(self) -> &'static str {
        match self {
            Focus::Overall => {
                "Assess the health of this host from the attached metrics (system://metrics). \
                 Cover CPU use and load average relative to the core count, memory and swap \
                 pressure, disk space (flag any filesystem more than 85% full), network totals \
                 and the process count. End with a one-line verdict (healthy, needs attention or \
                 critical) and concrete next steps."
            }
            Focus::Cpu => {
                "Assess this host's CPU from the attached metrics (system://metrics): overall \
                 and per-core use, and the load averages relative to the core count. Point out \
                 saturation or imbalance and end with a one-line verdict."
            }
            Focus::Memory => {
                "Assess this host's memory from the attached metrics (system://metrics): used \
                 and available RAM and swap use. Say whether it is under memory pressure and end \
                 with a one-line verdict."
            }
            Focus::Disk => {
                "Assess this host's disks from the attached metrics (system://metrics): used \
                 space per filesystem (total minus available). Flag any more than 85% full and \
                 end with a one-line verdict."
            }
            Focus::Network => {
                "Assess this host's network from the attached metrics (system://metrics): bytes \
                 received and sent per interface since boot. Name the busiest interfaces, note \
                 anything unusual and end with a one-line verdict."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rmcp::ErrorData;
    use rmcp::model::{ContentBlock, ErrorCode};
    use serde_json::json;

    use super::super::test_support::{caller_with, server};
    use super::*;

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
