//! WireMock's template helpers on top of Handlebars' `if`, `unless`,
//! `each`, `with`, `lookup`: comparisons and logic (also as blocks), text
//! (`trim`, `upper`, `lower`, `capitalize`, `base64`, `urlEncode`,
//! `regexExtract`, `contains`, `size`), JSON (`jsonPath`, `parseJson`),
//! `formData`, `assign`, random values, `now` and `math`.

use base64::Engine;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonRender, JsonTruthy, Output,
    RenderContext, RenderError, RenderErrorReason, Renderable, ScopedJson,
};
use serde_json::{Map, Value};

/// Largest regex (compiled bytes) `regexExtract` accepts.
const MAX_REGEX_BYTES: usize = 1024 * 1024;

type Res = Result<Value, RenderError>;

/// A helper computing one value: written as text, used as a
/// subexpression's value, or, as a block, choosing the block (truthy) or
/// its `else`.
type Fun = for<'reg, 'rc> fn(
    &Helper<'rc>,
    &'reg Handlebars<'reg>,
    &'rc Context,
    &mut RenderContext<'reg, 'rc>,
) -> Res;

/// A helper that only reads its parameters.
type Simple = fn(&Helper) -> Res;

enum ValueHelper {
    Simple(Simple),
    Full(Fun),
}

impl ValueHelper {
    fn value<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
    ) -> Res {
        match self {
            ValueHelper::Simple(f) => f(h),
            ValueHelper::Full(f) => f(h, r, ctx, rc),
        }
    }
}

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Ok(ScopedJson::Derived(self.value(h, r, ctx, rc)?))
    }

    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let v = self.value(h, r, ctx, rc)?;
        if h.is_block() && !BLOCK_TEXT.contains(&h.name()) {
            let branch = if v.is_truthy(false) {
                h.template()
            } else {
                h.inverse()
            };
            if let Some(t) = branch {
                t.render(r, ctx, rc, out)?;
            }
            return Ok(());
        }
        match &v {
            Value::Object(_) if h.name() == "jsonPath" => out.write(&pretty(&v))?,
            _ => out.write(&text(&v))?,
        }
        Ok(())
    }
}

