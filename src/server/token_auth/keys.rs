//! The keys a bearer token may be signed with, found as distribution finds them
//! (registry/auth/token/token.go `VerifySigningKey`):
//! - an `x5c` header: the chain must lead to a certificate of `auth.token.rootcertbundle`, and the
//!   leaf's key verifies the token;
//! - else a `jwk` header: trusted when its `kid` names a trusted key (or its own `x5c` chain leads to
//!   a root);
//! - else a `kid` header naming a trusted key.
//!
//! Trusted keys are the root certificates' keys, each under both of the key IDs token servers use —
//! libtrust's fingerprint (what distribution 2.8 and docker_auth use) and the RFC 7638 JWK
//! thumbprint (distribution 3) — and the keys of `auth.token.jwks` under their `kid`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rustls_pki_types::{CertificateDer, UnixTime};
use sha2::{Digest as _, Sha256};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Why the signing keys could not be loaded (the server does not start).
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: certificate {index} cannot be parsed: {reason}")]
    Certificate {
        path: PathBuf,
        index: usize,
        reason: String,
    },
    #[error("{path}: not a JSON Web Key Set: {reason}")]
    Jwks { path: PathBuf, reason: String },
    #[error(
        "auth.token needs at least one token signing key: set rootcertbundle to the token \
         server's certificate (PEM) or jwks to its key set"
    )]
    NoKeys,
}

/// Why a token's signing key is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UntrustedKey {
    #[error("the token names no signing key (no x5c, jwk or kid header)")]
    NoKey,
    #[error("the x5c certificate chain does not lead to a rootcertbundle certificate: {0}")]
    Chain(String),
    #[error("token signed by untrusted key with ID {0:?}")]
    UnknownKeyId(String),
    #[error("untrusted JWK with no certificate chain")]
    UntrustedJwk,
}

/// An elliptic curve of an ECDSA key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// The JWK `crv` name (also Go's `elliptic.Curve.Params().Name`).
    fn jwk_name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// A public (or, for HMAC, shared) key a token signature is checked with.
#[derive(Clone, PartialEq, Eq)]
pub enum VerifyKey {
    /// An uncompressed SEC1 point.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    /// Modulus and exponent, big-endian.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519(Vec<u8>),
    /// A JWKS `oct` key (HS256/384/512).
    Hmac(Vec<u8>),
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // An HMAC key is a secret: never in a log line.
        f.write_str(match self {
            VerifyKey::Ec { .. } => "VerifyKey::Ec",
            VerifyKey::Rsa { .. } => "VerifyKey::Rsa",
            VerifyKey::Ed25519(_) => "VerifyKey::Ed25519",
            VerifyKey::Hmac(_) => "VerifyKey::Hmac",
        })
    }
}

impl VerifyKey {
    /// The key of a certificate's SubjectPublicKeyInfo; `None` for key types JWTs do not use.
    fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Option<Self> {
        let algorithm = &spki.algorithm.algorithm;
        if *algorithm == OID_SIG_ED25519 {
            return Some(VerifyKey::Ed25519(spki.subject_public_key.data.to_vec()));
        }
        if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
            let curve = if curve == OID_EC_P256 {
                Curve::P256
            } else if curve == OID_NIST_EC_P384 {
                Curve::P384
            } else if curve == OID_NIST_EC_P521 {
                Curve::P521
            } else {
                return None;
            };
            return Some(VerifyKey::Ec {
                curve,
                point: spki.subject_public_key.data.to_vec(),
            });
        }
        if *algorithm == OID_PKCS1_RSAENCRYPTION {
            if let Ok(PublicKey::RSA(rsa)) = spki.parsed() {
                return Some(VerifyKey::Rsa {
                    n: strip_zeros(rsa.modulus).to_vec(),
                    e: strip_zeros(rsa.exponent).to_vec(),
                });
            }
        }
        None
    }

    /// RFC 7638 thumbprint, as distribution 3's `GetJWKThumbprint` computes it (Go's `big.Int`
    /// bytes: leading zeros dropped).
    fn thumbprint(&self) -> Option<String> {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let json = match self {
            VerifyKey::Rsa { n, e } => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n))
            }
            VerifyKey::Ec { curve, point } => {
                let len = curve.coordinate_len();
                if point.len() != 1 + 2 * len || point[0] != 4 {
                    return None;
                }
                let (x, y) = point[1..].split_at(len);
                format!(
                    r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                    curve.jwk_name(),
                    b64(strip_zeros(x)),
                    b64(strip_zeros(y))
                )
            }
            VerifyKey::Ed25519(x) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
            VerifyKey::Hmac(_) => return None,
        };
        Some(b64(&Sha256::digest(json.as_bytes())))
    }
}

