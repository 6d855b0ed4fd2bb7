//! The one place that declares the OAuth scopes and what every MCP tool, resource and prompt needs.
//!
//! The HTTP middleware (403 before rmcp), the MCP handler (defence in depth and list filtering),
//! the consent page and `scopes_supported` all read these tables, so they cannot drift apart.

use std::fmt;

use serde_json::Value;

pub const MCP_TOOLS: &str = "mcp:tools";
pub const MCP_RESOURCES: &str = "mcp:resources";
pub const MCP_PROMPTS: &str = "mcp:prompts";
pub const SYSTEM_READ: &str = "system:read";
pub const SYSTEM_MONITOR: &str = "system:monitor";

pub const METRICS_URI: &str = "system://metrics";
pub const PLATFORM_URI: &str = "system://platform";

/// A scope and the sentence the consent page shows for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeInfo {
    pub name: &'static str,
    pub description: &'static str,
}

const SCOPES: &[ScopeInfo] = &[
    ScopeInfo {
        name: MCP_TOOLS,
        description: "List and run this server's tools.",
    },
    ScopeInfo {
        name: MCP_RESOURCES,
        description: "List and read this server's resources.",
    },
    ScopeInfo {
        name: MCP_PROMPTS,
        description: "List and use this server's prompt templates.",
    },
    ScopeInfo {
        name: SYSTEM_READ,
        description: "See facts about the host: operating system, kernel, hostname, CPU and \
                      memory size.",
    },
    ScopeInfo {
        name: SYSTEM_MONITOR,
        description: "See live host metrics: CPU load, memory and swap use, disks, network \
                      traffic and process count.",
    },
];

/// Which MCP primitive an [`Entry`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Resource,
    Prompt,
}

impl Kind {
    /// The scope every item of this kind needs, and which guards its list method.
    pub fn base_scope(self) -> &'static str {
        match self {
            Kind::Tool => MCP_TOOLS,
            Kind::Resource => MCP_RESOURCES,
            Kind::Prompt => MCP_PROMPTS,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Tool => "tool",
            Kind::Resource => "resource",
            Kind::Prompt => "prompt",
        }
    }
}

/// One tool, resource or prompt: `name` is the tool or prompt name, or the resource URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub name: &'static str,
    pub title: &'static str,
    /// Every scope a token must hold to see or use this item; the kind's base scope comes first.
    pub scopes: &'static [&'static str],
}

impl Entry {
    /// The short name: a resource's URI without its scheme (`metrics`), otherwise the name.
    pub fn short_name(&self) -> &'static str {
        match self.kind {
            Kind::Resource => self
                .name
                .split_once("://")
                .map_or(self.name, |(_, rest)| rest),
            Kind::Tool | Kind::Prompt => self.name,
        }
    }
}

/// Renders as the consent page names things: "tool echo", "resource system://metrics".
impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)
    }
}

const ENTRIES: &[Entry] = &[
    Entry {
        kind: Kind::Tool,
        name: "echo",
        title: "Echo",
        scopes: &[MCP_TOOLS],
    },
    Entry {
        kind: Kind::Tool,
        name: "calculator",
        title: "Calculator",
        scopes: &[MCP_TOOLS],
    },
    Entry {
        kind: Kind::Tool,
        name: "system_info",
        title: "System information",
        scopes: &[MCP_TOOLS, SYSTEM_READ],
    },
    Entry {
        kind: Kind::Resource,
        name: METRICS_URI,
        title: "Live system metrics",
        scopes: &[MCP_RESOURCES, SYSTEM_MONITOR],
    },
    Entry {
        kind: Kind::Resource,
        name: PLATFORM_URI,
        title: "Platform facts",
        scopes: &[MCP_RESOURCES, SYSTEM_READ],
    },
    // The health report embeds live metrics, so it needs what reading system://metrics needs.
    Entry {
        kind: Kind::Prompt,
        name: "system_health_report",
        title: "System health report",
        scopes: &[MCP_PROMPTS, SYSTEM_MONITOR],
    },
    Entry {
        kind: Kind::Prompt,
        name: "explain_calculation",
        title: "Explain a calculation",
        scopes: &[MCP_PROMPTS],
    },
];

/// Every scope this server defines, for `scopes_supported` and the consent page.
pub fn all_scopes() -> &'static [ScopeInfo] {
    SCOPES
}

pub fn scope_info(name: &str) -> Option<&'static ScopeInfo> {
    SCOPES.iter().find(|s| s.name == name)
}

/// Every tool, resource and prompt, in declaration order.
pub fn entries() -> &'static [Entry] {
    ENTRIES
}

pub fn entries_of(kind: Kind) -> impl Iterator<Item = &'static Entry> {
    ENTRIES.iter().filter(move |e| e.kind == kind)
}

pub fn entry(kind: Kind, name: &str) -> Option<&'static Entry> {
    entries_of(kind).find(|e| e.name == name)
}

/// The resource whose short name (URI without scheme) is `short_name`, for `/resources/{name}`.
pub fn resource_by_short_name(short_name: &str) -> Option<&'static Entry> {
    entries_of(Kind::Resource).find(|e| e.short_name() == short_name)
}

