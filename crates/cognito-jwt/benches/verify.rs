//! Verification cost: a raw aws-lc-rs RS256 verify with a pre-parsed key (the floor), a full
//! verification with the cache off (cold), and a token seen before (warm).
//!
//! `cargo bench -p cognito-jwt`; the numbers are recorded in docs/benchmarks.md.

use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_jwt::testing::{ManualClock, TestKey, access_claims, jwks};
use cognito_jwt::{StaticJwks, VerifierBuilder};
use criterion::{Criterion, criterion_group, criterion_main};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench";

fn bench(c: &mut Criterion) {
    let key = TestKey::generate("bench");
    let clock = ManualClock::now();
    let token = key.sign(&access_claims(ISSUER, "client", clock.secs()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    // The floor: RS256 over the signing input with a key parsed once.
    let jwk = key.jwk();
    let n = URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().expect("n"))
        .expect("b64");
    let e = URL_SAFE_NO_PAD
        .decode(jwk["e"].as_str().expect("e"))
        .expect("b64");
    let parsed = PublicKeyComponents { n, e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .expect("key");
    let (signing_input, sig) = token.rsplit_once('.').expect("three parts");
    let sig = URL_SAFE_NO_PAD.decode(sig).expect("b64");
    c.bench_function("raw_rs256_verify_preparsed_key", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(signing_input.as_bytes()), black_box(&sig))
                .expect("valid")
        })
    });

    let build = |capacity: usize| {
        VerifierBuilder::new(ISSUER)
            .jwks_source(StaticJwks(jwks(&[&key])))
            .allow_client("client")
            .clock(Arc::new(clock.clone()))
            .cache_capacity(capacity)
            .build()
            .expect("verifier")
    };
    let cold = build(0);
    let warm = build(1000);
    rt.block_on(async {
        cold.warm_up().await.expect("keys");
        warm.verify(&token).await.expect("valid");
    });
    c.bench_function("verify_cold_cache", |b| {
        b.to_async(&rt)
            .iter(|| async { cold.verify(black_box(&token)).await.expect("valid") })
    });
    c.bench_function("verify_warm_cache", |b| {
        b.to_async(&rt)
            .iter(|| async { warm.verify(black_box(&token)).await.expect("valid") })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
