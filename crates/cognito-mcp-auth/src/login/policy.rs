//! The password policy in the sign-in page's words: the rules shown on the new-password page,
//! and the rules a typed password breaks. The rules themselves are `cognito-idp`'s
//! [`PasswordPolicy`], shared with `cognito-admin`.

use cognito_idp::{MAXIMUM_LENGTH, PasswordPolicy, PasswordRule};

/// The rules in plain words.
pub(super) fn describe(policy: &PasswordPolicy) -> Vec<String> {
    let mut out = vec![format!("at least {} characters", policy.minimum_length)];
    if policy.require_uppercase {
        out.push("an upper-case letter (A–Z)".into());
    }
    if policy.require_lowercase {
        out.push("a lower-case letter (a–z)".into());
    }
    if policy.require_numbers {
        out.push("a digit (0–9)".into());
    }
    if policy.require_symbols {
        out.push("a special character, such as ! @ # $ % ^ & *".into());
    }
    out
}

/// The rules `password` breaks, in plain words; empty when it meets the policy.
pub(super) fn problems(policy: &PasswordPolicy, password: &str) -> Vec<String> {
    policy
        .violations(password)
        .into_iter()
        .map(|rule| match rule {
            PasswordRule::MinimumLength => {
                format!("it is shorter than {} characters", policy.minimum_length)
            }
            PasswordRule::MaximumLength => {
                format!("it is longer than {MAXIMUM_LENGTH} characters")
            }
            PasswordRule::RequireUppercase => "it has no upper-case letter".into(),
            PasswordRule::RequireLowercase => "it has no lower-case letter".into(),
            PasswordRule::RequireNumbers => "it has no digit".into(),
            PasswordRule::RequireSymbols => "it has no special character".into(),
            PasswordRule::NoLeadingOrTrailingSpace => "it starts or ends with a space".into(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_each_broken_rule() {
        let p = PasswordPolicy {
            minimum_length: 12,
            ..PasswordPolicy::default()
        };
        assert!(problems(&p, "Correct-Horse-42").is_empty());
        let broken = problems(&p, "short");
        assert!(
            broken.iter().any(|b| b.contains("shorter than 12")),
            "{broken:?}"
        );
        assert!(
            broken.iter().any(|b| b.contains("upper-case")),
            "{broken:?}"
        );
        assert!(broken.iter().any(|b| b.contains("digit")), "{broken:?}");
        assert!(broken.iter().any(|b| b.contains("special")), "{broken:?}");
        assert!(
            !broken.iter().any(|b| b.contains("lower-case")),
            "{broken:?}"
        );
    }

    #[test]
    fn a_space_at_either_end_is_named() {
        let p = PasswordPolicy::default();
        assert_eq!(
            problems(&p, "Correct-Horse-42 "),
            ["it starts or ends with a space"]
        );
    }

    #[test]
    fn the_page_lists_only_the_classes_the_policy_requires() {
        let p = PasswordPolicy {
            minimum_length: 10,
            require_uppercase: false,
            require_symbols: false,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            describe(&p),
            [
                "at least 10 characters",
                "a lower-case letter (a–z)",
                "a digit (0–9)"
            ]
        );
    }
}
