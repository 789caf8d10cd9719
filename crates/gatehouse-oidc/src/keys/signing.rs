//! A private signing key, generated or read from PKCS#8 DER, parsed once.

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
};
use zeroize::Zeroizing;

use super::public::{Material, PublicKey};
use super::{Alg, KeyError};

/// The parsed key pair; aws-lc-rs zeroes the private key when it is dropped.
enum Pair {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private signing key with its key id, algorithm, PKCS#8 DER and public half.
///
/// The key pair is parsed once, when the key is made or read; signing never parses again. The
/// DER is kept (zeroed on drop) so the server can seal and store it. `Debug` shows the key id and
/// algorithm only.
pub struct SigningKey {
    alg: Alg,
    der: Zeroizing<Vec<u8>>,
    pair: Pair,
    public: PublicKey,
}

impl SigningKey {
    /// Generates a new key: P-256 for ES256, Ed25519 for EdDSA, 2048-bit RSA for RS256.
    pub fn generate(alg: Alg) -> Result<SigningKey, KeyError> {
        let rng = SystemRandom::new();
        let der: Zeroizing<Vec<u8>> = match alg {
            Alg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec()
                .into(),
            Alg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec()
                .into(),
            Alg::Rs256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
                pair.as_der().map_err(|_| KeyError::Generate)?.as_ref().to_vec().into()
            }
        };
        SigningKey::from_pkcs8(alg, &der)
    }

    /// Reads a PKCS#8 (v1 or v2) DER private key of the given algorithm; the key id is recomputed
    /// as the RFC 7638 thumbprint of its public half.
    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> Result<SigningKey, KeyError> {
        let invalid = |_| KeyError::InvalidPkcs8(alg);
        let (pair, material) = match alg {
            Alg::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(invalid)?;
                // SEC 1 §2.3.3: the public key is 0x04 || x || y.
                let point = pair.public_key().as_ref();
                if point.len() != 65 || point[0] != 4 {
                    return Err(KeyError::InvalidPkcs8(alg));
                }
                let material = Material::Ec {
                    x: point[1..33].to_vec(),
                    y: point[33..].to_vec(),
                };
                (Pair::Ec(pair), material)
            }
            Alg::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(der).map_err(invalid)?;
                let material = Material::Okp {
                    x: pair.public_key().as_ref().to_vec(),
                };
                (Pair::Ed(pair), material)
            }
            Alg::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(invalid)?;
                // RFC 7518 §3.3: a key of 2048 bits or larger MUST be used.
                if pair.public_modulus_len() < 256 {
                    return Err(KeyError::InvalidPkcs8(alg));
                }
                let public = pair.public_key();
                let material = Material::Rsa {
                    n: public.modulus().big_endian_without_leading_zero().to_vec(),
                    e: public.exponent().big_endian_without_leading_zero().to_vec(),
                };
                (Pair::Rsa(pair), material)
            }
        };
        let public = PublicKey::from_material(alg, &material, None).map_err(|_| KeyError::InvalidPkcs8(alg))?;
        Ok(SigningKey {
            alg,
            der: Zeroizing::new(der.to_vec()),
            pair,
            public,
        })
    }

    /// The PKCS#8 DER, to be sealed before it is stored.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.der
    }

    /// The key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        self.public.kid()
    }

    /// The algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public half, as published in the JWKS.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs the JWS signing input (RFC 7515 §5.1 step 5).
    pub(super) fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.pair {
            // RFC 7518 §3.4: the fixed-width R || S form, not DER.
            Pair::Ec(pair) => {
                let rng = SystemRandom::new();
                Ok(pair.sign(&rng, message).map_err(|_| KeyError::Sign)?.as_ref().to_vec())
            }
            Pair::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Pair::Rsa(pair) => {
                let rng = SystemRandom::new();
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(|_| KeyError::Sign)?;
                Ok(signature)
            }
        }
    }
}

/// Shows the key id and algorithm only: never key material.
impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid())
            .field("alg", &self.alg.as_str())
            .finish_non_exhaustive()
    }
}
