//! The fixtures' sealed `requestState` (SEP-2322): what a multi-round tool carries from one
//! round to the next, through the client, which must not be able to change it.
//!
//! ```text
//! v1.<expiry, unix seconds>.<payload JSON, base64url>.<HMAC-SHA256, base64url>
//! HMAC over "cognito-mcp-conformance-fixtures/state/v1", tool, expiry and payload, NUL-separated
//! ```
//!
//! The key is random, made once per process ([`StateSeal::random`]), so a state dies with the
//! server. A state is bound to the tool (or prompt) that issued it and expires after
//! [`STATE_TTL`]; it is not single-use, as no fixture's round has an effect to repeat. The real
//! server's confirmation states (`src/mcp/confirm_state.rs`) also bind the caller, the arguments
//! and the target, and count once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::ErrorData;
use serde_json::Value;

/// How long a client has to answer one round.
pub(crate) const STATE_TTL: Duration = Duration::from_secs(600);
/// The version prefix of every state this server writes.
const VERSION: &str = "v1";
/// The first field of every signed message, so no other signed text is a valid state.
const DOMAIN: &str = "cognito-mcp-conformance-fixtures/state/v1";

/// Seals and opens `requestState` values with this process's key.
#[derive(Debug)]
pub(crate) struct StateSeal {
    key: hmac::Key,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The error for a `requestState` this server will not trust: -32602, as SEP-2322 asks.
fn refused(why: &str) -> ErrorData {
    ErrorData::invalid_params(
        format!(
            "requestState refused: {why}; start over by calling again without inputResponses \
             and requestState"
        ),
        None,
    )
}

impl StateSeal {
    /// A seal with a fresh random key.
    pub(crate) fn random() -> Self {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .expect("the system random generator makes an HMAC key");
        Self { key }
    }

    fn message(tool: &str, expiry: &str, payload: &str) -> Vec<u8> {
        [DOMAIN, tool, expiry, payload].join("\0").into_bytes()
    }

    /// The state carrying `payload` for the next round of `tool`.
    pub(crate) fn seal(&self, tool: &str, payload: &Value) -> String {
        self.seal_until(tool, payload, now() + STATE_TTL.as_secs())
    }

    fn seal_until(&self, tool: &str, payload: &Value, expiry: u64) -> String {
        let expiry = expiry.to_string();
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let tag = hmac::sign(&self.key, &Self::message(tool, &expiry, &payload));
        format!(
            "{VERSION}.{expiry}.{payload}.{}",
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        )
    }

    /// The payload of `state`, if this process sealed it for `tool` and it has not expired.
    pub(crate) fn open(&self, tool: &str, state: &str) -> Result<Value, ErrorData> {
        let fields: Vec<&str> = state.split('.').collect();
        let &[VERSION, expiry, payload, tag] = fields.as_slice() else {
            return Err(refused("it is not a state this server writes"));
        };
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| refused("its signature is not base64url"))?;
        hmac::verify(&self.key, &Self::message(tool, expiry, payload), &tag).map_err(|_| {
            refused(
                "its signature does not match (it was changed, issued for another tool, or by \
                 another server process)",
            )
        })?;
        let expiry: u64 = expiry
            .parse()
            .map_err(|_| refused("its expiry is not a number"))?;
        if expiry < now() {
            return Err(refused("it has expired"));
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| refused("its payload is not base64url"))?;
        serde_json::from_slice(&payload).map_err(|_| refused("its payload is not JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sealed_state_opens_for_its_tool_only() {
        let seal = StateSeal::random();
        let state = seal.seal("tool_a", &json!({ "step": 2, "name": "Alice" }));
        assert_eq!(
            seal.open("tool_a", &state).expect("opens"),
            json!({ "step": 2, "name": "Alice" })
        );
        assert!(seal.open("tool_b", &state).is_err());
        assert!(StateSeal::random().open("tool_a", &state).is_err());
    }

    #[test]
    fn a_changed_or_expired_state_is_refused() {
        let seal = StateSeal::random();
        let state = seal.seal("t", &json!({ "step": 1 }));
        let refused = |s: &str| {
            let e = seal.open("t", s).expect_err("refused");
            assert_eq!(e.code, rmcp::model::ErrorCode::INVALID_PARAMS, "{s}");
        };
        refused(&format!("{state}-TAMPERED"));
        refused(&state.replacen("v1.", "v2.", 1));
        let fields: Vec<&str> = state.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(json!({ "step": 2 }).to_string());
        refused(&[fields[0], fields[1], &other, fields[3]].join("."));
        refused(&[fields[0], "99999999999", fields[2], fields[3]].join("."));
        refused("");
        refused(&seal.seal_until("t", &json!({}), now() - 1));
    }
}
