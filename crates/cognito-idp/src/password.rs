//! The pool's password policy, and checks of a password against it.
//!
//! moto does not check temporary passwords, and real Cognito's error for a weak password names
//! one rule at a time. We check every rule before AWS sees the password, and name each one
//! that fails.

use std::fmt;

use serde::Serialize;

/// The longest password Cognito takes.
pub const MAXIMUM_LENGTH: usize = 256;

/// Symbols Cognito counts for "require symbols".
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// A user pool's password policy, as DescribeUserPool reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PasswordPolicy {
    /// Minimum length (Cognito: 6 to 99; default 8).
    pub minimum_length: u32,
    /// At least one uppercase letter.
    pub require_uppercase: bool,
    /// At least one lowercase letter.
    pub require_lowercase: bool,
    /// At least one digit.
    pub require_numbers: bool,
    /// At least one symbol from `^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + -`.
    pub require_symbols: bool,
    /// Days a temporary password stays valid.
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    /// Cognito's default policy: 8 characters, all four classes, temporary passwords valid 7 days.
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

/// One rule of a [`PasswordPolicy`] that a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PasswordRule {
    /// Shorter than `minimum_length`.
    MinimumLength,
    /// Longer than 256 characters.
    MaximumLength,
    /// No uppercase letter.
    RequireUppercase,
    /// No lowercase letter.
    RequireLowercase,
    /// No digit.
    RequireNumbers,
    /// No symbol.
    RequireSymbols,
    /// Starts or ends with whitespace.
    NoLeadingOrTrailingSpace,
}

