//! Test helpers (feature `testing`): an RSA key that signs Cognito-shaped tokens and serves as
//! a key set, plus a clock tests move by hand. Never use these outside tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::Clock;

/// An RSA-2048 key with a `kid`.
#[derive(Debug)]
pub struct TestKey {
    /// The key id.
    pub kid: String,
    pair: KeyPair,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestKey {
    /// A fresh key named `kid`.
    pub fn generate(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            pair: KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
        }
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": b64(public.modulus().big_endian_without_leading_zero()),
            "e": b64(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// The public key's modulus bytes (for HMAC-confusion tests).
    pub fn public_bytes(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// Signs `claims` with header `{"alg":"RS256","kid":KID}`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&json!({"alg": "RS256", "kid": self.kid}), claims)
    }

    /// Signs `claims` under an arbitrary header with RS256.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing");
        format!("{signing_input}.{}", b64(&sig))
    }
}

/// A key set document for `keys`.
pub fn jwks(keys: &[&TestKey]) -> Vec<u8> {
    json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
        .to_string()
        .into_bytes()
}

/// An unsigned token: header and claims as given, with `signature` appended as is.
pub fn unsigned(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// HS256 over header and claims with `secret` (the algorithm-confusion attack).
pub fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    use aws_lc_rs::hmac;
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret),
        signing_input.as_bytes(),
    );
    format!("{signing_input}.{}", b64(tag.as_ref()))
}

/// Cognito-shaped access-token claims for `issuer` and `client_id`, valid for an hour from
/// `now` (seconds since the epoch).
pub fn access_claims(issuer: &str, client_id: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "sub": "8a1f6c1e-0000-4000-8000-000000000001",
        "client_id": client_id,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": "d1c3c3a0-0000-4000-8000-000000000002",
        "username": "alice",
        "cognito:groups": ["ReadOnly"],
    })
}

/// A clock that stands still until moved.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at `secs` seconds since the epoch.
    pub fn at(secs: u64) -> Self {
        Self(Arc::new(AtomicU64::new(secs)))
    }

    /// A clock at the current system time.
    pub fn now() -> Self {
        Self::at(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    /// Seconds since the epoch.
    pub fn secs(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.secs())
    }
}
