//! Rows for the protected resource: every unusable bearer token against every MCP and REST
//! endpoint, then hostile bodies and paths sent with a valid token.

use http::Method;

use super::{Expect, Fixtures, Row};

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
const LIST_TOOLS: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
const ACCEPT: &str = "application/json, text/event-stream";

/// Each protected endpoint with the body it would accept.
fn endpoints() -> Vec<(Method, &'static str, Option<&'static str>)> {
    vec![
        (Method::POST, "/mcp", Some(INITIALIZE)),
        (Method::POST, "/mcp/", Some(LIST_TOOLS)),
        (Method::GET, "/mcp", None),
        (Method::DELETE, "/mcp", None),
        (Method::GET, "/mcp/protected/tools", None),
        (
            Method::POST,
            "/mcp/protected/call/echo",
            Some(r#"{"message":"hi"}"#),
        ),
        (Method::GET, "/mcp/protected/resources", None),
        (Method::GET, "/mcp/protected/resources/platform", None),
        (Method::GET, "/mcp/protected/prompts", None),
    ]
}

pub fn rows(fixtures: &Fixtures) -> Vec<Row> {
    let mut rows = Vec::new();
    for (method, path, body) in endpoints() {
        for (name, authorization, token_sent) in &fixtures.bearers {
            let mut row = Row::new(
                format!("{method} {path}: {name}"),
                method.clone(),
                path,
                Expect::Bearer {
                    token_sent: *token_sent,
                },
            )
            .header("accept", ACCEPT);
            if let Some(value) = authorization {
                row = row.header("authorization", value);
            }
            if let Some(body) = body {
                row = row.json(body);
            }
            rows.push(row);
        }
    }
    rows.extend(with_a_valid_token(&fixtures.token));
    rows
}

/// Hostile bodies, paths and headers from a caller whose token is good.
fn with_a_valid_token(token: &str) -> Vec<Row> {
    let bearer = format!("Bearer {token}");
    let mcp = |name: &str, expect| {
        Row::post(format!("POST /mcp: {name}"), "/mcp", expect)
            .header("authorization", &bearer)
            .header("accept", ACCEPT)
    };
    let call = |name: &str, path: &str, expect| {
        Row::post(format!("POST {path}: {name}"), path, expect).header("authorization", &bearer)
    };
    let get = |name: &str, path: &str, expect| {
        Row::get(format!("GET {path}: {name}"), path, expect).header("authorization", &bearer)
    };
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let rpc = |params: String| {
        format!(r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{params}}}"#)
    };
    vec![
        mcp("100000 nested arrays", Expect::JsonRpc(400)).json(nested(100_000)),
        mcp("nesting in params", Expect::JsonRpc(400)).json(rpc(format!(
            r#"{{"name":"echo","arguments":{{"message":{}}}}}"#,
            nested(5_000)
        ))),
        mcp("invalid UTF-8", Expect::JsonRpc(400)).json(
            [
                br#"{"jsonrpc":"2.0","id":1,"method":""#.as_slice(),
                b"\xff\xfe",
                br#""}"#,
            ]
            .concat(),
        ),
        mcp("a form", Expect::JsonRpc(415)).form("jsonrpc=2.0&method=initialize"),
        mcp("over the body limit", Expect::JsonRpc(413)).json(format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
            "a".repeat(1_100_000)
        )),
        mcp("an empty batch", Expect::JsonRpc(400)).json("[]"),
        mcp("JSON-RPC 1.0", Expect::JsonRpc(400))
            .json(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
        mcp("method is a number", Expect::JsonRpc(400))
            .json(r#"{"jsonrpc":"2.0","id":1,"method":7}"#),
        mcp("truncated JSON", Expect::JsonRpc(400)).json(&INITIALIZE[..40]),
        mcp("a foreign Origin", Expect::JsonRpc(403))
            .header("origin", "https://evil.example")
            .json(INITIALIZE),
        mcp("a null Origin", Expect::JsonRpc(403))
            .header("origin", "null")
            .json(INITIALIZE),
        mcp("a batch", Expect::JsonRpc(400)).json(format!("[{LIST_TOOLS}, {LIST_TOOLS}]")),
        mcp("a tool it lacks the scope for", Expect::JsonRpc(403))
            .json(rpc(r#"{"name":"system_info","arguments":{}}"#.into())),
        call(
            "nested arguments",
            "/mcp/protected/call/echo",
            Expect::Rest(400, "invalid_arguments"),
        )
        .json(nested(20_000)),
        call(
            "invalid UTF-8 arguments",
            "/mcp/protected/call/echo",
            Expect::Rest(400, "invalid_arguments"),
        )
        .json(b"{\"message\":\"\xff\"}".to_vec()),
        call(
            "arguments as a form",
            "/mcp/protected/call/echo",
            Expect::Rest(415, "invalid_request"),
        )
        .form("message=hi"),
        call(
            "oversized arguments",
            "/mcp/protected/call/echo",
            Expect::Rest(413, "invalid_request"),
        )
        .json(format!(r#"{{"message":"{}"}}"#, "m".repeat(70_000))),
        call(
            "a number for the message",
            "/mcp/protected/call/echo",
            Expect::Rest(400, "invalid_arguments"),
        )
        .json(r#"{"message":7}"#),
        call(
            "traversal in the tool name",
            "/mcp/protected/call/..%2f..%2fadmin",
            Expect::Rest(404, "not_found"),
        )
        .json("{}"),
        call(
            "NUL in the tool name",
            "/mcp/protected/call/echo%00",
            Expect::Rest(404, "not_found"),
        )
        .json("{}"),
        call(
            "invalid UTF-8 in the tool name",
            "/mcp/protected/call/%FF",
            Expect::Rest(400, "invalid_request"),
        )
        .json("{}"),
        call(
            "SQL in the tool name",
            "/mcp/protected/call/'%20OR%20'1'='1",
            Expect::Rest(404, "not_found"),
        )
        .json("{}"),
        call(
            "a tool it lacks the scope for",
            "/mcp/protected/call/system_info",
            Expect::Rest(403, "insufficient_scope"),
        )
        .json("{}"),
        get(
            "traversal in the resource name",
            "/mcp/protected/resources/..%2f..%2fetc%2fpasswd",
            Expect::Rest(404, "not_found"),
        ),
        get(
            "invalid UTF-8 in the resource name",
            "/mcp/protected/resources/%C0%AF",
            Expect::Rest(400, "invalid_request"),
        ),
        get(
            "a URI as the resource name",
            "/mcp/protected/resources/file:%2F%2F%2Fetc%2Fpasswd",
            Expect::Rest(404, "not_found"),
        ),
    ]
}
