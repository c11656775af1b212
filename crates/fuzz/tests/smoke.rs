//! The stable-Rust driver of the fuzz targets: each target gets its seeds and then
//! `FUZZ_ITERATIONS` (default 400) inputs made from them by deterministic mutations (byte flips,
//! inserts of interesting bytes and tokens, deletions, splices of two seeds, truncation), so a
//! failure replays exactly. `FUZZ_SEED` picks another sequence. A panic names the target, the
//! iteration and the input (escaped).

use cognito_mcp_fuzz::{REGISTERED_REDIRECT, valid_token};

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments that reach the parsers' edges.
const TOKENS: &[&str] = &[
    "%",
    "%00",
    "%2f",
    "%40",
    "/",
    "//",
    "@",
    "#",
    "?",
    "&",
    "=",
    "*",
    ".",
    "..",
    ":",
    "[",
    "]",
    "\"",
    "\\",
    "\u{0}",
    "\n",
    " ",
    "https://",
    "http://",
    "javascript:",
    "127.0.0.1",
    "[::1]",
    "localhost",
    "example.com",
    "{",
    "}",
    "[]",
    "null",
    "true",
    "-1",
    "1e309",
    "\u{202e}",
    "é",
    "eyJ",
    ".e30.",
    "alg",
    "none",
    "RS256",
    "kid",
    "client_id",
    "redirect_uri",
    "scope",
    "grant_type",
    "code",
    "refresh_token",
    "^=",
    "email",
    "cognito:user_status",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(v.len() + 1);
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(i..i, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = 1 + rng.below((v.len() - i).min(8));
                v.drain(i..i + n);
            }
            3 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(v.len() + 1);
                let from = rng.below(other.len() + 1);
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            4 if !v.is_empty() => v.truncate(rng.below(v.len())),
            _ => {
                let i = rng.below(v.len() + 1);
                v.insert(i, (rng.next() & 0xff) as u8);
            }
        }
    }
    v
}

fn run(name: &str, seeds: Vec<Vec<u8>>) {
    let target = cognito_mcp_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .expect("a target");
    let iterations: usize = std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed ^ name.len() as u64 ^ 0x5851_f42d_4c95_7f2d);
    let inputs = seeds
        .iter()
        .cloned()
        .chain((0..iterations).map(|_| mutate(&mut rng, &seeds)));
    for (i, input) in inputs.enumerate() {
        let shown = String::from_utf8_lossy(&input).escape_debug().to_string();
        let outcome = std::panic::catch_unwind(|| target(&input));
        assert!(
            outcome.is_ok(),
            "fuzz target {name} failed at input {i}: {shown:?}"
        );
    }
}

fn seeds(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn fuzz_smoke_jwt() {
    let t = valid_token();
    let mut parts: Vec<&str> = t.split('.').collect();
    parts[0] = "eyJhbGciOiJub25lIn0";
    let none = parts.join(".");
    run("jwt", seeds(&[&t, &none, "a.b.c", ""]));
}

#[test]
fn fuzz_smoke_jwks() {
    run(
        "jwks",
        seeds(&[
            r#"{"keys":[{"kid":"fuzz-key","kty":"RSA","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"}]}"#,
            r#"{"keys":[]}"#,
            r#"{"keys":[{"kid":"x","kty":"EC"}]}"#,
        ]),
    );
}

#[test]
fn fuzz_smoke_redirect_uri() {
    run(
        "redirect_uri",
        seeds(&[
            "https://app.example.com/cb",
            "http://127.0.0.1:3000/callback",
            "https://attacker.net/.example.com/cb",
            "cursor://anysphere.cursor-retrieval/oauth",
            "https://user@app.example.com/cb",
            "javascript:alert(1)",
        ]),
    );
}

#[test]
fn fuzz_smoke_redirect_pattern() {
    run(
        "redirect_pattern",
        seeds(&[
            "https://*.example.com/*\nhttps://a.example.com/cb",
            "https://*.example.com/*\nhttps://attacker.net/.example.com/cb",
            "cursor://*\ncursor://x",
            "http://127.0.0.1/cb\nhttp://127.0.0.1:4567/cb",
        ]),
    );
}

#[test]
fn fuzz_smoke_register() {
    run(
        "register",
        seeds(&[
            r#"{"client_name":"fuzz","redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}"#,
            r#"{"client_name":"x","redirect_uris":["https://a.example.com/cb"],"grant_types":["authorization_code","refresh_token"],"scope":"openid mcp/read"}"#,
            r#"{"redirect_uris":[]}"#,
            "[]",
        ]),
    );
}

#[test]
fn fuzz_smoke_client_metadata() {
    run(
        "client_metadata",
        seeds(&[
            r#"{"client_id":"https://client.example.com/metadata.json","client_name":"c","redirect_uris":["https://client.example.com/cb"],"token_endpoint_auth_method":"none"}"#,
            r#"{"client_id":"https://client.example.com/metadata.json","redirect_uris":["http://127.0.0.1/cb"]}"#,
            r#"{"client_id":"https://other.example.com/m.json"}"#,
        ]),
    );
}

#[test]
fn fuzz_smoke_authorize() {
    let good = format!(
        "\u{1}response_type=code&redirect_uri={}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s&scope=openid&resource=http://127.0.0.1:9/mcp",
        REGISTERED_REDIRECT
    );
    let evil = good.replace(REGISTERED_REDIRECT, "https://attacker.example/cb");
    run(
        "authorize",
        seeds(&[
            &good,
            &evil,
            "\u{1}response_type=token",
            "\u{0}client_id=nobody",
        ]),
    );
}

#[test]
fn fuzz_smoke_token() {
    run(
        "token",
        seeds(&[
            "grant_type=authorization_code&code=x&redirect_uri=http://127.0.0.1:9/cb&code_verifier=v&client_id=c",
            "grant_type=refresh_token&refresh_token=r&client_id=c",
            "grant_type=client_credentials",
            "a=1&a=2",
        ]),
    );
}

#[test]
fn fuzz_smoke_list_users_filter() {
    run(
        "list_users_filter",
        seeds(&[
            r#"email ^= "ali""#,
            r#"cognito:user_status = "UNCONFIRMED""#,
            r#"custom:x = "y""#,
            r#"username = "a\"b""#,
        ]),
    );
}

#[test]
fn fuzz_smoke_pre_token_event() {
    run(
        "pre_token_event",
        seeds(&[
            r#"{"version":"2","triggerSource":"TokenGeneration_HostedAuth","region":"us-east-1","userPoolId":"us-east-1_x","userName":"u","callerContext":{"awsSdkVersion":"1","clientId":"c"},"request":{"userAttributes":{"sub":"s"},"groupConfiguration":{"groupsToOverride":["Admins"],"iamRolesToOverride":[],"preferredRole":null},"scopes":["openid"]},"response":{"claimsAndScopeOverrideDetails":null}}"#,
            r#"{"version":"1","triggerSource":"TokenGeneration_Authentication"}"#,
            "{}",
        ]),
    );
}
