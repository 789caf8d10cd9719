//! The test IdP's own XML Encryption and redirect-binding code: written apart from the SP's so
//! that each checks the other.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_128, AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey};
use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gatehouse_saml::{Certificate, NS_ASSERTION, NS_DSIG, NS_XENC};
use url::form_urlencoded::byte_serialize;

use gatehouse_saml::SpCredentials;

/// A signing key and its certificate (the IdP's own, or another one for attacker tests).
#[derive(Clone)]
pub struct SigningKey {
    /// PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The certificate, put in the signature's KeyInfo.
    pub certificate: Certificate,
    creds: SpCredentials,
}

impl SigningKey {
    /// A fresh RSA-2048 key and self-signed certificate.
    pub fn generate(common_name: &str) -> Self {
        let creds = SpCredentials::generate(common_name, now_ms()).expect("key generation");
        let certificate = creds.certificate().expect("own certificate parses");
        let key_der = pem_der(&creds.key_pem);
        Self {
            key_der,
            certificate,
            creds,
        }
    }

    /// A fresh EC P-256 key and self-signed certificate (signatures use ecdsa-sha256).
    pub fn generate_ec(common_name: &str) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("EC key");
        let cert = rcgen::CertificateParams::new(vec![common_name.to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("self-signed");
        let creds = SpCredentials {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        Self {
            key_der: key.serialize_der(),
            certificate: Certificate::from_der(cert.der().to_vec()).expect("own certificate"),
            creds,
        }
    }

    /// The key and certificate as PEM.
    pub fn credentials(&self) -> &SpCredentials {
        &self.creds
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(body).expect("PEM body is base64")
}

/// Now, unix ms (the testkit may read the clock; the SAML crate may not).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Lowercase hex of `n` random bytes.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0; n];
    aws_lc_rs::rand::fill(&mut bytes).expect("random");
    hex::encode(bytes)
}

fn random(n: usize) -> Vec<u8> {
    let mut b = vec![0; n];
    aws_lc_rs::rand::fill(&mut b).expect("random");
    b
}

/// Encrypts `assertion` to `cert` as a `saml:EncryptedAssertion` (xmlenc-core: RSA key
/// transport of a fresh AES key, the EncryptedKey inside EncryptedData's KeyInfo).
pub fn encrypt_assertion(assertion: &str, cert: &Certificate, key_transport: &str, data_alg: &str) -> String {
    let gcm = data_alg.ends_with("gcm");
    let key_len = if data_alg.contains("128") { 16 } else { 32 };
    let aes_key = random(key_len);
    let data = if gcm {
        let alg = if key_len == 16 {
            &aead::AES_128_GCM
        } else {
            &aead::AES_256_GCM
        };
        let iv = random(12);
        let key = LessSafeKey::new(UnboundKey::new(alg, &aes_key).expect("aes key"));
        let mut buf = assertion.as_bytes().to_vec();
        let nonce = Nonce::try_assume_unique_for_key(&iv).expect("nonce");
        key.seal_in_place_append_tag(nonce, Aad::empty(), &mut buf)
            .expect("seal");
        [iv, buf].concat()
    } else {
        let alg = if key_len == 16 { &AES_128 } else { &AES_256 };
        let iv: [u8; 16] = random(16).try_into().expect("16");
        // xmlenc-core §5.2: pad to the block, the last octet counts the padding.
        let mut buf = assertion.as_bytes().to_vec();
        let pad = 16 - buf.len() % 16;
        buf.extend(random(pad - 1));
        buf.push(pad as u8);
        let key = EncryptingKey::cbc(UnboundCipherKey::new(alg, &aes_key).expect("aes key")).expect("cbc");
        key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
            .expect("encrypt");
        [iv.to_vec(), buf].concat()
    };
    let public = PublicEncryptingKey::from_der(&cert.spki_der()).expect("RSA certificate");
    let mut wrapped = vec![0; public.key_size_bytes()];
    let (wrapped, digest) = if key_transport == gatehouse_saml::RSA_1_5 {
        let k = Pkcs1PublicEncryptingKey::new(public).expect("pkcs1");
        (k.encrypt(&aes_key, &mut wrapped).expect("wrap").to_vec(), String::new())
    } else {
        let k = OaepPublicEncryptingKey::new(public).expect("oaep");
        let w = k
            .encrypt(&OAEP_SHA1_MGF1SHA1, &aes_key, &mut wrapped, None)
            .expect("wrap")
            .to_vec();
        (
            w,
            format!(r#"<ds:DigestMethod Algorithm="{}"/>"#, gatehouse_saml::DIGEST_SHA1),
        )
    };
    format!(
        concat!(
            r#"<saml:EncryptedAssertion xmlns:saml="{a}"><xenc:EncryptedData xmlns:xenc="{x}" "#,
            r#"Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="{data_alg}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="{ds}"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{kt}">{digest}"#,
            r#"</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>{key}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue>"#,
            r#"</xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#
        ),
        a = NS_ASSERTION,
        x = NS_XENC,
        ds = NS_DSIG,
        kt = key_transport,
        data_alg = data_alg,
        digest = digest,
        key = STANDARD.encode(wrapped),
        data = STANDARD.encode(data),
    )
}

fn enc(v: &str) -> String {
    byte_serialize(v.as_bytes()).collect()
}

/// A redirect-binding URL (saml-bindings §3.4.4.1), signed rsa-sha256 when `key` is given.
pub fn redirect_url(
    endpoint: &str,
    param: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: Option<&SigningKey>,
) -> String {
    let mut query = format!("{param}={}", enc(&gatehouse_saml::binding::deflate(xml)));
    if let Some(rs) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&enc(rs));
    }
    if let Some(key) = key {
        query.push_str("&SigAlg=");
        query.push_str(&enc(gatehouse_saml::RSA_SHA256));
        let pair = RsaKeyPair::from_pkcs8(&key.key_der).expect("rsa key");
        let mut sig = vec![0; pair.public_modulus_len()];
        pair.sign(
            &signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            query.as_bytes(),
            &mut sig,
        )
        .expect("sign");
        query.push_str("&Signature=");
        query.push_str(&enc(&STANDARD.encode(sig)));
    }
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    format!("{endpoint}{sep}{query}")
}

/// What the test IdP read from an AuthnRequest redirect.
#[derive(Debug, Clone)]
pub struct AuthnRequestInfo {
    /// The request ID (answer with it as InResponseTo).
    pub id: String,
    /// AssertionConsumerServiceURL.
    pub acs_url: String,
    /// The SP entity id (Issuer).
    pub issuer: String,
    /// Destination.
    pub destination: String,
    /// ProtocolBinding.
    pub protocol_binding: String,
    /// ForceAuthn attribute.
    pub force_authn: Option<String>,
    /// NameIDPolicy AllowCreate.
    pub allow_create: Option<String>,
    /// RelayState, decoded.
    pub relay_state: Option<String>,
    /// SigAlg, if signed.
    pub sig_alg: Option<String>,
    /// The octets the signature covers and the signature, if signed.
    signed: Option<(String, Vec<u8>)>,
    /// The request XML.
    pub xml: String,
}

impl AuthnRequestInfo {
    /// Whether the redirect signature verifies with `cert` (RSA, rsa-sha256).
    pub fn signature_verifies(&self, cert: &Certificate) -> bool {
        let Some((octets, sig)) = &self.signed else {
            return false;
        };
        if self.sig_alg.as_deref() != Some(gatehouse_saml::RSA_SHA256) {
            return false;
        }
        let spki = cert.spki_der();
        let Ok(public) = aws_lc_rs::rsa::PublicKey::from_der(&spki) else {
            return false;
        };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public.as_ref())
            .verify(octets.as_bytes(), sig)
            .is_ok()
    }
}

