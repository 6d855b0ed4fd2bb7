//! The HTTP client the gateway reaches Streamable HTTP upstreams with: rmcp's reqwest client,
//! plus, when an upstream asks for it, the verified subject in a header of each request made
//! for a caller. The caller's own token is never among the headers: rmcp sends only the
//! upstream's configured ones.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, GetMeta, JsonRpcMessage};
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use super::upstream::SUBJECT_META;

#[derive(Clone)]
pub(super) struct SubjectClient {
    inner: reqwest013::Client,
    header: Option<HeaderName>,
}

impl SubjectClient {
    pub fn new(header: Option<&str>) -> anyhow::Result<Self> {
        let inner = reqwest013::Client::builder()
            // An upstream's redirect must not carry its configured credentials elsewhere.
            .redirect(reqwest013::redirect::Policy::none())
            .build()?;
        let header = header
            .map(|h| HeaderName::from_bytes(h.as_bytes()))
            .transpose()?;
        Ok(Self { inner, header })
    }

    /// Takes the subject out of the message's `_meta` (it is for us, not the upstream) and
    /// puts it into the configured header.
    fn lift_subject(
        &self,
        mut message: ClientJsonRpcMessage,
        mut headers: HashMap<HeaderName, HeaderValue>,
    ) -> (ClientJsonRpcMessage, HashMap<HeaderName, HeaderValue>) {
        if let JsonRpcMessage::Request(request) = &mut message {
            let subject = request.request.get_meta_mut().0.0.remove(SUBJECT_META);
            let value = subject.as_ref().and_then(|s| s.as_str());
            if let (Some(header), Some(value)) = (&self.header, value)
                && let Ok(value) = HeaderValue::from_str(value)
            {
                headers.insert(header.clone(), value);
            }
        }
        (message, headers)
    }
}

impl StreamableHttpClient for SubjectClient {
    type Error = reqwest013::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let (message, headers) = self.lift_subject(message, custom_headers);
        self.inner
            .post_message(uri, message, session_id, auth_header, headers)
            .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let (message, headers) = self.lift_subject(message, custom_headers);
        self.inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                headers,
                limits,
            )
            .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, StreamableHttpError<Self::Error>> {
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, StreamableHttpError<Self::Error>> {
        self.inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }
}
