//! Certificate fixtures and TLS client helpers.
//!
//! Certificates are generated at run time with rcgen (nothing is committed):
//! a [`TestCa`] issues leaf certificates for DNS names, wildcard names and IP
//! addresses, including deliberately broken ones (expired, not yet valid, key
//! not matching) for the gateway's validation tests.
//!
//! The client side builds rustls configurations that trust only one test CA
//! (or nothing, see [`insecure_client_config`]) and [`tls_probe`] reports what
//! the server presented for a given SNI: negotiated ALPN, protocol version
//! and the leaf certificate's names, so tests can tell which certificate the
//! gateway's SNI selection picked.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// ALPN protocol id for HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// ALPN protocol id for HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Install aws-lc-rs as the process-wide rustls provider. Safe to call any
/// number of times; losing the race to another installer is fine. Needed
/// because ring is in the dependency graph too, and rustls refuses to pick
/// a default when both are compiled in.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The provider every config in this module is built with (explicitly, so
/// the helpers work whatever the process default is).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// When a certificate is valid.
#[derive(Clone, Copy, Debug)]
pub struct Validity {
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl Validity {
    /// Valid from an hour ago (tolerates clock skew) for `d` from now.
    pub fn for_duration(d: Duration) -> Self {
        let now = SystemTime::now();
        Self {
            not_before: now - Duration::from_secs(3600),
            not_after: now + d,
        }
    }

    /// Valid for `n` days from now.
    pub fn days(n: u64) -> Self {
        Self::for_duration(Duration::from_secs(n * 86_400))
    }

    /// Expired yesterday (was valid for the 30 days before).
    pub fn expired() -> Self {
        let now = SystemTime::now();
        Self {
            not_before: now - Duration::from_secs(31 * 86_400),
            not_after: now - Duration::from_secs(86_400),
        }
    }

    /// Becomes valid tomorrow.
    pub fn not_yet_valid() -> Self {
        let now = SystemTime::now();
        Self {
            not_before: now + Duration::from_secs(86_400),
            not_after: now + Duration::from_secs(31 * 86_400),
        }
    }
}

impl Default for Validity {
    fn default() -> Self {
        Self::days(30)
    }
}

/// Apply a [`Validity`] to rcgen parameters. rcgen takes `time`'s
/// `OffsetDateTime`; going through the epoch avoids a direct dependency on
/// the `time` crate just for "now".
fn set_validity(params: &mut CertificateParams, v: Validity) {
    let at = |t: SystemTime| date_time_ymd(1970, 1, 1) + t.duration_since(UNIX_EPOCH).unwrap();
    params.not_before = at(v.not_before);
    params.not_after = at(v.not_after);
}

/// A test certificate authority (self-signed root).
pub struct TestCa {
    name: String,
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
}

impl TestCa {
    /// A new CA whose subject is `CN=<name>`, valid for ten years.
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Weir tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        set_validity(&mut params, Validity::days(3650));
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self {
            name: name.to_owned(),
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA's common name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CA certificate (PEM), for trust stores.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate (DER).
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// Issue a server certificate for `names`: DNS names (`a.example.com`),
    /// wildcards (`*.wild.example.com`) and IP addresses (`127.0.0.1`,
    /// which become IP SANs). The subject CN is the first name. A fresh
    /// P-256 key is generated for every certificate, so re-issuing the same
    /// names gives a distinguishable certificate (serial and key differ).
    pub fn issue(&self, names: &[&str], validity: Validity) -> IssuedCert {
        let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        set_validity(&mut params, validity);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        IssuedCert {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_pem: key.serialize_pem(),
            ca_pem: self.cert_pem.clone(),
        }
    }

    /// [`issue`](Self::issue) with the default validity (30 days).
    pub fn issue_valid(&self, names: &[&str]) -> IssuedCert {
        self.issue(names, Validity::default())
    }
}

/// A leaf certificate, its private key and the CA that signed it.
#[derive(Clone, Debug)]
pub struct IssuedCert {
    /// The names it was issued for, as given.
    pub names: Vec<String>,
    /// The leaf certificate alone (PEM).
    pub cert_pem: String,
    /// The leaf certificate (DER), to compare with what a server presented.
    pub cert_der: CertificateDer<'static>,
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub key_pem: String,
    /// The issuing CA's certificate (PEM).
    pub ca_pem: String,
}

impl IssuedCert {
    /// Leaf followed by the CA certificate, the usual "full chain" file.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.ca_pem)
    }

    /// This certificate paired with `other`'s private key: a chain/key pair
    /// that does not match, for validation tests.
    pub fn with_key_of(&self, other: &IssuedCert) -> IssuedCert {
        IssuedCert {
            key_pem: other.key_pem.clone(),
            ..self.clone()
        }
    }

    /// The leaf certificate chain as rustls wants it (leaf only: the
    /// client trusts the CA directly).
    pub fn cert_chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.cert_der.clone()]
    }

    /// The private key as rustls wants it.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap()
    }
}

