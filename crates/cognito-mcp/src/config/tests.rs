use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn write(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut f, text.as_bytes()).expect("write");
    f
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let s = Settings::load(None, &env(&[])).expect("loads");
    assert_eq!(s.auth.region, "us-east-1");
    assert!(!s.read_only);
    assert!(s.audit_enabled);
    let problems = s.problems();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message()
            .contains("COGNITO_USER_POOL_ID is not set")
    );
}

#[test]
fn the_http_server_binds_to_this_machine_by_default() {
    // MCP (Streamable HTTP, Security): a local server SHOULD bind to localhost only, so nothing
    // on the network reaches it unless the operator says so.
    let s = Settings::load(None, &env(&[])).expect("loads");
    let addr: std::net::SocketAddr = s.http.bind.parse().expect("an address");
    assert!(addr.ip().is_loopback(), "{addr}");
    let s = Settings::load(None, &env(&[("COGNITO_MCP_BIND", "0.0.0.0:9000")])).expect("loads");
    assert_eq!(s.http.bind, "0.0.0.0:9000", "chosen, not defaulted");
}

#[test]
fn audit_goes_to_stderr_on_lambda_unless_a_file_is_named() {
    let lambda = ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
    let s = Settings::load(None, &env(&[lambda])).expect("loads");
    assert_eq!(s.audit_file, Path::new(cognito_admin::audit::STDERR));
    let s = Settings::load(None, &env(&[])).expect("loads");
    assert_eq!(s.audit_file, default_audit_file());
    let s = Settings::load(
        None,
        &env(&[lambda, ("COGNITO_MCP_AUDIT_FILE", "/tmp/audit.jsonl")]),
    )
    .expect("loads");
    assert_eq!(s.audit_file, Path::new("/tmp/audit.jsonl"));
    let f = write("[audit]\nfile = \"/tmp/file.jsonl\"\n");
    let s = Settings::load(Some(f.path()), &env(&[lambda])).expect("loads");
    assert_eq!(s.audit_file, Path::new("/tmp/file.jsonl"));
}

#[test]
fn env_overrides_file() {
    let f = write(
        "[cognito]\nregion = \"eu-west-1\"\nuser_pool_id = \"eu-west-1_File\"\nclient_id = \"file\"\n\
         [server]\nread_only = true\n",
    );
    let s = Settings::load(
        Some(f.path()),
        &env(&[("COGNITO_USER_POOL_ID", "eu-west-1_Env")]),
    )
    .expect("loads");
    assert_eq!(s.auth.region, "eu-west-1");
    assert_eq!(s.auth.user_pool_id.as_deref(), Some("eu-west-1_Env"));
    assert_eq!(s.auth.client_id.as_deref(), Some("file"));
    assert!(s.read_only);
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    let s =
        Settings::load(Some(f.path()), &env(&[("COGNITO_MCP_READ_ONLY", "false")])).expect("loads");
    assert!(!s.read_only);
}

#[test]
fn bad_region_is_named() {
    let s = Settings::load(
        None,
        &env(&[
            ("AWS_REGION", "moon-1"),
            ("COGNITO_USER_POOL_ID", "us-east-1_X"),
        ]),
    )
    .expect("loads");
    let p = s.problems();
    assert!(
        p.iter().any(|p| p
            .message()
            .contains("AWS_REGION is \"moon-1\", which is not an AWS region")),
        "{p:?}"
    );
}

#[test]
fn pool_in_another_region_is_named() {
    let s = Settings::load(
        None,
        &env(&[
            ("AWS_REGION", "us-east-1"),
            ("COGNITO_USER_POOL_ID", "eu-west-1_Abc"),
        ]),
    )
    .expect("loads");
    assert!(
        s.problems()[0]
            .message()
            .contains("set AWS_REGION=eu-west-1")
    );
}

#[test]
fn malformed_pool_id_is_named() {
    let s = Settings::load(None, &env(&[("COGNITO_USER_POOL_ID", "not a pool")])).expect("loads");
    assert!(s.problems()[0].message().contains("is not a pool id"));
}

#[test]
fn unknown_tool_in_lists_is_named() {
    let f = write("[tools]\ndeny = [\"delet_user\"]\n");
    let s = Settings::load(
        Some(f.path()),
        &env(&[("COGNITO_USER_POOL_ID", "us-east-1_X")]),
    )
    .expect("loads");
    let p = s.problems();
    assert!(
        p[0].message().contains("tools.deny names \"delet_user\""),
        "{p:?}"
    );
}

