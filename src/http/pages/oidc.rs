//! "Sign in with …": the browser's round trip through an upstream OpenID Provider. The
//! pending authorization request stays in the session row, exactly as through the password
//! form, and continues at `/consent`. Every failure is an error page here, never a redirect
//! to the MCP client.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cookie::{session_cookie, with_cookie};
use crate::config::{OidcProvider, Settings};
use crate::http::client_address::ClientAddress;
use crate::http::html::{PageError, error_page, see_other};
use crate::http::state::AppState;
use crate::oauth::sessions;
use crate::oauth::upstream::{CallbackParams, FinishError, accounts};

/// The redirect URI registered at the provider: `<public_url>/login/oidc/<id>/callback`.
fn callback_uri(settings: &Settings, id: &str) -> String {
    format!("{}/login/oidc/{id}/callback", settings.server.public_url)
}

fn after_login(pending: bool) -> &'static str {
    if pending { "/consent" } else { "/account/apps" }
}

fn unknown_provider() -> PageError {
    PageError::refused(error_page(
        StatusCode::NOT_FOUND,
        "Unknown sign-in provider",
        "This server has no identity provider by that name.",
    ))
}

/// OpenID Connect Core §3.1.2.1: the authentication request, sent through the browser with
/// `state`, `nonce` and an S256 PKCE challenge (RFC 7636 §4.3).
/// <https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest>
#[tracing::instrument(skip_all, fields(oidc.provider = %id))]
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(provider) = state.upstream.settings(&id) else {
        return Err(unknown_provider());
    };
    let cookie = session_cookie(&state.settings, &headers);
    let session = sessions::load_or_create(&state.store, cookie).await?;
    if session.user_id().is_some() {
        return Ok(see_other(after_login(session.record.pending.is_some())));
    }
    let redirect_uri = callback_uri(&state.settings, &id);
    let started = state
        .upstream
        .begin(&state.store, &id, &session.record.id_hash, &redirect_uri)
        .await?
        .ok_or_else(unknown_provider)?;
    let response = match started {
        Ok(url) => see_other(url.as_str()),
        Err(unavailable) => {
            tracing::warn!(error = %unavailable, "upstream provider unavailable");
            unavailable_page(provider)
        }
    };
    Ok(with_cookie(response, &state.settings, &session))
}

fn unavailable_page(provider: &OidcProvider) -> Response {
    let message = format!(
        "{} cannot be reached right now. Try again in a few minutes{}.",
        provider.display_name, ", or go back and sign in with your username and password"
    );
    error_page(StatusCode::BAD_GATEWAY, "Sign-in unavailable", &message)
}

/// OpenID Connect Core §3.1.2.5–6 and §3.1.3: the provider's answer, the code exchanged
/// and the ID token validated (§3.1.3.7), then the account it belongs to.
/// <https://openid.net/specs/openid-connect-core-1_0.html#AuthResponse>
#[tracing::instrument(skip_all, fields(oidc.provider = %id))]
pub async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(client): Extension<ClientAddress>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(provider) = state.upstream.settings(&id) else {
        return Err(unknown_provider());
    };
    let cookie = session_cookie(&state.settings, &headers);
    let Some(session) = sessions::load(&state.store, cookie).await? else {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            &FinishError::UnknownState,
            provider,
        ));
    };
    let params = callback_params(query.as_deref().unwrap_or(""));
    let redirect_uri = callback_uri(&state.settings, &id);
    let finished = state
        .upstream
        .finish(
            &state.store,
            &id,
            &session.record.id_hash,
            &redirect_uri,
            params,
        )
        .await;
    let identity = match finished {
        Ok(identity) => identity,
        Err(FinishError::Store(error)) => return Err(error.into()),
        Err(error) => {
            tracing::warn!(error = %error, "upstream sign-in failed");
            return Err(refused(StatusCode::FORBIDDEN, &error, provider));
        }
    };
    let user = match accounts::sign_in(&state.store, provider, &identity).await? {
        Ok(user) => user,
        Err(refusal) => {
            tracing::info!(reason = %refusal, "upstream identity refused");
            return Err(refused_page(&refusal.to_string()));
        }
    };
    let session = sessions::log_in(&state.store, &session, &user.id).await?;
    let ip = client.ip.to_string();
    crate::audit::record_from(
        &state.store,
        "user_login",
        None,
        Some(&user.id),
        Some(&ip),
        serde_json::json!({ "ip": ip, "method": "oidc", "provider": id }),
    );
    let next = after_login(session.record.pending.is_some());
    Ok(with_cookie(see_other(next), &state.settings, &session))
}

/// The callback's query, first value of each parameter (a repeated one is not an error we
/// need to distinguish: the state still has to match).
fn callback_params(query: &str) -> CallbackParams {
    let mut params = CallbackParams::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "error" => &mut params.error,
            "error_description" => &mut params.error_description,
            _ => continue,
        };
        slot.get_or_insert_with(|| value.into_owned());
    }
    params
}

fn refused_page(message: &str) -> PageError {
    PageError::refused(error_page(
        StatusCode::FORBIDDEN,
        "Sign-in refused",
        message,
    ))
}

/// The page for a failed callback: what the person can do about it, with the provider's own
/// `error` and `error_description` (escaped by the template) when it sent them.
fn refused(status: StatusCode, error: &FinishError, provider: &OidcProvider) -> PageError {
    let name = &provider.display_name;
    let (status, title, message) = match error {
        FinishError::UnknownState => (
            status,
            "Sign-in not recognised",
            "This sign-in was already used, has expired, or was started in another browser. \
             Go back to the application and connect again."
                .to_string(),
        ),
        FinishError::Provider { error, description } => (
            StatusCode::FORBIDDEN,
            "Sign-in refused",
            match description {
                Some(description) => format!("{name} answered: {error} ({description})"),
                None => format!("{name} answered: {error}"),
            },
        ),
        FinishError::Unavailable(_) | FinishError::Exchange(_) => {
            return PageError::refused(unavailable_page(provider));
        }
        FinishError::IdToken(_) | FinishError::Store(_) => (
            StatusCode::FORBIDDEN,
            "Sign-in refused",
            format!("The identity {name} sent could not be verified, so you were not signed in."),
        ),
    };
    PageError::refused(error_page(status, title, &message))
}
