//! The client credentials grant (RFC 6749 §4.4): `impl AuthServer` here issues a confidential
//! client a token for itself, never a refresh token.

use serde_json::json;

use super::{GrantType, TokenRequest, TokenResponse, ensure_grant_type};
use crate::audit;
use crate::oauth::AuthServer;
use crate::oauth::clients::GRANT_CLIENT_CREDENTIALS;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::scope::ScopeSet;
use crate::storage::ClientRecord;

impl AuthServer {
    /// RFC 6749 §4.4: confidential clients only, no refresh token.
    pub(super) async fn client_credentials(
        &self,
        client: &ClientRecord,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        if !client.is_confidential() {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "client_credentials is for confidential clients only",
            ));
        }
        ensure_grant_type(client, GrantType::ClientCredentials)?;
        let allowed = ScopeSet::parse(&client.scopes).map_err(OAuthError::internal)?;
        let requested = self.requested_scope(request, &client.id)?;
        let scope = match allowed.narrow(requested) {
            Ok(narrowed) => narrowed.unwrap_or(allowed).to_string(),
            Err(missing) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!(
                        "client {} may not request: {}",
                        client.id,
                        missing.join(" ")
                    ),
                ));
            }
        };
        let audience = self.audience_for(request, None)?;
        let access = self.new_access(&client.id, &client.id, None, &scope, &audience, None)?;
        self.store.record_access_token(&access.record).await?;
        audit::record(
            &self.store,
            "token_issued",
            Some(&client.id),
            Some(&client.id),
            json!({ "grant_type": GRANT_CLIENT_CREDENTIALS, "jti": access.record.jti, "scope": scope }),
        );
        Ok(self.token_response(access, None, scope))
    }
}
