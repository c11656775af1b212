//! `GROUP_SCOPES` and `ATTRIBUTE_CLAIMS`: defaults, parsing, and refusals that name the
//! variable and the fix.

use std::collections::BTreeMap;
use std::ffi::OsString;

use pre_token_trigger::{
    AttributeClaim, Config, ConfigError, DEFAULT_GROUP_SCOPES, parse_attribute_claims,
    parse_group_scopes,
};

fn load(group_scopes: Option<&str>, attribute_claims: Option<&str>) -> Result<Config, ConfigError> {
    Config::from_lookup(|name| match name {
        "GROUP_SCOPES" => group_scopes.map(OsString::from),
        "ATTRIBUTE_CLAIMS" => attribute_claims.map(OsString::from),
        _ => None,
    })
}

fn claim(attribute: &str, claim: &str) -> AttributeClaim {
    AttributeClaim {
        attribute: attribute.to_owned(),
        claim: claim.to_owned(),
    }
}

fn group_scopes_error(text: &str) -> String {
    match parse_group_scopes(text) {
        Ok(mapping) => panic!("{text:?} was accepted as {mapping:?}"),
        Err(error) => error.to_string(),
    }
}

fn attribute_claims_error(text: &str) -> String {
    match parse_attribute_claims(text) {
        Ok(claims) => panic!("{text:?} was accepted as {claims:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn unset_variables_give_the_default_mapping_and_no_claims() {
    let config = load(None, None).expect("defaults load");
    let documented: BTreeMap<String, Vec<String>> = [
        ("Admins", vec!["mcp/read", "mcp/write", "mcp/admin"]),
        ("Developers", vec!["mcp/read", "mcp/write"]),
        ("ReadOnly", vec!["mcp/read"]),
    ]
    .into_iter()
    .map(|(group, scopes)| {
        (
            group.to_owned(),
            scopes.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect();
    assert_eq!(config.group_scopes, documented);
    assert_eq!(parse_group_scopes(DEFAULT_GROUP_SCOPES), Ok(documented));
    assert!(config.attribute_claims.is_empty());
    assert_eq!(config, Config::default());
}

#[test]
fn a_group_scopes_object_replaces_the_default() {
    let config = load(Some(r#"{"Ops":["ops/run","mcp/read"],"Empty":[]}"#), None).expect("loads");
    assert_eq!(config.group_scopes.len(), 2);
    assert_eq!(config.group_scopes["Ops"], ["ops/run", "mcp/read"]);
    assert!(config.group_scopes["Empty"].is_empty());
    assert!(!config.group_scopes.contains_key("Admins"));
}

#[test]
fn group_scopes_that_are_not_json_fail_naming_the_variable() {
    let text = group_scopes_error(r#"{"Admins": ["mcp/read""#);
    assert!(text.starts_with("GROUP_SCOPES is not valid JSON"), "{text}");
    assert!(text.contains("line 1"), "{text}");
}

#[test]
fn group_scopes_of_the_wrong_shape_fail_naming_the_group() {
    let text = group_scopes_error(r#"["mcp/read"]"#);
    assert!(text.starts_with("GROUP_SCOPES is a list"), "{text}");
    let text = group_scopes_error(r#"{"Admins":"mcp/read"}"#);
    assert!(
        text.contains("group \"Admins\" a string, not a list"),
        "{text}"
    );
    let text = group_scopes_error(r#"{"Admins":["mcp/read", 3]}"#);
    assert!(text.contains("group \"Admins\" a number"), "{text}");
    let text = group_scopes_error(r#"{" ":["mcp/read"]}"#);
    assert!(text.contains("empty group name"), "{text}");
}

#[test]
fn a_scope_that_is_not_a_scope_token_fails_naming_it() {
    let text = group_scopes_error(r#"{"Admins":["mcp/read mcp/write"]}"#);
    assert!(
        text.starts_with("GROUP_SCOPES gives group \"Admins\""),
        "{text}"
    );
    assert!(text.contains("\"mcp/read mcp/write\""), "{text}");
    assert!(text.contains("without spaces"), "{text}");
    assert!(group_scopes_error(r#"{"Admins":[""]}"#).contains("\"\""));
}

#[test]
fn blank_group_scopes_fail_and_say_how_to_get_the_default() {
    let text = group_scopes_error("  ");
    assert!(text.contains("GROUP_SCOPES is set but empty"), "{text}");
    assert!(text.contains("unset it"), "{text}");
}

#[test]
fn attribute_claims_default_to_the_name_without_custom() {
    assert_eq!(
        parse_attribute_claims("custom:department"),
        Ok(vec![claim("custom:department", "department")])
    );
    assert_eq!(
        parse_attribute_claims(" custom:dept = department , email,locale=lang "),
        Ok(vec![
            claim("custom:dept", "department"),
            claim("email", "email"),
            claim("locale", "lang"),
        ])
    );
    assert_eq!(parse_attribute_claims(""), Ok(vec![]));
    assert_eq!(
        load(None, Some("custom:tenant")).map(|c| c.attribute_claims),
        Ok(vec![claim("custom:tenant", "tenant")])
    );
}

#[test]
fn malformed_attribute_claims_entries_fail_naming_the_entry() {
    let text = attribute_claims_error("custom:a,,custom:b");
    assert!(text.starts_with("ATTRIBUTE_CLAIMS entry 2"), "{text}");
    assert!(text.contains("is empty"), "{text}");
    assert!(attribute_claims_error("=claim").contains("no attribute name"));
    assert!(attribute_claims_error("custom:a=").contains("no claim name"));
    assert!(attribute_claims_error("custom:a=b=c").contains("more than one `=`"));
    assert!(attribute_claims_error("custom:").contains("only the `custom:` prefix"));
    assert!(attribute_claims_error("custom:a=b c").contains("whitespace"));
}

#[test]
fn reserved_claims_fail_naming_the_claim_and_a_fix() {
    for (entry, claim) in [
        ("custom:sub", "sub"),
        ("custom:x=iss", "iss"),
        ("custom:x=aud", "aud"),
        ("custom:token_use", "token_use"),
        ("custom:client_id", "client_id"),
        ("custom:x=scope", "scope"),
        ("custom:x=exp", "exp"),
        ("custom:x=iat", "iat"),
        ("custom:x=auth_time", "auth_time"),
        ("custom:x=jti", "jti"),
        ("custom:x=origin_jti", "origin_jti"),
        ("custom:x=event_id", "event_id"),
        ("custom:x=username", "username"),
        ("custom:x=nonce", "nonce"),
        ("custom:x=identities", "identities"),
        ("custom:x=cognito:groups", "cognito:groups"),
        ("custom:x=cognito:username", "cognito:username"),
        ("custom:x=dev:team", "dev:team"),
        ("sub", "sub"),
    ] {
        let text = attribute_claims_error(entry);
        assert!(text.starts_with("ATTRIBUTE_CLAIMS entry"), "{text}");
        assert!(text.contains(&format!("the claim {claim:?}")), "{text}");
        assert!(text.contains("name another claim"), "{text}");
    }
}

#[test]
fn the_same_claim_twice_fails_naming_both_attributes() {
    let text = attribute_claims_error("custom:department,custom:dept=department");
    assert!(text.contains("\"department\" twice"), "{text}");
    assert!(text.contains("\"custom:department\""), "{text}");
    assert!(text.contains("\"custom:dept\""), "{text}");
}

#[test]
fn a_bad_variable_fails_the_whole_load() {
    assert!(matches!(
        load(Some("{}"), Some("custom:sub")),
        Err(ConfigError::ForbiddenClaim { .. })
    ));
    assert!(matches!(
        load(Some("nope"), None),
        Err(ConfigError::GroupScopesNotJson { .. })
    ));
}

#[cfg(unix)]
#[test]
fn a_variable_that_is_not_unicode_fails_naming_it() {
    use std::os::unix::ffi::OsStringExt;
    let result = Config::from_lookup(|name| {
        (name == "ATTRIBUTE_CLAIMS").then(|| OsString::from_vec(vec![0x66, 0xff]))
    });
    let text = result.expect_err("refused").to_string();
    assert!(
        text.starts_with("ATTRIBUTE_CLAIMS is not valid UTF-8"),
        "{text}"
    );
}
