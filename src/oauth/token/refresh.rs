//! The refresh token grant (RFC 6749 §6) with rotation (OAuth 2.1 §4.3.1) and reuse
//! detection: `impl AuthServer` here rotates a refresh token or revokes its grant.

use serde_json::json;

use super::{GrantType, TokenRequest, TokenResponse, ensure_grant_type};
use crate::audit;
use crate::crypto;
use crate::oauth::AuthServer;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::scope::ScopeSet;
use crate::storage::{ClientRecord, Issuance, Rotation};
use crate::telemetry::metrics;

impl AuthServer {
    /// RFC 6749 §6 with rotation (OAuth 2.1 §4.3.1) and reuse detection.
    pub(super) async fn refresh(
        &self,
        client: &ClientRecord,
        presented: &str,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        ensure_grant_type(client, GrantType::RefreshToken)?;
        let hash = crypto::sha256_hex(presented);
        let now = self.clock.now();
        let invalid = || {
            OAuthError::new(
                ErrorCode::InvalidGrant,
                "the refresh token is invalid, expired or revoked",
            )
        };
        let Some(mut record) = self.store.get_refresh_token(&hash).await? else {
            return Err(invalid());
        };
        if record.client_id != client.id || record.revoked_at.is_some() || record.expires_at <= now
        {
            return Err(invalid());
        }
        let grant = self
            .store
            .get_grant(&record.grant_id)
            .await?
            .ok_or_else(invalid)?;
        if grant.revoked_at.is_some() {
            return Err(invalid());
        }
        let granted = ScopeSet::parse(&record.scope).map_err(OAuthError::internal)?;
        let requested = self.requested_scope(request, &client.id)?;
        let scope = match granted.narrow(requested) {
            Ok(None) => record.scope.clone(),
            Ok(Some(narrowed)) => narrowed.to_string(),
            Err(missing) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!(
                        "scope may only narrow on refresh; not granted: {}",
                        missing.join(" ")
                    ),
                ));
            }
        };
        // The scope policy as of now: a person who left the group that may grant a scope gets
        // no new token carrying it (the grant keeps it, should they return).
        let scope = match &grant.user_id {
            Some(user_id) => {
                let wanted = ScopeSet::parse(&scope).map_err(OAuthError::internal)?;
                let (allowed, withheld) = self
                    .grantable(user_id, &wanted)
                    .await
                    .map_err(OAuthError::internal)?;
                if allowed.is_empty() && !wanted.is_empty() {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidGrant,
                        "the scope policy no longer lets this user grant this grant's scopes",
                    ));
                }
                // Unchanged, the scope keeps the order the client knows.
                if withheld.is_empty() {
                    scope
                } else {
                    allowed.to_string()
                }
            }
            None => scope,
        };
        let audience = self.audience_for(request, Some(&grant.resource))?;
        let subject = grant.user_id.clone().unwrap_or_else(|| client.id.clone());
        let username = match &grant.user_id {
            Some(id) => self.store.get_user_by_id(id).await?.map(|u| u.username),
            None => None,
        };
        let successor = crypto::hmac_token(&self.refresh_key, presented);
        let successor_hash = crypto::sha256_hex(&successor);
        let access = self.new_access(
            &client.id,
            &subject,
            username,
            &scope,
            &audience,
            Some(&grant.id),
        )?;
        if record.rotated_at.is_none() {
            let next = self.new_refresh(&successor, &grant.id, &client.id, &record.scope);
            let issuance = Issuance {
                access: &access.record,
                refresh: Some(&next),
            };
            match self
                .store
                .rotate_refresh_token(&hash, now, &issuance)
                .await?
            {
                Rotation::Rotated => {
                    audit::record(
                        &self.store,
                        "token_refreshed",
                        Some(&client.id),
                        Some(&subject),
                        json!({ "grant_id": grant.id, "jti": access.record.jti }),
                    );
                    return Ok(self.token_response(access, Some(successor), scope));
                }
                Rotation::AlreadyRotated => {
                    record = self
                        .store
                        .get_refresh_token(&hash)
                        .await?
                        .ok_or_else(invalid)?;
                }
            }
        }
        // Already rotated: a racing duplicate within the grace window gets the same
        // successor; anything else is reuse of a stolen token and kills the family.
        let rotated_at = record.rotated_at.unwrap_or(now);
        let within_grace = now - rotated_at <= self.settings.tokens.refresh_reuse_grace_secs;
        let successor_live = match self.store.get_refresh_token(&successor_hash).await? {
            Some(next) => next.rotated_at.is_none() && next.revoked_at.is_none(),
            None => false,
        };
        if within_grace
            && successor_live
            && record.successor_hash.as_deref() == Some(successor_hash.as_str())
        {
            self.store.record_access_token(&access.record).await?;
            return Ok(self.token_response(access, Some(successor), scope));
        }
        let revoked = self.revoke_grant(&grant.id).await?;
        metrics::replay_detected("refresh");
        audit::record(
            &self.store,
            "refresh_reuse_detected",
            Some(&client.id),
            Some(&subject),
            json!({ "grant_id": grant.id, "access_tokens_revoked": revoked }),
        );
        Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "the refresh token was already used; the whole grant has been revoked",
        ))
    }
}
