//! The text of a journal entry in one allocation: the request's path,
//! query and headers, and the headers of the answer.
//!
//! An entry is written once and read rarely (by admin calls), while the
//! journal drops the entry of `--journal-size` requests ago on every
//! request. Kept as a header map, strings and lists, that dropped entry was
//! about nine pieces of memory untouched since it was written, each a
//! cache miss to free; packed, its text is one piece, and the journal takes
//! a third of the memory. Readers unpack what they read.
//!
//! ```text
//! answer-at:u32 | path | query | request headers | answer headers
//! text:         len:u32, bytes          (query: len u32::MAX when absent)
//! headers:      count:u32, then per header: name (text), sensitive:u8, value (text)
//! ```

use http::{HeaderMap, HeaderName, HeaderValue};

/// No query: the length written in its place.
const NONE: u32 = u32::MAX;

/// A journal entry's text, packed (see the module docs).
pub struct Text(Box<[u8]>);

impl Text {
    /// `path`, `query`, the request's `headers` and those of the `answer`,
    /// in one allocation of the exact size.
    pub fn pack(
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        answer: &[(HeaderName, HeaderValue)],
    ) -> Text {
        let list = |pairs: &mut dyn Iterator<Item = (&HeaderName, &HeaderValue)>| {
            4 + pairs
                .map(|(n, v)| 4 + n.as_str().len() + 1 + 4 + v.len())
                .sum::<usize>()
        };
        let request_part = 4 + 4 + path.len() + 4 + query.map_or(0, str::len);
        let request_list = list(&mut headers.iter());
        let size = request_part + request_list + list(&mut answer.iter().map(|(n, v)| (n, v)));
        let mut buf = Vec::with_capacity(size);
        put_len(&mut buf, request_part + request_list);
        put(&mut buf, path.as_bytes());
        match query {
            Some(q) => put(&mut buf, q.as_bytes()),
            None => buf.extend_from_slice(&NONE.to_le_bytes()),
        }
        put_list(&mut buf, headers.len(), headers.iter());
        put_list(&mut buf, answer.len(), answer.iter().map(|(n, v)| (n, v)));
        debug_assert_eq!(buf.len(), size);
        Text(buf.into_boxed_slice())
    }

    /// Where it starts, and bytes it takes.
    pub fn span(&self) -> (*const u8, usize) {
        (self.0.as_ptr(), self.0.len())
    }

    /// Bytes it takes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The path as received.
    pub fn path(&self) -> &str {
        text(self.after_start().text())
    }

    /// The raw query string, if the request had one.
    pub fn query(&self) -> Option<&str> {
        let mut r = self.after_start();
        r.text();
        r.optional_text().map(text)
    }

    /// The request's headers, in a map of their own.
    pub fn request_headers(&self) -> HeaderMap {
        let mut r = self.after_start();
        r.text();
        r.optional_text();
        let list = Headers::read(r);
        let mut map = HeaderMap::with_capacity(list.left as usize);
        for (name, value, sensitive) in list {
            if let (Ok(name), Ok(mut value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                value.set_sensitive(sensitive);
                map.append(name, value);
            }
        }
        map
    }

    /// The answer's headers, in the order they were sent.
    pub fn answer_headers(&self) -> Headers<'_> {
        let mut r = Reader(&self.0);
        let at = r.u32() as usize;
        Headers::read(Reader(self.0.get(at..).unwrap_or_default()))
    }

    fn after_start(&self) -> Reader<'_> {
        let mut r = Reader(&self.0);
        r.u32();
        r
    }
}

/// A packed header list: name, value and whether the value is sensitive.
pub struct Headers<'a> {
    r: Reader<'a>,
    left: u32,
}

impl<'a> Headers<'a> {
    fn read(mut r: Reader<'a>) -> Headers<'a> {
        let left = r.u32();
        Headers { r, left }
    }
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a [u8], &'a [u8], bool);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.r.0.is_empty() {
            return None;
        }
        self.left -= 1;
        let name = self.r.text();
        let sensitive = self.r.u8() != 0;
        let value = self.r.text();
        Some((name, value, sensitive))
    }
}

