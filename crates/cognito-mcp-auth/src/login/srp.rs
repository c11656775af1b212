//! Amazon Cognito's SRP client math for the `USER_SRP_AUTH` flow.
//!
//! With SRP the password never crosses the wire: the client sends `SRP_A` in `InitiateAuth`,
//! Cognito answers with the `PASSWORD_VERIFIER` challenge (`SALT`, `SRP_B`, `SECRET_BLOCK`,
//! `USER_ID_FOR_SRP`), and the client proves that it knows the password with
//! `PASSWORD_CLAIM_SIGNATURE`, an HMAC keyed with the SRP session key, in
//! `RespondToAuthChallenge`. This file holds only that math; the calls to Cognito live with the
//! login page.
//!
//! Cognito's variant of SRP-6a, as its own SDKs compute it:
//! - the group is RFC 3526's 3072-bit MODP group 15 with `g = 2`, `k = H(PAD(N) | PAD(g))`;
//! - `PAD(n)` is the minimal big-endian two's-complement encoding of `n` (Cognito's `padHex`:
//!   the hex of `n`, with `0` in front if its length is odd, else `00` in front if its first digit
//!   is `8`–`f`), and every hash of a number hashes those bytes;
//! - `u = H(PAD(A) | PAD(B))`, `x = H(PAD(salt) | H(pool_name | user_id_for_srp | ":" |
//!   password))` where `pool_name` is the user pool id after its `_`;
//! - `S = (B - k·g^x)^(a + u·x) mod N`, and the session key is 16 bytes of HKDF-SHA256 with
//!   `PAD(S)` as input keying material, `PAD(u)` as salt and `"Caldera Derived Key"` as info;
//! - the signature is HMAC-SHA256 under that key over `pool_name | user_id_for_srp |
//!   SECRET_BLOCK (decoded) | timestamp`, the timestamp written like `Sun Nov 22 09:05:03 UTC
//!   2026` (see [`cognito_timestamp`]).
//!
//! Limits: the secret exponent `a` and the string that holds the password are zeroized, but
//! num-bigint's temporaries (`a` as a number, `x`, the exponent, `S`) are not, and its `modpow`
//! does not run in constant time. Both are a client's exposure to its own host only: `a` lives
//! for one sign-in, and nothing secret is compared here.

use std::fmt;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hkdf, hmac, rand};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;
use zeroize::Zeroizing;

/// The prime N: the 3072-bit MODP group of RFC 3526 section 4 (group 15), in the RFC's layout.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// The group's generator g.
const G: u32 = 2;

/// How many random bytes make the client's secret exponent `a` (as Cognito's SDKs draw it).
const SECRET_LEN: usize = 128;

/// The HKDF info string that Cognito uses for the session key.
const SESSION_KEY_INFO: &[u8] = b"Caldera Derived Key";

/// The session key's length in bytes.
const SESSION_KEY_LEN: usize = 16;

/// English weekday abbreviations from Sunday, for [`cognito_timestamp`].
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// English month abbreviations from January, for [`cognito_timestamp`].
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The group's numbers, parsed once.
struct Group {
    /// The prime modulus N.
    n: BigUint,
    /// The generator g.
    g: BigUint,
    /// The multiplier k = H(PAD(N) | PAD(g)).
    k: BigUint,
}

/// N, g and k: constants, computed on first use.
static GROUP: LazyLock<Group> = LazyLock::new(|| {
    // Invariant: N_HEX is 768 hex digits (the test `n_is_the_3072_bit_rfc3526_prime` checks it).
    let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N_HEX is a hex number");
    let g = BigUint::from(G);
    let k = hash_to_int(&[&pad(&n), &pad(&g)]);
    Group { n, g, k }
});

/// Why a `PASSWORD_VERIFIER` challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SrpError {
    /// The user pool id has no `_` between region and pool name, or nothing after it.
    #[error("user pool id {0:?} is not of the form <region>_<name>")]
    PoolIdMalformed(String),
    /// The challenge's `SALT` is not a (non-empty, digits only) hex number.
    #[error("Cognito's SALT challenge parameter is not a hex number")]
    SaltNotHex,
    /// The challenge's `SRP_B` is not a (non-empty, digits only) hex number.
    #[error("Cognito's SRP_B challenge parameter is not a hex number")]
    SrpBNotHex,
    /// The challenge's `SECRET_BLOCK` is not standard, padded base64.
    #[error("Cognito's SECRET_BLOCK challenge parameter is not standard base64")]
    SecretBlockNotBase64,
    /// `SRP_B` is a multiple of N, which would make the session key known to anyone.
    #[error("Cognito's SRP_B is 0 modulo N, which SRP refuses")]
    SrpBZeroModN,
    /// The scrambling parameter `u = H(PAD(A) | PAD(B))` is 0, which SRP refuses.
    #[error("the SRP scrambling parameter u = H(A, B) is 0, which SRP refuses")]
    UZero,
}

