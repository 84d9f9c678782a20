//! Near misses, as WireMock ranks them: every candidate's distance from
//! matching, the closest [`NEAR_MISS_COUNT`] first.

/// How many near misses WireMock reports.
pub const NEAR_MISS_COUNT: usize = 3;

/// The `NEAR_MISS_COUNT` items with the smallest distance, closest first
/// (ties keep their order).
pub fn closest<T>(items: impl Iterator<Item = T>, distance: impl Fn(&T) -> f64) -> Vec<(T, f64)> {
    let mut scored: Vec<(T, f64)> = items
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
    fn the_three_closest_come_first() {
        let got = closest([0.5, 0.1, 0.9, 0.0, 0.3].into_iter(), |d| *d);
        let d: Vec<f64> = got.iter().map(|(_, d)| *d).collect();
        assert_eq!(d, [0.0, 0.1, 0.3]);
    }
}
