//! Bearer tokens as distribution verifies them (registry/auth/token/token.go): a compact JWS whose
//! algorithm is one of the accepted ones, signed by a trusted key ([`super::keys`]), from the
//! configured issuer, for this service, within its validity (60 s leeway each way).

use base64::Engine as _;
use serde::Deserialize;

use super::keys::{Curve, Trust, UntrustedKey, VerifyKey};

/// distribution's clock-skew leeway on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;

/// A JWS signature algorithm distribution accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EdDSA,
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    ES256,
    ES384,
    ES512,
    PS256,
    PS384,
    PS512,
}

impl Algorithm {
    /// Every algorithm, distribution's default for `signingalgorithms`.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::EdDSA,
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];

    /// The JOSE name (`alg`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
        }
    }

    /// Parses a JOSE name, exactly as written (distribution's map is case-sensitive).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether `signature` over `message` verifies with `key` (a key of another type never does).
    fn verifies(self, key: &VerifyKey, message: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::signature::{self as sig, UnparsedPublicKey};
        match (self, key) {
            (Algorithm::EdDSA, VerifyKey::Ed25519(x)) => UnparsedPublicKey::new(&sig::ED25519, x)
                .verify(message, signature)
                .is_ok(),
            (
                Algorithm::ES256,
                VerifyKey::Ec {
                    curve: Curve::P256,
                    point,
                },
            ) => UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
                .is_ok(),
            (
                Algorithm::ES384,
                VerifyKey::Ec {
                    curve: Curve::P384,
                    point,
                },
            ) => UnparsedPublicKey::new(&sig::ECDSA_P384_SHA384_FIXED, point)
                .verify(message, signature)
                .is_ok(),
            (
                Algorithm::ES512,
                VerifyKey::Ec {
                    curve: Curve::P521,
                    point,
                },
            ) => UnparsedPublicKey::new(&sig::ECDSA_P521_SHA512_FIXED, point)
                .verify(message, signature)
                .is_ok(),
            (
                Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512,
                VerifyKey::Rsa { n, e },
            ) => {
                let params = match self {
                    Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                    _ => &sig::RSA_PSS_2048_8192_SHA512,
                };
                sig::RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            (Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512, VerifyKey::Hmac(secret)) => {
                use aws_lc_rs::hmac;
                let algorithm = match self {
                    Algorithm::HS256 => hmac::HMAC_SHA256,
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    _ => hmac::HMAC_SHA512,
                };
                // Constant-time comparison inside `hmac::verify`.
                hmac::verify(&hmac::Key::new(algorithm, secret), message, signature).is_ok()
            }
            _ => false,
        }
    }
}

/// Why a token was refused. Every variant is answered as distribution answers it: 401 with
/// `error="invalid_token"`; the reason goes to the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("the token's algorithm {0:?} is not accepted (auth.token.signingalgorithms)")]
    Algorithm(String),
    #[error(transparent)]
    Untrusted(#[from] UntrustedKey),
    #[error("the token's signature does not verify")]
    Signature,
    #[error("token from untrusted issuer {0:?}")]
    Issuer(String),
    #[error("token intended for another audience: {0:?}")]
    Audience(Vec<String>),
    #[error("token expired at {0} (unix time, 60 s leeway)")]
    Expired(i64),
    #[error("token not valid before {0} (unix time, 60 s leeway)")]
    NotYetValid(i64),
}

/// One `access` entry: actions granted on a typed, named resource.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceActions {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub actions: Vec<String>,
}

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    #[serde(rename = "iss", default)]
    pub issuer: String,
    #[serde(rename = "sub", default)]
    pub subject: String,
    #[serde(rename = "aud", default, deserialize_with = "audience")]
    pub audience: Vec<String>,
    #[serde(rename = "exp", default)]
    pub expiration: i64,
    #[serde(rename = "nbf", default)]
    pub not_before: i64,
    #[serde(default, deserialize_with = "null_is_empty")]
    pub access: Vec<ResourceActions>,
    /// regctl's own tokens (`server/token_issuer.rs`) only: the CI token the subject signed in
    /// with, whose scope and revocation keep applying to every request.
    #[serde(rename = "regctl_ci_token", default)]
    pub ci_token: Option<String>,
}