/// The `PASSWORD_VERIFIER` challenge parameters, borrowed from Cognito's answer, with the pool
/// they belong to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PasswordChallenge<'a> {
    /// The user pool id, such as `us-east-1_AbC123`.
    pub(crate) pool_id: &'a str,
    /// The challenge's `USER_ID_FOR_SRP`: the user's name as the pool knows it, which may differ
    /// from what they typed (an email alias, for instance).
    pub(crate) user_id_for_srp: &'a str,
    /// The challenge's `SALT`, hex.
    pub(crate) salt_hex: &'a str,
    /// The challenge's `SRP_B`, hex.
    pub(crate) srp_b_hex: &'a str,
    /// The challenge's `SECRET_BLOCK`, base64 (opaque to the client; sent back as received).
    pub(crate) secret_block_b64: &'a str,
}

/// The answer to a `PASSWORD_VERIFIER` challenge: `RespondToAuthChallenge`'s
/// `ChallengeResponses`, less `SECRET_HASH` (see `cognito_idp::SecretHash`, computed over
/// `username`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PasswordClaim {
    /// `PASSWORD_CLAIM_SIGNATURE`: base64 of the HMAC proving knowledge of the password.
    pub(crate) signature: String,
    /// `PASSWORD_CLAIM_SECRET_BLOCK`: the challenge's `SECRET_BLOCK`, as received.
    pub(crate) secret_block: String,
    /// `TIMESTAMP`: the signed timestamp, in [`cognito_timestamp`]'s format.
    pub(crate) timestamp: String,
    /// `USERNAME`: the challenge's `USER_ID_FOR_SRP`.
    pub(crate) username: String,
}

impl fmt::Debug for PasswordClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordClaim")
            .field("signature", &"<redacted>")
            .field("secret_block", &"<redacted>")
            .field("timestamp", &self.timestamp)
            .field("username", &self.username)
            .finish()
    }
}

/// One sign-in's SRP client: the secret exponent `a` and the public value `A = g^a mod N`.
///
/// Make one per `InitiateAuth`, send [`srp_a`](Self::srp_a), and answer that call's challenge
/// with [`password_claim`](Self::password_claim). `a` is zeroized on drop and never shown by
/// `Debug`.
pub(crate) struct SrpClient {
    /// The secret exponent `a`, big-endian.
    a: Zeroizing<Vec<u8>>,
    /// The public value `A = g^a mod N`.
    big_a: BigUint,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpClient")
            .field("a", &"<redacted>")
            .field("srp_a_bits", &self.big_a.bits())
            .finish()
    }
}

impl SrpClient {
    /// A client with a fresh secret exponent of 128 random bytes.
    ///
    /// # Panics
    /// If the system's random generator fails, as nothing safe can be done without it.
    pub(crate) fn new() -> Self {
        loop {
            let mut a = Zeroizing::new(vec![0; SECRET_LEN]);
            // Invariant: aws-lc's generator fails only when the OS has no entropy source.
            rand::fill(a.as_mut_slice()).expect("the system random generator works");
            if let Some(client) = Self::with_secret(a) {
                return client;
            }
        }
    }

    /// A client with the given secret exponent (big-endian), for tests.
    #[cfg(test)]
    pub(crate) fn from_secret(a: &[u8]) -> Self {
        Self::with_secret(Zeroizing::new(a.to_vec())).expect("g^a mod N is never 0 as N is prime")
    }

    /// A client with secret `a`, or `None` if `A = g^a mod N` is 0 (SRP's rule; it cannot
    /// happen with a prime N, but costs nothing to keep).
    fn with_secret(a: Zeroizing<Vec<u8>>) -> Option<Self> {
        let Group { n, g, .. } = &*GROUP;
        let big_a = g.modpow(&BigUint::from_bytes_be(&a), n);
        (big_a != BigUint::ZERO).then_some(Self { a, big_a })
    }

