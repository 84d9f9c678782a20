//! The certificate authority that signs the per-name certificates: loaded
//! from `--ca-cert`/`--ca-key`, loaded from `--ca-dir` where an earlier
//! start left one, or generated (and then written to `--ca-dir`, so the
//! trust stores of the apps under test stay valid across restarts).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

/// The CA certificate's file name in `--ca-dir`.
pub const CERT_FILE: &str = "ca.pem";
/// The CA key's file name in `--ca-dir` (mode 0600).
pub const KEY_FILE: &str = "ca.key";

/// Where the CA comes from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaSource {
    /// A PEM CA certificate (`--ca-cert`), with `key`.
    pub cert: Option<PathBuf>,
    /// Its PEM private key (`--ca-key`).
    pub key: Option<PathBuf>,
    /// A directory holding `ca.pem` and `ca.key`, created when missing.
    pub dir: Option<PathBuf>,
}

/// A CA able to sign certificates.
pub struct Ca {
    /// Signs leaf certificates.
    pub issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub pem: String,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Ca {
    /// Loads or makes the CA `source` describes; an error names the file
    /// and what is wrong with it.
    pub fn obtain(source: &CaSource) -> Result<Ca, String> {
        let ca = match (&source.cert, &source.key) {
            (Some(cert), Some(key)) => Ca::load(cert, key)?,
            (Some(_), None) | (None, Some(_)) => {
                return Err("--ca-cert and --ca-key go together: give both or neither".into());
            }
            (None, None) => match &source.dir {
                Some(dir) if dir.join(CERT_FILE).exists() || dir.join(KEY_FILE).exists() => {
                    Ca::load(&dir.join(CERT_FILE), &dir.join(KEY_FILE))?
                }
                Some(dir) => {
                    let ca = Ca::generate()?;
                    ca.write_key(dir)?;
                    ca
                }
                None => Ca::generate()?,
            },
        };
        if let Some(dir) = &source.dir {
            write_file(&dir.join(CERT_FILE), ca.pem.as_bytes(), 0o644)?;
        }
        Ok(ca)
    }

    /// A CA from a PEM certificate and its PEM (PKCS#8, SEC1 or PKCS#1)
    /// key.
    pub fn load(cert: &Path, key: &Path) -> Result<Ca, String> {
        let read =
            |p: &Path| fs::read_to_string(p).map_err(|e| format!("CA file {}: {e}", p.display()));
        let (pem, key_pem) = (read(cert)?, read(key)?);
        let key = KeyPair::from_pem(&key_pem).map_err(|e| {
            format!(
                "CA key {}: not a usable PEM private key: {e}",
                key.display()
            )
        })?;
        let issuer = Issuer::from_ca_cert_pem(&pem, key).map_err(|e| {
            format!(
                "CA certificate {}: not a usable PEM certificate: {e}",
                cert.display()
            )
        })?;
        Ok(Ca { issuer, pem })
    }

    /// A new CA (ECDSA P-256, valid from 2020 to 2070).
    pub fn generate() -> Result<Ca, String> {
        let key = KeyPair::generate().map_err(|e| format!("cannot generate a CA key: {e}"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "fake-servicer CA");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "fake-servicer");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params);
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("cannot sign the CA certificate: {e}"))?;
        Ok(Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    fn write_key(&self, dir: &Path) -> Result<(), String> {
        fs::create_dir_all(dir).map_err(|e| format!("--ca-dir {}: {e}", dir.display()))?;
        write_file(
            &dir.join(KEY_FILE),
            self.issuer.key().serialize_pem().as_bytes(),
            0o600,
        )
    }
}

/// The validity of the certificates made here: from 2020 to 2070, so
/// neither a container's clock nor a long-kept `--ca-dir` gets in the way.
pub fn set_validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2070, 1, 1);
}

/// Writes `bytes` to `path` through a temporary file, so a reader never
/// sees half a file.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let err = |e: io::Error| format!("cannot write {}: {e}", path.display());
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err)?;
    f.write_all(bytes).map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_ca_is_kept_in_its_dir_and_loaded_back() {
        let dir = tempfile::tempdir().unwrap();
        let source = CaSource {
            dir: Some(dir.path().join("ca")),
            ..CaSource::default()
        };
        let first = Ca::obtain(&source).unwrap();
        let second = Ca::obtain(&source).unwrap();
        assert_eq!(first.pem, second.pem);
        assert!(first.pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }

    #[test]
    fn a_cert_without_its_key_is_refused() {
        let source = CaSource {
            cert: Some("/nope.pem".into()),
            ..CaSource::default()
        };
        assert!(Ca::obtain(&source).unwrap_err().contains("together"));
    }

    #[test]
    fn an_unreadable_ca_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        fs::write(&cert, "garbage").unwrap();
        fs::write(&key, "garbage").unwrap();
        let e = Ca::load(&cert, &key).unwrap_err();
        assert!(e.contains("k.pem"), "{e}");
    }
}