#[test]
fn unknown_key_in_file_fails_with_its_name() {
    let f = write("[cognito]\nuser_pool = \"x\"\n");
    let e = Settings::load(Some(f.path()), &env(&[])).expect_err("unknown key");
    assert!(e.message().contains("user_pool"), "{e}");
}

#[test]
fn config_error_never_echoes_the_line() {
    let f = write("[cognito]\nclient_secrte = \"hunter2-secret-value\"\n");
    let e = Settings::load(Some(f.path()), &env(&[])).expect_err("unknown key");
    assert!(
        e.message().contains("client_secrte") && e.message().contains("line 2"),
        "{e}"
    );
    assert!(!e.message().contains("hunter2"), "{e}");
    let f = write("[cognito]\nclient_secret = \"hunter2-unclosed\n");
    let e = Settings::load(Some(f.path()), &env(&[])).expect_err("unclosed");
    assert!(!e.message().contains("hunter2"), "{e}");
}

#[test]
fn missing_file_fails_with_its_path() {
    let e = Settings::load(Some(Path::new("/no/such/cognito-mcp.toml")), &env(&[]))
        .expect_err("missing");
    assert!(e.message().contains("/no/such/cognito-mcp.toml"));
}

#[test]
fn client_secret_is_redacted_in_debug() {
    let s =
        Settings::load(None, &env(&[("COGNITO_CLIENT_SECRET", "s3cr3t-value")])).expect("loads");
    assert!(!format!("{s:?}").contains("s3cr3t-value"));
}

fn redis_env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("COGNITO_USER_POOL_ID", "us-east-1_X"),
        ("COGNITO_CLIENT_ID", "app"),
        ("COGNITO_MCP_AUTH_ENABLED", "true"),
    ];
    pairs.extend_from_slice(extra);
    pairs
}

const STATE_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

#[test]
fn redis_store_settings_load() {
    let f = write("[auth]\nstore = \"redis\"\nredis_url = \"redis://file:6379\"\n");
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[
            ("COGNITO_MCP_REDIS_URL", "redis://:pa55word@env:6380/2"),
            ("COGNITO_MCP_STATE_KEY", STATE_KEY),
        ])),
    )
    .expect("loads");
    let p = s.auth.proxy.as_ref().expect("proxy");
    assert_eq!(p.store, cognito_mcp_auth::config::StoreKind::Redis);
    assert_eq!(
        p.redis_url
            .as_ref()
            .map(|s| s.current().expose().to_owned()),
        Some("redis://:pa55word@env:6380/2".to_owned())
    );
    assert_eq!(p.redis_namespace, "cognito-mcp");
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    assert!(!format!("{s:?}").contains("pa55word"));
    let f = write(
        "[auth]\nstore = \"redis\"\nredis_url = \"rediss://cache:6379\"\n\
         redis_namespace = \"team-a\"\n",
    );
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[("COGNITO_MCP_STATE_KEY", STATE_KEY)])),
    )
    .expect("loads");
    let p = s.auth.proxy.as_ref().expect("proxy");
    assert_eq!(p.redis_namespace, "team-a");
    assert!(s.problems().is_empty(), "{:?}", s.problems());
}

#[test]
fn redis_store_without_url_fails() {
    let f = write("[auth]\nstore = \"redis\"\n");
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[("COGNITO_MCP_STATE_KEY", STATE_KEY)])),
    )
    .expect("loads");
    let p = s.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message().contains("set COGNITO_MCP_REDIS_URL"),
        "{p:?}"
    );
}

#[test]
fn redis_store_with_another_scheme_fails() {
    let f = write("[auth]\nstore = \"redis\"\n");
    for url in ["http://:s3cr3t-pw@cache:6379", "cache:6379", "s3cr3t-pw"] {
        let s = Settings::load(
            Some(f.path()),
            &env(&redis_env(&[
                ("COGNITO_MCP_STATE_KEY", STATE_KEY),
                ("COGNITO_MCP_REDIS_URL", url),
            ])),
        )
        .expect("loads");
        let p = s.problems();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].message().contains("not a redis:// or rediss:// URL"),
            "{p:?}"
        );
        assert!(!p[0].message().contains("s3cr3t-pw"), "{p:?}");
    }
}