    /// `SRP_A` for `InitiateAuth`: `A` in lowercase hex, without padding.
    pub(crate) fn srp_a(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// The answer to the `PASSWORD_VERIFIER` challenge `c` for `password`, signed at `now`.
    ///
    /// # Errors
    /// A malformed pool id or challenge parameter, or an `SRP_B` or `u` that SRP refuses; see
    /// [`SrpError`].
    pub(crate) fn password_claim(
        &self,
        c: &PasswordChallenge<'_>,
        password: &str,
        now: SystemTime,
    ) -> Result<PasswordClaim, SrpError> {
        let pool_name = pool_name(c.pool_id)?;
        let salt = parse_hex(c.salt_hex).ok_or(SrpError::SaltNotHex)?;
        let big_b = parse_hex(c.srp_b_hex).ok_or(SrpError::SrpBNotHex)?;
        let secret_block = STANDARD
            .decode(c.secret_block_b64)
            .map_err(|_| SrpError::SecretBlockNotBase64)?;
        let key = self.session_key(pool_name, c.user_id_for_srp, password, &salt, &big_b)?;
        let timestamp = cognito_timestamp(now);

        let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_slice());
        let mut mac = hmac::Context::with_key(&key);
        mac.update(pool_name.as_bytes());
        mac.update(c.user_id_for_srp.as_bytes());
        mac.update(&secret_block);
        mac.update(timestamp.as_bytes());
        Ok(PasswordClaim {
            signature: STANDARD.encode(mac.sign()),
            secret_block: c.secret_block_b64.to_owned(),
            timestamp,
            username: c.user_id_for_srp.to_owned(),
        })
    }

    /// The session key: HKDF of `S = (B - k·g^x)^(a + u·x) mod N`.
    fn session_key(
        &self,
        pool_name: &str,
        user_id_for_srp: &str,
        password: &str,
        salt: &BigUint,
        big_b: &BigUint,
    ) -> Result<Zeroizing<[u8; SESSION_KEY_LEN]>, SrpError> {
        let Group { n, g, k } = &*GROUP;
        let b_mod_n = big_b % n;
        if b_mod_n == BigUint::ZERO {
            return Err(SrpError::SrpBZeroModN);
        }
        // u hashes B as Cognito sent it, not reduced.
        let u = scrambler(sha256(&[&pad(&self.big_a), &pad(big_b)]).as_ref())?;
        let x = password_exponent(pool_name, user_id_for_srp, password, salt);
        let k_g_x = (k * g.modpow(&x, n)) % n;
        // Both terms are below N, so adding N first keeps the difference non-negative.
        let base = (b_mod_n + n - k_g_x) % n;
        let exponent = BigUint::from_bytes_be(&self.a) + &u * &x;
        let s = base.modpow(&exponent, n);
        Ok(session_key_from(&pad(&s), &pad(&u)))
    }
}

/// `t` in UTC the way Cognito wants `TIMESTAMP`: `Sun Nov 22 09:05:03 UTC 2026`, with English
/// abbreviations and the day of the month not zero-padded.
pub(crate) fn cognito_timestamp(t: SystemTime) -> String {
    let seconds = unix_seconds(t);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
    let month = MONTHS[month as usize - 1];
    let (hour, minute, second) = (
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60,
    );
    format!("{weekday} {month} {day} {hour:02}:{minute:02}:{second:02} UTC {year}")
}

/// Whole seconds since the Unix epoch, rounded down (negative before 1970), saturating.
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    }
}

/// The proleptic Gregorian (year, month 1–12, day 1–31) of a day counted from 1970-01-01.
///
/// Counts in 400-year eras from 0000-03-01, so that each year's leap day is its last day; an
/// era has 146,097 days, and within it the year, then the month from March (whose lengths
/// repeat 31, 30, 31, 30, 31 so that `(153·m + 2) / 5` is the day a month starts on), follow by
/// division.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // 719,468 days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    // Leaves out the leap days before it: one every 4 years, less one every 100, plus one in 400.
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    // January and February belong to the next calendar year.
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    // Both are small (1..=12, 1..=31), so the conversions are exact.
    (year, month as u32, day as u32)
}

/// The pool name in a user pool id: what follows its first `_`.
fn pool_name(pool_id: &str) -> Result<&str, SrpError> {
    match pool_id.split_once('_') {
        Some((_, name)) if !name.is_empty() => Ok(name),
        _ => Err(SrpError::PoolIdMalformed(pool_id.to_owned())),
    }
}

/// A hex number of one or more digits (either case), nothing else: num-bigint's parser alone
/// would also take a `+` sign and `_` separators.
fn parse_hex(hex: &str) -> Option<BigUint> {
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(hex.as_bytes(), 16)
}

