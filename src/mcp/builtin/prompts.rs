//! The built-in prompts: templates that hand the model live metrics or a checked calculation,
//! with completions for their arguments.

use std::sync::Arc;

use rmcp::model::{
    GetPromptResponse, GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role,
};
use serde_json::Value;

use super::METRICS_URI;
use super::resources::metrics_json;
use crate::mcp::calculator::{self, MAX_EXPRESSION_CHARS};
use crate::mcp::catalog::{BoxFuture, PromptGet, PromptHandler};
use crate::mcp::error::CallError;
use crate::mcp::system::SystemMonitor;

pub(super) const HEALTH_REPORT: &str = "system_health_report";
pub(super) const EXPLAIN_CALCULATION: &str = "explain_calculation";

/// `system_health_report`: the current metrics with instructions for one focus.
pub(super) struct HealthReport(pub(super) Arc<SystemMonitor>);

impl PromptHandler for HealthReport {
    fn definition(&self) -> Prompt {
        let focus = PromptArgument::new("focus")
            .with_description("cpu, memory, disk, network or overall (the default)")
            .with_required(false);
        Prompt::new(
            HEALTH_REPORT,
            Some("Asks for a health assessment of the host, with its current metrics attached."),
            Some(vec![focus]),
        )
        .with_title("System health report")
    }

    fn get(&self, get: PromptGet) -> BoxFuture<'_, Result<GetPromptResponse, CallError>> {
        Box::pin(async move {
            let focus = Focus::parse(argument(&get.arguments, "focus")?)?;
            let metrics = metrics_json(&self.0).await?;
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
                .with_description(format!("System health report ({})", focus.name()))
                .into())
        })
    }

    /// The known `focus` names that start with `prefix`.
    fn complete(&self, argument: &str, prefix: &str) -> Vec<String> {
        if argument != "focus" {
            return Vec::new();
        }
        let prefix = prefix.to_ascii_lowercase();
        ["overall", "cpu", "memory", "disk", "network"]
            .into_iter()
            .filter(|name| name.starts_with(&prefix))
            .map(String::from)
            .collect()
    }
}

/// `explain_calculation`: the calculator's answer with a request to explain it step by step.
pub(super) struct ExplainCalculation;

impl PromptHandler for ExplainCalculation {
    fn definition(&self) -> Prompt {
        let expression = PromptArgument::new("expression")
            .with_description("The arithmetic expression to explain, e.g. 2 * (3 + 4)")
            .with_required(true);
        Prompt::new(
            EXPLAIN_CALCULATION,
            Some("Evaluates an expression with the calculator and asks for a step-by-step explanation."),
            Some(vec![expression]),
        )
        .with_title("Explain a calculation")
    }

    fn get(&self, get: PromptGet) -> BoxFuture<'_, Result<GetPromptResponse, CallError>> {
        Box::pin(async move {
            let Some(expression) = argument(&get.arguments, "expression")? else {
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
                    .with_description("Explain a calculation step by step")
                    .into(),
            )
        })
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