/// A rustls server configuration presenting `cert` and offering `alpn`
/// (in preference order). TLS 1.2 and 1.3.
pub fn server_config(cert: &IssuedCert, alpn: &[&[u8]]) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(cert.cert_chain(), cert.private_key())
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Parse every certificate in a PEM bundle.
pub fn parse_certs_pem(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// A client configuration that trusts only the CA certificates in `ca_pem`
/// and offers `alpn` (empty: no ALPN extension).
pub fn client_config(ca_pem: &str, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    Arc::new(client_config_builder(ca_pem, alpn))
}

/// As [`client_config`] but without sending SNI, to see a server's default
/// certificate. rustls still verifies the certificate against the name
/// passed to [`tls_connect`].
pub fn client_config_no_sni(ca_pem: &str, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut config = client_config_builder(ca_pem, alpn);
    config.enable_sni = false;
    Arc::new(config)
}

fn client_config_builder(ca_pem: &str, alpn: &[&[u8]]) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    for cert in parse_certs_pem(ca_pem) {
        roots.add(cert).unwrap();
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// A client configuration that accepts any server certificate (still
/// checking the handshake signatures), for looking at what a server
/// presents whatever it is: expired certificates, the default certificate
/// for an unknown name, a certificate from an unknown CA. `sni` controls
/// whether the server name is sent.
pub fn insecure_client_config(alpn: &[&[u8]], sni: bool) -> Arc<ClientConfig> {
    let provider = provider();
    let mut config = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config.enable_sni = sni;
    Arc::new(config)
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Open a TLS connection to `addr`, sending `server_name` as SNI (unless the
/// config disables SNI) and verifying the certificate against it. The name
/// may be a DNS name or an IP address.
pub async fn tls_connect(
    addr: SocketAddr,
    server_name: &str,
    config: Arc<ClientConfig>,
) -> io::Result<TlsStream<TcpStream>> {
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let tcp = TcpStream::connect(addr).await?;
    TlsConnector::from(config).connect(name, tcp).await
}

/// What a TLS server presented in a handshake.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    /// Negotiated ALPN protocol (`b"h2"`, `b"http/1.1"`), if any.
    pub alpn: Option<Vec<u8>>,
    /// Negotiated protocol version, e.g. `TLSv1_3`.
    pub version: Option<rustls::ProtocolVersion>,
    /// Subject common name of the leaf certificate.
    pub subject_cn: Option<String>,
    /// Subject alternative names: DNS names as written, IP addresses in
    /// their usual text form.
    pub sans: Vec<String>,
    /// Serial number (hex with colons), distinguishes re-issued certificates.
    pub serial: String,
    /// `notAfter` as Unix seconds.
    pub not_after_unix: i64,
    /// The leaf certificate (DER).
    pub leaf_der: Vec<u8>,
}

impl PeerInfo {
    /// Whether the server presented exactly this certificate.
    pub fn is(&self, cert: &IssuedCert) -> bool {
        self.leaf_der == cert.cert_der.as_ref()
    }

    /// The ALPN protocol as text (`""` when none was negotiated).
    pub fn alpn_str(&self) -> String {
        String::from_utf8_lossy(self.alpn.as_deref().unwrap_or_default()).into_owned()
    }
}

/// Describe the server side of an established client connection.
pub fn peer_info(conn: &rustls::ClientConnection) -> PeerInfo {
    let leaf = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .expect("server presented no certificate");
    let mut info = describe_cert(leaf.as_ref());
    info.alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
    info.version = conn.protocol_version();
    info
}

/// Subject, SANs, serial and expiry of a DER certificate (no ALPN/version).
pub fn describe_cert(der: &[u8]) -> PeerInfo {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let subject_cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(n) => sans.push((*n).to_owned()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => sans.push(
                        std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*b).unwrap()).to_string(),
                    ),
                    16 => sans.push(
                        std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*b).unwrap()).to_string(),
                    ),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    PeerInfo {
        alpn: None,
        version: None,
        subject_cn,
        sans,
        serial: cert.raw_serial_as_string(),
        not_after_unix: cert.validity().not_after.timestamp(),
        leaf_der: der.to_vec(),
    }
}

