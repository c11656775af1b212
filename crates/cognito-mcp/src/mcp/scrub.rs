//! Secrets never leave in an answer or the audit: the values of a call's secret arguments are
//! scrubbed from its result, and arguments the tool does not know are withheld from the audit.

use cognito_admin::audit::is_secret_field;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

/// Secrets shorter than this are not scrubbed from answers (they are still never echoed).
const MIN_SCRUB_LEN: usize = 6;

/// The values of secret fields in `args` (any scalar, at any depth), to scrub from anything
/// sent back.
pub(crate) fn secret_values(args: &Value, out: &mut Vec<String>) {
    match args {
        Value::Object(map) => {
            for (k, v) in map {
                if is_secret_field(k) {
                    let text = match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    };
                    // Cognito passwords are at least 6 characters; shorter strings would
                    // scrub ordinary words out of the answer and say nothing secret.
                    if let Some(t) = text.filter(|t| t.chars().count() >= MIN_SCRUB_LEN) {
                        // The text block of a structured result holds the JSON-escaped form.
                        let escaped = Value::String(t.clone()).to_string();
                        let escaped = &escaped[1..escaped.len() - 1];
                        if escaped != t {
                            out.push(escaped.to_owned());
                        }
                        out.push(t);
                    }
                }
                secret_values(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secret_values(v, out)),
        _ => {}
    }
}

fn scrub_text(text: &mut String, secrets: &[String]) {
    for s in secrets {
        if text.contains(s.as_str()) {
            *text = text.replace(s.as_str(), cognito_admin::audit::REDACTED);
        }
    }
}

fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => scrub_text(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_value(v, secrets)),
        _ => {}
    }
}

/// Replaces every secret of the call that appears in the result.
pub(crate) fn scrub(result: &mut CallToolResult, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    for block in &mut result.content {
        if let ContentBlock::Text(t) = block {
            scrub_text(&mut t.text, secrets);
        }
    }
    if let Some(v) = result.structured_content.as_mut() {
        scrub_value(v, secrets);
    }
}

/// The arguments as the audit records them: secret fields redacted, and the values of keys
/// the tool does not know (a misspelt `pasword`, say) withheld, since they cannot be told
/// apart from secrets.
pub(crate) fn audit_arguments(
    arguments: &Value,
    known: Option<&serde_json::Map<String, Value>>,
) -> Value {
    match arguments {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let keep = known.is_some_and(|props| props.contains_key(k));
                    let v = if keep {
                        v.clone()
                    } else {
                        Value::String(cognito_admin::audit::REDACTED.into())
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The text blocks of a result, joined.
pub(crate) fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_and_scrubbed() {
        let args = serde_json::json!({"username": "a", "password": "Very-Secret-1", "x": [{"temporary_password": "T3mp-Secret!"}], "client_secret": 12345678});
        let mut secrets = Vec::new();
        secret_values(&args, &mut secrets);
        assert_eq!(secrets.len(), 3);
        let mut r = CallToolResult::structured(
            serde_json::json!({"echo": "Very-Secret-1 and T3mp-Secret!"}),
        );
        scrub(&mut r, &secrets);
        let all = format!("{:?}", r);
        assert!(
            !all.contains("Very-Secret-1") && !all.contains("T3mp-Secret!"),
            "{all}"
        );
    }

    #[test]
    fn unknown_argument_values_are_withheld_from_audit() {
        let known: serde_json::Map<String, Value> =
            serde_json::from_value(serde_json::json!({"username": {}, "password": {}}))
                .expect("map");
        let args = serde_json::json!({"username": "a", "pasword": "S3cret-typo", "pwd": 5});
        let v = audit_arguments(&args, Some(&known));
        assert_eq!(v["username"], "a");
        assert_eq!(v["pasword"], "[REDACTED]");
        assert_eq!(v["pwd"], "[REDACTED]");
        assert!(!v.to_string().contains("S3cret"));
    }

    #[test]
    fn quoted_secrets_are_scrubbed_from_structured_content() {
        let secrets = [r#"Pa"ss\word-1"#.to_owned()];
        let mut found = Vec::new();
        secret_values(&serde_json::json!({"password": secrets[0]}), &mut found);
        let mut r = CallToolResult::structured(serde_json::json!({"echo": r#"x Pa"ss\word-1 y"#}));
        scrub(&mut r, &found);
        assert_eq!(
            r.structured_content.as_ref().expect("structured")["echo"],
            "x [REDACTED] y"
        );
        assert!(!text_of(&r).contains("word-1"), "{}", text_of(&r));
    }
}