/// The items that need `scope`, for the consent page. Some also need another scope (see
/// [`Entry::scopes`]); `Display` on an entry gives "tool echo", `title` the human title.
pub fn unlocked_by(scope: &str) -> Vec<&'static Entry> {
    ENTRIES
        .iter()
        .filter(|e| e.scopes.contains(&scope))
        .collect()
}

/// The scopes a JSON-RPC request needs, given its `method` and `params`.
///
/// Requests naming a known item need that item's scopes; any other request in the `tools/`,
/// `resources/` or `prompts/` family needs the family's base scope (an unknown name is then
/// answered by the handler). Lifecycle methods and notifications need nothing.
pub fn required_scopes(method: &str, params: Option<&Value>) -> Vec<&'static str> {
    let text = |value: Option<&Value>, key: &str| value?.get(key)?.as_str().map(str::to_owned);
    let (kind, item) = match method {
        "tools/call" => (Kind::Tool, text(params, "name")),
        "prompts/get" => (Kind::Prompt, text(params, "name")),
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
            (Kind::Resource, text(params, "uri"))
        }
        // Completions name their target in `ref`; the target's scopes decide.
        "completion/complete" => {
            let reference = params.and_then(|p| p.get("ref"));
            match text(reference, "type").as_deref() {
                Some("ref/prompt") => (Kind::Prompt, text(reference, "name")),
                Some("ref/resource") => (Kind::Resource, text(reference, "uri")),
                _ => return Vec::new(),
            }
        }
        _ => match method_family(method) {
            Some(kind) => (kind, None),
            None => return Vec::new(),
        },
    };
    match item.as_deref().and_then(|name| entry(kind, name)) {
        Some(found) => found.scopes.to_vec(),
        None => vec![kind.base_scope()],
    }
}

fn method_family(method: &str) -> Option<Kind> {
    if method.starts_with("tools/") {
        Some(Kind::Tool)
    } else if method.starts_with("resources/") {
        Some(Kind::Resource)
    } else if method.starts_with("prompts/") {
        Some(Kind::Prompt)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_entry_starts_with_its_base_scope_and_uses_only_declared_scopes() {
        for e in entries() {
            assert_eq!(e.scopes.first(), Some(&e.kind.base_scope()), "{e}");
            for s in e.scopes {
                assert!(scope_info(s).is_some(), "{e} uses undeclared scope {s}");
            }
        }
    }

    #[test]
    fn requests_need_the_scopes_of_what_they_name() {
        let cases: &[(&str, Value, &[&str])] = &[
            ("tools/list", Value::Null, &[MCP_TOOLS]),
            ("tools/call", json!({"name": "echo"}), &[MCP_TOOLS]),
            (
                "tools/call",
                json!({"name": "system_info"}),
                &[MCP_TOOLS, SYSTEM_READ],
            ),
            ("resources/list", Value::Null, &[MCP_RESOURCES]),
            ("resources/templates/list", Value::Null, &[MCP_RESOURCES]),
            (
                "resources/read",
                json!({"uri": METRICS_URI}),
                &[MCP_RESOURCES, SYSTEM_MONITOR],
            ),
            (
                "resources/read",
                json!({"uri": PLATFORM_URI}),
                &[MCP_RESOURCES, SYSTEM_READ],
            ),
            ("prompts/list", Value::Null, &[MCP_PROMPTS]),
            (
                "prompts/get",
                json!({"name": "explain_calculation"}),
                &[MCP_PROMPTS],
            ),
            (
                "completion/complete",
                json!({"ref": {"type": "ref/prompt", "name": "system_health_report"}}),
                &[MCP_PROMPTS, SYSTEM_MONITOR],
            ),
            // Unknown or malformed names fall back to the family's base scope.
            ("tools/call", json!({"name": "rm_rf"}), &[MCP_TOOLS]),
            ("tools/call", json!({"name": 42}), &[MCP_TOOLS]),
            ("prompts/get", Value::Null, &[MCP_PROMPTS]),
            // Lifecycle methods and notifications need nothing.
            ("initialize", json!({}), &[]),
            ("ping", Value::Null, &[]),
            ("notifications/initialized", Value::Null, &[]),
            ("server/discover", Value::Null, &[]),
        ];
        for (method, params, expected) in cases {
            let params = (!params.is_null()).then_some(params);
            assert_eq!(
                &required_scopes(method, params),
                expected,
                "{method} {params:?}"
            );
        }
    }

    #[test]
    fn unlocked_by_names_what_a_scope_opens() {
        let names: Vec<String> = unlocked_by(SYSTEM_READ)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            vec!["tool system_info", "resource system://platform"]
        );
        assert_eq!(unlocked_by(MCP_TOOLS).len(), 3);
    }

    #[test]
    fn resources_are_found_by_short_name() {
        let found = resource_by_short_name("metrics").map(|e| e.name);
        assert_eq!(found, Some(METRICS_URI));
        assert!(resource_by_short_name(METRICS_URI).is_none());
    }
}
