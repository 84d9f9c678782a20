//! A stub's response definition: status, headers, body, delays, faults.

use super::proxy::ProxySpec;
use super::*;
use crate::shapes::read;
use crate::shapes::response::{DelayDistribution, ResponseDefinition};

/// A stub's response definition.
#[derive(Debug, Clone)]
pub struct StubResponse {
    pub status: StatusCode,
    pub reason: Option<String>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub delay: Delay,
    /// `chunkedDribbleDelay`: (number of chunks, total duration).
    pub dribble: Option<(u32, Duration)>,
    pub fault: Option<Fault>,
    /// `proxyBaseUrl` and its settings: answer with what that server
    /// answers (see [`ProxySpec`]).
    pub proxy: Option<Arc<ProxySpec>>,
    /// Its body and header templates, when any hold `{{` or it has a body
    /// file (see [`crate::template`]).
    pub template: Option<Arc<crate::template::ResponseTemplate>>,
    /// `bodyFileName`: the body is this file's, read when answered.
    pub body_file: Option<BodyFile>,
    /// `stream` (and `live`): items sent one by one instead of a body.
    pub stream: Option<Arc<crate::stream::StreamAnswer>>,
    /// `webSocket`: the request is upgraded to a WebSocket answered so.
    pub web_socket: Option<Arc<crate::stream::WebSocketAnswer>>,
}

/// `bodyFileName`: a path below the files directory (`__files/`), read
/// when the stub answers, so an edit is served at once. With templating
/// on, the name and the file's text are templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFile {
    pub name: String,
}

impl BodyFile {
    /// Whether `name` stays below the directory it is read from: a
    /// relative path with no `..`.
    pub fn stays_inside(name: &str) -> bool {
        !name.is_empty()
            && !name.contains('\0')
            && std::path::Path::new(name).components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
    }
}

impl StubResponse {
    /// Parses WireMock's response definition (a mapping's `response`).
    pub fn parse(v: &Value) -> Result<StubResponse> {
        read::<ResponseDefinition>(v, AT)?.try_into()
    }
}

/// Where a mapping has its response definition.
const AT: &str = "/response";

fn at(field: &str) -> String {
    format!("{AT}/{field}")
}

impl TryFrom<ResponseDefinition> for StubResponse {
    type Error = PatternError;

    fn try_from(d: ResponseDefinition) -> Result<StubResponse> {
        let body_file = d.body_file_name.map(|name| BodyFile { name });
        if let Some(f) = &body_file
            && !f.name.contains("{{")
            && !BodyFile::stays_inside(&f.name)
        {
            return Err(PatternError::new(
                at("bodyFileName"),
                format!(
                    "{:?} leaves the files directory (a relative path without `..` is needed)",
                    f.name
                ),
            ));
        }
        let bodies = [
            d.body.is_some(),
            d.json_body.is_some(),
            d.base64_body.is_some(),
            body_file.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            return Err(PatternError::new(
                AT,
                "give one of body, jsonBody, base64Body, bodyFileName",
            ));
        }
        let web_socket = match d.web_socket {
            None | Some(Value::Null) => None,
            Some(ws) => {
                let given = [
                    (bodies.iter().any(|b| *b), "a body"),
                    (d.stream.is_some(), "stream"),
                    (d.chunked_dribble_delay.is_some(), "chunkedDribbleDelay"),
                    (d.proxy_base_url.is_some(), "proxyBaseUrl"),
                    (d.fault.is_some(), "a fault"),
                ];
                if let Some((_, what)) = given.iter().find(|(given, _)| *given) {
                    return Err(PatternError::new(
                        at("webSocket"),
                        format!("a WebSocket answer has no {what}: it sends messages"),
                    ));
                }
                Some(Arc::new(crate::stream::WebSocketAnswer::parse(
                    &ws,
                    &at("webSocket"),
                )?))
            }
        };
        let stream = match (d.stream, d.live) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(PatternError::new(
                    at("live"),
                    "live is for a stream answer: give stream too",
                ));
            }
            (Some(items), live) => {
                let given = [
                    (bodies.iter().any(|b| *b), "a body"),
                    (d.chunked_dribble_delay.is_some(), "chunkedDribbleDelay"),
                    (d.proxy_base_url.is_some(), "proxyBaseUrl"),
                    (d.fault.is_some(), "a fault"),
                ];
                if let Some((_, what)) = given.iter().find(|(given, _)| *given) {
                    return Err(PatternError::new(
                        at("stream"),
                        format!("a stream answer has no {what}: its items are the body"),
                    ));
                }
                let items = crate::stream::parse_items(&items, &at("stream"))?;
                let templated = items.iter().any(crate::stream::Item::has_template);
                Some(Arc::new(crate::stream::StreamAnswer {
                    items,
                    live: live.unwrap_or(false),
                    templated,
                }))
            }
        };
        let status = match d.status {
            None => StatusCode::OK,
            Some(s) => u16::try_from(s)
                .ok()
                .and_then(fake_servicer_core::headers::status)
                .ok_or_else(|| {
                    PatternError::new(
                        at("status"),
                        format!("invalid status {s} (expected 100-599)"),
                    )
                })?,
        };
        if d.status_message
            .as_ref()
            .is_some_and(|m| m.bytes().any(|b| b == b'\r' || b == b'\n'))
        {
            return Err(PatternError::new(
                at("statusMessage"),
                "a status message is one line",
            ));
        }
        let headers = match &d.headers {
            None => Vec::new(),
            Some(h) => headers::from_json(h).map_err(|e| {
                PatternError::new(format!("{}{}", at("headers"), e.pointer), e.reason)
            })?,
        };
        // The body, and where a template in it would be.
        let (body, body_at) = match (d.body, d.json_body, d.base64_body) {
            (Some(text), _, _) => (Bytes::from(text), Some("/response/body")),
            (_, Some(json), _) => (Bytes::from(json.to_string()), Some("/response/jsonBody")),
            (_, _, Some(b64)) => {
                use base64::Engine;
                let b = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| PatternError::new(at("base64Body"), format!("not base64: {e}")))?;
                (Bytes::from(b), None)
            }
            _ => (Bytes::new(), None),
        };
        let mut delay = match d.fixed_delay_milliseconds {
            Some(ms) => Delay::Fixed(Duration::from_millis(delay_ms(
                ms,
                &at("fixedDelayMilliseconds"),
            )?)),
            None => Delay::None,
        };
        if let Some(distribution) = d.delay_distribution {
            delay = distribution_delay(distribution, &at("delayDistribution"))?;
        }
        let dribble = match d.chunked_dribble_delay {
            None => None,
            Some(c) => {
                let n = u32::try_from(c.number_of_chunks)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        PatternError::new(
                            at("chunkedDribbleDelay/numberOfChunks"),
                            "expected 1 or more",
                        )
                    })?;
                let total = delay_ms(c.total_duration, &at("chunkedDribbleDelay/totalDuration"))?;
                Some((n, Duration::from_millis(total)))
            }
        };
        let fault = d
            .fault
            .map(|name| {
                Fault::from_name(&name).map_err(|e| PatternError::new(at("fault"), e.to_string()))
            })
            .transpose()?;
        let mut transformer = false;
        for (i, name) in d.transformers.iter().flatten().enumerate() {
            if name != crate::template::TRANSFORMER {
                return Err(PatternError::new(
                    format!("{}/{i}", at("transformers")),
                    format!(
                        "unknown transformer {name:?} (supported: {:?})",
                        crate::template::TRANSFORMER
                    ),
                ));
            }
            transformer = true;
        }
        let proxy = ProxySpec::from_definition(
            d.proxy_base_url,
            d.additional_proxy_request_headers,
            d.remove_proxy_request_headers,
            d.proxy_url_prefix_to_remove,
        )?
        .map(Arc::new);
        let body_text = body_at.map(|at| (at, String::from_utf8_lossy(&body).into_owned()));
        let template = crate::template::ResponseTemplate::build(
            body_text.as_ref().map(|(at, text)| (*at, text.as_str())),
            &headers,
            body_file.is_some() || stream.as_ref().is_some_and(|s| s.templated),
            transformer,
            Value::Object(d.transformer_parameters.unwrap_or_default()),
        )
        .map_err(|(at, e)| PatternError::new(at, format!("invalid response template: {e}")))?
        .map(Arc::new);
        Ok(StubResponse {
            status,
            reason: d.status_message,
            headers,
            body,
            delay,
            dribble,
            fault,
            proxy,
            template,
            body_file,
            stream,
            web_socket,
        })
    }
}

