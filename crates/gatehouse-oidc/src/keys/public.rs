//! The public half of a signing key: its JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2), its RFC
//! 7638 thumbprint, and the parsed key that verifies signatures.

use std::fmt;

use aws_lc_rs::signature::RsaPublicKeyComponents;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::{Alg, KeyError};

/// Smallest RSA modulus accepted (bytes): 2048 bits (RFC 7518 §3.3).
const MIN_RSA_MODULUS: usize = 256;
/// Longest `kid` accepted from a JWK.
const MAX_KID: usize = 256;
/// JWK members that belong to private keys (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The public key material, per key type.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Material {
    /// P-256 affine coordinates, 32 bytes each.
    Ec { x: Vec<u8>, y: Vec<u8> },
    /// The Ed25519 public key, 32 bytes.
    Okp { x: Vec<u8> },
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// A published verification key.
#[derive(Clone)]
pub struct PublicKey {
    kid: String,
    alg: Alg,
    jwk: Value,
    thumbprint: String,
    verifier: ParsedPublicKey,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Material {
    fn matches(&self, alg: Alg) -> bool {
        matches!(
            (self, alg),
            (Material::Ec { .. }, Alg::Es256) | (Material::Okp { .. }, Alg::EdDsa) | (Material::Rsa { .. }, Alg::Rs256)
        )
    }

    /// RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. Every
    /// value is base64url or a fixed name, so no JSON escaping can occur.
    fn thumbprint(&self) -> String {
        let canonical = match self {
            Material::Ec { x, y } => format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, b64(x), b64(y)),
            Material::Okp { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
            Material::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n)),
        };
        b64(&Sha256::digest(canonical.as_bytes()))
    }

    fn members(&self) -> Map<String, Value> {
        let value = match self {
            Material::Ec { x, y } => json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)}),
            Material::Okp { x } => json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)}),
            Material::Rsa { n, e } => json!({"kty": "RSA", "n": b64(n), "e": b64(e)}),
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn verifier(&self) -> Result<ParsedPublicKey, KeyError> {
        let parsed = match self {
            Material::Ec { x, y } => {
                // SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            }
            Material::Okp { x } => ParsedPublicKey::new(&ED25519, x),
            Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }.to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256),
        };
        parsed.map_err(|_| KeyError::InvalidJwk("the key is not a valid public key of its type"))
    }
}

impl PublicKey {
    /// Builds the key from checked material; `kid` defaults to the RFC 7638 thumbprint.
    pub(super) fn from_material(alg: Alg, material: &Material, kid: Option<String>) -> Result<PublicKey, KeyError> {
        if !material.matches(alg) {
            return Err(KeyError::InvalidJwk("the alg member does not fit the key type"));
        }
        let verifier = material.verifier()?;
        let thumbprint = material.thumbprint();
        let kid = kid.unwrap_or_else(|| thumbprint.clone());
        let mut jwk = material.members();
        jwk.insert("kid".into(), Value::String(kid.clone()));
        jwk.insert("alg".into(), Value::String(alg.as_str().into()));
        jwk.insert("use".into(), Value::String("sig".into()));
        Ok(PublicKey {
            kid,
            alg,
            jwk: Value::Object(jwk),
            thumbprint,
            verifier,
        })
    }

    /// Reads a public JWK, e.g. a retired key kept in storage.
    ///
    /// Accepts P-256 `EC`, Ed25519 `OKP` and `RSA` keys of at least 2048 bits. Refuses any private
    /// member (`d`, `p`, `q`, ...), a `use` other than `sig`, and an `alg` that does not fit the
    /// key type. When `alg` is absent it follows from the key type; when `kid` is absent it is
    /// the RFC 7638 thumbprint. The stored JWK is rebuilt from the public members only.
    pub fn from_jwk(jwk: &Value) -> Result<PublicKey, KeyError> {
        let obj = jwk.as_object().ok_or(KeyError::InvalidJwk("a JWK is a JSON object"))?;
        if PRIVATE_MEMBERS.iter().any(|m| obj.contains_key(*m)) {
            return Err(KeyError::InvalidJwk("a public key must not carry private members"));
        }
        if obj.get("use").is_some_and(|u| u != "sig") {
            return Err(KeyError::InvalidJwk("the use member must be sig"));
        }
        let text = |name: &'static str| obj.get(name).and_then(Value::as_str);
        let bytes = |name: &'static str| -> Result<Vec<u8>, KeyError> {
            let raw = text(name).ok_or(KeyError::InvalidJwk("a required key member is missing"))?;
            URL_SAFE_NO_PAD
                .decode(raw)
                .map_err(|_| KeyError::InvalidJwk("a key member is not base64url"))
        };
        let (material, default_alg) = match (text("kty"), text("crv")) {
            (Some("EC"), Some("P-256")) => (
                Material::Ec {
                    x: bytes("x")?,
                    y: bytes("y")?,
                },
                Alg::Es256,
            ),
            (Some("OKP"), Some("Ed25519")) => (Material::Okp { x: bytes("x")? }, Alg::EdDsa),
            (Some("RSA"), _) => (
                Material::Rsa {
                    n: bytes("n")?,
                    e: bytes("e")?,
                },
                Alg::Rs256,
            ),
            _ => {
                return Err(KeyError::InvalidJwk(
                    "only P-256 EC, Ed25519 OKP and RSA keys are supported",
                ));
            }
        };
        check_sizes(&material)?;
        let alg = match text("alg") {
            Some(name) => name
                .parse()
                .map_err(|_| KeyError::InvalidJwk("the alg member is not supported"))?,
            None if obj.contains_key("alg") => return Err(KeyError::InvalidJwk("the alg member must be a string")),
            None => default_alg,
        };
        let kid = match obj.get("kid") {
            None => None,
            Some(Value::String(k)) if !k.is_empty() && k.len() <= MAX_KID => Some(k.clone()),
            Some(_) => return Err(KeyError::InvalidJwk("the kid member must be a short non-empty string")),
        };
        PublicKey::from_material(alg, &material, kid)
    }

    /// The key id, as in the `kid` header of the tokens it verifies.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key verifies.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public JWK: `kty`, `crv`/`x`/`y` or `n`/`e`, `kid`, `alg`, `use: "sig"`. Never any
    /// private member.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url); the `kid` of keys made by this crate.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Whether `signature` signs `message` with this key.
    pub(super) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifier.verify_sig(message, signature).is_ok()
    }
}

fn check_sizes(material: &Material) -> Result<(), KeyError> {
    let ok = match material {
        Material::Ec { x, y } => x.len() == 32 && y.len() == 32,
        Material::Okp { x } => x.len() == 32,
        // RFC 7518 §6.3.1: big-endian without leading zeros.
        Material::Rsa { n, e } => {
            n.len() >= MIN_RSA_MODULUS && n.len() <= 1024 && n[0] != 0 && !e.is_empty() && e.len() <= 8 && e[0] != 0
        }
    };
    if ok {
        Ok(())
    } else {
        Err(KeyError::InvalidJwk("the key members have the wrong size"))
    }
}

/// Shows the key id and algorithm only.
impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg.as_str())
            .finish_non_exhaustive()
    }
}

/// Two public keys are the same when id, algorithm and JWK are.
impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid && self.alg == other.alg && self.jwk == other.jwk
    }
}

impl Eq for PublicKey {}
