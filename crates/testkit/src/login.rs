//! The sign-in page (proxy mode's login upstream) against moto: app clients with chosen
//! flows, users, TOTP, and the form-filling steps of the headless browser ([`crate::oauth`]).
//! Shared by the binary's login tests and the library's in-process ones.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, SoftwareTokenMfaConfigType, UserPoolMfaType,
};

use crate::oauth::{Browser, Got, authorize_url, consent_fields, submit_consent};
use crate::{Pool, sdk_client};

/// An app client of `pool` allowing `flows` (plus refresh), with a secret or not:
/// (client id, secret).
pub async fn app_client(
    pool: &Pool,
    flows: &[ExplicitAuthFlowsType],
    secret: bool,
) -> (String, Option<String>) {
    let mut req = sdk_client()
        .await
        .create_user_pool_client()
        .user_pool_id(&pool.id)
        .client_name(format!("login-{}", flows.len()))
        .generate_secret(secret)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth);
    for f in flows {
        req = req.explicit_auth_flows(f.clone());
    }
    let c = req.send().await.expect("create app client");
    let c = c.user_pool_client().expect("client");
    (
        c.client_id().expect("id").to_owned(),
        c.client_secret().map(str::to_owned),
    )
}

/// A client allowing only ADMIN_USER_PASSWORD_AUTH (moto checks passwords on this flow).
pub async fn password_client(pool: &Pool, secret: bool) -> (String, Option<String>) {
    app_client(
        pool,
        &[ExplicitAuthFlowsType::AllowAdminUserPasswordAuth],
        secret,
    )
    .await
}

/// A client allowing USER_SRP_AUTH.
pub async fn srp_client(pool: &Pool, secret: bool) -> (String, Option<String>) {
    app_client(pool, &[ExplicitAuthFlowsType::AllowUserSrpAuth], secret).await
}

/// The permanent password of [`user`].
pub const PASSWORD: &str = "Correct-Horse-42";
/// The temporary password of [`user`].
pub const TEMPORARY: &str = "Temporary-Pass-1!";

/// A user with `PASSWORD` as permanent password (or, with `first_sign_in`, only the
/// temporary `TEMPORARY`), in `groups`.
pub async fn user(pool: &Pool, username: &str, groups: &[&str], first_sign_in: bool) {
    let c = sdk_client().await;
    c.admin_create_user()
        .user_pool_id(&pool.id)
        .username(username)
        .temporary_password(TEMPORARY)
        .send()
        .await
        .expect("create user");
    if !first_sign_in {
        c.admin_set_user_password()
            .user_pool_id(&pool.id)
            .username(username)
            .password(PASSWORD)
            .permanent(true)
            .send()
            .await
            .expect("set password");
    }
    for g in groups {
        c.admin_add_user_to_group()
            .user_pool_id(&pool.id)
            .username(username)
            .group_name(*g)
            .send()
            .await
            .expect("add to group");
    }
}

/// Turns TOTP MFA on (required) for the pool.
pub async fn require_totp(pool: &Pool) {
    sdk_client()
        .await
        .set_user_pool_mfa_config()
        .user_pool_id(&pool.id)
        .software_token_mfa_configuration(
            SoftwareTokenMfaConfigType::builder().enabled(true).build(),
        )
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await
        .expect("pool MFA on");
}

/// The named fields (hidden or not) of the first form of a page.
pub fn fields(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = html;
    while let Some(at) = rest.find("<input ") {
        rest = &rest[at + 7..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let attr = |name: &str| {
            tag.find(&format!("{name}=\"")).map(|i| {
                let v = &tag[i + name.len() + 2..];
                v[..v.find('"').unwrap_or(v.len())].to_owned()
            })
        };
        if let Some(n) = attr("name") {
            out.insert(n, attr("value").unwrap_or_default());
        }
    }
    out
}

/// Runs authorize → consent (approve) and returns the sign-in page.
pub async fn to_login_page(
    b: &mut Browser,
    base: &str,
    client_id: &str,
    challenge: &str,
    scope: &str,
) -> Got {
    let page = b
        .get(&authorize_url(base, client_id, challenge, scope, &[]))
        .await;
    assert_eq!(page.status, 200, "consent page expected: {}", page.text);
    let (txn, csrf) = consent_fields(&page.text);
    let to_login = submit_consent(b, base, &txn, &csrf, "approve").await;
    let loc = to_login
        .location
        .clone()
        .expect("redirect to the sign-in page");
    assert!(loc.starts_with(&format!("{base}/login?state=")), "{loc}");
    let page = b.get(&loc).await;
    assert_eq!(page.status, 200, "sign-in page expected: {}", page.text);
    page
}

/// Submits a page's form to `path` with its hidden fields and `values`.
pub async fn submit(
    b: &mut Browser,
    base: &str,
    page: &Got,
    path: &str,
    values: &[(&str, &str)],
) -> Got {
    let f = fields(&page.text);
    let mut form: Vec<(&str, &str)> = vec![
        (
            "state",
            f.get("state").map(String::as_str).expect("state field"),
        ),
        (
            "csrf",
            f.get("csrf").map(String::as_str).expect("csrf field"),
        ),
    ];
    form.extend_from_slice(values);
    b.post_form(&format!("{base}{path}"), &form).await
}

/// The RFC 6238 code (SHA-1, 30 s, 6 digits) of base32 `secret` at Unix time `t`.
pub fn totp(secret: &str, t: u64) -> String {
    let key = base32(secret);
    let counter = (t / 30).to_be_bytes();
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    let mac = aws_lc_rs::hmac::sign(&k, &counter);
    let h = mac.as_ref();
    let off = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!("{:06}", bin % 1_000_000)
}

fn base32(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = alphabet
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32 digit") as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            out.push((bits >> (n - 8)) as u8);
            n -= 8;
        }
    }
    out
}

/// The TOTP key the enrollment page shows (grouped by four), without spaces.
pub fn shown_secret(html: &str) -> String {
    let at = html.find("id=\"secret\">").expect("secret shown") + 12;
    let rest = &html[at..];
    rest[..rest.find('<').expect("end")].replace(' ', "")
}

/// The current TOTP code, taken early enough in its 30-second step that moto checks it
/// within the same step.
pub async fn fresh_totp(secret: &str) -> String {
    if now() % 30 >= 27 {
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    }
    totp(secret, now())
}

/// Seconds since the epoch, on the system clock (moto's).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[cfg(test)]
mod tests {
    #[test]
    fn totp_matches_rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59: 94287082 (8 digits) → 287082.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
        assert_eq!(super::totp(secret, 59), "287082");
    }
}
