use super::FromRequest;
use crate::{
    Rejection, Request,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use serde::{Serialize, de::DeserializeOwned};

/// JSON: a request body to deserialize, or a response body to serialize.
///
/// As an extractor it needs `Content-Type: application/json` (or
/// `application/*+json`) — otherwise 415 — and answers 400 naming the field
/// when the body does not fit `T`. As a response it sets
/// `Content-Type: application/json`.
///
/// ```
/// use fake_servicer::prelude::*;
///
/// #[derive(Deserialize, Serialize)]
/// struct NewUser { name: String }
///
/// #[route(post, "/users")]
/// fn create(Json(user): Json<NewUser>) -> (StatusCode, Json<NewUser>) {
///     (StatusCode::CREATED, Json(user))
/// }
///
/// # fn main() {
/// let resp = create(Json(NewUser { name: "Ann".into() })).into_response();
/// assert_eq!(resp.status_code(), StatusCode::CREATED);
/// assert_eq!(resp.body_bytes(), br#"{"name":"Ann"}"#);
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: DeserializeOwned> FromRequest for Json<T> {
    type Rejection = Rejection;

    fn from_request(req: &Request<'_>) -> Result<Self, Rejection> {
        match req.header("content-type") {
            Some(ct) if is_json(ct) => {}
            found => {
                return Err(Rejection {
                    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    error: "expected a JSON body".to_owned(),
                    field: Some("content-type".to_owned()),
                    reason: format!(
                        "Content-Type must be application/json, found {}",
                        found.map_or_else(|| "none".to_owned(), |c| format!("{c:?}"))
                    ),
                });
            }
        }
        let mut de = serde_json::Deserializer::from_slice(req.body());
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| Rejection::from_path_error("invalid JSON body", e, None))?;
        de.end()
            .map_err(|e| Rejection::bad_request("invalid JSON body", None, e.to_string()))?;
        Ok(Json(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        Response::new().json(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
