//! The journal's entries as WireMock writes them — serve events and
//! logged requests ([`fake_servicer_wiremock::shapes::serve_event`]) —
//! made here, at the admin edge, from the facts the journal keeps.

use crate::journal::{AnsweredBy, Entry, SubEvent};
use axum::{body::Body, response::Response};
use base64::Engine;
use bytes::Bytes;
use fake_servicer_wiremock::shapes::serve_event::{
    self, LoggedRequest, LoggedResponse, ServeEvent, Timing,
};
use http::{HeaderValue, header};
use serde_json::{Map, Value, json};
use std::convert::Infallible;
use std::time::SystemTime;

/// WireMock's `LoggedRequest` of `entry`.
pub fn logged_request(entry: &Entry) -> LoggedRequest {
    let r = entry.request();
    let headers = serve_event::headers(r.headers.iter().map(|(name, value)| {
        (
            name.as_str(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        )
    }));
    let url = r.url();
    LoggedRequest {
        absolute_url: format!(
            "{}://{}{}",
            r.scheme(),
            r.host().unwrap_or("localhost"),
            url
        ),
        url,
        method: r.method.as_str().to_owned(),
        client_ip: r.client.map(|c| c.ip().to_string()).unwrap_or_default(),
        headers,
        cookies: Map::new(),
        browser_proxy_request: false,
        logged_date: r
            .received_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64,
        logged_date_string: crate::timestamp::rfc3339(r.received_at),
        body_as_base64: base64::engine::general_purpose::STANDARD.encode(&r.body),
        body: String::from_utf8_lossy(&r.body).into_owned(),
        query_params: serve_event::query_params(r.query_params()),
        protocol: r.protocol(),
        scheme: r.scheme(),
        service: r.service().map(|(s, _)| s.to_owned()),
        scopes: (!entry.scopes.is_empty()).then(|| entry.scopes.to_json()),
    }
}

/// WireMock's serve event of `entry`; with `extensions`, also
/// `answeredBy` (what answered: override, armed, stub, plugin, server,
/// none).
pub fn serve_event(entry: &Entry, extensions: bool) -> ServeEvent {
    let o = &entry.outcome;
    let process = o.process_time.as_millis() as u64;
    let matched = entry.was_matched();
    let mut definition = if matched {
        json!({"status": o.status})
    } else {
        json!({"status": o.status, "fromConfiguredStub": false})
    };
    let mut stub_mapping = None;
    if let AnsweredBy::Stub(id) = &o.answered_by {
        match entry.stub() {
            Some(stub) => {
                if let Some(response) = stub.json.get("response") {
                    definition = response.clone();
                }
                stub_mapping = Some(stub.json.clone());
            }
            // Removed or replaced since: only its id is left.
            None => stub_mapping = Some(json!({"id": id.to_string(), "uuid": id.to_string()})),
        }
    }
    let answer_headers = serve_event::headers(entry.answer_headers().map(|(n, v, _)| {
        (
            std::str::from_utf8(n).unwrap_or_default(),
            String::from_utf8_lossy(v).into_owned(),
        )
    }));
    let body = &o.response.body;
    ServeEvent {
        id: entry.id.to_string(),
        request: logged_request(entry),
        response_definition: definition,
        response: LoggedResponse {
            status: o.status,
            headers: (!answer_headers.is_empty()).then_some(answer_headers),
            body_as_base64: base64::engine::general_purpose::STANDARD.encode(body),
            fault: o.response.fault.map(|f| f.name()),
            body: String::from_utf8_lossy(body).into_owned(),
        },
        was_matched: matched,
        timing: Timing {
            added_delay: o.added_delay.as_millis() as u64,
            process_time: process,
            response_send_time: 0,
            serve_time: process,
            total_time: (o.added_delay + o.process_time).as_millis() as u64,
        },
        sub_events: entry.sub_events().iter().map(sub_event).collect(),
        answered_by: extensions.then(|| answered_by(&o.answered_by)),
        stub_mapping,
    }
}

/// WireMock's JSON of a sub event: a webhook sent (`WEBHOOK_REQUEST`, its
/// URL taken apart as a logged request's), its answer
/// (`WEBHOOK_RESPONSE`), or why there was none (`ERROR`, with no time
/// offset, as WireMock writes it).
fn sub_event(event: &SubEvent) -> Value {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let headers = |h: &[(http::HeaderName, HeaderValue)]| {
        serve_event::headers(h.iter().map(|(n, v)| {
            (
                n.as_str(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        }))
    };
    match event {
        SubEvent::WebhookRequest(r) => {
            let uri: http::Uri = r.url.parse().unwrap_or_default();
            let scheme = uri.scheme_str().unwrap_or("http");
            let mut data = Map::new();
            data.insert(
                "url".into(),
                json!(uri.path_and_query().map_or("/", |p| p.as_str())),
            );
            data.insert("absoluteUrl".into(), json!(&*r.url));
            data.insert("method".into(), json!(r.method.as_str()));
            data.insert("headers".into(), Value::Object(headers(&r.headers)));
            data.insert("browserProxyRequest".into(), json!(false));
            data.insert(
                "loggedDate".into(),
                json!(
                    r.sent_at
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_millis() as u64
                ),
            );
            if let Some(body) = &r.body {
                data.insert("bodyAsBase64".into(), json!(b64(body)));
                data.insert("body".into(), json!(String::from_utf8_lossy(body)));
            }
            data.insert("scheme".into(), json!(scheme));
            data.insert("host".into(), json!(uri.host().unwrap_or_default()));
            let default_port = if scheme == "https" { 443 } else { 80 };
            data.insert("port".into(), json!(uri.port_u16().unwrap_or(default_port)));
            data.insert(
                "loggedDateString".into(),
                json!(crate::timestamp::rfc3339(r.sent_at)),
            );
            let query = uri
                .query()
                .map(fake_servicer_core::request::form_urlencoded_pairs)
                .unwrap_or_default();
            data.insert(
                "queryParams".into(),
                Value::Object(serve_event::query_params(query)),
            );
            data.insert("formParams".into(), json!({}));
            json!({"type": "WEBHOOK_REQUEST", "timeOffsetNanos": 0, "data": data})
        }
        SubEvent::WebhookResponse(r) => json!({
            "type": "WEBHOOK_RESPONSE",
            "timeOffsetNanos": 0,
            "data": {
                "status": r.status,
                "headers": headers(&r.headers),
                "bodyAsBase64": b64(&r.body),
                "body": String::from_utf8_lossy(&r.body),
            },
        }),
        SubEvent::Error(message) => json!({"type": "ERROR", "data": {"message": &**message}}),
        SubEvent::Message(m) => {
            let mut data = Map::new();
            data.insert("direction".into(), json!(if m.sent { "out" } else { "in" }));
            if m.binary {
                data.insert("bodyAsBase64".into(), json!(b64(&m.body)));
            } else {
                data.insert("body".into(), json!(String::from_utf8_lossy(&m.body)));
            }
            data.insert("timestamp".into(), json!(crate::timestamp::rfc3339(m.at)));
            json!({"type": "STREAM_MESSAGE", "data": data})
        }
    }
}

/// Our `answeredBy` extension.
fn answered_by(by: &AnsweredBy) -> Value {
    match by {
        AnsweredBy::Override => json!({"kind": "override"}),
        AnsweredBy::Armed => json!({"kind": "armed"}),
        AnsweredBy::Stub(id) => json!({"kind": "stub", "id": id.to_string()}),
        AnsweredBy::Plugin { route, generation } => {
            json!({"kind": "plugin", "route": &**route, "generation": generation})
        }
        AnsweredBy::Resource {
            api,
            resource,
            verb,
        } => json!({"kind": api, "resource": &**resource, "verb": verb}),
        AnsweredBy::Server => json!({"kind": "server"}),
        AnsweredBy::Nothing => json!({"kind": "none"}),
        AnsweredBy::Abandoned => json!({"kind": "abandoned"}),
    }
}

/// [`logged_request`] as a JSON value, for answers that show it inside
/// others (near misses).
pub fn logged_request_json(entry: &Entry) -> Value {
    serde_json::to_value(logged_request(entry)).unwrap_or_default()
}

/// `{"requests": [...], <the fields of tail>}`, the entries as `item`
/// writes them, serialised one at a time as the client reads (each held
/// until written: `Arc<Entry>`, or what a wait lists).
pub fn requests_stream<E, T>(entries: Vec<E>, item: fn(&Entry) -> T, tail: Value) -> Response
where
    E: std::ops::Deref<Target = Entry> + Send + 'static,
    T: serde::Serialize + 'static,
{
    let tail = match serde_json::to_vec(&tail) {
        // `{"a":…}` → `],"a":…}`
        Ok(mut t) if t.len() > 2 => {
            t[0] = b',';
            [&b"]"[..], &t].concat()
        }
        _ => b"]}".to_vec(),
    };
    let items = entries.into_iter().enumerate().map(move |(i, e)| {
        let mut buf = Vec::new();
        if i > 0 {
            buf.push(b',');
        }
        // Serialising plain data with string keys cannot fail.
        let _ = serde_json::to_writer(&mut buf, &item(&e));
        Bytes::from(buf)
    });
    let chunks = std::iter::once(Bytes::from_static(b"{\"requests\":["))
        .chain(items)
        .chain(std::iter::once(Bytes::from(tail)));
    let stream = futures_util::stream::iter(chunks.map(Ok::<_, Infallible>));
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
