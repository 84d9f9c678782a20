//! The stubs closest to a request nothing matched, as WireMock ranks them
//! (its `NearMissCalculator`): for the near-miss admin endpoints and the
//! 404 body. Computed only when asked, never while matching.

use super::*;
use crate::matchers::near_miss::closest;
use crate::matchers::{Match, RequestContext};

/// A stub near a request: how far (0..1) and what differs.
pub struct NearMiss {
    pub stub: Arc<Stub>,
    pub distance: f64,
    pub differences: Vec<String>,
}

impl Stubs {
    /// The live stubs closest to `req`, closest first.
    pub fn near_misses(&self, req: &Recorded) -> Vec<NearMiss> {
        let ctx = RequestContext::new(req);
        closest(self.list().into_iter(), |s| s.request.distance(&ctx))
            .into_iter()
            .map(|(stub, distance)| NearMiss {
                differences: stub.request.differences(&ctx),
                stub,
                distance,
            })
            .collect()
    }
}

/// The fields a 404 body gets when there are stubs: `closest` (a line
/// saying what differs from the closest stub) and `nearMisses` (the
/// closest stubs: id, request pattern, distance, what differs).
pub fn not_found_fields(stubs: &Stubs, req: &Recorded) -> Vec<(String, Value)> {
    let misses = stubs.near_misses(req);
    let Some(first) = misses.first() else {
        return Vec::new();
    };
    let closest = (
        "closest".to_owned(),
        Value::String(format!(
            "closest stub {}: {}",
            first.stub.id,
            if first.differences.is_empty() {
                "matches now".to_owned()
            } else {
                first.differences.join("; ")
            }
        )),
    );
    let list = misses
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m.stub.id.to_string(),
                "request": m.stub.json.get("request").cloned().unwrap_or(Value::Null),
                "distance": m.distance,
                "differences": m.differences,
            })
        })
        .collect();
    vec![closest, ("nearMisses".to_owned(), Value::Array(list))]
}
