//! A stub's response definition: status, headers, body, delays, faults.

use super::parse::{MAX_SIGMA, delay_ms, delay_number, int, non_negative, number, string};
use super::*;

/// How long to wait before answering.
#[derive(Debug, Clone, PartialEq)]
pub enum Delay {
    None,
    Fixed(Duration),
    Uniform {
        lower: u64,
        upper: u64,
    },
    LogNormal {
        median: f64,
        sigma: f64,
        max: Option<f64>,
    },
}

impl Delay {
    /// Draws one delay.
    pub fn sample(&self) -> Duration {
        match self {
            Delay::None => Duration::ZERO,
            Delay::Fixed(d) => *d,
            Delay::Uniform { lower, upper } => {
                Duration::from_millis(rand::random_range(*lower..=*upper))
            }
            Delay::LogNormal { median, sigma, max } => {
                // Box–Muller: a standard normal from two uniforms.
                let u1: f64 = rand::random::<f64>().max(f64::MIN_POSITIVE);
                let u2: f64 = rand::random();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let mut ms = median * (sigma * z).exp();
                if let Some(max) = max {
                    ms = ms.min(*max);
                }
                // Also NaN and infinity end up within 0..=MAX_DELAY.
                let ms = if ms.is_nan() {
                    0.0
                } else {
                    ms.clamp(0.0, MAX_DELAY_MS as f64)
                };
                Duration::from_secs_f64(ms / 1000.0)
            }
        }
    }
}

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
    /// answers (see [`crate::proxy`]).
    pub proxy: Option<Arc<crate::proxy::ProxySpec>>,
}

impl StubResponse {
    /// The plan for one answer; `extra_delay` is the global fixed delay.
    pub fn plan(&self, extra_delay: Duration) -> Plan {
        let body = match self.dribble {
            Some((n, total)) if n > 0 && !self.body.is_empty() => {
                let n = (n as usize).min(self.body.len());
                let size = self.body.len().div_ceil(n);
                let each = total / n as u32;
                PlanBody::Chunks(
                    self.body
                        .chunks(size)
                        .map(|c| (each, Bytes::copy_from_slice(c)))
                        .collect(),
                )
            }
            _ => PlanBody::Full(self.body.clone()),
        };
        Plan {
            status: self.status,
            reason: self.reason.clone(),
            headers: self.headers.clone(),
            body,
            delay: self.delay.sample() + extra_delay,
            fault: self.fault,
        }
    }
}