#[test]
fn redis_cluster_and_ca_file_settings_load() {
    let ca = write("-----BEGIN CERTIFICATE-----\n");
    let f = write(&format!(
        "[auth]\nstore = \"redis\"\nredis_cluster = true\nredis_ca_file = {:?}\n",
        ca.path().display().to_string()
    ));
    let urls = "rediss://:pa,55@node-a:6379, rediss://:pa,55@node-b:6379";
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[
            ("COGNITO_MCP_STATE_KEY", STATE_KEY),
            ("COGNITO_MCP_REDIS_URL", urls),
        ])),
    )
    .expect("loads");
    let p = s.auth.proxy.as_ref().expect("proxy");
    assert!(p.redis_cluster);
    assert_eq!(p.redis_ca_file.as_deref(), Some(ca.path()));
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    // The environment names the CA over the file.
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[
            ("COGNITO_MCP_STATE_KEY", STATE_KEY),
            ("COGNITO_MCP_REDIS_URL", urls),
            ("COGNITO_MCP_REDIS_CA_FILE", "/etc/ssl/redis-ca.pem"),
        ])),
    )
    .expect("loads");
    let p = s.auth.proxy.as_ref().expect("proxy");
    assert_eq!(
        p.redis_ca_file.as_deref(),
        Some(std::path::Path::new("/etc/ssl/redis-ca.pem"))
    );
    // Default: one server, the system's roots.
    let f = write("[auth]\nstore = \"redis\"\n");
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[
            ("COGNITO_MCP_STATE_KEY", STATE_KEY),
            ("COGNITO_MCP_REDIS_URL", "rediss://cache:6379"),
        ])),
    )
    .expect("loads");
    let p = s.auth.proxy.as_ref().expect("proxy");
    assert!(!p.redis_cluster && p.redis_ca_file.is_none());
}

/// Each inconsistent Redis setting is one problem, named, without the URL's password.
#[test]
fn redis_url_list_insecure_and_plain_ca_fail() {
    let ca = write("-----BEGIN CERTIFICATE-----\n");
    let ca_line = format!("redis_ca_file = {:?}\n", ca.path().display().to_string());
    for (file, url, expected) in [
        (
            String::new(),
            "redis://:s3cr3t-pw@a:6379,redis://:s3cr3t-pw@b:6379",
            "set auth.redis_cluster = true",
        ),
        (
            "redis_cluster = true\n".to_owned(),
            "redis://:s3cr3t-pw@a:6379,rediss://:s3cr3t-pw@b:6379",
            "mixes redis:// and rediss://",
        ),
        (
            String::new(),
            "rediss://:s3cr3t-pw@cache:6379/#insecure",
            "ends in #insecure",
        ),
        (
            ca_line.clone(),
            "redis://:s3cr3t-pw@cache:6379",
            "which is not encrypted: write rediss://",
        ),
        (
            "redis_ca_file = \"/nonexistent/ca.pem\"\n".to_owned(),
            "rediss://:s3cr3t-pw@cache:6379",
            "/nonexistent/ca.pem, which is not a readable file",
        ),
    ] {
        let f = write(&format!("[auth]\nstore = \"redis\"\n{file}"));
        let s = Settings::load(
            Some(f.path()),
            &env(&redis_env(&[
                ("COGNITO_MCP_STATE_KEY", STATE_KEY),
                ("COGNITO_MCP_REDIS_URL", url),
            ])),
        )
        .expect("loads");
        let p = s.problems();
        assert_eq!(p.len(), 1, "{url}: {p:?}");
        assert!(p[0].message().contains(expected), "{p:?}");
        assert!(!p[0].message().contains("s3cr3t-pw"), "{p:?}");
    }
}

#[test]
fn redis_store_without_state_key_fails() {
    let f = write("[auth]\nstore = \"redis\"\n");
    let s = Settings::load(
        Some(f.path()),
        &env(&redis_env(&[(
            "COGNITO_MCP_REDIS_URL",
            "redis://127.0.0.1:6379",
        )])),
    )
    .expect("loads");
    let p = s.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message().contains("set COGNITO_MCP_STATE_KEY"),
        "{p:?}"
    );
}

#[test]
fn sign_in_checks_are_off_by_default_and_use_the_app_client() {
    let s = Settings::load(None, &env(&[("COGNITO_USER_POOL_ID", "us-east-1_X")])).expect("loads");
    assert!(!s.sign_in.enabled && !s.sign_in.return_tokens);
    let own = [
        ("COGNITO_USER_POOL_ID", "us-east-1_X"),
        ("COGNITO_CLIENT_ID", "app"),
        ("COGNITO_CLIENT_SECRET", "app-secret-value"),
    ];
    let f = write("[sign_in]\nenabled = true\nreturn_tokens = true\n");
    let s = Settings::load(Some(f.path()), &env(&own)).expect("loads");
    assert!(s.sign_in.enabled && s.sign_in.return_tokens);
    assert_eq!(s.sign_in.client_id.as_deref(), Some("app"));
    assert_eq!(
        s.sign_in
            .client_secret
            .as_ref()
            .map(|s| s.current().expose().to_owned()),
        Some("app-secret-value".to_owned())
    );
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    // Another client does not get the server's client secret.
    let f = write("[sign_in]\nenabled = true\nclient_id = \"other\"\n");
    let s = Settings::load(Some(f.path()), &env(&own)).expect("loads");
    assert_eq!(s.sign_in.client_id.as_deref(), Some("other"));
    assert!(s.sign_in.client_secret.is_none());
    let mut off = own.to_vec();
    off.push(("COGNITO_MCP_SIGN_IN_ENABLED", "false"));
    assert!(
        !Settings::load(Some(f.path()), &env(&off))
            .expect("loads")
            .sign_in
            .enabled
    );
}

