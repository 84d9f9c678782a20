//! WireMock's scenarios: a stub may require a scenario state and move it on.

/// A scenario condition and transition.
#[derive(Debug, Clone)]
pub struct ScenarioRule {
    pub name: String,
    pub required: Option<String>,
    pub new_state: Option<String>,
}

/// The state every scenario starts in.
pub const STARTED: &str = "Started";
