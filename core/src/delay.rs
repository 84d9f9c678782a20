//! Delays before an answer: the longest the server carries out, and the
//! fixed or random delays stubs ask for.

use std::time::Duration;

/// The longest wait the server carries out: a delay before answering, or
/// one between two chunks. Stubs, override headers and settings asking for
/// more are refused; a plugin's longer delay, or a drawn random delay, is
/// cut to it.
pub const MAX_DELAY: Duration = Duration::from_secs(600);

/// [`MAX_DELAY`] in milliseconds, as stubs and headers give delays.
pub const MAX_DELAY_MS: u64 = MAX_DELAY.as_secs() * 1000;

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
