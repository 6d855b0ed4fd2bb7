//! How an authorization outcome reaches the client (RFC 6749 §4.1.2, RFC 9207): a redirect
//! with `code`/`error`, `state` and `iss`, or the out-of-band page with its curl command.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http::html::{PageError, internal, page, see_other};
use crate::http::state::AppState;
use crate::oauth::authorize::{self, AuthorizationRequest, ErrorRedirect};
use crate::oauth::{clients, redirect_uri};

#[derive(Template)]
#[template(path = "callback.html")]
pub(crate) struct CallbackPage {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub curl: Option<String>,
}

/// The curl command that exchanges `code`, with the documented secret when the client is
/// one of the README's clients and a placeholder otherwise.
pub(crate) fn curl_command(
    issuer: &str,
    code: &str,
    redirect_uri: &str,
    client_id: &str,
    pkce: bool,
    confidential: bool,
) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("client_id", client_id);
    if confidential {
        let documented = clients::documented_clients()
            .into_iter()
            .find(|c| c.id == client_id)
            .and_then(|c| c.secret);
        body.append_pair(
            "client_secret",
            documented.as_deref().unwrap_or("YOUR_CLIENT_SECRET"),
        );
    }
    if pkce {
        body.append_pair("code_verifier", "YOUR_CODE_VERIFIER");
    }
    format!(
        "curl -X POST {issuer}/oauth/token \\\n  -H \"Content-Type: application/x-www-form-urlencoded\" \\\n  -d '{}'",
        body.finish()
    )
}

/// Sends an issued code to the client (RFC 6749 §4.1.2, RFC 9207 `iss`).
pub(crate) async fn deliver_code(
    state: &AppState,
    request: &AuthorizationRequest,
    code: &str,
) -> Result<Response, PageError> {
    let issuer = state.settings.issuer();
    if request.is_oob() {
        let confidential = state
            .store
            .get_client(&request.client_id)
            .await?
            .is_some_and(|c| c.is_confidential());
        let curl = curl_command(
            issuer,
            code,
            redirect_uri::OOB,
            &request.client_id,
            request.code_challenge.is_some(),
            confidential,
        );
        let view = CallbackPage {
            code: Some(code.to_string()),
            state: request.state.clone(),
            error: None,
            error_description: None,
            curl: Some(curl),
        };
        return Ok(page(StatusCode::OK, &view, &[]));
    }
    let mut params = vec![("code", code)];
    if let Some(s) = &request.state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    Ok(
        match authorize::redirect_with(&request.redirect_uri, &params) {
            Ok(location) => see_other(&location),
            Err(message) => internal(anyhow::anyhow!(message)),
        },
    )
}

/// Reports an error to the client through its verified redirect URI (RFC 6749 §4.1.2.1).
pub(crate) fn fail(state: &AppState, redirect: &ErrorRedirect) -> Response {
    if redirect.redirect_uri == redirect_uri::OOB {
        let view = CallbackPage {
            code: None,
            state: redirect.state.clone(),
            error: Some(redirect.error.to_string()),
            error_description: Some(redirect.description.clone()),
            curl: None,
        };
        return page(StatusCode::BAD_REQUEST, &view, &[]);
    }
    let mut params = vec![
        ("error", redirect.error),
        ("error_description", redirect.description.as_str()),
    ];
    if let Some(s) = &redirect.state {
        params.push(("state", s));
    }
    params.push(("iss", state.settings.issuer()));
    match authorize::redirect_with(&redirect.redirect_uri, &params) {
        Ok(location) => see_other(&location),
        Err(message) => internal(anyhow::anyhow!(message)),
    }
}
