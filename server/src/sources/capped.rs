//! A build's output kept within a cap: its head and its tail, and a count
//! of what was left out between them. A build script may write hundreds of
//! megabytes; the errors worth reading are near the start (the first
//! error) and near the end (the last one, cargo's summary).

use std::{collections::VecDeque, fmt::Write as _};

/// Most bytes kept of the start of a build's output (cargo's stderr, or
/// the compiler's rendered errors).
pub const HEAD_BYTES: usize = 64 * 1024;

/// Most bytes kept of the end of a build's output, after its head.
pub const TAIL_BYTES: usize = 64 * 1024;

/// Bytes as they were written, at most `head_cap` of the start and
/// `tail_cap` of the end.
#[derive(Debug)]
pub struct Capped {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    /// Bytes written between the head and the tail, dropped.
    left_out: u64,
}

impl Default for Capped {
    fn default() -> Capped {
        Capped::new(HEAD_BYTES, TAIL_BYTES)
    }
}

impl Capped {
    /// Keeps at most `head_cap` bytes of the start and `tail_cap` of the
    /// end.
    pub fn new(head_cap: usize, tail_cap: usize) -> Capped {
        Capped {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_cap,
            tail_cap,
            left_out: 0,
        }
    }

    /// Appends `bytes`.
    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = self.head_cap.saturating_sub(self.head.len());
        if room > 0 {
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.head.extend_from_slice(now);
            bytes = rest;
        }
        if bytes.len() >= self.tail_cap {
            // The whole tail is replaced.
            let keep = bytes.len() - self.tail_cap;
            self.left_out += (self.tail.len() + keep) as u64;
            self.tail.clear();
            self.tail.extend(&bytes[keep..]);
            return;
        }
        self.tail.extend(bytes);
        let over = self.tail.len().saturating_sub(self.tail_cap);
        if over > 0 {
            self.tail.drain(..over);
            self.left_out += over as u64;
        }
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.head.is_empty()
    }

    /// Bytes written in all.
    #[cfg(test)]
    pub fn written(&self) -> u64 {
        (self.head.len() + self.tail.len()) as u64 + self.left_out
    }

    /// What was kept as text (lossy UTF-8), saying how many bytes were left
    /// out, trimmed; a character the cap cut in two is left out whole.
    pub fn text(&self) -> String {
        if self.left_out == 0 {
            let mut all = self.head.clone();
            all.extend(&self.tail);
            return String::from_utf8_lossy(&all).trim().to_owned();
        }
        let (tail_a, tail_b) = self.tail.as_slices();
        let mut tail = Vec::with_capacity(self.tail.len());
        tail.extend_from_slice(tail_a);
        tail.extend_from_slice(tail_b);
        let cut_head = partial_char_at_end(&self.head);
        let cut_tail = partial_char_at_start(&tail);
        let head = &self.head[..self.head.len() - cut_head];
        let tail = &tail[cut_tail..];
        let left_out = self.left_out + (cut_head + cut_tail) as u64;
        let mut text = String::from_utf8_lossy(head).trim_start().to_owned();
        let _ = write!(text, "\n… {left_out} bytes left out …\n");
        text.push_str(String::from_utf8_lossy(tail).trim_end());
        text
    }
}

/// How many bytes at the end of `bytes` are the start of a UTF-8 character
/// whose other bytes are not there.
fn partial_char_at_end(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let b = bytes[bytes.len() - back];
        if b & 0xC0 == 0x80 {
            // A continuation byte: its lead is further back.
            continue;
        }
        let len = match b {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if len > back { back } else { 0 };
    }
    0
}

/// How many bytes at the start of `bytes` continue a UTF-8 character whose
/// start is not there.
fn partial_char_at_start(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(3)
        .take_while(|b| *b & 0xC0 == 0x80)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_within_the_cap_is_kept_whole() {
        let mut c = Capped::new(8, 8);
        c.push(b"  hello ");
        c.push(b"world\n");
        assert_eq!(c.text(), "hello world");
        assert_eq!(c.written(), 14);
    }

    #[test]
    fn output_past_the_cap_keeps_its_head_and_tail_and_counts_the_rest() {
        let mut c = Capped::new(4, 4);
        c.push(b"HEAD");
        for _ in 0..1000 {
            c.push(b"xyz");
        }
        c.push(b"TAIL");
        assert_eq!(c.text(), "HEAD\n… 3000 bytes left out …\nTAIL");
        assert_eq!(c.written(), 3008);
    }

    #[test]
    fn one_write_larger_than_both_caps_keeps_its_own_head_and_tail() {
        let mut c = Capped::new(2, 3);
        c.push(b"ab0123456789xyz");
        assert_eq!(c.text(), "ab\n… 10 bytes left out …\nxyz");
    }

    #[test]
    fn a_character_cut_by_the_cap_is_left_out_whole() {
        // The head ends in the first byte of "é" (two bytes), the tail
        // starts with the last of "…" (three).
        let mut c = Capped::new(2, 4);
        c.push("aé…zé".as_bytes());
        let text = c.text();
        assert!(!text.contains('\u{FFFD}'), "{text}");
        assert_eq!(text, "a\n… 5 bytes left out …\nzé");
    }
}