fn put_len(buf: &mut Vec<u8>, len: usize) {
    // Shorter than the limits on what a request can carry by far.
    let len = u32::try_from(len).unwrap_or(NONE - 1);
    buf.extend_from_slice(&len.to_le_bytes());
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    let bytes = &bytes[..bytes.len().min((NONE - 1) as usize)];
    put_len(buf, bytes.len());
    buf.extend_from_slice(bytes);
}

fn put_list<'a>(
    buf: &mut Vec<u8>,
    count: usize,
    pairs: impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)>,
) {
    put_len(buf, count);
    for (name, value) in pairs {
        put(buf, name.as_str().as_bytes());
        buf.push(u8::from(value.is_sensitive()));
        put(buf, value.as_bytes());
    }
}

/// Text that was a `str` when packed.
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Reads packed fields front to back; past the end, everything is empty.
#[derive(Clone, Copy)]
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> u32 {
        match self.0.split_first_chunk::<4>() {
            Some((n, rest)) => {
                self.0 = rest;
                u32::from_le_bytes(*n)
            }
            None => {
                self.0 = &[];
                0
            }
        }
    }

    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (b, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        b
    }

    fn text(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.bytes(n)
    }

    fn optional_text(&mut self) -> Option<&'a [u8]> {
        match self.u32() {
            NONE => None,
            n => Some(self.bytes(n as usize)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::map as headers;

    #[test]
    fn a_packed_request_and_answer_read_back_the_same() {
        let mut sent = headers(&[("x-a", "1"), ("accept", "a"), ("x-a", "2")]);
        let mut secret = HeaderValue::from_static("Bearer t");
        secret.set_sensitive(true);
        sent.append(http::header::AUTHORIZATION, secret);
        let answer = vec![
            (
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain"),
            ),
            (
                HeaderName::from_static("x-b"),
                HeaderValue::from_bytes(b"caf\xc3\xa9 \xff").unwrap(),
            ),
        ];
        let t = Text::pack("/shop/é%20", Some("a=1&b"), &sent, &answer);
        assert_eq!(t.path(), "/shop/é%20");
        assert_eq!(t.query(), Some("a=1&b"));
        let back = t.request_headers();
        assert_eq!(back, sent);
        assert!(back.get("authorization").unwrap().is_sensitive());
        assert!(!back.get("accept").unwrap().is_sensitive());
        let answered: Vec<(&[u8], &[u8])> = t.answer_headers().map(|(n, v, _)| (n, v)).collect();
        let expected: Vec<(&[u8], &[u8])> = answer
            .iter()
            .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
            .collect();
        assert_eq!(answered, expected);
        assert_eq!(t.len(), t.0.len());
    }

    #[test]
    fn no_query_and_an_empty_query_stay_apart() {
        let none = Text::pack("/", None, &HeaderMap::new(), &[]);
        let empty = Text::pack("/", Some(""), &HeaderMap::new(), &[]);
        assert_eq!(none.query(), None);
        assert_eq!(empty.query(), Some(""));
        assert!(none.request_headers().is_empty());
        assert_eq!(none.answer_headers().count(), 0);
    }

    #[test]
    fn a_packed_text_takes_one_allocation_of_its_exact_size() {
        let sent = headers(&[("host", "example"), ("x-long", &"v".repeat(300))]);
        let t = Text::pack("/p", Some("q"), &sent, &[]);
        let exact = 4 + (4 + 2) + (4 + 1) + 4 + (4 + 4 + 1 + 4 + 7) + (4 + 6 + 1 + 4 + 300) + 4;
        assert_eq!(t.len(), exact);
    }

    #[test]
    fn a_cut_short_text_reads_as_empty_without_panicking() {
        let sent = headers(&[("x-a", "1")]);
        let whole = Text::pack("/path", Some("q"), &sent, &[]);
        for cut in 0..whole.0.len() {
            let t = Text(whole.0[..cut].into());
            let _ = (t.path(), t.query(), t.request_headers());
            let _ = t.answer_headers().count();
        }
    }
}
