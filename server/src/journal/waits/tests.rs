use super::*;

#[test]
fn waits_whose_patterns_pass_the_byte_cap_are_refused_until_one_ends() {
    let waiters = Waiters::new(10, Duration::from_secs(1));
    let half = MAX_PATTERN_BYTES / 2;
    let first = waiters.seat(half).expect("room");
    let _second = waiters.seat(half).expect("room");
    assert_eq!(
        waiters.seat(1).err(),
        Some(SeatRefused::PatternBytes(MAX_PATTERN_BYTES))
    );
    drop(first);
    assert!(waiters.seat(half).is_ok());
}
use crate::journal::{AnsweredBy, Outcome, Responded};
use crate::request::Recorded;
use bytes::Bytes;

fn request(path: &str, body: usize) -> Recorded {
    Recorded {
        body: Bytes::from(vec![b'x'; body]),
        ..Recorded::new(http::Method::GET, path)
    }
}

fn outcome() -> Outcome {
    Outcome {
        status: 200,
        response: Responded::default(),
        answered_by: AnsweredBy::Nothing,
        stub: None,
        process_time: Duration::ZERO,
        added_delay: Duration::ZERO,
    }
}

fn record(j: &Journal, path: &str, scope: Option<&str>) {
    record_sized(j, path, scope, 0);
}

fn record_sized(j: &Journal, path: &str, scope: Option<&str>, body: usize) {
    let scopes = scope.map(crate::scope::Scopes::one).unwrap_or_default();
    j.record_scoped(&request(path, body), scopes, outcome(), &[]);
}

/// A matcher of `path` that counts how often it is asked.
fn path_is(path: &'static str, asked: &Arc<AtomicUsize>) -> Matcher {
    let asked = asked.clone();
    Box::new(move |ctx| {
        asked.fetch_add(1, Ordering::Relaxed);
        ctx.req.path == path
    })
}

fn any() -> Matcher {
    Box::new(|_| true)
}

/// A registered wait that has read the journal.
fn started(j: &Journal, scope: Option<&str>, matches: Matcher, wanted: u64) -> Arc<Waiter> {
    let w = j.waiters.register(scope, matches, wanted);
    j.scan(&w);
    w
}

fn count(w: &Waiter) -> u64 {
    lock(&w.tally).count
}

fn listed(w: &Waiter) -> usize {
    lock(&w.tally).listed.len()
}

#[test]
fn a_wait_for_a_million_counts_every_match_and_lists_only_the_oldest_thousand() {
    let j = Journal::new(100_000);
    let w = started(&j, None, any(), 1_000_000);
    for i in 0..3_000 {
        record(&j, &format!("/{i}"), None);
    }
    assert_eq!(count(&w), 3_000);
    let tally = std::mem::take(&mut *lock(&w.tally));
    let paths: Vec<String> = tally
        .listed
        .into_sorted_vec()
        .iter()
        .map(|e| e.path().to_owned())
        .collect();
    assert_eq!(paths.len(), MAX_LISTED);
    assert_eq!(paths.first().map(String::as_str), Some("/0"));
    assert_eq!(paths.last().map(String::as_str), Some("/999"));
}

#[test]
fn each_new_entry_is_checked_once_against_each_wait_and_the_journal_is_read_once() {
    let j = Journal::new(10_000);
    for i in 0..500 {
        record(&j, &format!("/old{i}"), None);
    }
    let asked: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::default()).collect();
    let waits: Vec<Arc<Waiter>> = asked
        .iter()
        .map(|a| started(&j, None, path_is("/hit", a), 1_000))
        .collect();
    for i in 0..200 {
        record(&j, if i % 2 == 0 { "/hit" } else { "/miss" }, None);
    }
    for (w, a) in waits.iter().zip(&asked) {
        assert_eq!(
            a.load(Ordering::Relaxed),
            500 + 200,
            "the scan, then once each"
        );
        assert_eq!(count(w), 100);
    }
}

#[test]
fn entries_recorded_before_the_wait_read_the_journal_are_counted_once() {
    let j = Journal::new(1_000);
    for _ in 0..10 {
        record(&j, "/hit", None);
    }
    let w = j.waiters.register(None, any(), 100);
    // Registered, not read yet: these are the scan's, not news.
    for _ in 0..5 {
        record(&j, "/hit", None);
    }
    assert_eq!(count(&w), 0);
    j.scan(&w);
    assert_eq!(count(&w), 15);
    record(&j, "/hit", None);
    assert_eq!(count(&w), 16);
}