impl Claims {
    /// Whether the token grants `action` on `kind:name` (exact strings, as distribution's
    /// access set: `*` is only a wildcard where the route asks for `*`, i.e. the catalog).
    #[must_use]
    pub fn grants(&self, kind: &str, name: &str, action: &str) -> bool {
        self.access
            .iter()
            .any(|a| a.kind == kind && a.name == name && a.actions.iter().any(|x| x == action))
    }
}

/// `aud` is a string or a list of strings (go-jose's `Audience`).
fn audience<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        None(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
        OneOrMany::None(()) => Vec::new(),
    })
}

fn null_is_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ResourceActions>, D::Error> {
    Ok(Option::<Vec<ResourceActions>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Option<Vec<String>>,
    #[serde(default)]
    jwk: Option<serde_json::Value>,
    #[serde(default)]
    kid: Option<String>,
}

/// What a token must match besides its signature.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub service: &'a str,
    pub algorithms: &'a [Algorithm],
}

/// Verifies a compact JWS token at unix time `now`.
///
/// # Errors
/// [`TokenError`] saying what was wrong.
pub fn verify(
    raw: &str,
    trust: &Trust,
    expected: &Expected<'_>,
    now: i64,
) -> Result<Claims, TokenError> {
    let mut parts = raw.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three dot-separated parts"));
    };
    let decode = |part: &str, what: &'static str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed(what))
    };
    let header: Header = serde_json::from_slice(&decode(header_b64, "header is not base64url")?)
        .map_err(|_| TokenError::Malformed("header is not a JOSE header"))?;
    let algorithm = Algorithm::from_name(&header.alg)
        .filter(|a| expected.algorithms.contains(a))
        .ok_or_else(|| TokenError::Algorithm(header.alg.clone()))?;
    let payload = decode(payload_b64, "payload is not base64url")?;
    let signature = decode(signature_b64, "signature is not base64url")?;
    let key = trust.signing_key(
        header.x5c.as_deref(),
        header.jwk.as_ref(),
        header.kid.as_deref(),
        now,
    )?;
    let signed = &raw[..header_b64.len() + 1 + payload_b64.len()];
    if !algorithm.verifies(&key, signed.as_bytes(), &signature) {
        return Err(TokenError::Signature);
    }
    let claims: Claims = serde_json::from_slice(&payload)
        .map_err(|_| TokenError::Malformed("claims are not a JSON claim set"))?;
    if claims.issuer != expected.issuer {
        return Err(TokenError::Issuer(claims.issuer));
    }
    if !claims.audience.iter().any(|a| a == expected.service) {
        return Err(TokenError::Audience(claims.audience));
    }
    if now > claims.expiration.saturating_add(LEEWAY_SECS) {
        return Err(TokenError::Expired(claims.expiration));
    }
    if now < claims.not_before.saturating_sub(LEEWAY_SECS) {
        return Err(TokenError::NotYetValid(claims.not_before));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn hmac_trust(dir: &std::path::Path) -> Trust {
        let path = dir.join("jwks.json");
        std::fs::write(
            &path,
            format!(
                r#"{{"keys":[{{"kty":"oct","kid":"k1","k":"{}"}}]}}"#,
                b64(b"s3cret")
            ),
        )
        .unwrap();
        Trust::load(None, Some(&path)).unwrap()
    }

    fn hs256(header: &serde_json::Value, claims: &serde_json::Value, secret: &[u8]) -> String {
        use aws_lc_rs::hmac;
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, secret),
            signed.as_bytes(),
        );
        format!("{signed}.{}", b64(tag.as_ref()))
    }

    const EXPECTED: Expected<'static> = Expected {
        issuer: "issuer",
        service: "registry",
        algorithms: &Algorithm::ALL,
    };

    fn claims(exp: i64, nbf: i64) -> serde_json::Value {
        serde_json::json!({
            "iss": "issuer", "sub": "alice", "aud": "registry", "exp": exp, "nbf": nbf,
            "access": [{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}],
        })
    }

    #[test]
    fn a_valid_token_grants_its_access_entries_only() {
        let dir = tempfile::tempdir().unwrap();
        let trust = hmac_trust(dir.path());
        let header = serde_json::json!({"alg": "HS256", "kid": "k1"});
        let token = hs256(&header, &claims(1_000, 0), b"s3cret");
        let claims = verify(&token, &trust, &EXPECTED, 500).unwrap();
        assert_eq!(claims.subject, "alice");
        assert!(claims.grants("repository", "team/app", "push"));
        assert!(!claims.grants("repository", "team/app", "delete"));
        assert!(!claims.grants("repository", "team/other", "pull"));
    }

    #[test]
    fn refusals_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let trust = hmac_trust(dir.path());
        let header = serde_json::json!({"alg": "HS256", "kid": "k1"});
        let good = hs256(&header, &claims(1_000, 0), b"s3cret");
        // Expiry and not-before with distribution's 60 s leeway.
        assert!(verify(&good, &trust, &EXPECTED, 1_060).is_ok());
        assert_eq!(
            verify(&good, &trust, &EXPECTED, 1_061),
            Err(TokenError::Expired(1_000))
        );
        let early = hs256(&header, &claims(1_000, 200), b"s3cret");
        assert_eq!(
            verify(&early, &trust, &EXPECTED, 139),
            Err(TokenError::NotYetValid(200))
        );
        // Wrong key, unknown key, algorithm not accepted, wrong audience, wrong issuer.
        let forged = hs256(&header, &claims(1_000, 0), b"guess");
        assert_eq!(
            verify(&forged, &trust, &EXPECTED, 500),
            Err(TokenError::Signature)
        );
        let unknown = hs256(
            &serde_json::json!({"alg": "HS256", "kid": "k9"}),
            &claims(1_000, 0),
            b"s3cret",
        );
        assert!(matches!(
            verify(&unknown, &trust, &EXPECTED, 500),
            Err(TokenError::Untrusted(UntrustedKey::UnknownKeyId(_)))
        ));
        let only_es = Expected {
            algorithms: &[Algorithm::ES256],
            ..EXPECTED
        };
        assert_eq!(
            verify(&good, &trust, &only_es, 500),
            Err(TokenError::Algorithm("HS256".into()))
        );
        let other_service = Expected {
            service: "elsewhere",
            ..EXPECTED
        };
        assert!(matches!(
            verify(&good, &trust, &other_service, 500),
            Err(TokenError::Audience(_))
        ));
        let other_issuer = Expected {
            issuer: "mallory",
            ..EXPECTED
        };
        assert!(matches!(
            verify(&good, &trust, &other_issuer, 500),
            Err(TokenError::Issuer(_))
        ));
        // `alg: none` and garbage never verify.
        let none = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","kid":"k1"}"#),
            b64(claims(1_000, 0).to_string().as_bytes())
        );
        assert_eq!(
            verify(&none, &trust, &EXPECTED, 500),
            Err(TokenError::Algorithm("none".into()))
        );
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.e30"] {
            assert!(verify(junk, &trust, &EXPECTED, 500).is_err(), "{junk}");
        }
    }

    #[test]
    fn audiences_may_be_a_list() {
        let dir = tempfile::tempdir().unwrap();
        let trust = hmac_trust(dir.path());
        let header = serde_json::json!({"alg": "HS256", "kid": "k1"});
        let mut c = claims(1_000, 0);
        c["aud"] = serde_json::json!(["other", "registry"]);
        assert!(verify(&hs256(&header, &c, b"s3cret"), &trust, &EXPECTED, 500).is_ok());
    }
}
