//! Waiting for what happens in the background (a reload, a file watch, a
//! container) without fixed sleeps.

use std::time::{Duration, Instant};

/// Polls `check` every 20 ms until it returns `Ok`, for at most `limit`;
/// panics with `what` and the last `Err` it returned otherwise.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < limit {
        match check().await {
            Ok(v) => return v,
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out after {limit:?} waiting for {what}; last seen: {last}");
}
