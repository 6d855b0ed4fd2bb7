//! The login page and form. After login the pending authorization request (kept in the
//! session row, not in a cookie) continues at `/consent`.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cookie::{session_cookie, with_cookie};
use super::forms::{FormBody, posted_form};
use crate::http::client_address::ClientAddress;
use crate::http::html::{PageError, error_page, page, see_other};
use crate::http::state::AppState;
use crate::oauth::authorize::{AuthorizationRequest, redirect_origin};
use crate::oauth::login::{self, LoginOutcome};
use crate::oauth::sessions::{self, Session};
use crate::oauth::upstream::ProviderButton;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf_token: String,
    error: Option<String>,
    client_name: Option<String>,
    /// `login.password`: show the username and password form.
    password: bool,
    /// One "Sign in with …" button each (`[[login.oidc]]`).
    providers: Vec<ProviderButton>,
}

/// The login form, naming the client when a request is waiting. The CSP allows the
/// client's origin as a form target because a remembered consent redirects straight there.
async fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let request = session
        .record
        .pending
        .as_deref()
        .and_then(|raw| serde_json::from_str::<AuthorizationRequest>(raw).ok());
    let mut client_name = None;
    let mut targets = Vec::new();
    if let Some(request) = &request {
        client_name = state
            .store
            .get_client(&request.client_id)
            .await?
            .map(|c| c.name);
        targets.extend(redirect_origin(&request.redirect_uri));
    }
    let view = LoginPage {
        csrf_token: session.record.csrf_token.clone(),
        error: error.map(str::to_string),
        client_name,
        password: state.settings.login.password,
        providers: state.upstream.buttons(),
    };
    Ok(with_cookie(
        page(status, &view, &targets),
        &state.settings,
        session,
    ))
}

/// RFC 6749 §3.1: the authorization server first authenticates the resource owner.
/// <https://www.rfc-editor.org/rfc/rfc6749#section-3.1>
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let cookie = session_cookie(&state.settings, &headers);
    let session = sessions::load_or_create(&state.store, cookie).await?;
    if session.user_id().is_some() {
        let next = if session.record.pending.is_some() {
            "/consent"
        } else {
            "/account/apps"
        };
        return Ok(see_other(next));
    }
    render(&state, &session, StatusCode::OK, None).await
}

/// Throttled and audited by the resolved client address (what a trusted proxy forwarded
/// for), so behind a proxy one address's failures do not refuse everyone.
/// <https://www.rfc-editor.org/rfc/rfc6749#section-3.1>
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddress>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, PageError> {
    if !state.settings.login.password {
        return Err(PageError::refused(error_page(
            StatusCode::FORBIDDEN,
            "Password sign-in is off",
            "This server signs people in through their identity provider only.",
        )));
    }
    let (form, session) = posted_form(&state, &headers, &body).await?;
    let username = form.get("username").map_or("", |u| u.trim());
    let password = form.get("password").map_or("", String::as_str);
    let ip = client.ip.to_string();
    let outcome = login::log_in(&state.store, &state.login_throttle, username, password, &ip).await;
    match outcome? {
        LoginOutcome::Throttled => {
            tracing::warn!(client.ip = %ip, "login refused: too many failures");
            let message = "Too many failed attempts. Wait a few minutes and try again.";
            render(
                &state,
                &session,
                StatusCode::TOO_MANY_REQUESTS,
                Some(message),
            )
            .await
        }
        LoginOutcome::Disabled => {
            tracing::info!(client.ip = %ip, "login refused: account disabled");
            let message = "This account is disabled. Ask an operator to enable it.";
            render(&state, &session, StatusCode::FORBIDDEN, Some(message)).await
        }
        LoginOutcome::Invalid => {
            tracing::info!(client.ip = %ip, "login failed");
            render(
                &state,
                &session,
                StatusCode::UNAUTHORIZED,
                Some("Invalid username or password."),
            )
            .await
        }
        LoginOutcome::LoggedIn(user) => {
            let session = sessions::log_in(&state.store, &session, &user.id).await?;
            crate::audit::record_from(
                &state.store,
                "user_login",
                None,
                Some(&user.id),
                Some(&ip),
                serde_json::json!({ "ip": ip }),
            );
            let next = if session.record.pending.is_some() {
                "/consent"
            } else {
                "/account/apps"
            };
            Ok(with_cookie(see_other(next), &state.settings, &session))
        }
    }
}