/// libtrust's key ID: the first 240 bits of sha256(SubjectPublicKeyInfo DER), base32 without
/// padding, in groups of four joined by `:` (the `kid` docker_auth and distribution 2.8 use).
fn libtrust_key_id(spki_der: &[u8]) -> String {
    let sum = Sha256::digest(spki_der);
    let encoded = data_encoding::BASE32_NOPAD.encode(&sum[..30]);
    let groups: Vec<&str> = encoded
        .as_bytes()
        .chunks(4)
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect();
    groups.join(":")
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// A certificate of the root bundle.
struct Root {
    der: Vec<u8>,
    key: Option<VerifyKey>,
    not_before: i64,
    not_after: i64,
}

/// Every key a token may be signed with.
pub struct Trust {
    roots: Vec<Root>,
    anchors: Vec<rustls_pki_types::TrustAnchor<'static>>,
    keys: HashMap<String, VerifyKey>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("roots", &self.roots.len())
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Trust {
    /// Loads the root certificates (PEM; blocks other than CERTIFICATE are skipped, as in
    /// distribution) and the JWKS file.
    ///
    /// # Errors
    /// Unreadable or unparsable files, or no key at all.
    pub fn load(rootcertbundle: Option<&Path>, jwks: Option<&Path>) -> Result<Self, KeysError> {
        let mut trust = Trust {
            roots: Vec::new(),
            anchors: Vec::new(),
            keys: HashMap::new(),
        };
        if let Some(path) = rootcertbundle {
            let pem = std::fs::read(path).map_err(|source| KeysError::Read {
                path: path.to_owned(),
                source,
            })?;
            trust.add_roots(path, &pem)?;
        }
        if let Some(path) = jwks {
            let text = std::fs::read(path).map_err(|source| KeysError::Read {
                path: path.to_owned(),
                source,
            })?;
            trust.add_jwks(&text).map_err(|reason| KeysError::Jwks {
                path: path.to_owned(),
                reason,
            })?;
        }
        if trust.roots.is_empty() && trust.keys.is_empty() {
            return Err(KeysError::NoKeys);
        }
        Ok(trust)
    }

    /// Trusts exactly `key` under `kid` (regctl's own token issuer).
    #[must_use]
    pub fn single(kid: &str, key: VerifyKey) -> Self {
        Trust {
            roots: Vec::new(),
            anchors: Vec::new(),
            keys: HashMap::from([(kid.to_owned(), key)]),
        }
    }

    fn add_roots(&mut self, path: &Path, pem: &[u8]) -> Result<(), KeysError> {
        let blocks = x509_parser::pem::Pem::iter_from_buffer(pem);
        for (index, block) in blocks.enumerate() {
            let block = block.map_err(|e| KeysError::Certificate {
                path: path.to_owned(),
                index,
                reason: e.to_string(),
            })?;
            if block.label != "CERTIFICATE" {
                continue;
            }
            let bad = |reason: String| KeysError::Certificate {
                path: path.to_owned(),
                index,
                reason,
            };
            let (_, cert) =
                X509Certificate::from_der(&block.contents).map_err(|e| bad(e.to_string()))?;
            let spki = cert.public_key();
            let key = VerifyKey::from_spki(spki);
            if let Some(key) = &key {
                self.keys.insert(libtrust_key_id(spki.raw), key.clone());
                if let Some(thumbprint) = key.thumbprint() {
                    self.keys.insert(thumbprint, key.clone());
                }
            }
            let der = CertificateDer::from(block.contents.clone());
            let anchor = webpki::anchor_from_trusted_cert(&der)
                .map_err(|e| bad(format!("{e:?}")))?
                .to_owned();
            self.anchors.push(anchor);
            self.roots.push(Root {
                key,
                not_before: cert.validity().not_before.timestamp(),
                not_after: cert.validity().not_after.timestamp(),
                der: block.contents,
            });
        }
        Ok(())
    }

    fn add_jwks(&mut self, text: &[u8]) -> Result<(), String> {
        #[derive(serde::Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let set: Set = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        for (index, jwk) in set.keys.iter().enumerate() {
            let key = jwk_key(jwk).map_err(|e| format!("key {index}: {e}"))?;
            let kid = jwk
                .get("kid")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            if kid.is_empty() {
                return Err(format!(
                    "key {index} has no \"kid\": tokens find their key by it"
                ));
            }
            self.keys.insert(kid.to_owned(), key);
        }
        Ok(())
    }

    /// The key a token's header names, if trusted.
    ///
    /// # Errors
    /// [`UntrustedKey`] saying why not.
    pub fn signing_key(
        &self,
        x5c: Option<&[String]>,
        jwk: Option<&serde_json::Value>,
        kid: Option<&str>,
        now: i64,
    ) -> Result<VerifyKey, UntrustedKey> {
        if let Some(chain) = x5c {
            return self.verify_chain(chain, now);
        }
        if let Some(jwk) = jwk {
            let chain: Option<Vec<String>> = jwk
                .get("x5c")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .filter(|c: &Vec<String>| !c.is_empty());
            if let Some(chain) = chain {
                return self.verify_chain(&chain, now);
            }
            let kid = jwk.get("kid").and_then(serde_json::Value::as_str);
            return kid
                .and_then(|kid| self.keys.get(kid))
                .cloned()
                .ok_or(UntrustedKey::UntrustedJwk);
        }
        match kid {
            Some(kid) if !kid.is_empty() => self
                .keys
                .get(kid)
                .cloned()
                .ok_or_else(|| UntrustedKey::UnknownKeyId(kid.to_owned())),
            _ => Err(UntrustedKey::NoKey),
        }
    }

    /// Go's `x509.Certificate.Verify` with the bundle as roots, the rest of the chain as
    /// intermediates and any extended key usage.
    fn verify_chain(&self, chain: &[String], now: i64) -> Result<VerifyKey, UntrustedKey> {
        let bad = |reason: &str| UntrustedKey::Chain(reason.to_owned());
        let ders: Vec<Vec<u8>> = chain
            .iter()
            .map(|c| base64::engine::general_purpose::STANDARD.decode(c))
            .collect::<Result<_, _>>()
            .map_err(|_| bad("a certificate is not base64"))?;
        let leaf = ders.first().ok_or_else(|| bad("empty chain"))?;
        // A leaf that is itself a root is trusted as it is (as in Go, whose pool lookup comes
        // first); it is the usual setup: the token server's self-signed certificate in the bundle.
        if let Some(root) = self.roots.iter().find(|r| r.der == *leaf) {
            if now < root.not_before || now > root.not_after {
                return Err(bad("the signing certificate is expired or not yet valid"));
            }
            return root
                .key
                .clone()
                .ok_or_else(|| bad("the signing certificate's key type is not supported"));
        }
        let leaf_der = CertificateDer::from(leaf.as_slice());
        let end_entity =
            webpki::EndEntityCert::try_from(&leaf_der).map_err(|e| bad(&format!("{e:?}")))?;
        let intermediates: Vec<CertificateDer<'_>> = ders[1..]
            .iter()
            .map(|d| CertificateDer::from(d.as_slice()))
            .collect();
        let algorithms = rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .all;
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(now).unwrap_or(0),
        ));
        end_entity
            .verify_for_usage(
                algorithms,
                &self.anchors,
                &intermediates,
                time,
                AnyExtendedKeyUsage,
                None,
                None,
            )
            .map_err(|e| bad(&format!("{e:?}")))?;
        let (_, cert) = X509Certificate::from_der(leaf).map_err(|e| bad(&e.to_string()))?;
        VerifyKey::from_spki(cert.public_key())
            .ok_or_else(|| bad("the signing certificate's key type is not supported"))
    }
}