#[test]
fn sign_in_checks_without_a_client_fail() {
    let s = Settings::load(
        None,
        &env(&[
            ("COGNITO_USER_POOL_ID", "us-east-1_X"),
            ("COGNITO_MCP_SIGN_IN_ENABLED", "true"),
        ]),
    )
    .expect("loads");
    let p = s.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message().contains("sign_in.client_id"), "{p:?}");
    let e = Settings::load(None, &env(&[("COGNITO_MCP_SIGN_IN_ENABLED", "maybe")]))
        .expect_err("not a boolean");
    assert!(e.message().contains("COGNITO_MCP_SIGN_IN_ENABLED"), "{e}");
}

#[test]
fn regions() {
    for ok in [
        "us-east-1",
        "eu-central-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "cn-north-1",
    ] {
        assert!(is_region(ok), "{ok}");
    }
    for bad in [
        "",
        "us-east",
        "useast1",
        "US-EAST-1",
        "us-east-1a",
        "moon-1",
        "us--1",
    ] {
        assert!(!is_region(bad), "{bad}");
    }
}

#[test]
fn require_person_is_off_by_default_and_sits_beside_the_tool_modes() {
    let s = Settings::load(None, &env(&[])).expect("loads");
    assert!(!s.safety.require_person);
    let f = write("[safety.confirm]\nrequire_person = true\ndelete_user = \"never\"\n");
    let s = Settings::load(Some(f.path()), &env(&[])).expect("loads");
    assert!(s.safety.require_person);
    assert_eq!(
        s.safety.confirm.get("delete_user"),
        Some(&ConfirmMode::Never)
    );
    assert!(s.safety_problems.is_empty(), "{:?}", s.safety_problems);
}

#[test]
fn require_person_that_is_not_a_boolean_fails() {
    let f = write("[safety.confirm]\nrequire_person = \"yes\"\n");
    let e = Settings::load(Some(f.path()), &env(&[])).expect_err("refused");
    assert!(e.message().contains("require_person"), "{e}");
}

#[test]
fn malformed_state_key_fails() {
    let s = Settings::load(
        None,
        &env(&[
            ("COGNITO_USER_POOL_ID", "us-east-1_abc"),
            ("COGNITO_MCP_STATE_KEY", "not-a-key"),
        ]),
    )
    .expect("loads");
    let p = s.problems();
    assert!(
        p.iter()
            .any(|p| p.message().starts_with("COGNITO_MCP_STATE_KEY:")),
        "{p:?}"
    );
    assert!(
        p.iter().all(|p| !p.message().contains("not-a-key")),
        "{p:?}"
    );
}

#[test]
fn trusted_proxies_come_from_the_server_table_or_the_environment() {
    let f = write(
        "[cognito]\nuser_pool_id = \"us-east-1_AbCdEf123\"\n\
         [server]\ntrusted_proxies = [\"10.0.0.0/16\", \"2001:db8::/32\"]\nforwarded_header = \"forwarded\"\n",
    );
    let s = Settings::load(Some(f.path()), &env(&[])).expect("loads");
    let t = &s.auth.trusted_proxies;
    assert_eq!(t.networks().len(), 2);
    assert_eq!(t.header(), cognito_mcp_auth::ForwardedHeader::Forwarded);
    let s = Settings::load(
        Some(f.path()),
        &env(&[("COGNITO_MCP_TRUSTED_PROXIES", "192.0.2.0/24")]),
    )
    .expect("loads");
    assert_eq!(
        s.auth.trusted_proxies.networks().len(),
        1,
        "the environment wins"
    );
    assert!(s.problems().is_empty(), "{:?}", s.problems());
}