#[test]
fn a_wait_started_while_requests_arrive_counts_each_exactly_once() {
    let j = Arc::new(Journal::new(1_000_000));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (j, stop) = (j.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    record(&j, "/hit", None);
                }
            })
        })
        .collect();
    let recorded = || j.seq.load(Ordering::Relaxed);
    // Started while requests arrive, which go on arriving after.
    while recorded() < 1_000 {
        std::thread::yield_now();
    }
    let w = started(&j, None, any(), u64::MAX);
    let after = recorded() + 1_000;
    while recorded() < after {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a recording thread");
    }
    assert_eq!(count(&w), recorded());
}

#[test]
fn an_entry_whose_news_comes_after_the_wait_read_it_is_not_counted_twice() {
    let j = Journal::new(10);
    record(&j, "/hit", None);
    let w = started(&j, None, any(), 10);
    assert_eq!(count(&w), 1);
    // The news of that entry, late: its recorder was slower than the read.
    let entry = j.all().into_iter().next().expect("the entry");
    j.waiters.deliver(&entry, j.shard_index(entry.seq), 0);
    assert_eq!(count(&w), 1);
    record(&j, "/hit", None);
    assert_eq!(count(&w), 2);
}

#[test]
fn a_scoped_wait_is_never_asked_about_other_scopes_requests() {
    let j = Journal::new(1_000);
    let asked = Arc::new(AtomicUsize::new(0));
    let w = started(&j, Some("mine"), path_is("/hit", &asked), 10);
    for _ in 0..50 {
        record(&j, "/hit", Some("other"));
        record(&j, "/hit", None);
    }
    assert_eq!(asked.load(Ordering::Relaxed), 0);
    record(&j, "/hit", Some("mine"));
    assert_eq!((asked.load(Ordering::Relaxed), count(&w)), (1, 1));
}

#[test]
fn what_waits_list_stays_within_the_budget_and_is_given_back_when_they_end() {
    let budget = 3 * 1024 * 1024;
    let j = Journal::new(1_000).with_waiters(Waiters::with_budget(100, DEFAULT_MAX_WAIT, budget));
    let waits: Vec<Arc<Waiter>> = (0..5).map(|_| started(&j, None, any(), 1_000)).collect();
    for i in 0..20 {
        record_sized(&j, &format!("/{i}"), None, 512 * 1024);
    }
    assert!(
        j.waiters.listed_bytes() <= budget,
        "{}",
        j.waiters.listed_bytes()
    );
    for w in &waits {
        assert_eq!(count(w), 20, "counted past the budget");
        // Each entry is charged once for all five waits.
        assert_eq!(listed(w), 5, "about 3 MiB of 512 KiB entries");
    }
    for w in &waits {
        j.waiters.unregister(w);
    }
    drop(waits);
    assert_eq!(j.waiters.listed_bytes(), 0);
}

#[test]
fn an_entry_dropped_by_the_journal_stays_charged_while_a_wait_lists_it() {
    let j = Journal::new(2);
    let w = started(&j, None, path_is("/first", &Arc::default()), 5);
    record_sized(&j, "/first", None, 1000);
    let charged = j.waiters.listed_bytes();
    assert!(charged > 1000, "{charged}");
    for i in 0..10 {
        record(&j, &format!("/{i}"), None);
    }
    assert!(!j.all().iter().any(|e| e.path() == "/first"));
    assert_eq!(j.waiters.listed_bytes(), charged);
    j.waiters.unregister(&w);
    drop(w);
    assert_eq!(j.waiters.listed_bytes(), 0);
}

#[test]
fn a_finished_wait_is_asked_about_nothing_more() {
    let j = Arc::new(Journal::new(100));
    let asked = Arc::new(AtomicUsize::new(0));
    let w = started(&j, None, path_is("/hit", &asked), 1);
    let wait = Wait {
        journal: j.clone(),
        waiter: w,
    };
    record(&j, "/hit", None);
    let waited = wait.finish();
    assert!(waited.reached);
    assert_eq!((waited.count, waited.listed.len()), (1, 1));
    record(&j, "/hit", None);
    assert_eq!(asked.load(Ordering::Relaxed), 1);
    assert!(!j.waiters.any());
}

#[test]
fn the_near_miss_candidates_are_the_newest_of_the_scope() {
    let j = Journal::new(100);
    for i in 0..30 {
        record(
            &j,
            &format!("/{i}"),
            Some(if i % 3 == 0 { "a" } else { "b" }),
        );
    }
    let newest: Vec<String> = j
        .newest_of(Some("a"), 4)
        .iter()
        .map(|e| e.path().to_owned())
        .collect();
    assert_eq!(newest, ["/27", "/24", "/21", "/18"]);
}
