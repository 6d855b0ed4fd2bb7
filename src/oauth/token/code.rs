//! The authorization code grant (RFC 6749 §4.1.3 with RFC 7636 §4.6): `impl AuthServer`
//! here redeems a code once, and revokes everything issued from it when it comes back.

use serde_json::json;

use super::{GrantType, TokenRequest, TokenResponse, ensure_grant_type};
use crate::audit;
use crate::crypto;
use crate::oauth::AuthServer;
use crate::oauth::clients::{GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::pkce;
use crate::storage::{ClientRecord, Issuance};
use crate::telemetry::metrics;

impl AuthServer {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.6.
    pub(super) async fn exchange_code(
        &self,
        client: &ClientRecord,
        code: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        ensure_grant_type(client, GrantType::AuthorizationCode)?;
        let code_hash = crypto::sha256_hex(code);
        let now = self.clock.now();
        let invalid = |d: &str| OAuthError::new(ErrorCode::InvalidGrant, d.to_string());
        let Some(record) = self.store.get_code(&code_hash).await? else {
            return Err(invalid("the authorization code is unknown or has expired"));
        };
        if record.used_at.is_some() {
            return Err(self
                .code_replayed(&record.grant_id, &record.client_id)
                .await);
        }
        if record.expires_at <= now {
            return Err(invalid("the authorization code has expired"));
        }
        if record.client_id != client.id {
            return Err(invalid(
                "the authorization code was issued to another client",
            ));
        }
        if record.redirect_uri != redirect_uri {
            return Err(invalid(
                "redirect_uri does not match the authorization request",
            ));
        }
        match (
            &record.code_challenge,
            &record.code_challenge_method,
            verifier,
        ) {
            (Some(challenge), Some(method), Some(verifier)) => {
                pkce::validate_verifier(verifier).map_err(|e| invalid(&e.to_string()))?;
                if !pkce::verify(method, challenge, verifier) {
                    return Err(invalid("code_verifier does not match the code_challenge"));
                }
            }
            (Some(_), _, None) => {
                return Err(invalid(
                    "code_verifier is required: the authorization request used PKCE",
                ));
            }
            (None, _, Some(_)) => {
                return Err(invalid(
                    "code_verifier sent, but the authorization request had no code_challenge",
                ));
            }
            (None, _, None) if !client.is_confidential() => {
                return Err(invalid("public clients must use PKCE"));
            }
            _ => {}
        }
        let audience = self.audience_for(request, Some(&record.resource))?;
        let username = self
            .store
            .get_user_by_id(&record.user_id)
            .await?
            .map(|u| u.username);
        let access = self.new_access(
            &client.id,
            &record.user_id,
            username,
            &record.scope,
            &audience,
            Some(&record.grant_id),
        )?;
        let refresh_token = client
            .grant_type_list()
            .iter()
            .any(|g| g == GRANT_REFRESH_TOKEN)
            .then(|| crypto::random_token(32));
        let refresh = refresh_token
            .as_deref()
            .map(|t| self.new_refresh(t, &record.grant_id, &client.id, &record.scope));
        let issuance = Issuance {
            access: &access.record,
            refresh: refresh.as_ref(),
        };
        if !self.store.redeem_code(&code_hash, now, &issuance).await? {
            // Lost a race with another redemption: that is a replay too.
            return Err(self
                .code_replayed(&record.grant_id, &record.client_id)
                .await);
        }
        audit::record(
            &self.store,
            "token_issued",
            Some(&client.id),
            Some(&record.user_id),
            json!({ "grant_type": GRANT_AUTHORIZATION_CODE, "jti": access.record.jti, "scope": record.scope }),
        );
        Ok(self.token_response(access, refresh_token, record.scope))
    }

    /// RFC 6749 §4.1.2: a code used twice revokes everything issued from it.
    async fn code_replayed(&self, grant_id: &str, client_id: &str) -> OAuthError {
        let revoked = match self.revoke_grant(grant_id).await {
            Ok(count) => count,
            Err(error) => return OAuthError::internal(error),
        };
        metrics::replay_detected("code");
        audit::record(
            &self.store,
            "code_replay_detected",
            Some(client_id),
            None,
            json!({ "grant_id": grant_id, "access_tokens_revoked": revoked }),
        );
        OAuthError::new(
            ErrorCode::InvalidGrant,
            "the authorization code was already used; every token issued from it has been revoked",
        )
    }
}
