//! A certificate authority made in the test, for Redis over TLS: [`TestCa::new`] makes its key
//! and self-signed certificate (rcgen), [`TestCa::issue`] a server certificate for 127.0.0.1
//! and `localhost`. Nothing is read from or trusted by the system.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A test CA: its certificate in `ca.pem` in its own temporary directory.
#[derive(Debug)]
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
    dir: tempfile::TempDir,
}

/// The files of a server certificate [`TestCa::issue`] wrote: what `redis-server` is given.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM, PKCS #8).
    pub key: PathBuf,
    /// The CA that signed it (PEM): the server's `tls-ca-cert-file`, and what a client trusts.
    pub ca: PathBuf,
}

impl TestCa {
    /// A fresh CA named `name` (its certificate's common name).
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ca.pem"), &pem).expect("write ca.pem");
        Self {
            issuer: Issuer::new(params, key),
            pem,
            dir,
        }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The file holding [`Self::pem`]: what `auth.redis_ca_file` names.
    pub fn file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate for `127.0.0.1` and `localhost` signed by this CA, written with its
    /// key and the CA's certificate into `dir`.
    pub fn issue(&self, dir: &Path) -> TlsFiles {
        self.issue_for(dir, &["127.0.0.1", "localhost"])
    }

    /// A server certificate for `names` (host names or IP addresses) signed by this CA, written
    /// with its key and the CA's certificate into `dir`.
    pub fn issue_for(&self, dir: &Path, names: &[&str]) -> TlsFiles {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "redis test server");
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        let files = TlsFiles {
            cert: dir.join("server.crt"),
            key: dir.join("server.key"),
            ca: dir.join("ca.crt"),
        };
        std::fs::write(&files.cert, cert.pem()).expect("write server.crt");
        std::fs::write(&files.key, key.serialize_pem()).expect("write server.key");
        std::fs::write(&files.ca, &self.pem).expect("write ca.crt");
        files
    }
}