/// Handshake with `addr` as [`tls_connect`] does, then report what the
/// server presented and close the connection.
pub async fn tls_probe(
    addr: SocketAddr,
    server_name: &str,
    config: Arc<ClientConfig>,
) -> io::Result<PeerInfo> {
    let stream = tls_connect(addr, server_name, config).await?;
    Ok(peer_info(stream.get_ref().1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::server::ResolvesServerCertUsingSni;
    use rustls::sign::CertifiedKey;
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    /// A TLS server that completes handshakes with `config` and then holds
    /// the connection until the client goes away.
    async fn tls_server(config: Arc<ServerConfig>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut s) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 16];
                        let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
                    }
                });
            }
        });
        addr
    }

    fn certified_key(cert: &IssuedCert) -> CertifiedKey {
        let key = provider()
            .key_provider
            .load_private_key(cert.private_key())
            .unwrap();
        CertifiedKey::new(cert.cert_chain(), key)
    }

    #[tokio::test]
    async fn sni_selects_certificate_and_client_sees_which() {
        let ca = TestCa::new("sni ca");
        let a = ca.issue_valid(&["a.example.com"]);
        let b = ca.issue_valid(&["b.example.com", "127.0.0.1"]);
        let mut resolver = ResolvesServerCertUsingSni::new();
        resolver.add("a.example.com", certified_key(&a)).unwrap();
        resolver.add("b.example.com", certified_key(&b)).unwrap();
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        let addr = tls_server(Arc::new(config)).await;

        let client = client_config(ca.cert_pem(), &[ALPN_H2]);
        let pa = tls_probe(addr, "a.example.com", Arc::clone(&client))
            .await
            .unwrap();
        assert!(pa.is(&a));
        assert_eq!(pa.subject_cn.as_deref(), Some("a.example.com"));
        assert_eq!(pa.sans, vec!["a.example.com"]);
        assert_eq!(pa.alpn_str(), "h2");
        assert_eq!(pa.version, Some(rustls::ProtocolVersion::TLSv1_3));

        let pb = tls_probe(addr, "b.example.com", Arc::clone(&client))
            .await
            .unwrap();
        assert!(pb.is(&b));
        assert_eq!(pb.sans, vec!["b.example.com", "127.0.0.1"]);
        assert_ne!(pa.serial, pb.serial);

        // ALPN follows the client's offer.
        let h1 = client_config(ca.cert_pem(), &[ALPN_HTTP11]);
        let p = tls_probe(addr, "a.example.com", h1).await.unwrap();
        assert_eq!(p.alpn.as_deref(), Some(ALPN_HTTP11));

        // This resolver has no default: no SNI, no handshake.
        let no_sni = client_config_no_sni(ca.cert_pem(), &[]);
        assert!(tls_probe(addr, "a.example.com", no_sni).await.is_err());
    }

    #[tokio::test]
    async fn wildcard_ip_and_untrusted() {
        let ca = TestCa::new("wild ca");
        let wild = ca.issue_valid(&["*.wild.example.com", "127.0.0.1"]);
        let addr = tls_server(server_config(&wild, &[ALPN_H2])).await;
        let client = client_config(&wild.ca_pem, &[ALPN_H2]);
        let p = tls_probe(addr, "x.wild.example.com", Arc::clone(&client))
            .await
            .unwrap();
        assert!(p.is(&wild));
        assert_eq!(p.subject_cn.as_deref(), Some("*.wild.example.com"));
        // IP SAN verifies as an IP server name.
        assert!(
            tls_probe(addr, "127.0.0.1", Arc::clone(&client))
                .await
                .is_ok()
        );
        // A name the certificate does not cover fails verification.
        assert!(
            tls_probe(addr, "a.b.wild.example.com", Arc::clone(&client))
                .await
                .is_err()
        );
        // Another CA is not trusted.
        let other = TestCa::new("other ca");
        let untrusted = client_config(other.cert_pem(), &[]);
        assert!(
            tls_probe(addr, "x.wild.example.com", untrusted)
                .await
                .is_err()
        );
        // The insecure client looks anyway.
        let p = tls_probe(addr, "whatever.test", insecure_client_config(&[], false))
            .await
            .unwrap();
        assert!(p.is(&wild));
        assert_eq!(p.alpn, None);
    }

    #[tokio::test]
    async fn expired_and_not_yet_valid_are_rejected_by_clients() {
        let ca = TestCa::new("time ca");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for (validity, expired) in [
            (Validity::expired(), true),
            (Validity::not_yet_valid(), false),
        ] {
            let cert = ca.issue(&["old.example.com"], validity);
            let addr = tls_server(server_config(&cert, &[])).await;
            let strict = client_config(&cert.ca_pem, &[]);
            let err = tls_probe(addr, "old.example.com", strict)
                .await
                .unwrap_err();
            let text = err.to_string().to_lowercase();
            assert!(
                text.contains("expired")
                    || text.contains("not valid yet")
                    || text.contains("notvalidyet"),
                "{text}"
            );
            let p = tls_probe(addr, "old.example.com", insecure_client_config(&[], true))
                .await
                .unwrap();
            assert_eq!(p.not_after_unix < now, expired);
        }
    }

    #[test]
    fn pem_shapes_and_mismatched_key() {
        let ca = TestCa::new("pem ca");
        assert_eq!(ca.name(), "pem ca");
        let a = ca.issue_valid(&["a.example.com"]);
        let b = ca.issue_valid(&["b.example.com"]);
        assert!(a.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(parse_certs_pem(&a.cert_pem).len(), 1);
        let chain = parse_certs_pem(&a.chain_pem());
        assert_eq!(chain.len(), 2);
        assert_eq!(&chain[1], ca.cert_der());
        assert_eq!(
            describe_cert(chain[1].as_ref()).subject_cn.as_deref(),
            Some("pem ca")
        );

        // rustls refuses a certificate with someone else's key.
        let bad = a.with_key_of(&b);
        assert_eq!(bad.cert_pem, a.cert_pem);
        assert_eq!(bad.key_pem, b.key_pem);
        let res = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(bad.cert_chain(), bad.private_key());
        assert!(res.is_err());
    }
}
