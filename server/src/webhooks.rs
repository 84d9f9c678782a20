//! Sending webhooks: once a stub with webhooks (see
//! [`fake_servicer_wiremock::webhook`]) has answered, each of its webhooks
//! takes a place in a bounded queue — none left: it is dropped, with a log
//! line, and the answer never waits — is rendered off the async workers
//! within the CPU budget ([`crate::offload`]), waits its `delay`, then is
//! sent by one of a bounded number of senders, with a timeout for the whole
//! exchange. The outcome goes to the log and, as WireMock's sub events, to
//! the journal entry of the request that caused it.
//!
//! The client is the one proxying uses (hyper's, plain HTTP), with a pool
//! of its own. A scoped stub's webhook carries its scope in the scope
//! header ([`crate::scope::HEADER`]).

use crate::{
    journal::{EntryRef, Journal, SubEvent, WebhookRequest, WebhookResponse, sub_events},
    mappings::Stub,
    request::Recorded,
};
use bytes::Bytes;
use fake_servicer_wiremock::webhook::{self, Call, ServeListener, Webhook};
use http::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use std::{
    sync::{Arc, Weak},
    time::{Duration, SystemTime},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How webhooks are sent (`Config`'s `max_queued_webhooks`,
/// `webhook_concurrency`, `webhook_timeout`, `cpu_budget`).
pub(crate) struct Limits {
    /// Webhooks waiting (to be rendered, their delay, a sender) at most.
    pub max_queued: usize,
    /// Webhooks sent at once.
    pub concurrency: usize,
    /// Time a webhook's target has to answer in full.
    pub timeout: Duration,
    /// The CPU budget of one webhook's templates.
    pub budget: Duration,
}

/// The webhook sender, shared by every request.
#[derive(Clone)]
pub(crate) struct Webhooks(Arc<Shared>);

struct Shared {
    client: Client<HttpConnector, Full<Bytes>>,
    /// One permit per place in the queue.
    queue: Arc<Semaphore>,
    max_queued: usize,
    /// One permit per webhook being sent.
    senders: Arc<Semaphore>,
    timeout: Duration,
    budget: Duration,
    journal: Arc<Journal>,
}

impl Webhooks {
    /// A sender within `limits`, noting outcomes in `journal`.
    pub fn new(limits: Limits, journal: Arc<Journal>) -> Webhooks {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(limits.timeout));
        connector.set_nodelay(true);
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .http1_title_case_headers(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let max_queued = limits.max_queued.min(Semaphore::MAX_PERMITS);
        let concurrency = limits.concurrency.clamp(1, Semaphore::MAX_PERMITS);
        Webhooks(Arc::new(Shared {
            client,
            queue: Arc::new(Semaphore::new(max_queued)),
            max_queued,
            senders: Arc::new(Semaphore::new(concurrency)),
            timeout: limits.timeout,
            budget: limits.budget,
            journal,
        }))
    }

    /// The stub that answered, when it has listeners (webhooks) to run
    /// after its answer.
    pub fn of(stub: Option<&Weak<Stub>>) -> Option<Arc<Stub>> {
        stub.and_then(Weak::upgrade)
            .filter(|s| !s.listeners.is_empty())
    }

    /// Queues the webhooks of `stub` for `req`, whose journal entry is
    /// `entry`; never waits. Call it once the answer is made: a webhook's
    /// delay counts from then.
    pub fn send_after(&self, stub: &Arc<Stub>, req: &Arc<Recorded>, entry: Option<EntryRef>) {
        for (index, listener) in stub.listeners.iter().enumerate() {
            match listener {
                ServeListener::Unknown(name) => tracing::debug!(
                    stub = %stub.id,
                    "no serve event listener named {name:?}: ignored"
                ),
                ServeListener::Webhook(_) => match Arc::clone(&self.0.queue).try_acquire_owned() {
                    Ok(place) => {
                        let job = Job {
                            stub: Arc::clone(stub),
                            index,
                            req: Arc::clone(req),
                            entry,
                        };
                        tokio::spawn(Arc::clone(&self.0).send(place, job));
                    }
                    Err(_) => {
                        let max = self.0.max_queued;
                        tracing::warn!(
                            stub = %stub.id,
                            "webhook dropped: {max} webhooks already waiting to be sent"
                        );
                        self.0.note(
                            entry,
                            [SubEvent::error(format!(
                                "Webhook dropped: {max} webhooks were already waiting to be sent"
                            ))],
                        );
                    }
                },
            }
        }
    }
}

/// One webhook to send: the `index`th listener of `stub`, for `req`.
struct Job {
    stub: Arc<Stub>,
    index: usize,
    req: Arc<Recorded>,
    entry: Option<EntryRef>,
}

impl Job {
    fn webhook(&self) -> Option<&Webhook> {
        match self.stub.listeners.get(self.index) {
            Some(ServeListener::Webhook(w)) => Some(w),
            _ => None,
        }
    }

    /// The request to send, or why there is none.
    fn render(&self) -> Result<Call, String> {
        let hook = self.webhook().ok_or("the stub has no such webhook")?;
        let pattern = &self.stub.request;
        let mut call = hook.render(
            &self.req,
            pattern.service.as_deref(),
            pattern.template().map(|t| t.source()),
        )?;
        let scope_header = HeaderName::from_static(crate::scope::HEADER);
        if let Some(scope) = &self.stub.scope
            && !call.headers.iter().any(|(n, _)| *n == scope_header)
        {
            let value = HeaderValue::from_str(scope)
                .map_err(|_| format!("the scope {scope:?} is not a valid header value"))?;
            call.headers.push((scope_header, value));
        }
        Ok(call)
    }
}

impl Shared {
    /// Renders, waits and sends one webhook; `place` is its place in the
    /// queue, given up once a sender takes it.
    async fn send(self: Arc<Self>, place: OwnedSemaphorePermit, job: Job) {
        let (id, entry) = (job.stub.id, job.entry);
        let delay = job.webhook().map(|w| w.delay.sample()).unwrap_or_default();
        let rendered = crate::offload::run(self.budget, move || job.render()).await;
        let call = match rendered.and_then(|r| r) {
            Ok(call) => call,
            Err(e) => {
                tracing::warn!(stub = %id, "webhook not sent: {e}");
                let message = format!("Exception thrown while configuring webhook: {e}");
                self.note(entry, [SubEvent::error(message)]);
                return;
            }
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay.min(crate::plan::MAX_DELAY)).await;
        }
        let Ok(_sender) = Arc::clone(&self.senders).acquire_owned().await else {
            return;
        };
        drop(place);
        let sent = WebhookRequest {
            method: call.method.clone(),
            url: call.url.as_str().into(),
            headers: call.headers.clone(),
            body: call.body.clone(),
            sent_at: SystemTime::now(),
        };
        let (method, url) = (call.method.clone(), call.url.clone());
        let outcome = match tokio::time::timeout(self.timeout, self.exchange(call)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no complete answer within {:?}", self.timeout)),
        };
        let after = match outcome {
            Ok(answer) => {
                tracing::info!(stub = %id, "webhook {method} {url} answered {}", answer.status);
                SubEvent::WebhookResponse(answer)
            }
            Err(reason) => {
                tracing::warn!(stub = %id, "webhook {method} {url} failed: {reason}");
                SubEvent::error(format!("Failed to fire webhook {method} {url}: {reason}"))
            }
        };
        self.note(entry, [SubEvent::WebhookRequest(sent), after]);
    }

    /// Sends `call`; its target's answer, the body kept up to what a sub
    /// event keeps (the rest is not read).
    async fn exchange(&self, call: Call) -> Result<WebhookResponse, String> {
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(&call.url);
        let body = call.body.unwrap_or_default();
        if let Some(headers) = builder.headers_mut() {
            for (name, value) in call.headers {
                headers.append(name, value);
            }
            // As WireMock: a method with a body says so, when it is empty
            // too (hyper leaves an empty one unsaid).
            if body.is_empty() && webhook::carries_body(&call.method) {
                headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
            }
        }
        let request = builder
            .body(Full::new(body))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| crate::proxy::error_chain(&e))?;
        let (parts, mut body) = response.into_parts();
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                format!(
                    "cannot read the answer's body: {}",
                    crate::proxy::error_chain(&e)
                )
            })?;
            if let Ok(data) = frame.into_data() {
                let room = sub_events::MAX_BODY - kept.len();
                kept.extend_from_slice(&data[..data.len().min(room)]);
                if data.len() >= room {
                    break;
                }
            }
        }
        Ok(WebhookResponse {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
            body: Bytes::from(kept),
        })
    }

    /// Adds `events` to the journal entry `entry`, if there is one.
    fn note<const N: usize>(&self, entry: Option<EntryRef>, events: [SubEvent; N]) {
        if let Some(entry) = entry {
            self.journal.add_sub_events(entry, events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{AnsweredBy, Outcome, Responded};
    use std::sync::Mutex;

    /// A log writer into a shared buffer.
    #[derive(Clone)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            crate::sync::lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_webhook_finding_the_queue_full_is_dropped_with_a_warning_and_an_error_sub_event() {
        let logs = Captured(Arc::new(Mutex::new(Vec::new())));
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let journal = Arc::new(Journal::new(10));
        let hooks = Webhooks::new(
            Limits {
                max_queued: 0,
                concurrency: 1,
                timeout: Duration::from_secs(1),
                budget: Duration::from_secs(1),
            },
            journal.clone(),
        );
        let stub = Arc::new(
            crate::mappings::parse_mapping(
                &serde_json::json!({"request": {"urlPath": "/x"}, "serveEventListeners": [
                    {"name": "webhook", "parameters": {"url": "http://127.0.0.1:9/cb"}}]}),
                0,
                None,
            )
            .expect("a stub"),
        );
        let req = Arc::new(Recorded::new(http::Method::GET, "/x"));
        let outcome = Outcome {
            status: 200,
            response: Responded::default(),
            answered_by: AnsweredBy::Stub(stub.id),
            stub: Some(Arc::downgrade(&stub)),
            process_time: Duration::ZERO,
            added_delay: Duration::ZERO,
        };
        let entry = journal.record_scoped(&req, Default::default(), outcome, &[]);
        assert!(Webhooks::of(Some(&Arc::downgrade(&stub))).is_some());
        hooks.send_after(&stub, &req, entry);
        let text = String::from_utf8_lossy(&crate::sync::lock(&logs.0)).into_owned();
        assert!(text.contains("WARN"), "{text}");
        assert!(
            text.contains("webhook dropped: 0 webhooks already waiting to be sent"),
            "{text}"
        );
        match &journal.all()[0].sub_events()[..] {
            [SubEvent::Error(m)] => assert!(m.contains("dropped"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
