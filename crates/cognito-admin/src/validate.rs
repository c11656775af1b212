//! Input checks that run before any AWS call.
//!
//! Each check returns a [`Invalid`] that names the field, says what is wrong, what Cognito
//! requires, and gives a valid example, so an agent can fix its call on the next try.

use std::fmt;

/// A rejected input: which field, what is wrong, what is required, and a valid example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The input field, as the caller named it (`username`, `filter`, `attributes.email`).
    pub field: String,
    /// What is wrong with the value (never the value itself when it is a secret).
    pub problem: String,
    /// What Cognito requires of the field.
    pub requirement: String,
    /// A value that would pass.
    pub example: String,
}

impl Invalid {
    pub(crate) fn new(
        field: impl Into<String>,
        problem: impl Into<String>,
        requirement: impl Into<String>,
        example: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
            requirement: requirement.into(),
            example: example.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.problem)
    }
}

/// Attributes `ListUsers` can filter on.
pub const SEARCHABLE_ATTRIBUTES: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

/// Standard OpenID Connect attributes a Cognito pool knows.
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "sub",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Largest page `ListUsers`, `ListUsersInGroup` and `ListGroups` accept.
pub const MAX_PAGE: i32 = 60;

fn is_cognito_name_char(c: char) -> bool {
    // Cognito's pattern for usernames and group names is [\p{L}\p{M}\p{S}\p{N}\p{P}]+ :
    // anything printable except whitespace and separators.
    !c.is_whitespace() && !c.is_control()
}

/// A Cognito name (username or group name): 1 to 128 characters, no whitespace or control
/// characters. `examples` are a plain valid value and one shaped like common mistakes' fixes.
fn cognito_name(field: &str, value: &str, examples: [&str; 2]) -> Result<(), Invalid> {
    const REQ: &str = "1 to 128 characters, with no spaces or control characters";
    if value.is_empty() {
        return Err(Invalid::new(field, "is empty", REQ, examples[0]));
    }
    if value.chars().count() > 128 {
        return Err(Invalid::new(
            field,
            "is longer than 128 characters",
            REQ,
            examples[0],
        ));
    }
    if let Some(c) = value.chars().find(|c| !is_cognito_name_char(*c)) {
        return Err(Invalid::new(
            field,
            format!("contains the character {c:?}, which Cognito does not allow"),
            REQ,
            examples[1],
        ));
    }
    Ok(())
}

/// Checks a username: 1 to 128 characters, no whitespace or control characters.
pub fn username(field: &str, value: &str) -> Result<(), Invalid> {
    cognito_name(field, value, ["alice", "alice.smith"])
}

/// Checks an app client id: 1 to 128 word characters or `+` (Cognito's `[\w+]+`).
pub fn client_id(field: &str, value: &str) -> Result<(), Invalid> {
    let ok = (1..=128).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '+');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            if value.is_empty() {
                "is empty".to_owned()
            } else {
                "is not an app client id".to_owned()
            },
            "an app client id: 1 to 128 letters, digits, `_` or `+`, as list_user_pool_clients \
             shows it",
            "1example23456789abcdefghij",
        ))
    }
}

/// Checks a group name: 1 to 128 characters, no whitespace or control characters.
pub fn group_name(field: &str, value: &str) -> Result<(), Invalid> {
    cognito_name(field, value, ["Developers", "beta-testers"])
}

/// Checks an email address: one `@`, a non-empty local part, a domain with a dot, no spaces.
pub fn email(field: &str, value: &str) -> Result<(), Invalid> {
    const REQ: &str = "an email address like name@example.com (at most 256 characters)";
    let bad = |problem: &str| Err(Invalid::new(field, problem, REQ, "alice@example.com"));
    if value.len() > 256 {
        return bad("is longer than 256 characters");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains whitespace");
    }
    let Some((local, domain)) = value.split_once('@') else {
        return bad("has no `@`");
    };
    if local.is_empty() {
        return bad("has nothing before the `@`");
    }
    if domain.contains('@') {
        return bad("has more than one `@`");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
        return bad("has no valid domain after the `@` (it needs a dot, like example.com)");
    }
    Ok(())
}

/// Checks a phone number in E.164 form: `+` then 2 to 15 digits, the first not zero.
pub fn phone_number(field: &str, value: &str) -> Result<(), Invalid> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            "is not an E.164 phone number",
            "`+`, the country code and the number, digits only (E.164)",
            "+14155550123",
        ))
    }
}