/// distribution verifies chains with `x509.ExtKeyUsageAny`.
struct AnyExtendedKeyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyExtendedKeyUsage {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for purpose in iter {
            purpose?;
        }
        Ok(())
    }
}

/// The key of one JWKS entry.
fn jwk_key(jwk: &serde_json::Value) -> Result<VerifyKey, String> {
    let field = |name: &str| -> Result<Vec<u8>, String> {
        let value = jwk
            .get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("missing \"{name}\""))?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|_| format!("\"{name}\" is not base64url"))
    };
    let kty = jwk
        .get("kty")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    match kty {
        "RSA" => Ok(VerifyKey::Rsa {
            n: strip_zeros(&field("n")?).to_vec(),
            e: strip_zeros(&field("e")?).to_vec(),
        }),
        "EC" => {
            let curve = match jwk.get("crv").and_then(serde_json::Value::as_str) {
                Some("P-256") => Curve::P256,
                Some("P-384") => Curve::P384,
                Some("P-521") => Curve::P521,
                other => return Err(format!("unsupported curve {other:?}")),
            };
            let len = curve.coordinate_len();
            let (x, y) = (field("x")?, field("y")?);
            if x.len() > len || y.len() > len {
                return Err("a coordinate is longer than the curve's".to_owned());
            }
            let mut point = vec![4u8];
            for coordinate in [&x, &y] {
                point.extend(std::iter::repeat_n(0, len - coordinate.len()));
                point.extend_from_slice(coordinate);
            }
            Ok(VerifyKey::Ec { curve, point })
        }
        "OKP" if jwk.get("crv").and_then(serde_json::Value::as_str) == Some("Ed25519") => {
            Ok(VerifyKey::Ed25519(field("x")?))
        }
        "oct" => Ok(VerifyKey::Hmac(field("k")?)),
        other => Err(format!("unsupported key type {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtrust_key_ids_have_twelve_groups_of_four() {
        let id = libtrust_key_id(b"any spki");
        assert_eq!(id.len(), 48 + 11);
        assert!(id.split(':').all(|g| g.len() == 4));
    }

    #[test]
    fn jwks_keys_need_a_kid_and_a_known_type() {
        let mut trust = Trust {
            roots: Vec::new(),
            anchors: Vec::new(),
            keys: HashMap::new(),
        };
        let err = trust
            .add_jwks(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)
            .unwrap_err();
        assert!(err.contains("kid"), "{err}");
        let err = trust
            .add_jwks(br#"{"keys":[{"kty":"DSA","kid":"a"}]}"#)
            .unwrap_err();
        assert!(err.contains("DSA"), "{err}");
        trust
            .add_jwks(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"s"}]}"#)
            .unwrap();
        assert_eq!(
            trust.keys.get("s"),
            Some(&VerifyKey::Hmac(b"secret".to_vec()))
        );
        assert_eq!(
            trust.signing_key(None, None, Some("t"), 0),
            Err(UntrustedKey::UnknownKeyId("t".to_owned()))
        );
        assert_eq!(
            trust.signing_key(None, None, None, 0),
            Err(UntrustedKey::NoKey)
        );
    }

    #[test]
    fn thumbprints_follow_rfc_7638() {
        // The example of RFC 7638 §3.1.
        let jwk = serde_json::json!({
            "kty": "RSA",
            "e": "AQAB",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        });
        let key = jwk_key(&jwk).unwrap();
        assert_eq!(
            key.thumbprint().as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
