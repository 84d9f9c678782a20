//! Near misses, as WireMock ranks them: every candidate's distance from
//! matching, the closest [`NEAR_MISS_COUNT`] first.

/// How many near misses WireMock reports.
pub const NEAR_MISS_COUNT: usize = 3;

/// The `NEAR_MISS_COUNT` items with the smallest distance, closest first
/// (ties keep their order). Run within a CPU budget
/// ([`fake_servicer_core::budget`]), it ranks the items it measured before
/// the deadline.
pub fn closest<T>(items: impl Iterator<Item = T>, distance: impl Fn(&T) -> f64) -> Vec<(T, f64)> {
    let mut scored: Vec<(T, f64)> = items
        .take_while(|_| fake_servicer_core::budget::check().is_ok())
        .map(|item| {
            let d = distance(&item);
            (item, d)
        })
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
    scored.truncate(NEAR_MISS_COUNT);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_budget_only_the_items_measured_so_far_are_ranked() {
        let measured = std::cell::Cell::new(0);
        let got = fake_servicer_core::budget::within(std::time::Duration::from_millis(20), || {
            closest(0..1_000_000, |d| {
                measured.set(measured.get() + 1);
                std::thread::sleep(std::time::Duration::from_millis(1));
                f64::from(*d)
            })
        });
        assert_eq!(got.len(), NEAR_MISS_COUNT);
        assert!(measured.get() < 1000, "{} measured", measured.get());
    }

    #[test]
    fn the_three_closest_come_first() {
        let got = closest([0.5, 0.1, 0.9, 0.0, 0.3].into_iter(), |d| *d);
        let d: Vec<f64> = got.iter().map(|(_, d)| *d).collect();
        assert_eq!(d, [0.0, 0.1, 0.3]);
    }
}
