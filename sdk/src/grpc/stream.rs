//! [`Stream`]: the messages of a server-streaming answer, with delays.

use std::time::Duration;

/// The messages a server-streaming handler answers, each sent after its
/// delay.
///
/// [`delay`](Self::delay) holds back the next message (delays add up);
/// a delay after the last message holds back the end of the stream. The
/// server waits out the delays itself: a slow stream holds no thread.
///
/// ```
/// use fake_servicer::grpc::Stream;
/// use std::time::Duration;
///
/// let ticks = Stream::new()
///     .message("first".to_owned())
///     .delay(Duration::from_millis(100))
///     .message("second".to_owned());
/// assert_eq!(ticks.len(), 2);
/// assert_eq!(
///     ticks.iter().map(|(d, m)| (d.as_millis(), m.as_str())).collect::<Vec<_>>(),
///     [(0, "first"), (100, "second")]
/// );
///
/// // Or all at once, from any iterator of messages:
/// let all = Stream::from_iter(["a", "b", "c"].map(String::from));
/// assert_eq!(all.messages().collect::<Vec<_>>(), ["a", "b", "c"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream<T> {
    /// Each message after its delay.
    messages: Vec<(Duration, T)>,
    /// The delay asked for since the last message.
    pending: Duration,
}

impl<T> Default for Stream<T> {
    fn default() -> Self {
        Stream::new()
    }
}

impl<T> Stream<T> {
    /// An empty stream (answered as `OK` with no message).
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    ///
    /// assert!(Stream::<String>::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Stream {
            messages: Vec::new(),
            pending: Duration::ZERO,
        }
    }

    /// Adds a message, sent after the delays asked for since the previous
    /// one.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    ///
    /// let s = Stream::new().message(1u32).message(2u32);
    /// assert_eq!(s.messages().copied().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn message(mut self, message: T) -> Self {
        let delay = std::mem::take(&mut self.pending);
        self.messages.push((delay, message));
        self
    }

    /// Waits `delay` before the next message (or, after the last, before
    /// the stream ends); repeated delays add up.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    /// use std::time::Duration;
    ///
    /// let s = Stream::new()
    ///     .delay(Duration::from_millis(50))
    ///     .delay(Duration::from_millis(25))
    ///     .message(1u32)
    ///     .delay(Duration::from_secs(1));
    /// assert_eq!(s.iter().next().map(|(d, _)| d), Some(Duration::from_millis(75)));
    /// assert_eq!(s.end_delay(), Duration::from_secs(1));
    /// ```
    pub fn delay(mut self, delay: Duration) -> Self {
        self.pending = self.pending.saturating_add(delay);
        self
    }

    /// Each message with the delay before it, in order.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    /// use std::time::Duration;
    ///
    /// let s = Stream::new().delay(Duration::from_millis(5)).message('x');
    /// assert_eq!(s.iter().collect::<Vec<_>>(), [(Duration::from_millis(5), &'x')]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (Duration, &T)> {
        self.messages.iter().map(|(d, m)| (*d, m))
    }

    /// The messages, in order.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    ///
    /// let s = Stream::from_iter([3, 4]);
    /// assert_eq!(s.messages().sum::<i32>(), 7);
    /// ```
    pub fn messages(&self) -> impl Iterator<Item = &T> {
        self.messages.iter().map(|(_, m)| m)
    }

    /// The delay after the last message, before the stream ends.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Stream::from_iter([1]).end_delay(), Duration::ZERO);
    /// ```
    pub fn end_delay(&self) -> Duration {
        self.pending
    }

    /// The number of messages.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    ///
    /// assert_eq!(Stream::from_iter(0..5).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether there is no message.
    ///
    /// ```
    /// use fake_servicer::grpc::Stream;
    ///
    /// assert!(Stream::from_iter(Vec::<u8>::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The parts [`server_stream`](super::server_stream) sends.
    pub(crate) fn into_parts(self) -> (Vec<(Duration, T)>, Duration) {
        (self.messages, self.pending)
    }
}

/// Every message at once, with no delay (`Stream::from_iter(…)` or
/// `.collect::<Stream<_>>()`).
///
/// ```
/// use fake_servicer::grpc::Stream;
///
/// let s: Stream<String> = (1..=3).map(|i| format!("#{i}")).collect();
/// assert_eq!(s.len(), 3);
/// ```
impl<T> FromIterator<T> for Stream<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Stream {
            messages: iter.into_iter().map(|m| (Duration::ZERO, m)).collect(),
            pending: Duration::ZERO,
        }
    }
}

/// More messages, each sent right after the previous one (the first after
/// any pending delay).
///
/// ```
/// use fake_servicer::grpc::Stream;
///
/// let mut s = Stream::new().message(1);
/// s.extend([2, 3]);
/// assert_eq!(s.len(), 3);
/// ```
impl<T> Extend<T> for Stream<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for m in iter {
            let delay = std::mem::take(&mut self.pending);
            self.messages.push((delay, m));
        }
    }
}
