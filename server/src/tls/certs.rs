//! Per-name server certificates, issued by the [`Ca`] on first use and
//! cached.
//!
//! A TLS client names the host it wants in its ClientHello (SNI). That
//! name gets a certificate when it is one the server answers to:
//! `localhost` and any `*.localhost` name, the container's host name and
//! Docker aliases, and any name whose first label is a loaded service by
//! the rules of Host routing (`example`, `example.localhost`,
//! `Other-Service.test` for `other_service`). Each certificate holds the
//! name and its twin with `-` and `_` swapped. Any other name (and a
//! ClientHello without one) gets the default certificate, for
//! `localhost`, `127.0.0.1` and `::1`, which a client checking the name
//! refuses.

use super::ca::{Ca, set_validity};
use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::{
    crypto::ring::sign::any_supported_type,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Most names whose certificates are kept at once; when full, the cache
/// is emptied and refilled as names come back.
pub const MAX_CACHED: usize = 1024;

/// Whether a server name (lower case) is one the server answers to.
pub type NameCheck = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// Chooses (and issues) the certificate for each handshake.
pub struct Certs {
    ca: Ca,
    ours: NameCheck,
    cache: Mutex<HashMap<String, Arc<CertifiedKey>>>,
    default: Arc<CertifiedKey>,
}

impl std::fmt::Debug for Certs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certs").finish_non_exhaustive()
    }
}

impl Certs {
    /// Certificates signed by `ca` for the names `ours` accepts.
    pub fn new(ca: Ca, ours: NameCheck) -> Result<Certs, String> {
        let default = issue(&ca, &["localhost", "127.0.0.1", "::1"])?;
        Ok(Certs {
            ca,
            ours,
            cache: Mutex::default(),
            default,
        })
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca.pem
    }

    /// The certificate for `name`, from the cache or newly issued; `None`
    /// for a name that is not ours.
    pub fn for_name(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(hit) = crate::sync::lock(&self.cache).get(&name) {
            return Some(hit.clone());
        }
        if !is_local(&name) && !(self.ours)(&name) {
            return None;
        }
        let mut names = vec![name.clone()];
        let twin = if name.contains('_') {
            name.replace('_', "-")
        } else {
            name.replace('-', "_")
        };
        if twin != name {
            names.push(twin);
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let cert = match issue(&self.ca, &names) {
            Ok(cert) => cert,
            Err(e) => {
                tracing::warn!(%name, "cannot issue a certificate: {e}");
                return None;
            }
        };
        let mut cache = crate::sync::lock(&self.cache);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(name, cert.clone());
        Some(cert)
    }

    /// Names with a certificate in the cache now.
    pub fn cached(&self) -> usize {
        crate::sync::lock(&self.cache).len()
    }
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            hello
                .server_name()
                .and_then(|name| self.for_name(name))
                .unwrap_or_else(|| self.default.clone()),
        )
    }
}

/// `localhost` and `*.localhost`, which are always ours.
fn is_local(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

/// A leaf certificate for `names` (DNS names or IP addresses), with a new
/// key.
fn issue(ca: &Ca, names: &[&str]) -> Result<Arc<CertifiedKey>, String> {
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("localhost"),
    );
    for name in names {
        params.subject_alt_names.push(match name.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*name).try_into().map_err(|e| format!("{name:?}: {e}"))?),
        });
    }
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params);
    let cert = params
        .signed_by(&key, &ca.issuer)
        .map_err(|e| e.to_string())?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = any_supported_type(&der).map_err(|e| e.to_string())?;
    Ok(Arc::new(CertifiedKey::new(
        vec![CertificateDer::from(cert.der().to_vec())],
        signing,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certs() -> Certs {
        Certs::new(
            Ca::generate().unwrap(),
            Box::new(|name| name.split('.').next() == Some("example")),
        )
        .unwrap()
    }

    #[test]
    fn local_names_and_accepted_names_get_a_cached_certificate() {
        let certs = certs();
        let a = certs.for_name("Example.localhost").unwrap();
        let b = certs.for_name("example.localhost").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(certs.for_name("example.test").is_some());
        assert!(certs.for_name("localhost").is_some());
        assert_eq!(certs.cached(), 3);
    }

    #[test]
    fn a_name_that_is_not_ours_gets_none() {
        let certs = certs();
        assert!(certs.for_name("elsewhere.test").is_none());
        assert_eq!(certs.cached(), 0);
    }

    #[test]
    fn the_cache_never_holds_more_than_its_cap() {
        let certs = certs();
        for i in 0..MAX_CACHED + 3 {
            certs.for_name(&format!("n{i}.localhost")).unwrap();
        }
        assert!(certs.cached() <= MAX_CACHED);
    }
}
