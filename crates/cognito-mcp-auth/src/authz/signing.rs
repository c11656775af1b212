//! The server's own token-signing key: RS256, created once and kept in the store, so every
//! instance sharing the store and every restart signs with the same key.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::store::{Kind, Store, StoreError};

const KEY_ENTRY: &str = "signing-key-v1";

/// The signing key and its public JWKS document.
pub(crate) struct SigningKey {
    kid: String,
    pair: KeyPair,
    jwks: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key in `store`, generated and saved when there is none. Two instances starting at
    /// once both end up with the one that was saved first.
    pub(crate) async fn load_or_create(store: &dyn Store) -> Result<Self, StoreError> {
        if let Some(der) = store.get(Kind::Meta, KEY_ENTRY).await? {
            return Self::from_pkcs8(&Zeroizing::new(der));
        }
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| StoreError::Backend("could not generate an RSA key".into()))?;
        let der = Zeroizing::new(
            pair.as_der()
                .map_err(|_| StoreError::Backend("could not encode the RSA key".into()))?
                .as_ref()
                .to_vec(),
        );
        if store
            .put_new(Kind::Meta, KEY_ENTRY, der.to_vec(), None)
            .await?
        {
            return Self::from_pkcs8(&der);
        }
        let der = store
            .get(Kind::Meta, KEY_ENTRY)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the signing key vanished".into()))?;
        Self::from_pkcs8(&Zeroizing::new(der))
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, StoreError> {
        let pair = KeyPair::from_pkcs8(der)
            .map_err(|_| StoreError::Corrupt("the stored signing key is not an RSA key".into()))?;
        let public = pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        // The kid is a digest of the public key: stable, and new when the key changes.
        let kid = crate::authz::crypto::sha256_b64(format!("{n}.{e}").as_bytes())[..16].to_owned();
        let jwks = json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e,
        }]});
        Ok(Self { kid, pair, jwks })
    }

    /// The public key set, for `/jwks.json` and the verifier.
    pub(crate) fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// A compact RS256 JWT of `claims`.
    pub(crate) fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        // Signing with a valid key into a modulus-sized buffer does not fail.
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .unwrap_or_else(|_| panic!("RSA signing failed"));
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}
