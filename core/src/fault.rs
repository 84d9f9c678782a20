//! Connection faults a plan can ask for (WireMock's names), as the server's
//! own type: plugins hand over an [`FfiFault`], converted once in
//! the server's plans; stubs and override headers name one. Every list of
//! names and every error message is built from [`Fault::ALL`].

use fake_servicer::abi::FfiFault;
use std::fmt;

/// A deliberate failure of the connection instead of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Reset the TCP connection (RST) without answering.
    ConnectionResetByPeer = 1,
    /// Close the connection without sending a byte.
    EmptyResponse = 2,
    /// Send a 200 status line and chunked-encoding head, then garbage, then
    /// close.
    MalformedResponseChunk = 3,
    /// Send random bytes, then close.
    RandomDataThenClose = 4,
}

/// A fault name that is none of [`Fault::ALL`]; its message lists them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?} (one of {names})", names = Fault::names())]
pub struct UnknownFault(pub String);

impl Fault {
    /// Every fault, in the order error messages list them.
    pub const ALL: [Fault; 4] = [
        Fault::ConnectionResetByPeer,
        Fault::EmptyResponse,
        Fault::MalformedResponseChunk,
        Fault::RandomDataThenClose,
    ];

    /// WireMock's name (`CONNECTION_RESET_BY_PEER`, …).
    pub fn name(self) -> &'static str {
        match self {
            Fault::ConnectionResetByPeer => "CONNECTION_RESET_BY_PEER",
            Fault::EmptyResponse => "EMPTY_RESPONSE",
            Fault::MalformedResponseChunk => "MALFORMED_RESPONSE_CHUNK",
            Fault::RandomDataThenClose => "RANDOM_DATA_THEN_CLOSE",
        }
    }

    /// The names of every fault, comma-separated.
    pub fn names() -> String {
        Fault::ALL.map(Fault::name).join(", ")
    }

    /// Parses a WireMock fault name (any case).
    pub fn from_name(name: &str) -> Result<Fault, UnknownFault> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownFault(name.to_owned()))
    }

    /// The fault a plugin asked for (`None` for [`FfiFault::None`]).
    pub fn from_ffi(ffi: FfiFault) -> Option<Fault> {
        match ffi {
            FfiFault::None => None,
            FfiFault::ConnectionResetByPeer => Some(Fault::ConnectionResetByPeer),
            FfiFault::EmptyResponse => Some(Fault::EmptyResponse),
            FfiFault::MalformedResponseChunk => Some(Fault::MalformedResponseChunk),
            FfiFault::RandomDataThenClose => Some(Fault::RandomDataThenClose),
        }
    }

    /// The fault stored as `code` (see [`Fault::code`]); 0 and unknown
    /// codes are none.
    pub fn from_code(code: u8) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.code() == code)
    }

    /// A non-zero byte standing for this fault (for an atomic slot).
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_any_case() {
        for fault in Fault::ALL {
            assert_eq!(Fault::from_name(fault.name()), Ok(fault));
            assert_eq!(Fault::from_name(&fault.name().to_lowercase()), Ok(fault));
            assert_eq!(Fault::from_code(fault.code()), Some(fault));
        }
        assert_eq!(Fault::from_code(0), None);
    }

    #[test]
    fn an_unknown_name_lists_every_fault() {
        let err = Fault::from_name("BOOM").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown fault \"BOOM\" (one of CONNECTION_RESET_BY_PEER, EMPTY_RESPONSE, MALFORMED_RESPONSE_CHUNK, RANDOM_DATA_THEN_CLOSE)"
        );
    }

    #[test]
    fn every_ffi_fault_converts_to_the_fault_of_the_same_name() {
        assert_eq!(Fault::from_ffi(FfiFault::None), None);
        for (name, ffi) in FfiFault::NAMES {
            assert_eq!(Fault::from_ffi(ffi).map(Fault::name), Some(name));
        }
    }
}
