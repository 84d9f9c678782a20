//! The CPU budget of one request's heavy work — rendering its templates,
//! ranking near misses for it — as a deadline on the thread doing it.
//! Work that can run long checks [`check`] as it goes and stops once the
//! deadline has passed: the work ends, not merely the wait for it.
//!
//! ```
//! use fake_servicer_core::budget;
//! use std::time::Duration;
//! assert!(budget::within(Duration::from_secs(5), budget::check).is_ok());
//! let late = budget::within(Duration::ZERO, || {
//!     std::thread::sleep(Duration::from_millis(1));
//!     budget::check()
//! });
//! assert!(late.unwrap_err().contains("budget of 0 ms"));
//! // Outside `within`, nothing is late.
//! assert!(budget::check().is_ok());
//! ```

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Default of `--cpu-budget-ms`.
pub const DEFAULT: Duration = Duration::from_secs(1);

thread_local! {
    /// The deadline and the budget of the work running on this thread.
    static DEADLINE: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
}

/// Runs `work` with `budget` from now (the budget in force before is back
/// afterwards).
pub fn within<T>(budget: Duration, work: impl FnOnce() -> T) -> T {
    struct Reset(Option<(Instant, Duration)>);
    impl Drop for Reset {
        fn drop(&mut self) {
            DEADLINE.set(self.0);
        }
    }
    let deadline = Instant::now()
        .checked_add(budget)
        .unwrap_or_else(Instant::now);
    let _reset = Reset(DEADLINE.replace(Some((deadline, budget))));
    work()
}

/// An error naming the budget once the work on this thread is past its
/// deadline.
pub fn check() -> Result<(), String> {
    match DEADLINE.get() {
        Some((deadline, budget)) if Instant::now() > deadline => Err(format!(
            "took longer than its CPU budget of {} ms (--cpu-budget-ms)",
            budget.as_millis()
        )),
        _ => Ok(()),
    }
}
