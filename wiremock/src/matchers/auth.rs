//! `basicAuthCredentials`: the `Authorization` header must be `Basic`
//! with this user name and password, as WireMock checks it (an `equalTo`
//! on the whole header value).

use super::multi::MultiMatcher;
use super::string::StringMatcher;
use crate::shapes::request::BasicAuthCredentials;
use base64::Engine;

/// The credentials a request must carry.
#[derive(Debug, Clone)]
pub struct BasicAuth {
    /// The header matcher: `equalTo "Basic <base64(user:password)>"`.
    pub header: MultiMatcher,
}

impl From<BasicAuthCredentials> for BasicAuth {
    fn from(c: BasicAuthCredentials) -> BasicAuth {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", c.username, c.password));
        BasicAuth {
            header: MultiMatcher::Single(StringMatcher::EqualTo {
                value: format!("Basic {token}"),
                case_insensitive: false,
            }),
        }
    }
}
