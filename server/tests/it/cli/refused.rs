//! Libraries the binary will not take as they are: two for one service, one needing a newer glibc.

use super::{run_plugins_logged, versioned_builds};
use testkit::Http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_libraries_claiming_one_service_are_logged_as_a_conflict() {
    let (v1, v2) = versioned_builds();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(v1, dir.path().join("libversioned.so")).unwrap();
    std::fs::copy(v2, dir.path().join("libversioned_again.so")).unwrap();
    let server = run_plugins_logged(dir.path());
    let log = server
        .log_eventually(&["several libraries provide this service"])
        .await;
    let line = log
        .lines()
        .find(|l| l.contains("several libraries provide this service"))
        .unwrap();
    assert!(
        line.contains("versioned")
            && line.contains("libversioned.so")
            && line.contains("libversioned_again.so"),
        "the warning names the service and both files: {line}"
    );
}

/// `lib` with its highest `GLIBC_2.*` version need renamed to a newer
/// version of the same length (`GLIBC_2.34` → `GLIBC_2.99`) and the need's
/// ELF hash updated: what a library linked on a newer glibc requires.
/// Returns the bytes and the version now needed.
fn needing_newer_glibc(lib: &[u8]) -> (Vec<u8>, String) {
    let u16_at = |at: usize| u16::from_le_bytes(lib[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(lib[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(lib[at..at + 8].try_into().unwrap()) as usize;
    let c_str = |at: usize| {
        let end = lib[at..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8_lossy(&lib[at..at + end]).into_owned()
    };
    let (shoff, shentsize, shnum) = (u64_at(40), u16_at(58), u16_at(60));
    let section = |i: usize| shoff + i * shentsize;
    const SHT_GNU_VERNEED: usize = 0x6fff_fffe;
    let verneed = (0..shnum)
        .map(section)
        .find(|&s| u32_at(s + 4) == SHT_GNU_VERNEED)
        .expect("a .gnu.version_r section");
    let dynstr = u64_at(section(u32_at(verneed + 40)) + 24);

    // Every version need: (offset of the vernaux entry, name offset, name).
    let mut needs = Vec::new();
    let mut need = u64_at(verneed + 24);
    for _ in 0..u32_at(verneed + 44) {
        let mut aux = need + u32_at(need + 8);
        for _ in 0..u16_at(need + 2) {
            let name_at = dynstr + u32_at(aux + 8);
            needs.push((aux, name_at, c_str(name_at)));
            aux += u32_at(aux + 12);
        }
        need += u32_at(need + 12);
    }
    let minor = |name: &str| -> Vec<u32> {
        name.trim_start_matches("GLIBC_2.")
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let (_, name_at, old) = needs
        .iter()
        .filter(|(_, _, n)| n.starts_with("GLIBC_2."))
        .max_by_key(|(_, _, n)| minor(n))
        .expect("a GLIBC_2.* version need")
        .clone();
    let new = format!("GLIBC_2.{}", "9".repeat(old.len() - "GLIBC_2.".len()));
    let elf_hash = |name: &str| {
        let mut h: u32 = 0;
        for &c in name.as_bytes() {
            h = (h << 4).wrapping_add(u32::from(c));
            let g = h & 0xf000_0000;
            if g != 0 {
                h ^= g >> 24;
            }
            h &= !g;
        }
        h
    };
    let mut out = lib.to_vec();
    out[name_at..name_at + new.len()].copy_from_slice(new.as_bytes());
    for (aux, at, _) in &needs {
        if *at == name_at {
            out[*aux..*aux + 4].copy_from_slice(&elf_hash(&new).to_le_bytes());
        }
    }
    (out, new)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_needing_a_newer_glibc_is_refused_saying_so() {
    let (v1, _) = versioned_builds();
    let (patched, needed) = needing_newer_glibc(&std::fs::read(v1).unwrap());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("libnewer_glibc.so"), patched).unwrap();
    let server = run_plugins_logged(dir.path());
    let all = Http::new()
        .get(&format!("{}/__admin/services", server.running.url))
        .await
        .json();
    assert_eq!(all["services"], serde_json::json!([]), "{all}");
    let refusal = all["refused"][0]["error"].as_str().unwrap_or_default();
    assert!(
        all["refused"][0]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("libnewer_glibc.so"))
            && refusal.contains(&format!("version `{needed}' not found")),
        "the refusal names the glibc version needed: {all}"
    );
    let log = server.log_eventually(&["libnewer_glibc.so", &needed]).await;
    assert!(
        log.lines()
            .any(|l| l.contains("refused") && l.contains(&needed)),
        "{log}"
    );
}
