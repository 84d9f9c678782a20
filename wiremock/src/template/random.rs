//! WireMock's `randomValue` and `randomInt`.

use super::helpers::{fail, flag, number, opt};
use handlebars::{Helper, RenderError};
use serde_json::Value;

type Res = Result<Value, RenderError>;

/// Longest `randomValue` (characters); a longer one is a render error.
pub const MAX_RANDOM_LENGTH: u64 = 1024 * 1024;

pub fn random_value(h: &Helper) -> Res {
    let kind = opt(h, "type").unwrap_or_else(|| "ALPHANUMERIC".to_owned());
    if kind == "UUID" {
        return Ok(uuid::Uuid::new_v4().to_string().into());
    }
    let length = match h.hash_get("length") {
        None => 36.0,
        Some(p) => number(p.value()).ok_or_else(|| fail(h, "length is not a number"))?,
    };
    if !(0.0..=MAX_RANDOM_LENGTH as f64).contains(&length) {
        return Err(fail(
            h,
            format!("length {length} is outside 0 to {MAX_RANDOM_LENGTH}"),
        ));
    }
    let chars: &[u8] = match kind.as_str() {
        "ALPHANUMERIC" => b"abcdefghijklmnopqrstuvwxyz0123456789",
        "ALPHABETIC" => b"abcdefghijklmnopqrstuvwxyz",
        "NUMERIC" => b"0123456789",
        "HEXADECIMAL" => b"0123456789abcdef",
        "ALPHANUMERIC_AND_SYMBOLS" => {
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~"
        }
        other => return Err(fail(h, format!("unknown type {other:?}"))),
    };
    // One generator for the whole value; the budget checked every 64 KiB.
    let mut rng = rand::rng();
    let mut s = String::with_capacity(length as usize);
    for i in 0..length as usize {
        if i % 65_536 == 0 {
            super::budget::check().map_err(|e| fail(h, e))?;
        }
        s.push(chars[rand::RngExt::random_range(&mut rng, 0..chars.len())] as char);
    }
    Ok(if flag(h, "uppercase") {
        s.to_uppercase()
    } else {
        s
    }
    .into())
}

pub fn random_int(h: &Helper) -> Res {
    let bound = |name: &str, default: i64| -> Result<i64, RenderError> {
        match h.hash_get(name) {
            None => Ok(default),
            Some(p) => number(p.value())
                .map(|n| n as i64)
                .ok_or_else(|| fail(h, format!("{name} is not a number"))),
        }
    };
    let lower = bound("lower", i64::from(i32::MIN))?;
    let upper = bound("upper", i64::from(i32::MAX))?;
    if upper <= lower {
        return Err(fail(h, "upper must be above lower"));
    }
    // As WireMock: upper is excluded.
    Ok(rand::random_range(lower..upper).into())
}
