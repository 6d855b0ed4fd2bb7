//! Which local user an upstream identity signs in as: the one its (issuer, `sub`) is linked
//! to, or, with `provisioning = "auto"`, a user created for it on first sign-in. A local user
//! of the same name is never taken over: an operator links it (`users link`).

use super::identity::{Refusal, UpstreamIdentity};
use crate::config::{OidcProvider, Provisioning};
use crate::oauth::users;
use crate::storage::{self, IdentityRecord, Store, UserRecord};

/// Why an identity the provider vouched for does not sign in here; the text is the page's.
#[derive(Debug, thiserror::Error)]
pub enum AccountRefusal {
    #[error(transparent)]
    Policy(#[from] Refusal),
    #[error("Your account on this server is disabled. Ask an operator to enable it.")]
    Disabled,
    #[error(
        "No account on this server is linked to your {0} identity. Ask an operator to link one \
         (`mcp-oauth users link`)."
    )]
    NotLinked(String),
    #[error(
        "A local account named {0:?} already exists and is not linked to this identity. Ask an \
         operator to link it (`mcp-oauth users link`)."
    )]
    UsernameTaken(String),
    #[error("The provider's {claim} ({value:?}) is not a valid username on this server.")]
    InvalidUsername { claim: String, value: String },
}

/// Signs `identity` in through `provider`: the allow-lists first (a linked user they now
/// refuse loses every grant, as a leaver should), then the linked or a new user, its
/// upstream e-mail and groups recorded for the scope policy.
#[tracing::instrument(skip_all, fields(oidc.provider = %provider.id))]
pub async fn sign_in(
    store: &Store,
    provider: &OidcProvider,
    identity: &UpstreamIdentity,
) -> anyhow::Result<Result<UserRecord, AccountRefusal>> {
    let now = storage::unix_now();
    let linked = store
        .find_identity(&identity.issuer, &identity.subject)
        .await?;
    let linked_user = match &linked {
        Some(link) => store.get_user_by_id(&link.user_id).await?,
        None => None,
    };
    if let Err(refusal) = identity.check(provider) {
        if let Some(user) = &linked_user {
            store.revoke_everything_of(&user.username, now).await?;
            crate::audit::record(
                store,
                "upstream_login_refused",
                None,
                Some(&user.id),
                serde_json::json!({ "provider": provider.id, "reason": refusal.to_string() }),
            );
        }
        return Ok(Err(refusal.into()));
    }
    let groups = storable_groups(identity);
    if let Some(user) = linked_user {
        if user.is_disabled() {
            return Ok(Err(AccountRefusal::Disabled));
        }
        store
            .touch_identity(
                &identity.issuer,
                &identity.subject,
                identity.email.as_deref(),
                &groups,
                now,
            )
            .await?;
        return Ok(Ok(user));
    }
    if provider.provisioning == Provisioning::Existing {
        return Ok(Err(AccountRefusal::NotLinked(
            provider.display_name.clone(),
        )));
    }
    provision(store, provider, identity, groups, now).await
}

/// `provisioning = "auto"`: a new user named by `username_claim`, linked to the identity.
async fn provision(
    store: &Store,
    provider: &OidcProvider,
    identity: &UpstreamIdentity,
    groups: String,
    now: i64,
) -> anyhow::Result<Result<UserRecord, AccountRefusal>> {
    let claim = &provider.username_claim;
    let Some(username) = identity.username.as_deref() else {
        return Ok(Err(Refusal::MissingClaim(claim.clone()).into()));
    };
    if users::validate_username(username).is_err() {
        return Ok(Err(AccountRefusal::InvalidUsername {
            claim: claim.clone(),
            value: username.to_string(),
        }));
    }
    if store.get_user_by_username(username).await?.is_some() {
        return Ok(Err(AccountRefusal::UsernameTaken(username.to_string())));
    }
    let user = match users::create_upstream_user(store, username).await {
        Ok(user) => user,
        // Another sign-in created it a moment ago: the same refusal as above.
        Err(_) if store.get_user_by_username(username).await?.is_some() => {
            return Ok(Err(AccountRefusal::UsernameTaken(username.to_string())));
        }
        Err(error) => return Err(error),
    };
    store
        .insert_identity(&IdentityRecord {
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
            user_id: user.id.clone(),
            provider_id: provider.id.clone(),
            email: identity.email.clone(),
            groups,
            created_at: now,
            last_login_at: now,
        })
        .await?;
    crate::audit::record(
        store,
        "upstream_user_created",
        None,
        Some(&user.id),
        serde_json::json!({ "provider": provider.id, "username": user.username }),
    );
    Ok(Ok(user))
}

/// The upstream groups as the scope policy reads them: names it could also be given.
fn storable_groups(identity: &UpstreamIdentity) -> String {
    let valid: Vec<String> = identity
        .groups
        .iter()
        .filter(|g| users::validate_groups(std::slice::from_ref(*g)).is_ok())
        .cloned()
        .collect();
    users::validate_groups(&valid).unwrap_or_default()
}
