//! [`Secret`]: a string that never shows itself and compares in constant time.

use std::fmt;

use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

/// A secret string: a password, a temporary password, a client secret, a sign-in session, a
/// token, a Redis URL with a password, a state key.
///
/// - `Debug` prints `Secret([REDACTED])` and `Display` prints `[REDACTED]`.
/// - The bytes are zeroized on drop.
/// - The type is not `Serialize`, so it cannot leak into tool output or audit records by
///   accident.
/// - `==` takes the same time wherever the two values first differ (only their lengths can
///   be told apart), so comparing a presented secret with the real one leaks nothing about
///   its content.
///
/// Read it with [`Secret::expose`] at the one place that hands it on.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret value. Call this only where the value is handed on (to AWS, to a store).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Secret {
    /// Constant time in the content: aws-lc's `CRYPTO_memcmp` over the bytes once the lengths
    /// are equal.
    fn eq(&self, other: &Self) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.0.as_bytes(), other.0.as_bytes())
            .is_ok()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "writeOnly": true,
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "hunter2-Sup3r!";

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new(VALUE);
        for shown in [
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{s}"),
            format!("{:?}", Some(&s)),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("[REDACTED]"), "{shown}");
        }
        assert_eq!(s.expose(), VALUE);
    }

    #[test]
    fn equal_values_are_equal() {
        assert_eq!(Secret::new(VALUE), Secret::new(String::from(VALUE)));
        assert_eq!(Secret::new(""), Secret::default());
    }

    #[test]
    fn values_that_differ_anywhere_are_not_equal() {
        let s = Secret::new(VALUE);
        // The first, a middle and the last byte.
        for other in ["Hunter2-Sup3r!", "hunter2_Sup3r!", "hunter2-Sup3r?"] {
            assert_eq!(other.len(), VALUE.len());
            assert_ne!(s, Secret::new(other), "{other}");
        }
    }

    #[test]
    fn values_of_different_lengths_are_not_equal() {
        let s = Secret::new(VALUE);
        assert_ne!(s, Secret::new("hunter2-Sup3r"), "a prefix");
        assert_ne!(s, Secret::new("hunter2-Sup3r!!"), "an extension");
        assert_ne!(s, Secret::new(""), "empty");
    }

    #[test]
    fn deserializes_from_a_json_string() {
        let s: Secret = serde_json::from_str("\"abc\"").expect("string");
        assert_eq!(s.expose(), "abc");
        assert!(serde_json::from_str::<Secret>("12").is_err());
    }

    #[test]
    fn is_empty_tells_the_empty_string() {
        assert!(Secret::new("").is_empty());
        assert!(!Secret::new("x").is_empty());
    }
}
