//! Global settings (`/__admin/settings`): WireMock's `fixedDelay`, added to
//! every stub answer; other keys are kept and shown.

use serde_json::{Map, Value};
use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

#[derive(Default)]
pub struct Settings {
    values: Mutex<Map<String, Value>>,
    fixed_delay_ms: AtomicU64,
}

impl Settings {
    /// The settings as JSON.
    pub fn get(&self) -> Value {
        Value::Object(crate::sync::lock(&self.values).clone())
    }

    /// Merges `update` (a JSON object); `fixedDelay` must be a non-negative
    /// integer or null.
    pub fn update(&self, update: &Map<String, Value>) -> Result<Value, String> {
        let delay = match update.get("fixedDelay") {
            None => None,
            Some(Value::Null) => Some(0),
            Some(v) => Some(
                v.as_u64()
                    .filter(|ms| *ms <= crate::plan::MAX_DELAY_MS)
                    .ok_or_else(|| {
                        format!(
                            "fixedDelay: expected milliseconds (a whole number from 0 to {})",
                            crate::plan::MAX_DELAY_MS
                        )
                    })?,
            ),
        };
        let mut values = crate::sync::lock(&self.values);
        for (k, v) in update {
            values.insert(k.clone(), v.clone());
        }
        if let Some(ms) = delay {
            self.fixed_delay_ms.store(ms, Ordering::Relaxed);
        }
        Ok(Value::Object(values.clone()))
    }

    /// The global delay added to stub answers.
    pub fn fixed_delay(&self) -> Duration {
        Duration::from_millis(self.fixed_delay_ms.load(Ordering::Relaxed))
    }
}