#[test]
fn a_bad_trusted_proxy_names_the_setting_and_the_fix() {
    let f = write(
        "[cognito]\nuser_pool_id = \"us-east-1_AbCdEf123\"\n\
         [server]\ntrusted_proxies = [\"10.0.0.1/8\", \"::/0\"]\nforwarded_header = \"x-real-ip\"\n",
    );
    let s = Settings::load(Some(f.path()), &env(&[])).expect("loads");
    let problems: Vec<String> = s
        .problems()
        .iter()
        .map(|p| p.message().to_owned())
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].starts_with("server.trusted_proxies") && problems[0].contains("10.0.0.0/8")
    );
    assert!(problems[1].contains("trusts every address"));
    assert!(
        problems[2].starts_with("server.forwarded_header")
            && problems[2].contains("x-forwarded-for")
    );
    assert!(
        s.auth.trusted_proxies.is_empty(),
        "nothing is trusted on a bad list"
    );
}

const POOL: (&str, &str) = ("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123");

#[test]
fn secrets_refresh_defaults_to_five_minutes_and_the_environment_wins() {
    let s = Settings::load(None, &env(&[POOL])).expect("loads");
    assert_eq!(s.auth.secrets_refresh, std::time::Duration::from_secs(300));
    let f = write("[secrets]\nrefresh_secs = 60\n");
    let s = Settings::load(Some(f.path()), &env(&[POOL])).expect("loads");
    assert_eq!(s.auth.secrets_refresh.as_secs(), 60);
    let s = Settings::load(
        Some(f.path()),
        &env(&[POOL, ("COGNITO_MCP_SECRETS_REFRESH_SECS", "5")]),
    )
    .expect("loads");
    assert_eq!(s.auth.secrets_refresh.as_secs(), 5);
    assert!(s.problems().is_empty(), "{:?}", s.problems());
}

#[test]
fn secrets_refresh_out_of_range_or_not_a_number_fails() {
    let f = write("[secrets]\nrefresh_secs = 0\n");
    let s = Settings::load(Some(f.path()), &env(&[POOL])).expect("loads");
    let p: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        p.iter().any(|m| m.starts_with("secrets.refresh_secs is 0")),
        "{p:?}"
    );
    let s = Settings::load(
        None,
        &env(&[POOL, ("COGNITO_MCP_SECRETS_REFRESH_SECS", "soon")]),
    )
    .expect("loads");
    let p: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        p.iter()
            .any(|m| m.contains("COGNITO_MCP_SECRETS_REFRESH_SECS is \"soon\"")),
        "{p:?}"
    );
}

#[test]
fn secret_settings_take_references_and_share_one_state_key() {
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";
    let client = format!("secretsmanager:{arn}#client_secret");
    let s = Settings::load(
        None,
        &env(&[
            POOL,
            ("COGNITO_CLIENT_ID", "app"),
            ("COGNITO_CLIENT_SECRET", &client),
            ("COGNITO_MCP_AUTH_ENABLED", "true"),
            ("COGNITO_MCP_STATE_KEY", "ssm:/app/state-key"),
            ("COGNITO_MCP_STATE_KEY_PREVIOUS", "secretsmanager:old-key"),
        ]),
    )
    .expect("loads");
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    let secret = s.auth.client_secret.as_ref().expect("client secret");
    assert_eq!(secret.reference().as_deref(), Some(client.as_str()));
    // The sign-in checks' secret, the confirmation states' key and the proxy's key are the
    // library's settings themselves: one refresh rotates them all.
    let proxy_key = s.auth.proxy.as_ref().and_then(|p| p.state_key.as_ref());
    assert!(
        s.state_key
            .as_ref()
            .expect("state key")
            .same_as(proxy_key.expect("proxy key"))
    );
    assert!(
        s.sign_in
            .client_secret
            .as_ref()
            .expect("sign-in")
            .same_as(secret)
    );
    assert_eq!(s.secret_settings().len(), 2);
    // Nothing in Debug but the references.
    let shown = format!("{s:?}");
    assert!(shown.contains("ssm:/app/state-key"), "{shown}");
}

#[test]
fn a_bad_reference_or_a_bad_previous_state_key_fails() {
    let s = Settings::load(
        None,
        &env(&[
            POOL,
            ("COGNITO_CLIENT_SECRET", "secretsmanager:"),
            (
                "COGNITO_MCP_STATE_KEY",
                "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
            ),
            ("COGNITO_MCP_STATE_KEY_PREVIOUS", "too-short"),
        ]),
    )
    .expect("loads");
    let p: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        p.iter().any(|m| m.starts_with(
            "COGNITO_CLIENT_SECRET (or cognito.client_secret): `secretsmanager:` names no secret"
        )),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("COGNITO_MCP_STATE_KEY_PREVIOUS: the state key must be")),
        "{p:?}"
    );
    assert!(!p.iter().any(|m| m.contains("too-short")), "{p:?}");
}