/// An object as WireMock's `jsonPath` writes one (Jackson's default pretty
/// printer, null members left out): members one a line, indented by two
/// spaces per object level, `"key" : value`; lists on one line, `[ 1, 2 ]`.
fn pretty(v: &Value) -> String {
    fn write(v: &Value, depth: usize, out: &mut String) {
        match v {
            Value::Object(o) => {
                let members: Vec<_> = o.iter().filter(|(_, v)| !v.is_null()).collect();
                if members.is_empty() {
                    out.push_str("{ }");
                    return;
                }
                out.push('{');
                for (i, (k, v)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('\n');
                    out.push_str(&"  ".repeat(depth + 1));
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push_str(" : ");
                    write(v, depth + 1, out);
                }
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
                out.push('}');
            }
            Value::Array(a) if a.is_empty() => out.push_str("[ ]"),
            Value::Array(a) => {
                out.push_str("[ ");
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(v, depth, out);
                }
                out.push_str(" ]");
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

/// Helpers whose block form takes the block's text as input.
const BLOCK_TEXT: [&str; 6] = [
    "trim",
    "upper",
    "lower",
    "capitalize",
    "base64",
    "urlEncode",
];

/// Registers every helper on `r`.
pub fn register(r: &mut Handlebars) {
    let simple: [(&str, Simple); 17] = [
        ("eq", |h| Ok(Value::Bool(arg(h, 0) == arg(h, 1)))),
        ("ne", |h| Ok(Value::Bool(arg(h, 0) != arg(h, 1)))),
        ("neq", |h| Ok(Value::Bool(arg(h, 0) != arg(h, 1)))),
        ("gt", |h| order(h, |o| o.is_gt())),
        ("gte", |h| order(h, |o| o.is_ge())),
        ("lt", |h| order(h, |o| o.is_lt())),
        ("lte", |h| order(h, |o| o.is_le())),
        ("and", |h| {
            Ok(Value::Bool(
                h.params().iter().all(|p| p.value().is_truthy(false)),
            ))
        }),
        ("or", |h| {
            Ok(Value::Bool(
                h.params().iter().any(|p| p.value().is_truthy(false)),
            ))
        }),
        ("not", |h| Ok(Value::Bool(!arg(h, 0).is_truthy(false)))),
        ("size", size),
        ("contains", contains),
        ("jsonPath", json_path),
        ("randomValue", super::random::random_value),
        ("randomInt", super::random::random_int),
        ("math", math),
        ("now", super::now::now),
    ];
    for (name, f) in simple {
        r.register_helper(name, Box::new(ValueHelper::Simple(f)));
    }
    let full: [(&str, Fun); 10] = [
        ("trim", |h, r, c, rc| Ok(input(h, r, c, rc)?.trim().into())),
        ("upper", |h, r, c, rc| {
            Ok(input(h, r, c, rc)?.to_uppercase().into())
        }),
        ("lower", |h, r, c, rc| {
            Ok(input(h, r, c, rc)?.to_lowercase().into())
        }),
        ("capitalize", |h, r, c, rc| capitalize(&input(h, r, c, rc)?)),
        ("base64", |h, r, c, rc| base64(h, &input(h, r, c, rc)?)),
        ("urlEncode", |h, r, c, rc| {
            url_encode(h, &input(h, r, c, rc)?)
        }),
        ("regexExtract", |h, r, c, rc| regex_extract(h, r, c, rc)),
        ("parseJson", |h, r, c, rc| parse_json(h, r, c, rc)),
        ("formData", |h, r, c, rc| form_data(h, r, c, rc)),
        ("assign", |h, r, c, rc| assign(h, r, c, rc)),
    ];
    for (name, f) in full {
        r.register_helper(name, Box::new(ValueHelper::Full(f)));
    }
}

/// A render error naming the helper.
pub fn fail(h: &Helper, reason: impl std::fmt::Display) -> RenderError {
    RenderErrorReason::Other(format!("{}: {reason}", h.name())).into()
}

/// Parameter `i` as one value: a list of one value is that value (the
/// model's query parameters and headers are lists).
pub fn arg(h: &Helper, i: usize) -> Value {
    h.param(i).map(|p| one(p.value())).unwrap_or(Value::Null)
}

fn one(v: &Value) -> Value {
    match v {
        Value::Array(a) if a.len() == 1 => a[0].clone(),
        other => other.clone(),
    }
}

/// Parameter `i` as text (a list writes its first value, as WireMock).
pub fn arg_text(h: &Helper, i: usize) -> String {
    match h.param(i).map(|p| p.value()) {
        Some(Value::Array(a)) => a.first().map(text).unwrap_or_default(),
        Some(v) => text(v),
        None => String::new(),
    }
}

/// A hash option as text.
pub fn opt(h: &Helper, name: &str) -> Option<String> {
    h.hash_get(name).map(|p| text(p.value()))
}

/// A hash option as a boolean (`true` or `"true"`).
pub fn flag(h: &Helper, name: &str) -> bool {
    h.hash_get(name)
        .is_some_and(|p| p.value().as_bool() == Some(true) || p.value().as_str() == Some("true"))
}

/// A value as text: strings as they are, lists and objects as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => v.to_string(),
        other => other.render(),
    }
}

/// The first parameter as text, or the block's rendered text.
fn input<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    r: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
) -> Result<String, RenderError> {
    match (h.param(0), h.template()) {
        (None, Some(t)) => t.renders(r, ctx, rc),
        _ => Ok(arg_text(h, 0)),
    }
}

pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn order(h: &Helper, want: fn(std::cmp::Ordering) -> bool) -> Res {
    let (a, b) = (arg(h, 0), arg(h, 1));
    let o = match (number(&a), number(&b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(text(&a).cmp(&text(&b))),
    };
    Ok(Value::Bool(o.is_some_and(want)))
}

fn size(h: &Helper) -> Res {
    let n = match h.param(0).map(|p| p.value()) {
        Some(Value::String(s)) => s.chars().count(),
        Some(Value::Array(a)) => a.len(),
        Some(Value::Object(o)) => o.len(),
        Some(Value::Null) | None => 0,
        Some(other) => text(other).chars().count(),
    };
    Ok(n.into())
}

fn capitalize(s: &str) -> Res {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c.is_whitespace();
    }
    Ok(out.into())
}

fn base64(h: &Helper, s: &str) -> Res {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
    if flag(h, "decode") {
        let bytes = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        )
        .decode(s.trim())
        .map_err(|e| fail(h, format!("not base64: {e}")))?;
        return Ok(String::from_utf8_lossy(&bytes).into_owned().into());
    }
    let padding = h
        .hash_get("padding")
        .is_none_or(|p| p.value().is_truthy(false));
    Ok(if padding {
        STANDARD.encode(s)
    } else {
        STANDARD_NO_PAD.encode(s)
    }
    .into())
}

/// Java's `URLEncoder`: letters, digits and `.-*_` kept, space as `+`.
const FORM: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'*')
    .remove(b'_')
    .remove(b' ');

fn url_encode(h: &Helper, s: &str) -> Res {
    if flag(h, "decode") {
        let plus = s.replace('+', " ");
        return Ok(percent_encoding::percent_decode_str(&plus)
            .decode_utf8_lossy()
            .into_owned()
            .into());
    }
    Ok(percent_encoding::utf8_percent_encode(s, FORM)
        .to_string()
        .replace(' ', "+")
        .into())
}

fn contains(h: &Helper) -> Res {
    let needle = arg(h, 1);
    Ok(Value::Bool(match h.param(0).map(|p| p.value()) {
        Some(Value::Array(a)) => a.contains(&needle),
        Some(v) => text(v).contains(&text(&needle)),
        None => false,
    }))
}

/// Stores `value` as the variable `name` for the rest of the template.
fn set_var(
    rc: &mut RenderContext,
    ctx: &Context,
    name: &str,
    value: Value,
) -> Result<(), RenderError> {
    let mut data = rc
        .context()
        .map(|c| c.data().clone())
        .unwrap_or_else(|| ctx.data().clone());
    if let Value::Object(o) = &mut data {
        o.insert(name.to_owned(), value);
    }
    rc.set_context(Context::from(data));
    Ok(())
}

fn regex_extract<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    _: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
) -> Res {
    let haystack = arg_text(h, 0);
    let re = regex::RegexBuilder::new(&arg_text(h, 1))
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| fail(h, e))?;
    let Some(caps) = re.captures(&haystack) else {
        // WireMock writes this marker when nothing matches and there is no
        // default.
        let marker = || format!("[ERROR: Nothing matched {}]", re.as_str());
        return Ok(opt(h, "default").unwrap_or_else(marker).into());
    };
    match h.param(2) {
        None => Ok(caps.get(0).map(|m| m.as_str()).unwrap_or_default().into()),
        Some(var) => {
            let groups: Vec<Value> = if caps.len() > 1 {
                caps.iter()
                    .skip(1)
                    .map(|m| m.map(|m| m.as_str()).unwrap_or_default().into())
                    .collect()
            } else {
                re.find_iter(&haystack).map(|m| m.as_str().into()).collect()
            };
            set_var(rc, ctx, &text(var.value()), Value::Array(groups))?;
            Ok(Value::Null)
        }
    }
}

/// The first parameter as JSON: a value as it is, text parsed.
fn json_of(h: &Helper) -> Result<Value, RenderError> {
    match h.param(0).map(|p| one(p.value())) {
        Some(Value::String(s)) => {
            serde_json::from_str(&s).map_err(|e| fail(h, format!("not JSON: {e}")))
        }
        Some(v) => Ok(v),
        None => Err(fail(h, "needs a JSON document")),
    }
}