/// `PAD(n)`: the minimal big-endian two's-complement bytes of `n` (Cognito's `padHex`).
fn pad(n: &BigUint) -> Vec<u8> {
    // `to_bytes_be` is minimal, and `[0]` for zero.
    let mut bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

/// SHA-256 of the concatenation of `parts`.
fn sha256(parts: &[&[u8]]) -> digest::Digest {
    let mut hash = digest::Context::new(&digest::SHA256);
    for part in parts {
        hash.update(part);
    }
    hash.finish()
}

/// SHA-256 of the concatenation of `parts`, as a big-endian number.
fn hash_to_int(parts: &[&[u8]]) -> BigUint {
    BigUint::from_bytes_be(sha256(parts).as_ref())
}

/// `u` from its hash, refusing 0.
fn scrambler(digest: &[u8]) -> Result<BigUint, SrpError> {
    let u = BigUint::from_bytes_be(digest);
    if u == BigUint::ZERO {
        Err(SrpError::UZero)
    } else {
        Ok(u)
    }
}

/// `x = H(PAD(salt) | H(pool_name | user_id_for_srp | ":" | password))`.
///
/// Cognito's SDKs hash the hex string `padHex(salt) + hex(inner)` decoded to bytes; as the inner
/// hex is 64 digits, that is the padded salt's bytes followed by the 32 bytes of the digest.
fn password_exponent(
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
    salt: &BigUint,
) -> BigUint {
    let identity = Zeroizing::new(format!("{pool_name}{user_id_for_srp}:{password}"));
    let inner = sha256(&[identity.as_bytes()]);
    hash_to_int(&[&pad(salt), inner.as_ref()])
}

/// HKDF-SHA256's output length, as aws-lc wants it.
struct SessionKeyLen;

impl hkdf::KeyType for SessionKeyLen {
    fn len(&self) -> usize {
        SESSION_KEY_LEN
    }
}

/// The session key: the first 16 bytes of HKDF-SHA256 (extract with `salt`, expand with
/// Cognito's info string).
fn session_key_from(ikm: &[u8], salt: &[u8]) -> Zeroizing<[u8; SESSION_KEY_LEN]> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut key = Zeroizing::new([0; SESSION_KEY_LEN]);
    prk.expand(&[SESSION_KEY_INFO], SessionKeyLen)
        .and_then(|okm| okm.fill(key.as_mut_slice()))
        // Invariant: 16 bytes is within HKDF-SHA256's limit of 255 blocks, and `key` is 16 bytes.
        .expect("HKDF-SHA256 yields 16 bytes");
    key
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::io::Write as _;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use super::*;

    /// `secs` after the Unix epoch.
    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// Cognito's `padHex`, written as its SDKs write it: on the hex string.
    fn pad_hex(n: &BigUint) -> String {
        let hex = n.to_str_radix(16);
        if hex.len() % 2 == 1 {
            format!("0{hex}")
        } else if hex.starts_with(['8', '9', 'a', 'b', 'c', 'd', 'e', 'f']) {
            format!("00{hex}")
        } else {
            hex
        }
    }

    /// Lowercase hex of `bytes`.
    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |mut hex, b| {
            write!(hex, "{b:02x}").expect("writing to a String works");
            hex
        })
    }

    /// The bytes of an even-length hex string.
    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("test hex is valid"))
            .collect()
    }

    /// `len` deterministic pseudo-random bytes for fixtures.
    fn fixture_bytes(seed: u8, len: usize) -> Vec<u8> {
        (0..len as u32)
            .map(|i| sha256(&[&[seed], &i.to_be_bytes()]).as_ref()[0])
            .collect()
    }

    #[test]
    fn n_is_the_3072_bit_rfc3526_prime() {
        assert_eq!(N_HEX.len(), 768);
        assert!(N_HEX.starts_with("FFFFFFFFFFFFFFFFC90FDAA2"));
        assert!(N_HEX.ends_with("A93AD2CAFFFFFFFFFFFFFFFF"));
        assert_eq!(GROUP.n.bits(), 3072);
        assert_eq!(GROUP.n.to_str_radix(16).to_uppercase(), N_HEX);
        assert_eq!(GROUP.g, BigUint::from(2u32));
    }

    #[test]
    fn n_is_a_safe_prime_by_fermat() {
        // A mistyped digit would fail these with overwhelming probability.
        let n = &GROUP.n;
        let one = BigUint::from(1u32);
        let two = BigUint::from(2u32);
        assert_eq!(
            two.modpow(&(n - &one), n),
            one,
            "N is a Fermat probable prime"
        );
        let q = (n - &one) / &two;
        assert_eq!(two.modpow(&(&q - &one), &q), one, "(N - 1) / 2 is too");
    }

    #[test]
    fn k_hashes_padded_n_and_g() {
        let k_input = unhex(&format!("00{}02", N_HEX.to_lowercase()));
        let k = BigUint::from_bytes_be(sha256(&[&k_input]).as_ref());
        assert_eq!(GROUP.k, k);
    }

    #[test]
    fn pad_hex_cases() {
        let cases: [(BigUint, &str); 8] = [
            (BigUint::ZERO, "00"),
            (BigUint::from(1u32), "01"),
            (BigUint::from(0x7fu32), "7f"),
            (BigUint::from(0x80u32), "0080"),
            (BigUint::from(0xabcu32), "0abc"),
            (BigUint::from(0x100u32), "0100"),
            (BigUint::from(0xffffu32), "00ffff"),
            (BigUint::from(0x7fff_ffffu32), "7fffffff"),
        ];
        for (n, expected) in cases {
            assert_eq!(pad_hex(&n), expected);
            assert_eq!(hex_of(&pad(&n)), expected, "PAD({n:x})");
        }
        let n = &GROUP.n;
        assert_eq!(hex_of(&pad(n)), format!("00{}", N_HEX.to_lowercase()));
        assert_eq!(hex_of(&pad(n)), pad_hex(n));
    }

    #[test]
    fn cognito_timestamp_formats_known_dates() {
        let cases = [
            (0, "Thu Jan 1 00:00:00 UTC 1970"),
            (1_709_210_096, "Thu Feb 29 12:34:56 UTC 2024"),
            (951_782_400, "Tue Feb 29 00:00:00 UTC 2000"),
            (4_107_542_400, "Mon Mar 1 00:00:00 UTC 2100"),
            (2_147_483_648, "Tue Jan 19 03:14:08 UTC 2038"),
            (1_795_338_303, "Sun Nov 22 09:05:03 UTC 2026"),
            (1_772_927_949, "Sat Mar 7 23:59:09 UTC 2026"),
        ];
        for (secs, expected) in cases {
            assert_eq!(cognito_timestamp(at(secs)), expected, "{secs}");
        }
        // Sub-second parts are dropped.
        let later = at(1_709_210_096) + Duration::from_millis(999);
        assert_eq!(cognito_timestamp(later), "Thu Feb 29 12:34:56 UTC 2024");
    }

    #[test]
    fn cognito_timestamp_before_the_epoch_rounds_down() {
        let t = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(cognito_timestamp(t), "Wed Dec 31 23:59:59 UTC 1969");
        let t = UNIX_EPOCH - Duration::from_secs(86_400 * 365);
        assert_eq!(cognito_timestamp(t), "Wed Jan 1 00:00:00 UTC 1969");
    }

    #[test]
    fn pool_name_is_what_follows_the_first_underscore() {
        assert_eq!(pool_name("us-east-1_AbC123"), Ok("AbC123"));
        assert_eq!(pool_name("eu-west-2_a_b"), Ok("a_b"));
    }

    #[test]
    fn new_clients_draw_fresh_secrets() {
        let (one, two) = (SrpClient::new(), SrpClient::new());
        assert_ne!(one.srp_a(), two.srp_a());
        assert_eq!(one.a.len(), SECRET_LEN);
        assert!(one.big_a < GROUP.n);
        assert_eq!(one.srp_a(), one.srp_a().to_lowercase());
    }

    #[test]
    fn debug_hides_the_secrets() {
        let client = SrpClient::from_secret(&[0xab; 32]);
        let shown = format!("{client:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(
            !shown.contains("abab") && !shown.contains("171, 171"),
            "{shown}"
        );

        let claim = PasswordClaim {
            signature: "c2lnbmF0dXJl".into(),
            secret_block: "YmxvY2s=".into(),
            timestamp: "Thu Jan 1 00:00:00 UTC 1970".into(),
            username: "alice".into(),
        };
        let shown = format!("{claim:?}");
        assert!(
            !shown.contains("c2lnbmF0dXJl") && !shown.contains("YmxvY2s="),
            "{shown}"
        );
        assert!(shown.contains("alice"), "{shown}");
    }

    /// A well-formed challenge for the error tests; only the field under test is broken.
    fn good_challenge() -> PasswordChallenge<'static> {
        PasswordChallenge {
            pool_id: "us-east-1_AbC123",
            user_id_for_srp: "alice",
            salt_hex: "f3a9c01d",
            srp_b_hex: "abcdef0123456789",
            secret_block_b64: "c2VjcmV0IGJsb2Nr",
        }
    }

    /// The error that `challenge` gets.
    fn claim_error(challenge: &PasswordChallenge<'_>) -> SrpError {
        SrpClient::from_secret(&[7; 32])
            .password_claim(challenge, "password", at(0))
            .expect_err("the challenge is refused")
    }

    #[test]
    fn good_challenge_is_answered() {
        let claim = SrpClient::from_secret(&[7; 32])
            .password_claim(&good_challenge(), "password", at(0))
            .expect("a well-formed challenge is answered");
        assert_eq!(claim.secret_block, "c2VjcmV0IGJsb2Nr");
        assert_eq!(claim.username, "alice");
        assert_eq!(claim.timestamp, "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(STANDARD.decode(&claim.signature).map(|s| s.len()), Ok(32));
    }

    #[test]
    fn pool_id_without_underscore_fails() {
        for pool_id in ["useast1AbC123", "us-east-1_", ""] {
            let challenge = PasswordChallenge {
                pool_id,
                ..good_challenge()
            };
            assert_eq!(
                claim_error(&challenge),
                SrpError::PoolIdMalformed(pool_id.into())
            );
        }
    }

    #[test]
    fn salt_not_hex_fails() {
        for salt_hex in ["", "xyz", "+ab", "ab_cd", "0xab", " ab", "ab\n"] {
            let challenge = PasswordChallenge {
                salt_hex,
                ..good_challenge()
            };
            assert_eq!(
                claim_error(&challenge),
                SrpError::SaltNotHex,
                "{salt_hex:?}"
            );
        }
    }

    #[test]
    fn srp_b_not_hex_fails() {
        for srp_b_hex in ["", "g1", "+ab", "ab_cd", "-1", "abc "] {
            let challenge = PasswordChallenge {
                srp_b_hex,
                ..good_challenge()
            };
            assert_eq!(
                claim_error(&challenge),
                SrpError::SrpBNotHex,
                "{srp_b_hex:?}"
            );
        }
    }

    #[test]
    fn secret_block_not_base64_fails() {
        // Not base64, padding where none belongs, missing padding, the URL-safe alphabet.
        let malformed = [
            "not base64!",
            "c2VjcmV0IGJsb2Nr=",
            "c2VjcmV0IGJsb2NrMQ",
            "c2V-cmV0",
        ];
        for secret_block_b64 in malformed {
            let challenge = PasswordChallenge {
                secret_block_b64,
                ..good_challenge()
            };
            assert_eq!(
                claim_error(&challenge),
                SrpError::SecretBlockNotBase64,
                "{secret_block_b64:?}"
            );
        }
    }

    #[test]
    fn srp_b_zero_mod_n_fails() {
        let n = &GROUP.n;
        let multiples = [BigUint::ZERO, n.clone(), n * 2u32, n * 12345u32];
        for b in multiples {
            let srp_b_hex = b.to_str_radix(16);
            let challenge = PasswordChallenge {
                srp_b_hex: &srp_b_hex,
                ..good_challenge()
            };
            assert_eq!(claim_error(&challenge), SrpError::SrpBZeroModN);
        }
        // "000" is zero too, and still hex.
        let challenge = PasswordChallenge {
            srp_b_hex: "000",
            ..good_challenge()
        };
        assert_eq!(claim_error(&challenge), SrpError::SrpBZeroModN);
    }

    #[test]
    fn u_zero_fails() {
        // A SHA-256 of zero cannot be produced on purpose, so the check is tested on its own.
        assert_eq!(scrambler(&[0; 32]), Err(SrpError::UZero));
        assert_eq!(scrambler(&[0, 1]), Ok(BigUint::from(1u32)));
    }

    /// The server side of Cognito's SRP-6a, written apart from the client: padding on hex
    /// strings as the SDKs do, HKDF from two HMACs.
    struct TestServer {
        pool_name: String,
        user_id: String,
        n: BigUint,
        v: BigUint,
        b: BigUint,
        big_b: BigUint,
    }

    impl TestServer {
        /// A server that holds `password`'s verifier under `salt_hex`, with secret `b`.
        fn new(pool_name: &str, user_id: &str, password: &str, salt_hex: &str, b: &[u8]) -> Self {
            let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is hex");
            let g = BigUint::from(2u32);
            let h = |hex: &str| BigUint::from_bytes_be(sha256(&[&unhex(hex)]).as_ref());
            let k = h(&(pad_hex(&n) + &pad_hex(&g)));
            let salt = BigUint::parse_bytes(salt_hex.as_bytes(), 16).expect("salt is hex");
            let inner = sha256(&[format!("{pool_name}{user_id}:{password}").as_bytes()]);
            let x = h(&(pad_hex(&salt) + &hex_of(inner.as_ref())));
            let v = g.modpow(&x, &n);
            let b = BigUint::from_bytes_be(b);
            let big_b = (k * &v + g.modpow(&b, &n)) % &n;
            Self {
                pool_name: pool_name.into(),
                user_id: user_id.into(),
                n,
                v,
                b,
                big_b,
            }
        }

        /// `SRP_B` as Cognito sends it.
        fn srp_b_hex(&self) -> String {
            self.big_b.to_str_radix(16)
        }

        /// Whether `claim` proves the password, for the client's `srp_a_hex`.
        fn verifies(&self, srp_a_hex: &str, secret_block: &[u8], claim: &PasswordClaim) -> bool {
            let n = &self.n;
            let big_a = BigUint::parse_bytes(srp_a_hex.as_bytes(), 16).expect("SRP_A is hex");
            assert_ne!(&big_a % n, BigUint::ZERO, "the server refuses A = 0 mod N");
            let u_hex = pad_hex(&big_a) + &pad_hex(&self.big_b);
            let u = BigUint::from_bytes_be(sha256(&[&unhex(&u_hex)]).as_ref());
            let s = (big_a * self.v.modpow(&u, n) % n).modpow(&self.b, n);

            let hmac_sha256 = |key: &[u8], parts: &[&[u8]]| {
                let key = hmac::Key::new(hmac::HMAC_SHA256, key);
                let mut mac = hmac::Context::with_key(&key);
                parts.iter().for_each(|part| mac.update(part));
                mac.sign()
            };
            let prk = hmac_sha256(&unhex(&pad_hex(&u)), &[&unhex(&pad_hex(&s))]);
            let okm = hmac_sha256(prk.as_ref(), &[b"Caldera Derived Key", &[1]]);
            let key = hmac::Key::new(hmac::HMAC_SHA256, &okm.as_ref()[..16]);
            let message = [
                self.pool_name.as_bytes(),
                self.user_id.as_bytes(),
                secret_block,
                claim.timestamp.as_bytes(),
            ]
            .concat();
            let signature = STANDARD
                .decode(&claim.signature)
                .expect("signature is base64");
            hmac::verify(&key, &message, &signature).is_ok()
        }
    }

    /// A sign-in fixture: the pool, the user, the client's and the server's secrets.
    struct Case {
        pool_id: &'static str,
        user_id: &'static str,
        password: String,
        salt_hex: &'static str,
        a: Vec<u8>,
        b: Vec<u8>,
        secret_block: Vec<u8>,
        unix_time: u64,
        client_id: &'static str,
        client_secret: &'static str,
    }

    impl Case {
        /// The test server for this case.
        fn server(&self) -> TestServer {
            let pool_name = pool_name(self.pool_id).expect("fixture pool ids are well formed");
            TestServer::new(
                pool_name,
                self.user_id,
                &self.password,
                self.salt_hex,
                &self.b,
            )
        }
    }

    /// Three sign-ins: salts of odd length with a high first digit, of even length with a high
    /// first digit (PAD adds `00`) and with a low one; an `a` with its top bit set and one with
    /// leading zero bytes; a long password and a non-ASCII one.
    fn cases() -> Vec<Case> {
        let mut high_a = fixture_bytes(2, SECRET_LEN);
        high_a[0] = 0xf1;
        let mut low_a = fixture_bytes(3, SECRET_LEN);
        low_a[..3].fill(0);
        vec![
            Case {
                pool_id: "us-east-1_AbC123",
                user_id: "7a1c3f0e-5b2d-4c8e-9f61-2d4b8a9e0c13",
                password: "correct horse battery staple".into(),
                salt_hex: "e4b79a1c0d5f3a2b86c9d0e1f2a3b4c5d",
                a: fixture_bytes(1, SECRET_LEN),
                b: fixture_bytes(11, SECRET_LEN),
                secret_block: fixture_bytes(21, 700),
                unix_time: 1_795_338_303,
                client_id: "4j3ob2example0client",
                client_secret: "example-client-secret-0123456789",
            },
            Case {
                pool_id: "eu-west-2_Zz9xQ",
                user_id: "alice",
                password: "Tr0ub4dor&3 ".repeat(40),
                salt_hex: "9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d",
                a: high_a,
                b: fixture_bytes(12, SECRET_LEN),
                secret_block: vec![0x42],
                unix_time: 1_709_210_096,
                client_id: "1example23456789",
                client_secret: "s3cr3t",
            },
            Case {
                pool_id: "ap-northeast-1_Ja9",
                user_id: "jürgen.müller@example.com",
                password: "pässwörd – 🔑 日本語 Ω".into(),
                salt_hex: "1f2e3d4c5b6a79880796a5b4c3d2e1f0ff",
                a: low_a,
                b: fixture_bytes(13, 32),
                secret_block: fixture_bytes(23, 33),
                unix_time: 1_772_927_949,
                client_id: "7clientid",
                client_secret: "ünïcode secret",
            },
        ]
    }

    /// The client's claim in `case` for `password`, against `server`.
    fn claim_for(case: &Case, server: &TestServer, password: &str) -> (SrpClient, PasswordClaim) {
        let client = SrpClient::from_secret(&case.a);
        let srp_b_hex = server.srp_b_hex();
        let secret_block_b64 = STANDARD.encode(&case.secret_block);
        let challenge = PasswordChallenge {
            pool_id: case.pool_id,
            user_id_for_srp: case.user_id,
            salt_hex: case.salt_hex,
            srp_b_hex: &srp_b_hex,
            secret_block_b64: &secret_block_b64,
        };
        let claim = client
            .password_claim(&challenge, password, at(case.unix_time))
            .expect("the challenge is answered");
        (client, claim)
    }

    #[test]
    fn signature_verifies_on_an_independent_server() {
        for case in cases() {
            let server = case.server();
            let (client, claim) = claim_for(&case, &server, &case.password);
            assert!(
                server.verifies(&client.srp_a(), &case.secret_block, &claim),
                "{}",
                case.user_id
            );
        }
        // And with a random a.
        let case = &cases()[0];
        let server = case.server();
        let client = SrpClient::new();
        let srp_b_hex = server.srp_b_hex();
        let secret_block_b64 = STANDARD.encode(&case.secret_block);
        let challenge = PasswordChallenge {
            pool_id: case.pool_id,
            user_id_for_srp: case.user_id,
            salt_hex: case.salt_hex,
            srp_b_hex: &srp_b_hex,
            secret_block_b64: &secret_block_b64,
        };
        let claim = client
            .password_claim(&challenge, &case.password, SystemTime::now())
            .expect("the challenge is answered");
        assert!(server.verifies(&client.srp_a(), &case.secret_block, &claim));
    }

    #[test]
    fn wrong_password_signature_does_not_verify() {
        let case = &cases()[0];
        let server = case.server();
        for wrong in [
            "correct horse battery stapl",
            "Correct horse battery staple",
            "",
        ] {
            let (client, claim) = claim_for(case, &server, wrong);
            assert!(
                !server.verifies(&client.srp_a(), &case.secret_block, &claim),
                "{wrong:?}"
            );
        }
    }

    /// Runs `tests/srp_reference.py` (pycognito) on `input`.
    fn pycognito_reference(input: &serde_json::Value) -> serde_json::Value {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        // PEERS_DIR as in the test kit: a worktree's peers may live in another checkout.
        let peers = std::env::var_os("PEERS_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| crate_dir.join("../../.peers"));
        let python = peers.join("venv/bin/python");
        let script = crate_dir.join("tests/srp_reference.py");
        assert!(
            python.exists(),
            "{} is missing: run scripts/setup-peers to install the peers' venv with pycognito",
            python.display()
        );
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the peers' python starts (else run scripts/setup-peers)");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.to_string().as_bytes())
            .expect("the reference script reads its input");
        let output = child.wait_with_output().expect("the reference script runs");
        assert!(
            output.status.success(),
            "tests/srp_reference.py failed (is pycognito installed? run scripts/setup-peers): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the reference script prints JSON")
    }

    #[test]
    fn matches_pycognito_reference() {
        for case in cases() {
            let server = case.server();
            let (client, claim) = claim_for(&case, &server, &case.password);
            let secret_block_b64 = STANDARD.encode(&case.secret_block);
            let reference = pycognito_reference(&serde_json::json!({
                "pool_id": case.pool_id,
                "user_id": case.user_id,
                "password": case.password,
                "salt": case.salt_hex,
                "srp_b": server.srp_b_hex(),
                "secret_block": secret_block_b64,
                "unix_time": case.unix_time,
                "a_hex": hex_of(&case.a),
                "client_id": case.client_id,
                "client_secret": case.client_secret,
            }));
            let field = |name: &str| reference[name].as_str().map(str::to_owned);
            assert_eq!(
                field("srp_a"),
                Some(client.srp_a()),
                "SRP_A for {}",
                case.user_id
            );
            assert_eq!(field("timestamp"), Some(claim.timestamp.clone()));
            assert_eq!(
                field("signature"),
                Some(claim.signature.clone()),
                "{}",
                case.user_id
            );
            assert_eq!(field("secret_block"), Some(claim.secret_block.clone()));
            assert_eq!(field("username"), Some(claim.username.clone()));
            assert_eq!(
                field("secret_hash"),
                Some(
                    cognito_idp::SecretHash {
                        username: &claim.username,
                        client_id: case.client_id,
                        client_secret: &cognito_idp::Secret::new(case.client_secret),
                    }
                    .to_base64()
                )
            );
        }
    }
}
