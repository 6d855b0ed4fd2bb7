//! Listing an upstream leniently, page by page and item by item: one malformed tool (or an
//! endless cursor) costs that item, not everything the upstream offers; and what was left out,
//! logged only when it changes.
//! MCP lists: <https://modelcontextprotocol.io/specification/2025-11-25/server/tools#listing-tools>

use rmcp::model::{ClientRequest, PaginatedRequestParams, RequestOptionalParam};
use rmcp::service::{Peer, RoleClient, ServiceError};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// At most this many items of each kind are taken from one upstream; the rest are reported.
pub(super) const MAX_ITEMS: usize = 1000;
/// At most this many pages of one kind are read from an upstream.
const MAX_PAGES: usize = 100;
/// How much of a malformed item's name the log shows.
const NAME_SHOWN: usize = 80;

/// The four lists an upstream may offer.
#[derive(Debug, Clone, Copy)]
pub(super) enum ListKind {
    Tools,
    Resources,
    Templates,
    Prompts,
}

impl ListKind {
    fn request(self, cursor: Option<String>) -> ClientRequest {
        let params = Some(PaginatedRequestParams::default().with_cursor(cursor));
        macro_rules! request {
            ($variant:ident) => {
                ClientRequest::$variant(RequestOptionalParam {
                    method: Default::default(),
                    params,
                    extensions: Default::default(),
                })
            };
        }
        match self {
            ListKind::Tools => request!(ListToolsRequest),
            ListKind::Resources => request!(ListResourcesRequest),
            ListKind::Templates => request!(ListResourceTemplatesRequest),
            ListKind::Prompts => request!(ListPromptsRequest),
        }
    }

    /// The result's member holding the items.
    fn key(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Resources => "resources",
            ListKind::Templates => "resourceTemplates",
            ListKind::Prompts => "prompts",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            ListKind::Tools => "tool",
            ListKind::Resources => "resource",
            ListKind::Templates => "resource template",
            ListKind::Prompts => "prompt",
        }
    }
}

/// Every item of `kind` the upstream lists that parses as `T`, at most [`MAX_ITEMS`] over at
/// most [`MAX_PAGES`] pages; what was skipped is added to `left_out`. Only a failed request is
/// an error.
pub(super) async fn list<T: DeserializeOwned>(
    peer: &Peer<RoleClient>,
    kind: ListKind,
    left_out: &mut Vec<String>,
) -> Result<Vec<T>, ServiceError> {
    let mut items = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let answer = peer.send_request(kind.request(cursor.take())).await?;
        // Whichever result type rmcp decoded the answer as, its JSON is what the upstream sent.
        let mut page = serde_json::to_value(answer).unwrap_or(Value::Null);
        let Some(Value::Array(listed)) = page.get_mut(kind.key()).map(Value::take) else {
            left_out.push(format!("a {} list without `{}`", kind.noun(), kind.key()));
            return Ok(items);
        };
        for item in listed {
            if items.len() == MAX_ITEMS {
                left_out.push(format!("{}s beyond the first {MAX_ITEMS}", kind.noun()));
                return Ok(items);
            }
            match T::deserialize(&item) {
                Ok(parsed) => items.push(parsed),
                Err(why) => left_out.push(format!(
                    "{} {} (malformed: {why})",
                    kind.noun(),
                    shown_name(&item)
                )),
            }
        }
        cursor = page
            .get("nextCursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if cursor.is_none() {
            return Ok(items);
        }
    }
    left_out.push(format!(
        "{} pages beyond the first {MAX_PAGES}",
        kind.noun()
    ));
    Ok(items)
}

/// A malformed item's name (or URI) for the log, cut short.
fn shown_name(item: &Value) -> String {
    let name = ["name", "uri", "uriTemplate"]
        .iter()
        .find_map(|key| item.get(key).and_then(Value::as_str))
        .unwrap_or("(unnamed)");
    let mut shown: String = name.chars().take(NAME_SHOWN).collect();
    if shown.len() < name.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// What was last logged as left out, so each refresh logs only news.
#[derive(Default)]
pub(super) struct Reported(std::sync::Mutex<Vec<String>>);

impl Reported {
    /// Remembers `now`; whether it differs from what was remembered before.
    pub(super) fn changed(&self, now: &[String]) -> bool {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let changed = *last != now;
        if changed {
            *last = now.to_vec();
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn left_out_items_are_reported_again_only_when_they_change() {
        let reported = Reported::default();
        let once = vec!["tool \"bad name\" (malformed: …)".to_owned()];
        assert!(reported.changed(&once));
        assert!(!reported.changed(&once), "the same list again is not news");
        assert!(reported.changed(&[]), "fixed upstream");
        assert!(!reported.changed(&[]));
    }

    #[test]
    fn a_malformed_items_name_is_shown_cut_short_and_quoted() {
        let long = "x".repeat(300);
        let shown = shown_name(&json!({ "name": long }));
        assert_eq!(shown, format!("\"{}…\"", "x".repeat(NAME_SHOWN)));
        assert_eq!(shown_name(&json!({"uri": "demo://a"})), "\"demo://a\"");
        assert_eq!(shown_name(&json!(42)), "\"(unnamed)\"");
    }
}