fn json_path(h: &Helper) -> Res {
    let doc = json_of(h)?;
    let expr = arg_text(h, 1);
    let path = serde_json_path::JsonPath::parse(&expr).map_err(|e| fail(h, e))?;
    let found = path.query(&doc).all();
    // The matches' size, counted before any is copied: `$..x` over a deep
    // document matches nested subtrees, each holding the next.
    let mut room = Counted(super::MAX_OUTPUT_BYTES);
    for v in &found {
        super::budget::check().map_err(|e| fail(h, e))?;
        serde_json::to_writer(&mut room, v).map_err(|_| {
            fail(
                h,
                format!(
                    "the matches are larger than {} bytes",
                    super::MAX_OUTPUT_BYTES
                ),
            )
        })?;
    }
    let default = || opt(h, "default").map(Value::String).unwrap_or(Value::Null);
    Ok(match found.as_slice() {
        [] => default(),
        [Value::Null] => default(),
        [one] => (*one).clone(),
        many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
    })
}

/// A writer that takes at most the bytes it holds room for.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = self
            .0
            .checked_sub(bytes.len())
            .ok_or_else(|| std::io::Error::other("no room left"))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn parse_json<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    _: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
) -> Res {
    let v = json_of(h)?;
    match h.param(1) {
        Some(var) => {
            set_var(rc, ctx, &text(var.value()), v)?;
            Ok(Value::Null)
        }
        None => Ok(v),
    }
}

fn form_data<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    _: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
) -> Res {
    let body = arg_text(h, 0);
    let decode = flag(h, "urlDecode");
    let mut form = Map::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = if decode {
            crate::request::form_urlencoded_pairs(pair)
                .pop()
                .unwrap_or_default()
        } else {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), v.to_owned())
        };
        match form.get_mut(&k) {
            Some(Value::Array(a)) => a.push(v.into()),
            Some(single) => *single = Value::Array(vec![single.take(), v.into()]),
            None => {
                form.insert(k, v.into());
            }
        }
    }
    match h.param(1) {
        Some(var) => {
            set_var(rc, ctx, &text(var.value()), Value::Object(form))?;
            Ok(Value::Null)
        }
        None => Ok(Value::Object(form)),
    }
}

fn assign<'reg: 'rc, 'rc>(
    h: &Helper<'rc>,
    r: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
) -> Res {
    let name = arg_text(h, 0);
    let value = match h.template() {
        Some(t) => t.renders(r, ctx, rc)?,
        None => arg_text(h, 1),
    };
    set_var(rc, ctx, &name, value.into())?;
    Ok(Value::Null)
}

/// WireMock's `math`: `{{math a "+" b}}` with `+ - * / %`; whole numbers
/// give a whole number (a quotient rounded half up), others a decimal.
fn math(h: &Helper) -> Res {
    let (a, op, b) = (arg(h, 0), arg_text(h, 1), arg(h, 2));
    let whole = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if let (Some(x), Some(y)) = (whole(&a), whole(&b)) {
        let r = match op.as_str() {
            "+" => x.checked_add(y),
            "-" => x.checked_sub(y),
            "*" => x.checked_mul(y),
            "/" | "%" if y == 0 => return Err(fail(h, "division by zero")),
            "/" => Some((x as f64 / y as f64).round() as i64),
            "%" => x.checked_rem(y),
            other => return Err(fail(h, format!("unknown operator {other:?}"))),
        };
        return r.map(Value::from).ok_or_else(|| fail(h, "overflow"));
    }
    let (Some(x), Some(y)) = (number(&a), number(&b)) else {
        return Err(fail(h, "needs two numbers"));
    };
    let r = match op.as_str() {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        "/" => x / y,
        "%" => x % y,
        other => return Err(fail(h, format!("unknown operator {other:?}"))),
    };
    if !r.is_finite() {
        return Err(fail(h, "the result is not a finite number"));
    }
    // Java writes a whole double as `3.0`.
    Ok(if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{r:.1}")
    } else {
        r.to_string()
    }
    .into())
}
