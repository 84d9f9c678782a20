//! The stubs closest to a request nothing matched, as WireMock ranks them
//! (its `NearMissCalculator`): for the near-miss admin endpoints and the
//! 404 body. Computed only when asked, never while matching.

use super::*;
use crate::matchers::near_miss::closest;
use crate::matchers::{Match, RequestContext};
use crate::scope::Scopes;

/// A stub near a request: how far (0..1) and what differs.
pub struct NearMiss {
    pub stub: Arc<Stub>,
    pub distance: f64,
    pub differences: Vec<String>,
}

impl Stubs {
    /// The live stubs closest to `req`, closest first.
    pub fn near_misses(&self, req: &Recorded) -> Vec<NearMiss> {
        near_misses_among(self.list().into_iter(), req)
    }
}

/// The stubs of `candidates` closest to `req`, closest first.
fn near_misses_among(candidates: impl Iterator<Item = Arc<Stub>>, req: &Recorded) -> Vec<NearMiss> {
    let ctx = RequestContext::new(req);
    closest(candidates, |s| s.request.distance(&ctx))
        .into_iter()
        .map(|(stub, distance)| NearMiss {
            differences: stub.request.differences(&ctx),
            stub,
            distance,
        })
        .collect()
}

/// The fields a 404 body gets when there are stubs: `closest` (a line
/// saying what differs from the closest stub) and `nearMisses` (the
/// closest stubs: id, request pattern, distance, what differs). Only stubs
/// that could answer the request count: unscoped ones and those of its
/// `scopes` (another test's stub is no near miss, and none of its details
/// is shown).
pub fn not_found_fields(stubs: &Stubs, req: &Recorded, scopes: &Scopes) -> Vec<(String, Value)> {
    let candidates = stubs
        .list()
        .into_iter()
        .filter(|s| scopes.admits(s.scope.as_deref()));
    let misses = near_misses_among(candidates, req);
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
