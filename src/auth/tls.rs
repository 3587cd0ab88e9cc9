//! TLS for every connection of a run (Keystone and the image endpoint): extra CA certificates
//! (`--cacert`), a client certificate and key (`--cert`/`--key`), or no verification at all
//! (`--insecure`, reported in every report). The HTTP client is reqwest with rustls, which
//! takes a PEM client identity (certificate chain + PKCS#8, PKCS#1 or SEC1 key).

use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub insecure: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} {path}: {reason}")]
    Read {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("{what} {path} is not usable PEM: {reason}")]
    Pem {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error("a client key (--key) needs a client certificate (--cert)")]
    KeyWithoutCert,
}

/// What the reports say when verification is off.
pub const INSECURE_WARNING: &str = "TLS certificate verification is OFF (--insecure): neither the \
     image endpoint nor Keystone proved who it is; this run certifies nothing about transport security";

impl TlsSettings {
    /// Applies the settings to a client under construction.
    pub fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, TlsError> {
        if let Some(path) = &self.cacert {
            let pem = read("CA certificate file", path)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| TlsError::Pem {
                what: "CA certificate file",
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            if certs.is_empty() {
                return Err(TlsError::Pem {
                    what: "CA certificate file",
                    path: path.display().to_string(),
                    reason: "no CERTIFICATE block".into(),
                });
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        match (&self.cert, &self.key) {
            (Some(cert), key) => {
                let mut pem = read("client certificate", cert)?;
                if let Some(k) = key {
                    pem.push(b'\n');
                    pem.extend(read("client key", k)?);
                }
                let identity = reqwest::Identity::from_pem(&pem).map_err(|e| TlsError::Pem {
                    what: "client certificate and key",
                    path: cert.display().to_string(),
                    reason: e.to_string(),
                })?;
                builder = builder.identity(identity);
            }
            (None, Some(_)) => return Err(TlsError::KeyWithoutCert),
            (None, None) => {}
        }
        if self.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        Ok(builder)
    }
}

fn read(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        what,
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}
