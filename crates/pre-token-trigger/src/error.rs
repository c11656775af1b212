//! [`ConfigError`] (the environment at start) and [`EventError`] (one invocation), one variant
//! per reason, and the one place either becomes a Lambda error body.
//!
//! Messages name the variable or the event field and say what to change. They never hold a
//! user attribute's value: an event field is named by its path, and a value from the event
//! appears only where it is the event's own metadata (`version`, `triggerSource`), shortened.

use lambda_runtime::Diagnostic;

/// The `errorType` of an invocation refused because of its event.
pub const INVALID_EVENT_ERROR_TYPE: &str = "PreTokenTrigger.InvalidEvent";
/// The `errorType` of an invocation that failed to encode its own response.
pub const INTERNAL_ERROR_TYPE: &str = "PreTokenTrigger.Internal";
/// The `errorType` posted to the Runtime API's init error endpoint for a bad configuration.
pub const INVALID_CONFIG_ERROR_TYPE: &str = "PreTokenTrigger.InvalidConfig";

/// Why the configuration in the environment was refused at start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable is set to something that is not valid Unicode.
    #[error("{variable} is not valid UTF-8; set it to plain text")]
    NotUnicode {
        /// The variable.
        variable: &'static str,
    },
    /// `GROUP_SCOPES` is set but blank.
    #[error(
        "GROUP_SCOPES is set but empty; unset it for the default mapping or set a JSON object \
         such as {{\"Admins\":[\"mcp/read\",\"mcp/write\",\"mcp/admin\"]}}"
    )]
    GroupScopesEmpty,
    /// `GROUP_SCOPES` is not JSON.
    #[error(
        "GROUP_SCOPES is not valid JSON ({reason}); set a JSON object of group name to a list of \
         full scope names, such as {{\"ReadOnly\":[\"mcp/read\"]}}"
    )]
    GroupScopesNotJson {
        /// serde_json's description, with line and column.
        reason: String,
    },
    /// `GROUP_SCOPES` is JSON but not an object of string lists.
    #[error(
        "GROUP_SCOPES {detail}; it must be a JSON object of group name to a list of full scope \
         names, such as {{\"ReadOnly\":[\"mcp/read\"]}}"
    )]
    GroupScopesShape {
        /// What is wrong, with the group it concerns.
        detail: String,
    },
    /// A scope in `GROUP_SCOPES` is not an OAuth scope token.
    #[error(
        "GROUP_SCOPES gives group {group:?} the scope {scope:?}, which is not an OAuth scope \
         name: use the full name, such as \"mcp/read\", without spaces, quotes or backslashes"
    )]
    InvalidScope {
        /// The group.
        group: String,
        /// The scope as given.
        scope: String,
    },
    /// An `ATTRIBUTE_CLAIMS` entry is not `attribute` or `attribute=claim`.
    #[error(
        "ATTRIBUTE_CLAIMS entry {position} ({entry:?}) {reason}; write comma-separated \
         `attribute` or `attribute=claim` entries, such as `custom:department` or \
         `custom:dept=department`"
    )]
    AttributeClaimsEntry {
        /// The entry's 1-based position in the list.
        position: usize,
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `ATTRIBUTE_CLAIMS` entry would set a claim Cognito does not let a trigger change.
    #[error(
        "ATTRIBUTE_CLAIMS entry {entry:?} would set the claim {claim:?}, which Cognito does not \
         let a pre token generation trigger add or override ({rule}); name another claim with \
         `attribute=claim`, such as `{attribute}=my_{suggestion}`"
    )]
    ForbiddenClaim {
        /// The entry as given.
        entry: String,
        /// The attribute it reads.
        attribute: String,
        /// The claim it would set.
        claim: String,
        /// Why the claim is reserved.
        rule: &'static str,
        /// A claim-name stem for the suggested fix.
        suggestion: String,
    },
    /// Two `ATTRIBUTE_CLAIMS` entries set the same claim.
    #[error(
        "ATTRIBUTE_CLAIMS sets the claim {claim:?} twice (from {first:?} and {second:?}); give \
         one of them another claim name with `attribute=claim`"
    )]
    DuplicateClaim {
        /// The claim.
        claim: String,
        /// The first attribute setting it.
        first: String,
        /// The second attribute setting it.
        second: String,
    },
}

/// Why one invocation's event was refused (or, once, why its answer could not be built).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The event is not a JSON object.
    #[error(
        "the event is {found}, not a JSON object; a pre token generation trigger receives a \
         Cognito event object"
    )]
    NotAnObject {
        /// The JSON kind it is.
        found: &'static str,
    },
    /// A field the trigger needs is absent.
    #[error("the event has no `{field}` field, which a pre token generation event always has")]
    MissingField {
        /// The field's path, such as `request.userAttributes`.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("the event's `{field}` is {found}, where {expected} is expected")]
    WrongType {
        /// The field's path, such as `request.groupConfiguration.groupsToOverride`.
        field: String,
        /// The kind expected.
        expected: &'static str,
        /// The kind found.
        found: &'static str,
    },
    /// `version` is not one this trigger handles.
    #[error(
        "the event's `version` is {version:?}; this trigger handles versions \"1\", \"2\" and \"3\" \
         (LambdaVersion V1_0, V2_0 and V3_0)"
    )]
    UnsupportedVersion {
        /// The version, shortened.
        version: String,
    },
    /// `triggerSource` is not a pre token generation source.
    #[error(
        "the event's `triggerSource` is {trigger_source:?}, not a pre token generation source \
         (TokenGeneration_*); attach this function to the pool's PreTokenGeneration trigger only"
    )]
    UnsupportedTriggerSource {
        /// The trigger source, shortened.
        trigger_source: String,
    },
    /// The response could not be encoded (not expected to happen).
    #[error("the trigger could not encode its response: {reason}")]
    Encode {
        /// serde_json's description.
        reason: String,
    },
}

impl EventError {
    /// The Lambda `errorType` for this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            EventError::Encode { .. } => INTERNAL_ERROR_TYPE,
            _ => INVALID_EVENT_ERROR_TYPE,
        }
    }
}

impl From<EventError> for Diagnostic {
    fn from(error: EventError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

impl From<ConfigError> for Diagnostic {
    fn from(error: ConfigError) -> Self {
        Diagnostic {
            error_type: INVALID_CONFIG_ERROR_TYPE.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// At most 64 characters of `text`, with `…` when cut, for event metadata in messages.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    if text.chars().nth(MAX).is_some() {
        let kept: String = text.chars().take(MAX).collect();
        format!("{kept}…")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_text_and_cuts_long_text_on_a_char_boundary() {
        assert_eq!(shorten("2"), "2");
        let long = "é".repeat(100);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), 65);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn diagnostics_carry_the_type_and_the_message() {
        let diagnostic = Diagnostic::from(EventError::MissingField {
            field: "request".into(),
        });
        assert_eq!(diagnostic.error_type, INVALID_EVENT_ERROR_TYPE);
        assert!(diagnostic.error_message.contains("`request`"));
        let diagnostic = Diagnostic::from(ConfigError::GroupScopesEmpty);
        assert_eq!(diagnostic.error_type, INVALID_CONFIG_ERROR_TYPE);
        assert!(diagnostic.error_message.starts_with("GROUP_SCOPES"));
    }
}