impl PasswordRule {
    /// The rule's name as the policy spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::MinimumLength => "minimum_length",
            Self::MaximumLength => "maximum_length",
            Self::RequireUppercase => "require_uppercase",
            Self::RequireLowercase => "require_lowercase",
            Self::RequireNumbers => "require_numbers",
            Self::RequireSymbols => "require_symbols",
            Self::NoLeadingOrTrailingSpace => "no_leading_or_trailing_space",
        }
    }
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PasswordPolicy {
    /// The policy of a DescribeUserPool answer's `PasswordPolicyType`: a missing or
    /// out-of-range minimum length reads as Cognito's default 8 (and never below Cognito's
    /// floor of 6), a missing temporary-password validity as 7 days.
    #[cfg(feature = "sdk")]
    pub fn from_sdk(p: &aws_sdk_cognitoidentityprovider::types::PasswordPolicyType) -> Self {
        Self {
            minimum_length: p
                .minimum_length()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(8)
                .max(6),
            require_uppercase: p.require_uppercase(),
            require_lowercase: p.require_lowercase(),
            require_numbers: p.require_numbers(),
            require_symbols: p.require_symbols(),
            temporary_password_validity_days: u32::try_from(p.temporary_password_validity_days())
                .ok()
                .filter(|d| *d > 0)
                .unwrap_or(7),
        }
    }

    /// Every rule `password` breaks, in policy order; empty when it passes.
    pub fn violations(&self, password: &str) -> Vec<PasswordRule> {
        let mut out = Vec::new();
        let len = password.chars().count();
        if len < self.minimum_length as usize {
            out.push(PasswordRule::MinimumLength);
        }
        if len > MAXIMUM_LENGTH {
            out.push(PasswordRule::MaximumLength);
        }
        if self.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
            out.push(PasswordRule::RequireUppercase);
        }
        if self.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
            out.push(PasswordRule::RequireLowercase);
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            out.push(PasswordRule::RequireNumbers);
        }
        let inner_symbol = password.trim().chars().any(|c| SYMBOLS.contains(c));
        if self.require_symbols && !inner_symbol {
            out.push(PasswordRule::RequireSymbols);
        }
        if password.starts_with(char::is_whitespace) || password.ends_with(char::is_whitespace) {
            out.push(PasswordRule::NoLeadingOrTrailingSpace);
        }
        out
    }

    /// What a rule requires, in words.
    pub fn explain(&self, rule: PasswordRule) -> String {
        match rule {
            PasswordRule::MinimumLength => format!("at least {} characters", self.minimum_length),
            PasswordRule::MaximumLength => "at most 256 characters".into(),
            PasswordRule::RequireUppercase => "at least one uppercase letter (A-Z)".into(),
            PasswordRule::RequireLowercase => "at least one lowercase letter (a-z)".into(),
            PasswordRule::RequireNumbers => "at least one digit (0-9)".into(),
            PasswordRule::RequireSymbols => {
                "at least one symbol such as ! @ # $ % ^ & * - _ + = ?".into()
            }
            PasswordRule::NoLeadingOrTrailingSpace => "no space at the start or the end".into(),
        }
    }

    /// The whole policy in words: "at least 12 characters, an uppercase letter, ...".
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("at least {} characters", self.minimum_length)];
        if self.require_uppercase {
            parts.push("an uppercase letter".into());
        }
        if self.require_lowercase {
            parts.push("a lowercase letter".into());
        }
        if self.require_numbers {
            parts.push("a digit".into());
        }
        if self.require_symbols {
            parts.push("a symbol".into());
        }
        parts.join(", ")
    }

    /// A fixed example that satisfies this policy. It is only ever shown as an example of the
    /// shape; it is public, so it must never be used as a real password.
    pub fn example(&self) -> String {
        let mut s = String::from("Example-Passw0rd");
        while s.chars().count() < self.minimum_length as usize {
            s.push('x');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 12,
            ..PasswordPolicy::default()
        }
    }

    #[test]
    fn strong_password_passes() {
        assert!(strict().violations("Correct-Horse-9").is_empty());
    }

    #[test]
    fn each_rule_is_named() {
        let p = strict();
        assert_eq!(p.violations("Short-1a"), vec![PasswordRule::MinimumLength]);
        assert_eq!(
            p.violations("lowercase-only-1"),
            vec![PasswordRule::RequireUppercase]
        );
        assert_eq!(
            p.violations("UPPERCASE-ONLY-1"),
            vec![PasswordRule::RequireLowercase]
        );
        assert_eq!(
            p.violations("No-Digits-Here"),
            vec![PasswordRule::RequireNumbers]
        );
        assert_eq!(
            p.violations("NoSymbolsHere12"),
            vec![PasswordRule::RequireSymbols]
        );
        assert_eq!(
            p.violations(" Leading-Space-1"),
            vec![PasswordRule::NoLeadingOrTrailingSpace]
        );
        assert_eq!(
            p.violations("weak"),
            vec![
                PasswordRule::MinimumLength,
                PasswordRule::RequireUppercase,
                PasswordRule::RequireNumbers,
                PasswordRule::RequireSymbols
            ]
        );
    }

    #[test]
    fn relaxed_policy_skips_classes() {
        let p = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            temporary_password_validity_days: 7,
        };
        assert!(p.violations("abcdef").is_empty());
    }

    #[test]
    fn example_satisfies_the_policy() {
        for len in [6, 8, 12, 30, 99] {
            let p = PasswordPolicy {
                minimum_length: len,
                ..PasswordPolicy::default()
            };
            assert!(p.violations(&p.example()).is_empty(), "{len}");
        }
    }

    #[test]
    fn longer_than_cognito_takes_fails() {
        let p = PasswordPolicy::default();
        let at_most = format!("Aa1-{}", "x".repeat(MAXIMUM_LENGTH - 4));
        assert!(p.violations(&at_most).is_empty());
        let over = format!("{at_most}x");
        assert_eq!(p.violations(&over), vec![PasswordRule::MaximumLength]);
    }

    #[test]
    fn whitespace_at_either_end_fails_and_is_no_symbol() {
        let p = PasswordPolicy::default();
        for pw in ["\tTrailing1a", "Trailing1a ", " Leading1a"] {
            assert_eq!(
                p.violations(pw),
                vec![
                    PasswordRule::RequireSymbols,
                    PasswordRule::NoLeadingOrTrailingSpace
                ],
                "{pw:?}"
            );
        }
        assert!(
            p.violations("Inner space1a").is_empty(),
            "an inner space is a symbol"
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let p = PasswordPolicy {
            minimum_length: 8,
            ..PasswordPolicy::default()
        };
        // 7 characters, 10 bytes.
        assert_eq!(p.violations("Ünï-1ab"), vec![PasswordRule::MinimumLength]);
    }

    #[test]
    fn every_rule_has_its_own_name() {
        let all = [
            PasswordRule::MinimumLength,
            PasswordRule::MaximumLength,
            PasswordRule::RequireUppercase,
            PasswordRule::RequireLowercase,
            PasswordRule::RequireNumbers,
            PasswordRule::RequireSymbols,
            PasswordRule::NoLeadingOrTrailingSpace,
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(|r| r.name()).collect();
        assert_eq!(names.len(), all.len());
        for r in all {
            assert_eq!(
                serde_json::to_value(r).expect("json"),
                serde_json::Value::from(r.name())
            );
        }
    }

    #[cfg(feature = "sdk")]
    #[test]
    fn from_sdk_reads_the_pool_policy_with_cognito_defaults() {
        use aws_sdk_cognitoidentityprovider::types::PasswordPolicyType;
        let read = PasswordPolicy::from_sdk(
            &PasswordPolicyType::builder()
                .minimum_length(12)
                .require_uppercase(true)
                .require_symbols(false)
                .temporary_password_validity_days(3)
                .build(),
        );
        assert_eq!(
            read,
            PasswordPolicy {
                minimum_length: 12,
                require_uppercase: true,
                require_lowercase: false,
                require_numbers: false,
                require_symbols: false,
                temporary_password_validity_days: 3,
            }
        );
        let empty = PasswordPolicy::from_sdk(&PasswordPolicyType::builder().build());
        assert_eq!(empty.minimum_length, 8);
        assert_eq!(empty.temporary_password_validity_days, 7);
        let below_floor =
            PasswordPolicy::from_sdk(&PasswordPolicyType::builder().minimum_length(2).build());
        assert_eq!(below_floor.minimum_length, 6);
    }
}
