//! `basicAuthCredentials`: the `Authorization` header must be `Basic`
//! with this user name and password, as WireMock checks it (an `equalTo`
//! on the whole header value).

use super::multi::MultiMatcher;
use super::string::StringMatcher;
use super::{PatternError, Result, as_str};
use base64::Engine;
use serde_json::Value;

/// The credentials a request must carry.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    /// The header matcher: `equalTo "Basic <base64(user:password)>"`.
    pub header: MultiMatcher,
}

impl BasicAuth {
    /// Parses `{"username": …, "password": …}`.
    pub fn parse(v: &Value, pointer: &str) -> Result<BasicAuth> {
        let obj = v.as_object().ok_or_else(|| {
            PatternError::new(pointer, "expected {\"username\": …, \"password\": …}")
        })?;
        let field = |name: &str| -> Result<&str> {
            let at = format!("{pointer}/{name}");
            as_str(
                obj.get(name)
                    .ok_or_else(|| PatternError::new(&at, "missing"))?,
                &at,
            )
        };
        let (user, password) = (field("username")?, field("password")?);
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Ok(BasicAuth {
            header: MultiMatcher::Single(StringMatcher::EqualTo {
                value: format!("Basic {token}"),
                case_insensitive: false,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_become_an_authorization_header_matcher() {
        let a = BasicAuth::parse(&json!({"username": "u", "password": "p"}), "").unwrap();
        assert!(a.header.matches(&["Basic dTpw"]));
        assert!(!a.header.matches(&["Basic dTpx"]));
        let e = BasicAuth::parse(&json!({"username": "u"}), "/r/basicAuthCredentials").unwrap_err();
        assert_eq!(e.pointer, "/r/basicAuthCredentials/password");
    }
}