impl StubResponse {
    /// Parses WireMock's response definition.
    pub fn parse(v: &Value) -> Result<StubResponse> {
        let p = "/response";
        let obj = v
            .as_object()
            .ok_or_else(|| PatternError::new(p, "expected a response object"))?;
        let mut r = StubResponse {
            status: StatusCode::OK,
            reason: None,
            headers: Vec::new(),
            body: Bytes::new(),
            delay: Delay::None,
            dribble: None,
            fault: None,
            proxy: crate::proxy::ProxySpec::from_response(obj)?.map(Arc::new),
        };
        let mut bodies = 0;
        for (key, value) in obj {
            if value.is_null() {
                continue;
            }
            let at = format!("{p}/{key}");
            match key.as_str() {
                "status" => {
                    let s = int(value, &at)?;
                    r.status = u16::try_from(s)
                        .ok()
                        .and_then(crate::plan::status)
                        .ok_or_else(|| {
                            PatternError::new(&at, format!("invalid status {s} (expected 100-599)"))
                        })?;
                }
                "statusMessage" => {
                    let m = string(value, &at)?;
                    if m.bytes().any(|b| b == b'\r' || b == b'\n') {
                        return Err(PatternError::new(at, "a status message is one line"));
                    }
                    r.reason = Some(m);
                }
                "headers" => {
                    r.headers = headers::from_json(value)
                        .map_err(|e| PatternError::new(format!("{at}{}", e.pointer), e.reason))?;
                }
                "body" => {
                    bodies += 1;
                    r.body = Bytes::from(string(value, &at)?);
                }
                "jsonBody" => {
                    bodies += 1;
                    r.body = Bytes::from(value.to_string());
                }
                "base64Body" => {
                    bodies += 1;
                    use base64::Engine;
                    let b = base64::engine::general_purpose::STANDARD
                        .decode(string(value, &at)?)
                        .map_err(|e| PatternError::new(&at, format!("not base64: {e}")))?;
                    r.body = Bytes::from(b);
                }
                "fixedDelayMilliseconds" => {
                    r.delay = Delay::Fixed(Duration::from_millis(delay_ms(value, &at)?));
                }
                "delayDistribution" => r.delay = parse_distribution(value, &at)?,
                "chunkedDribbleDelay" => {
                    let o = value.as_object().ok_or_else(|| {
                        PatternError::new(&at, "expected {numberOfChunks, totalDuration}")
                    })?;
                    let n = o
                        .get("numberOfChunks")
                        .ok_or_else(|| PatternError::new(format!("{at}/numberOfChunks"), "missing"))
                        .and_then(|v| non_negative(v, &format!("{at}/numberOfChunks")))?;
                    let total = o
                        .get("totalDuration")
                        .ok_or_else(|| PatternError::new(format!("{at}/totalDuration"), "missing"))
                        .and_then(|v| delay_ms(v, &format!("{at}/totalDuration")))?;
                    let n = u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                        PatternError::new(format!("{at}/numberOfChunks"), "expected 1 or more")
                    })?;
                    r.dribble = Some((n, Duration::from_millis(total)));
                }
                "fault" => {
                    let name = string(value, &at)?;
                    r.fault = Some(
                        Fault::from_name(&name)
                            .map_err(|e| PatternError::new(&at, e.to_string()))?,
                    );
                }
                "transformers" | "transformerParameters" => {
                    let empty = value.as_array().is_some_and(Vec::is_empty)
                        || value.as_object().is_some_and(Map::is_empty);
                    if !empty {
                        return Err(PatternError::new(
                            at,
                            "response transformers are not supported",
                        ));
                    }
                }
                key if crate::proxy::FIELDS.contains(&key) => {}
                "bodyFileName" => {
                    return Err(PatternError::new(at, format!("{key} is not supported")));
                }
                other => {
                    return Err(PatternError::new(
                        at,
                        format!("unknown response field {other:?}"),
                    ));
                }
            }
        }
        if bodies > 1 {
            return Err(PatternError::new(
                p,
                "give one of body, jsonBody, base64Body",
            ));
        }
        Ok(r)
    }
}

fn parse_distribution(v: &Value, at: &str) -> Result<Delay> {
    let o = v
        .as_object()
        .ok_or_else(|| PatternError::new(at, "expected a delay distribution object"))?;
    let field = |name: &str| -> Result<&Value> {
        o.get(name)
            .ok_or_else(|| PatternError::new(format!("{at}/{name}"), "missing"))
    };
    match o.get("type").and_then(Value::as_str) {
        Some("uniform") => {
            let lower = delay_ms(field("lower")?, &format!("{at}/lower"))?;
            let upper = delay_ms(field("upper")?, &format!("{at}/upper"))?;
            if upper < lower {
                return Err(PatternError::new(
                    format!("{at}/upper"),
                    "upper is below lower",
                ));
            }
            Ok(Delay::Uniform { lower, upper })
        }
        Some("lognormal") => Ok(Delay::LogNormal {
            median: delay_number(field("median")?, &format!("{at}/median"))?,
            sigma: number(field("sigma")?, &format!("{at}/sigma")).and_then(|s| {
                if s > MAX_SIGMA {
                    Err(PatternError::new(
                        format!("{at}/sigma"),
                        format!("expected at most {MAX_SIGMA}"),
                    ))
                } else {
                    Ok(s)
                }
            })?,
            max: o
                .get("maxValue")
                .filter(|v| !v.is_null())
                .map(|v| delay_number(v, &format!("{at}/maxValue")))
                .transpose()?,
        }),
        _ => Err(PatternError::new(
            format!("{at}/type"),
            "expected \"uniform\" or \"lognormal\"",
        )),
    }
}
