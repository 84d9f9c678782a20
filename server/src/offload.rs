//! Heavy work of one request — rendering a template, ranking near misses —
//! off the async workers: on the blocking pool, one job fewer than there
//! are cores at once, at least one (the others wait without holding a
//! worker), each within the
//! CPU budget (`--cpu-budget-ms`, see [`fake_servicer_core::budget`]).
//! The async workers stay free for every other request, the health
//! endpoint among them.

use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Jobs running at once: a core is left to the async workers (on more
/// than one), so that jobs near their budget never starve them.
static RUNNING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Semaphore::new(cores.saturating_sub(1).max(1))
});

/// Runs `job` on the blocking pool within `budget`; `Err` (a message) when
/// it panicked or the server is stopping.
pub async fn run<T: Send + 'static>(
    budget: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    run_whole(move || fake_servicer_core::budget::within(budget, job)).await
}

/// [`run`] without a budget, for work whose result must be whole (a wait
/// reading the journal once: a partial count would be wrong) and that is
/// bounded otherwise.
pub async fn run_whole<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let permit = RUNNING
        .acquire()
        .await
        .map_err(|_| "the server is stopping".to_owned())?;
    let done = tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| format!("the work stopped: {e}"));
    drop(permit);
    done
}
