//! A sanity check of a library's ELF header before `dlopen`: a foreign,
//! wrong-architecture or truncated file gets a clear refusal instead of a
//! cryptic loader error (or a SIGBUS when a truncated mapping is touched).

use thiserror::Error;

/// Why a file is not a loadable library for this machine.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ElfError {
    #[error("not a shared library (no ELF header)")]
    NotElf,
    #[error(
        "a {0} library: this server loads Linux (ELF) libraries; build plugins where the server runs — source mode (--sources, the dev image) or the sdk image"
    )]
    Foreign(&'static str),
    #[error("built for {found}, this server runs on {expected}")]
    WrongArch { found: String, expected: String },
    #[error("not a 64-bit little-endian ELF library")]
    WrongClass,
    #[error("an ELF file but not a shared library (type {0})")]
    NotShared(u16),
    #[error("truncated: {len} bytes, the ELF headers need at least {needed}")]
    Truncated { len: u64, needed: u64 },
}

const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;

#[cfg(target_arch = "x86_64")]
const HOST_MACHINE: u16 = 62;
#[cfg(target_arch = "aarch64")]
const HOST_MACHINE: u16 = 183;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const HOST_MACHINE: u16 = 0;

fn machine_name(m: u16) -> String {
    match m {
        3 => "x86 (32-bit)".into(),
        40 => "arm (32-bit)".into(),
        62 => "x86_64".into(),
        183 => "aarch64".into(),
        243 => "riscv".into(),
        other => format!("machine type {other}"),
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Checks that `bytes` is a complete 64-bit little-endian shared library for
/// this machine's architecture.
pub fn check(bytes: &[u8]) -> Result<(), ElfError> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(match bytes.get(..4) {
            Some(
                [0xcf, 0xfa, 0xed, 0xfe] | [0xce, 0xfa, 0xed, 0xfe] | [0xca, 0xfe, 0xba, 0xbe],
            ) => ElfError::Foreign("macOS (Mach-O)"),
            Some([b'M', b'Z', _, _]) => ElfError::Foreign("Windows (PE)"),
            _ => ElfError::NotElf,
        });
    }
    let len = bytes.len() as u64;
    if bytes.len() < 64 {
        return Err(ElfError::Truncated { len, needed: 64 });
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err(ElfError::WrongClass);
    }
    let machine = u16_at(bytes, 18);
    if HOST_MACHINE != 0 && machine != HOST_MACHINE {
        return Err(ElfError::WrongArch {
            found: machine_name(machine),
            expected: machine_name(HOST_MACHINE),
        });
    }
    let kind = u16_at(bytes, 16);
    if kind != ET_DYN {
        return Err(ElfError::NotShared(kind));
    }
    let phoff = u64_at(bytes, 32);
    let shoff = u64_at(bytes, 40);
    let phentsize = u64::from(u16_at(bytes, 54));
    let phnum = u64::from(u16_at(bytes, 56));
    let shentsize = u64::from(u16_at(bytes, 58));
    let shnum = u64::from(u16_at(bytes, 60));

    let mut needed = phoff.saturating_add(phentsize.saturating_mul(phnum));
    needed = needed.max(shoff.saturating_add(shentsize.saturating_mul(shnum)));
    if needed > len {
        return Err(ElfError::Truncated { len, needed });
    }
    // Every loadable segment must be backed by the file.
    for i in 0..phnum {
        let at = (phoff + i * phentsize) as usize;
        if phentsize < 56 || u32_at(bytes, at) != PT_LOAD {
            continue;
        }
        let offset = u64_at(bytes, at + 8);
        let filesz = u64_at(bytes, at + 32);
        let end = offset.saturating_add(filesz);
        if end > len {
            return Err(ElfError::Truncated { len, needed: end });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_library() -> Vec<u8> {
        // Any shared library of this machine will do: the C library.
        let candidates = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/aarch64-linux-gnu/libc.so.6",
            "/usr/lib/libc.so.6",
            "/lib64/libc.so.6",
        ];
        candidates
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .expect("a libc.so.6 to test with")
    }

    #[test]
    fn accepts_a_real_library() {
        assert_eq!(check(&own_library()), Ok(()));
    }

    #[test]
    fn refuses_text() {
        assert_eq!(check(b"hello, I am not a library"), Err(ElfError::NotElf));
        assert_eq!(check(b""), Err(ElfError::NotElf));
        assert_eq!(
            check(b"\xcf\xfa\xed\xfe rest of a dylib"),
            Err(ElfError::Foreign("macOS (Mach-O)"))
        );
        assert_eq!(
            check(b"MZ\x90\x00 a dll"),
            Err(ElfError::Foreign("Windows (PE)"))
        );
    }

    #[test]
    fn refuses_truncated() {
        let lib = own_library();
        for cut in [10, 63, 64, 4096, lib.len() / 2, lib.len() - 1] {
            let err = check(&lib[..cut]).unwrap_err();
            assert!(
                matches!(err, ElfError::Truncated { .. }),
                "cut {cut}: {err}"
            );
        }
    }

    #[test]
    fn refuses_another_architecture() {
        let mut lib = own_library();
        let other: u16 = if HOST_MACHINE == 183 { 62 } else { 183 };
        lib[18..20].copy_from_slice(&other.to_le_bytes());
        let err = check(&lib).unwrap_err();
        assert!(matches!(err, ElfError::WrongArch { .. }), "{err}");
        assert!(err.to_string().contains("built for"), "{err}");
    }
}
