//! The `ListUsers` filter: `attribute = "value"` or `attribute ^= "value"`.

use std::fmt;

use crate::validate::{Invalid, SEARCHABLE_ATTRIBUTES};

/// How a [`Filter`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `=`: the attribute equals the value.
    Equals,
    /// `^=`: the attribute starts with the value.
    StartsWith,
}

/// A parsed `ListUsers` filter over one searchable attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The attribute, one of [`SEARCHABLE_ATTRIBUTES`].
    pub attribute: String,
    /// The comparison.
    pub op: FilterOp,
    /// The value, unescaped.
    pub value: String,
}

const REQUIREMENT: &str = "ATTRIBUTE = \"VALUE\" or ATTRIBUTE ^= \"VALUE\" (starts with), the value \
    in double quotes, on one of: username, email, phone_number, name, given_name, family_name, \
    preferred_username, cognito:user_status, status, sub (custom attributes cannot be searched)";
const EXAMPLE: &str = "email ^= \"alice\"";

fn invalid(field: &str, problem: impl Into<String>) -> Invalid {
    Invalid::new(field, problem, REQUIREMENT, EXAMPLE)
}

impl Filter {
    /// Parses a filter string; `field` names the input in errors.
    pub fn parse(field: &str, input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(invalid(field, "is empty; leave it out to list every user"));
        }
        let name_end = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '^' || c == '"')
            .unwrap_or(s.len());
        let attribute = &s[..name_end];
        if attribute.is_empty() {
            return Err(invalid(field, "does not start with an attribute name"));
        }
        if !SEARCHABLE_ATTRIBUTES.contains(&attribute) {
            let why = if attribute.starts_with("custom:") {
                format!("filters on {attribute:?}, but Cognito cannot search custom attributes")
            } else {
                format!("filters on {attribute:?}, which Cognito cannot search")
            };
            return Err(invalid(field, why));
        }
        let rest = s[name_end..].trim_start();
        let (op, rest) = if let Some(r) = rest.strip_prefix("^=") {
            (FilterOp::StartsWith, r)
        } else if let Some(r) = rest.strip_prefix('=') {
            (FilterOp::Equals, r)
        } else {
            return Err(invalid(
                field,
                "has no `=` or `^=` after the attribute name (Cognito supports only these two)",
            ));
        };
        let rest = rest.trim_start();
        let Some(body) = rest.strip_prefix('"') else {
            return Err(invalid(field, "does not put the value in double quotes"));
        };
        let mut value = String::new();
        let mut chars = body.chars();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e @ ('"' | '\\')) => value.push(e),
                    _ => {
                        return Err(invalid(
                            field,
                            "has a `\\` that does not escape `\"` or `\\`",
                        ));
                    }
                },
                '"' => {
                    closed = true;
                    break;
                }
                c => value.push(c),
            }
        }
        if !closed {
            return Err(invalid(field, "does not close the value's double quote"));
        }
        if !chars.as_str().trim().is_empty() {
            return Err(invalid(
                field,
                "has text after the closing quote; Cognito accepts exactly one condition",
            ));
        }
        if value.chars().count() > 256 {
            return Err(invalid(field, "has a value longer than 256 characters"));
        }
        Ok(Self {
            attribute: attribute.to_owned(),
            op,
            value,
        })
    }
}

impl fmt::Display for Filter {
    /// The filter in Cognito's syntax, quotes escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            FilterOp::Equals => "=",
            FilterOp::StartsWith => "^=",
        };
        let escaped = self.value.replace('\\', "\\\\").replace('"', "\\\"");
        write!(f, "{} {} \"{}\"", self.attribute, op, escaped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Filter, Invalid> {
        Filter::parse("filter", s)
    }

    #[test]
    fn accepts_both_operators() {
        let f = parse("email ^= \"alice\"").expect("valid");
        assert_eq!(
            (f.attribute.as_str(), f.op, f.value.as_str()),
            ("email", FilterOp::StartsWith, "alice")
        );
        let f = parse("  cognito:user_status=\"CONFIRMED\" ").expect("valid");
        assert_eq!(f.op, FilterOp::Equals);
        assert_eq!(f.to_string(), "cognito:user_status = \"CONFIRMED\"");
    }

    #[test]
    fn escapes_round_trip() {
        let f = parse(r#"name = "say \"hi\" \\ bye""#).expect("valid");
        assert_eq!(f.value, r#"say "hi" \ bye"#);
        assert_eq!(parse(&f.to_string()).expect("round trip"), f);
    }

    #[test]
    fn custom_attribute_filter_fails() {
        let e = parse("custom:department = \"x\"").expect_err("custom");
        assert!(e.problem.contains("custom attributes"), "{}", e.problem);
    }

    #[test]
    fn unsupported_operator_fails() {
        for s in [
            "email != \"a\"",
            "email > \"a\"",
            "email contains \"a\"",
            "email",
        ] {
            let e = parse(s).expect_err(s);
            assert!(e.problem.contains("`=` or `^=`"), "{s}: {}", e.problem);
        }
    }

    #[test]
    fn unquoted_or_unclosed_value_fails() {
        assert!(
            parse("email = alice")
                .expect_err("unquoted")
                .problem
                .contains("double quotes")
        );
        assert!(
            parse("email = \"alice")
                .expect_err("unclosed")
                .problem
                .contains("close")
        );
        assert!(
            parse("email = \"a\" and name = \"b\"")
                .expect_err("two")
                .problem
                .contains("one condition")
        );
        assert!(parse("").is_err());
        assert!(parse("= \"x\"").is_err());
        assert!(parse("email = \"bad \\x\"").is_err());
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Thousands of random filter strings: parse or refuse, never panic, and whatever parses
    /// prints back to something that parses to the same filter.
    #[test]
    fn random_filters_parse_or_fail_cleanly() {
        let alphabet: Vec<char> = "emailusrnt_:^=\"\\ 日本 \t".chars().collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut parsed = 0;
        for i in 0..20_000 {
            let s: String = if i % 2 == 0 {
                (0..next(40))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect()
            } else {
                let attr = ["email", "username", "name", "sub", "custom:x"][next(5)];
                let op = ["=", "^=", "!=", ""][next(4)];
                let value: String = (0..next(10))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect();
                format!("{attr} {op} \"{value}\"")
            };
            if let Ok(f) = Filter::parse("filter", &s) {
                parsed += 1;
                assert_eq!(
                    Filter::parse("filter", &f.to_string()).as_ref(),
                    Ok(&f),
                    "{s:?}"
                );
            }
        }
        assert!(parsed > 100, "{parsed}");
    }
}