/// Checks an attribute name: a standard attribute or `custom:NAME` (NAME 1 to 20 of
/// `A-Z a-z 0-9 _ -`). `sub` can be read but never written, so `writable` rejects it.
pub fn attribute_name(field: &str, name: &str, writable: bool) -> Result<(), Invalid> {
    const REQ: &str = "a standard attribute (email, phone_number, name, given_name, family_name, \
        preferred_username, ...) or a custom attribute written custom:NAME";
    if let Some(custom) = name.strip_prefix("custom:") {
        let ok = (1..=20).contains(&custom.len())
            && custom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            return Ok(());
        }
        return Err(Invalid::new(
            field,
            format!(
                "names the custom attribute {name:?}, whose name is not 1 to 20 letters, digits, `_` or `-`"
            ),
            REQ,
            "custom:department",
        ));
    }
    if !STANDARD_ATTRIBUTES.contains(&name) {
        let hint = if name.contains(':') {
            format!("{name:?} is not an attribute name")
        } else {
            format!(
                "{name:?} is not a standard attribute; custom attributes are written custom:{name}"
            )
        };
        return Err(Invalid::new(field, hint, REQ, "custom:department"));
    }
    if writable && name == "sub" {
        return Err(Invalid::new(
            field,
            "names `sub`, which Cognito assigns and nobody can change",
            "any writable attribute other than sub",
            "given_name",
        ));
    }
    Ok(())
}

/// Checks an attribute's value, with the format rules of the attributes that have them.
pub fn attribute_value(field: &str, name: &str, value: &str) -> Result<(), Invalid> {
    if value.chars().count() > 2048 {
        return Err(Invalid::new(
            field,
            "is longer than 2048 characters",
            "at most 2048 characters",
            "Engineering",
        ));
    }
    match name {
        "email" => email(field, value),
        "phone_number" => phone_number(field, value),
        "email_verified" | "phone_number_verified" if value != "true" && value != "false" => {
            Err(Invalid::new(
                field,
                "is not `true` or `false`",
                "the string \"true\" or \"false\"",
                "true",
            ))
        }
        _ => Ok(()),
    }
}

/// Checks a page size: 1 to 60.
pub fn page_limit(field: &str, value: i32) -> Result<(), Invalid> {
    if (1..=MAX_PAGE).contains(&value) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("is {value}, outside the range Cognito accepts"),
            "a whole number from 1 to 60; to read more, pass the returned pagination_token, \
             or set all_pages to true",
            "60",
        ))
    }
}

/// Checks an optional free-text description: at most 2048 characters.
pub fn description(field: &str, value: &str) -> Result<(), Invalid> {
    if value.chars().count() > 2048 {
        Err(Invalid::new(
            field,
            "is longer than 2048 characters",
            "at most 2048 characters",
            "Beta testers",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(username("username", "alice").is_ok());
        assert!(username("username", "alice@example.com").is_ok());
        assert!(username("username", "ünïcødé").is_ok());
        let e = username("username", "").expect_err("empty");
        assert_eq!(e.field, "username");
        assert!(
            username("username", "has space")
                .expect_err("space")
                .problem
                .contains("' '")
        );
        assert!(username("username", &"a".repeat(129)).is_err());
        assert!(username("username", "tab\there").is_err());
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "no-at",
            "@example.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b.",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attribute_names() {
        assert!(attribute_name("attributes", "email", true).is_ok());
        assert!(attribute_name("attributes", "custom:department", true).is_ok());
        assert!(attribute_name("attributes", "sub", false).is_ok());
        assert!(attribute_name("attributes", "sub", true).is_err());
        let e = attribute_name("attributes", "department", true).expect_err("not standard");
        assert!(e.problem.contains("custom:department"), "{}", e.problem);
        assert!(attribute_name("attributes", "custom:", true).is_err());
        assert!(attribute_name("attributes", "custom:has space", true).is_err());
        assert!(attribute_name("attributes", &format!("custom:{}", "x".repeat(21)), true).is_err());
    }

    #[test]
    fn attribute_values() {
        assert!(attribute_value("a", "phone_number", "+14155550123").is_ok());
        assert!(attribute_value("a", "phone_number", "4155550123").is_err());
        assert!(attribute_value("a", "phone_number", "+0123").is_err());
        assert!(attribute_value("a", "email_verified", "yes").is_err());
        assert!(attribute_value("a", "email", "nope").is_err());
        assert!(attribute_value("a", "custom:x", &"y".repeat(2049)).is_err());
    }

    #[test]
    fn page_limits() {
        assert!(page_limit("limit", 1).is_ok());
        assert!(page_limit("limit", 60).is_ok());
        let e = page_limit("limit", 61).expect_err("61");
        assert!(e.requirement.contains("1 to 60"));
        assert!(page_limit("limit", 0).is_err());
    }
}