/// The largest `sigma` of a lognormal delay: beyond it nearly every draw is
/// 0 or the longest delay.
const MAX_SIGMA: f64 = 10.0;

/// Milliseconds of a delay: at most [`MAX_DELAY_MS`].
pub(crate) fn delay_ms(ms: u64, pointer: &str) -> Result<u64> {
    if ms > MAX_DELAY_MS {
        return Err(PatternError::new(
            pointer,
            format!("{ms} ms is longer than the longest delay, {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(ms)
}

/// A delay given as a number of milliseconds: finite, 0 to [`MAX_DELAY_MS`].
fn delay_number(ms: f64, pointer: &str) -> Result<f64> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(PatternError::new(pointer, "expected a non-negative number"));
    }
    if ms > MAX_DELAY_MS as f64 {
        return Err(PatternError::new(
            pointer,
            format!("{ms} ms is longer than the longest delay, {MAX_DELAY_MS} ms"),
        ));
    }
    Ok(ms)
}

/// The delay `d` gives; an error points below `base` (the distribution's
/// pointer).
pub(crate) fn distribution_delay(d: DelayDistribution, base: &str) -> Result<Delay> {
    let at = |field: &str| format!("{base}/{field}");
    match d {
        DelayDistribution::Fixed { milliseconds } => Ok(Delay::Fixed(Duration::from_millis(
            delay_ms(milliseconds, &at("milliseconds"))?,
        ))),
        DelayDistribution::Uniform { lower, upper } => {
            let (lower, upper) = (
                delay_ms(lower, &at("lower"))?,
                delay_ms(upper, &at("upper"))?,
            );
            if upper < lower {
                return Err(PatternError::new(at("upper"), "upper is below lower"));
            }
            Ok(Delay::Uniform { lower, upper })
        }
        DelayDistribution::Lognormal {
            median,
            sigma,
            max_value,
        } => {
            if !(sigma.is_finite() && sigma >= 0.0) {
                return Err(PatternError::new(
                    at("sigma"),
                    "expected a non-negative number",
                ));
            }
            if sigma > MAX_SIGMA {
                return Err(PatternError::new(
                    at("sigma"),
                    format!("expected at most {MAX_SIGMA}"),
                ));
            }
            Ok(Delay::LogNormal {
                median: delay_number(median, &at("median"))?,
                sigma,
                max: max_value
                    .map(|m| delay_number(m, &at("maxValue")))
                    .transpose()?,
            })
        }
    }
}
