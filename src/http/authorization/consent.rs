//! The consent page: who is asking, where the answer goes, and what each scope unlocks.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::outcome::{deliver_code, fail};
use crate::http::html::{PageError, csrf_failure, error_page, page, see_other};
use crate::http::pages::cookie::{session_cookie, with_cookie};
use crate::http::pages::forms::{FormBody, posted_form};
use crate::http::state::AppState;
use crate::oauth::authorize::{AuthorizationRequest, ErrorRedirect, redirect_origin};
use crate::oauth::consent::{ScopeDescription, describe};
use crate::oauth::scope::ScopeSet;
use crate::oauth::sessions::{self, Session};

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    client_name: String,
    client_id: String,
    redirect_host: String,
    scopes: Vec<ScopeDescription>,
    /// False when the policy withholds every requested scope: only Deny is offered.
    any_grantable: bool,
    csrf_token: String,
    request_id: String,
}

/// Where a redirect URI sends the user, in words: its host, or what kind of target it is.
fn redirect_host(uri: &str) -> String {
    if uri == crate::oauth::redirect_uri::OOB {
        return "this server's own page (out-of-band)".into();
    }
    match url::Url::parse(uri) {
        Ok(url) => match url.host_str() {
            Some(host) => match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            },
            None => format!("the application registered for {}:", url.scheme()),
        },
        Err(_) => uri.to_string(),
    }
}

/// Continues a pending request for a logged-in user: a code at once when an earlier
/// approval covers it, the consent page otherwise.
pub(crate) async fn proceed(
    state: &AppState,
    session: &Session,
    user_id: &str,
    request: &AuthorizationRequest,
    pending: &str,
) -> Result<Response, PageError> {
    let client = match state.store.get_client(&request.client_id).await? {
        Some(client) if client.disabled_at.is_none() => client,
        _ => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                "Unknown client",
                "This client is no longer registered.",
            ));
        }
    };
    let covered = state
        .auth
        .consent_covers(user_id, request, client.is_confidential())
        .await?;
    if covered {
        let taken = state
            .store
            .take_session_pending(&session.record.id_hash, pending)
            .await?;
        if !taken {
            return Ok(already_used());
        }
        let code = state.auth.issue(user_id, request).await?;
        return deliver_code(state, request, &code).await;
    }
    let requested = ScopeSet::parse(&request.scope).unwrap_or_default();
    let (grantable, withheld) = state.auth.grantable(user_id, &requested).await?;
    let view = ConsentPage {
        client_name: client.name,
        client_id: client.id,
        redirect_host: redirect_host(&request.redirect_uri),
        scopes: describe(&state.auth.catalog.current(), &request.scope, &withheld),
        any_grantable: !grantable.is_empty(),
        csrf_token: session.record.csrf_token.clone(),
        request_id: request.request_id.clone(),
    };
    let targets: Vec<String> = redirect_origin(&request.redirect_uri).into_iter().collect();
    Ok(page(StatusCode::OK, &view, &targets))
}

/// The requested scopes the person left ticked. The page lists each as a checkbox named
/// `scope:<name>` and marks the form with `scopes_listed`, so an unticked box (which a browser
/// does not send) is told apart from a form that lists no boxes: the latter approves the
/// request as it stands. Names outside the request are ignored: a form never widens it.
fn ticked_scopes(form: &HashMap<String, String>, request: &AuthorizationRequest) -> ScopeSet {
    let requested = ScopeSet::parse(&request.scope).unwrap_or_default();
    if !form.contains_key("scopes_listed") {
        return requested;
    }
    ScopeSet::from_list(
        requested
            .iter()
            .filter(|name| form.contains_key(&format!("scope:{name}")))
            .map(str::to_string),
    )
}

fn already_used() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Request already answered",
        "This authorization request was already answered. Start again from the application.",
    )
}

fn nothing_pending() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "No authorization request",
        "No authorization request is waiting for your answer (it may have been answered \
         already, or your session expired). Start again from the application.",
    )
}

/// The session and its pending request; `None` when nothing is waiting for an answer.
async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Session, String, AuthorizationRequest)>, PageError> {
    let cookie = session_cookie(&state.settings, headers);
    let Some(session) = sessions::load(&state.store, cookie).await? else {
        return Ok(None);
    };
    let Some(raw) = session.record.pending.clone() else {
        return Ok(None);
    };
    let request: AuthorizationRequest = serde_json::from_str(&raw)?;
    Ok(Some((session, raw, request)))
}

/// RFC 6749 §4.1 (B): the resource owner grants or denies the request.
/// <https://www.rfc-editor.org/rfc/rfc6749#section-4.1>
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some((session, raw, request)) = pending(&state, &headers).await? else {
        return Ok(nothing_pending());
    };
    let Some(user_id) = session.user_id().map(str::to_string) else {
        return Ok(see_other("/login"));
    };
    let response = proceed(&state, &session, &user_id, &request, &raw)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    Ok(with_cookie(response, &state.settings, &session))
}

/// The user's answer. The pending request is consumed first, so a replayed or
/// double-submitted form can never produce a second code.
/// <https://www.rfc-editor.org/rfc/rfc6749#section-4.1>
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, PageError> {
    let (form, session) = posted_form(&state, &headers, &body).await?;
    let Some(user_id) = session.user_id().map(str::to_string) else {
        return Ok(csrf_failure());
    };
    let Some(raw) = session.record.pending.clone() else {
        return Ok(already_used());
    };
    let request: AuthorizationRequest = serde_json::from_str(&raw)?;
    tracing::Span::current().record("client_id", request.client_id.as_str());
    if form.get("request_id") != Some(&request.request_id) {
        return Ok(error_page(
            StatusCode::BAD_REQUEST,
            "Out-of-date form",
            "This consent form belongs to another authorization request. Start again from the application.",
        ));
    }
    let taken = state
        .store
        .take_session_pending(&session.record.id_hash, &raw)
        .await?;
    if !taken {
        return Ok(already_used());
    }
    let decision = form.get("decision").map(String::as_str);
    // What the person ticked, less anything the scope policy withholds from them.
    let (granted, _) = state
        .auth
        .grantable(&user_id, &ticked_scopes(&form, &request))
        .await?;
    if let Some(decision @ ("approve" | "deny")) = decision {
        let granted = granted.to_string();
        crate::audit::record(
            &state.store,
            if decision == "approve" {
                "consent_approved"
            } else {
                "consent_denied"
            },
            Some(&request.client_id),
            Some(&user_id),
            serde_json::json!({ "requested": request.scope, "granted": granted }),
        );
    }
    Ok(match decision {
        Some("approve") if granted.is_empty() => fail(
            &state,
            &ErrorRedirect {
                redirect_uri: request.redirect_uri.clone(),
                error: "access_denied",
                description: "the user approved none of the requested scopes".into(),
                state: request.state.clone(),
            },
        ),
        Some("approve") => {
            let code = state.auth.approve(&user_id, &request, &granted).await?;
            deliver_code(&state, &request, &code).await?
        }
        Some("deny") => fail(
            &state,
            &ErrorRedirect {
                redirect_uri: request.redirect_uri.clone(),
                error: "access_denied",
                description: "the user denied the request".into(),
                state: request.state.clone(),
            },
        ),
        _ => error_page(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            "Choose Allow or Deny.",
        ),
    })
}
