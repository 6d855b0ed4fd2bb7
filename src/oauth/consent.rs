//! Consent: what a request asks for in words the user can judge, whether an earlier
//! approval already covers it, and (`impl AuthServer` here) turning an approval into a code.

use super::AuthServer;
use super::authorize::AuthorizationRequest;
use super::codes::CodeRequest;
use super::policy::Withheld;
use super::scope::ScopeSet;
use crate::mcp::Catalog;
use crate::storage;

/// One requested scope as the consent page lists it.
#[derive(Debug, Clone)]
pub struct ScopeDescription {
    pub name: String,
    pub description: String,
    /// "tool echo (Echo)", … from the MCP catalog, the same tables that enforce scopes.
    pub unlocks: Vec<String>,
    /// Why this person may not grant it (the scope policy), when they may not.
    pub withheld: Option<String>,
}

pub fn describe(catalog: &Catalog, scope: &str, withheld: &[Withheld]) -> Vec<ScopeDescription> {
    let requested = ScopeSet::parse(scope).unwrap_or_default();
    catalog
        .scopes()
        .iter()
        .filter(|info| requested.contains(&info.name))
        .map(|info| ScopeDescription {
            withheld: withheld
                .iter()
                .find(|w| w.scope == info.name)
                .map(|w| w.reason.clone()),
            name: info.name.clone(),
            description: info.description.clone(),
            unlocks: catalog
                .unlocked_by(&info.name)
                .into_iter()
                .map(|entry| {
                    // Say so when an item also needs a scope this request does not grant.
                    let missing: Vec<&str> = entry
                        .scopes
                        .iter()
                        .map(String::as_str)
                        .filter(|s| !requested.contains(s))
                        .collect();
                    if missing.is_empty() {
                        format!("{entry} ({})", entry.title)
                    } else {
                        format!(
                            "{entry} ({}), together with {}",
                            entry.title,
                            missing.join(" and ")
                        )
                    }
                })
                .collect(),
        })
        .collect()
}

impl AuthServer {
    /// Whether the user already approved at least these scopes for this client, so the page
    /// can be skipped. `prompt=consent` always asks; a public client's approval covers only
    /// the redirect URI it was given for, port included (RFC 8252 §8.6: another local
    /// process can present the same public client id on another loopback port).
    pub async fn consent_covers(
        &self,
        user_id: &str,
        request: &AuthorizationRequest,
        confidential: bool,
    ) -> anyhow::Result<bool> {
        if request.force_consent {
            return Ok(false);
        }
        let Some(approved) = self
            .store
            .get_consent_record(user_id, &request.client_id)
            .await?
        else {
            return Ok(false);
        };
        if !confidential && approved.redirect_uri.as_deref() != Some(&request.redirect_uri) {
            return Ok(false);
        }
        let approved = ScopeSet::parse(&approved.scope).unwrap_or_default();
        let requested = ScopeSet::parse(&request.scope).unwrap_or_default();
        if !requested.is_subset_of(&approved) {
            return Ok(false);
        }
        // The policy may have changed since (a group left): then the page explains it.
        let (_, withheld) = self.grantable(user_id, &requested).await?;
        Ok(withheld.is_empty())
    }

    /// Remembers the approval (adding to earlier ones) and issues the code for `granted`,
    /// the part of the request the person left ticked.
    pub async fn approve(
        &self,
        user_id: &str,
        request: &AuthorizationRequest,
        granted: &ScopeSet,
    ) -> anyhow::Result<String> {
        // A form can untick scopes but never grant one the policy withholds.
        let (granted, _) = self.grantable(user_id, granted).await?;
        let granted = &granted;
        let earlier = self
            .store
            .get_consent(user_id, &request.client_id)
            .await?
            .unwrap_or_default();
        let union = ScopeSet::from_list(
            earlier
                .split_whitespace()
                .map(str::to_string)
                .chain(granted.iter().map(str::to_string)),
        );
        self.store
            .upsert_consent(
                user_id,
                &request.client_id,
                &union.to_string(),
                &request.redirect_uri,
                storage::unix_now(),
            )
            .await?;
        let granted_request = AuthorizationRequest {
            scope: granted.to_string(),
            ..request.clone()
        };
        self.issue(user_id, &granted_request).await
    }

    /// Issues the code for a request that needs no (further) consent.
    pub async fn issue(
        &self,
        user_id: &str,
        request: &AuthorizationRequest,
    ) -> anyhow::Result<String> {
        let requested = ScopeSet::parse(&request.scope).unwrap_or_default();
        let (allowed, withheld) = self.grantable(user_id, &requested).await?;
        if allowed.is_empty() && !requested.is_empty() {
            anyhow::bail!("the scope policy withholds every requested scope from this user");
        }
        // Unchanged, the scope keeps the order the client asked in.
        let scope = if withheld.is_empty() {
            request.scope.clone()
        } else {
            allowed.to_string()
        };
        self.issue_code(CodeRequest {
            client_id: request.client_id.clone(),
            user_id: user_id.to_string(),
            redirect_uri: request.redirect_uri.clone(),
            scope,
            resource: request.resource.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
        })
        .await
    }
}