fn decoded(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Reads a redirect AuthnRequest URL.
pub fn parse_authn_request(url: &str) -> AuthnRequestInfo {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let raw = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    let request = raw("SAMLRequest").expect("SAMLRequest in the URL");
    let xml = gatehouse_saml::binding::inflate(&decoded(&request)).expect("DEFLATE base64");
    let doc = roxmltree::Document::parse(&xml).expect("AuthnRequest XML");
    let root = doc.root_element();
    let attr = |n: &str| root.attribute(n).unwrap_or_default().to_owned();
    let child_attr = |child: &str, n: &str| {
        root.children()
            .find(|c| c.tag_name().name() == child)
            .and_then(|c| c.attribute(n).map(str::to_owned))
    };
    let issuer = root
        .children()
        .find(|c| c.tag_name().name() == "Issuer")
        .and_then(|c| c.text())
        .unwrap_or_default()
        .to_owned();
    let signed = match (raw("SigAlg"), raw("Signature")) {
        (Some(alg), Some(sig)) => {
            let mut octets = format!("SAMLRequest={request}");
            if let Some(rs) = raw("RelayState") {
                octets.push_str("&RelayState=");
                octets.push_str(&rs);
            }
            octets.push_str("&SigAlg=");
            octets.push_str(&alg);
            Some((octets, STANDARD.decode(decoded(&sig)).unwrap_or_default()))
        }
        _ => None,
    };
    AuthnRequestInfo {
        id: attr("ID"),
        acs_url: attr("AssertionConsumerServiceURL"),
        issuer,
        destination: attr("Destination"),
        protocol_binding: attr("ProtocolBinding"),
        force_authn: root.attribute("ForceAuthn").map(str::to_owned),
        allow_create: child_attr("NameIDPolicy", "AllowCreate"),
        relay_state: raw("RelayState").map(|r| decoded(&r)),
        sig_alg: raw("SigAlg").map(|a| decoded(&a)),
        signed,
        xml,
    }
}
