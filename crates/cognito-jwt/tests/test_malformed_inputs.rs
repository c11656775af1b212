//! Robustness of the parsers of outside input: thousands of random and mutated tokens and key
//! sets are rejected with an error, never a panic. (A stand-in until coverage-guided fuzz
//! targets can run here: cargo-fuzz needs a nightly toolchain.)

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::testing::{ManualClock, TestKey, access_claims, jwks};
use cognito_jwt::{StaticJwks, VerifierBuilder};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz";

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[tokio::test]
async fn random_and_mutated_tokens_are_rejected_without_panicking() {
    let key = TestKey::generate("fuzz");
    let clock = ManualClock::now();
    let verifier = VerifierBuilder::new(ISSUER)
        .jwks_source(StaticJwks(jwks(&[&key])))
        .allow_client("client")
        .clock(Arc::new(clock.clone()))
        .cache_capacity(0)
        .build()
        .expect("verifier");
    let valid = key.sign(&access_claims(ISSUER, "client", clock.secs()));
    verifier
        .verify(&valid)
        .await
        .expect("the unmutated token is valid");

    let alphabet =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=+/{}\":, \x00\xff";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut rejected = 0;
    for round in 0..4000 {
        let token: String = match round % 4 {
            // Random bytes from a JWT-ish alphabet.
            0 => {
                let len = rng.below(300);
                (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())] as char)
                    .collect()
            }
            // One character of the valid token flipped.
            1 => {
                let mut bytes = valid.clone().into_bytes();
                let i = rng.below(bytes.len());
                bytes[i] = alphabet[rng.below(alphabet.len() - 2)];
                String::from_utf8_lossy(&bytes).into_owned()
            }
            // Segments of the valid token shuffled, dropped or repeated.
            2 => {
                let parts: Vec<&str> = valid.split('.').collect();
                let n = 1 + rng.below(5);
                (0..n)
                    .map(|_| parts[rng.below(parts.len())])
                    .collect::<Vec<_>>()
                    .join(".")
            }
            // Well-formed base64 of random JSON-ish headers and payloads.
            _ => {
                let junk = |rng: &mut Rng| -> String {
                    let len = rng.below(80);
                    (0..len)
                        .map(|_| alphabet[rng.below(alphabet.len() - 2)] as char)
                        .collect()
                };
                let h = URL_SAFE_NO_PAD.encode(junk(&mut rng));
                let p = URL_SAFE_NO_PAD.encode(junk(&mut rng));
                format!("{h}.{p}.{}", valid.rsplit('.').next().expect("signature"))
            }
        };
        if token == valid {
            continue;
        }
        if verifier.verify(&token).await.is_err() {
            rejected += 1;
        }
    }
    assert!(rejected > 3900, "only {rejected} rejected");
}

#[tokio::test]
async fn random_key_sets_are_errors_not_panics() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let samples = [
        r#"{"keys":[{"kid":"k","kty":"RSA","n":"","e":""}]}"#.to_owned(),
        r#"{"keys":[{"kid":"k","kty":"RSA","n":"AA","e":"AQAB"}]}"#.to_owned(),
        r#"{"keys":[{"kid":"k","kty":"RSA","n":"!!!","e":"AQAB"}]}"#.to_owned(),
        r#"{"keys":"no"}"#.to_owned(),
        "[]".to_owned(),
    ];
    let key = TestKey::generate("k");
    let token = key.sign(&access_claims(ISSUER, "client", ManualClock::now().secs()));
    for i in 0..200 {
        let body = if i < samples.len() {
            samples[i].clone().into_bytes()
        } else {
            let len = rng.below(200);
            (0..len).map(|_| (rng.next() & 0xff) as u8).collect()
        };
        let verifier = VerifierBuilder::new(ISSUER)
            .jwks_source(StaticJwks(body))
            .allow_client("client")
            .build()
            .expect("verifier");
        assert!(verifier.verify(&token).await.is_err());
    }
}
