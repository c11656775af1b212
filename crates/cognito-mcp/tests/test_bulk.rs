//! Bulk tools against moto: 200 users and a re-run, a partial failure reported item by item,
//! dry runs, filters, caps, progress and cancellation seen by the TypeScript SDK client, and
//! throttling injected by a fault proxy in front of moto.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::fault::FaultProxy;
use common::{moto, new_pool, serve};
use serde_json::{Value, json};

fn write_config(dir: &std::path::Path, toml: &str) -> String {
    let path = dir.join("cognito-mcp.toml");
    std::fs::write(&path, toml).expect("write config");
    path.display().to_string()
}

fn counts(report: &Value) -> BTreeMap<String, u64> {
    report["counts"]
        .as_object()
        .expect("counts")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("count")))
        .collect()
}

fn expect_counts(report: &Value, want: &[(&str, u64)]) {
    let want: BTreeMap<String, u64> = want.iter().map(|(k, v)| ((*k).into(), *v)).collect();
    assert_eq!(counts(report), want, "{report:#}");
}

fn new_users(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "username": format!("{prefix}-{i:03}"),
                "email": format!("{prefix}-{i:03}@example.com"),
                "suppress_invitation": true,
            })
        })
        .collect()
}

async fn count_users(pool: &common::Pool, prefix: &str) -> usize {
    pool.admin
        .list_users(&cognito_admin::ListUsers {
            filter: Some(format!("username ^= \"{prefix}\"")),
            all_pages: true,
            ..Default::default()
        })
        .await
        .expect("list users")
        .users
        .len()
}

#[tokio::test]
async fn two_hundred_users_are_all_reported_and_a_rerun_skips_them_all() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok("create_group", json!({"group": "beta-testers"})).await;
    let args = json!({"users": new_users("beta", 200), "groups": ["beta-testers"]});

    // 200 changes is past the threshold and this client cannot elicit: the call must name
    // the count, and nothing is written until it does.
    let (code, text) = s.err("create_users", args.clone()).await;
    assert_eq!(code, "confirmation_required", "{text}");
    assert!(text.contains("\"confirm\": \"200 users\""), "{text}");
    assert_eq!(count_users(&pool, "beta-").await, 0);
    let (code, text) = s
        .err("create_users", with_confirm(&args, "199 users"))
        .await;
    assert_eq!(code, "confirmation_required", "{text}");
    assert!(text.contains("\"199 users\""), "{text}");

    let report = s.ok("create_users", with_confirm(&args, "200 users")).await;
    expect_counts(&report, &[("done", 200)]);
    assert_eq!(report["total"], 200);
    assert_eq!(report["cancelled"], false);
    let items = report["items"].as_array().expect("items");
    assert_eq!(items.len(), 200);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["username"], format!("beta-{i:03}"), "input order");
        assert_eq!(item["outcome"], "done");
        assert_eq!(item["detail"], "created, in beta-testers");
    }
    assert_eq!(count_users(&pool, "beta-").await, 200);
    let members = pool
        .admin
        .list_users_in_group(&cognito_admin::ListUsersInGroup {
            group: "beta-testers".into(),
            limit: None,
            pagination_token: None,
        })
        .await
        .expect("members");
    assert_eq!(members.count, 60, "a full first page of members");

    // Nothing would change, so nothing is asked: the re-run needs no `confirm`.
    let again = s.ok("create_users", args.clone()).await;
    expect_counts(&again, &[("skipped", 200)]);
    assert!(
        again["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["detail"] == "the user exists already: left as it is"),
        "{again:#}"
    );
    assert_eq!(count_users(&pool, "beta-").await, 200);

    let audit = s.audit();
    let last = audit
        .iter()
        .rev()
        .find(|r| r["tool"] == "create_users")
        .expect("audited");
    assert_eq!(last["outcome"], "ok");
    assert!(
        last["confirmed_by"].is_null(),
        "the re-run asked no one: {last}"
    );
    assert_eq!(last["summary"]["counts"]["skipped"], 200);
    let confirmed = audit
        .iter()
        .find(|r| r["tool"] == "create_users" && r["summary"]["counts"]["done"] == 200)
        .expect("the first run is audited");
    assert_eq!(confirmed["confirmed_by"], "argument");
    let refused = audit
        .iter()
        .filter(|r| r["tool"] == "create_users" && r["outcome"] == "refused")
        .count();
    assert_eq!(refused, 2, "both unconfirmed calls are audited as refused");
}

fn with_confirm(args: &Value, confirm: &str) -> Value {
    let mut a = args.clone();
    a["confirm"] = json!(confirm);
    a
}

#[tokio::test]
async fn a_partial_failure_is_reported_item_by_item() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    for name in ["mix-old1", "mix-old2"] {
        s.ok(
            "create_user",
            json!({"username": name, "suppress_invitation": true}),
        )
        .await;
    }
    let report = s
        .ok(
            "create_users",
            json!({"users": [
                {"username": "mix-new1", "suppress_invitation": true},
                {"username": "has space", "suppress_invitation": true},
                {"username": "mix-old1", "suppress_invitation": true},
                {"username": "mix-new2", "email": "not-an-email", "suppress_invitation": true},
                {"username": "mix-new3", "temporary_password": "short", "suppress_invitation": true},
                {"username": "mix-old2", "suppress_invitation": true},
                {"username": "mix-new1", "suppress_invitation": true},
                {"username": "mix-new4", "suppress_invitation": true, "groups": ["no-such-group"]},
            ]}),
        )
        .await;
    let got: Vec<(String, String, String)> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["username"].as_str().expect("username").to_owned(),
                i["outcome"].as_str().expect("outcome").to_owned(),
                i["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = [
        ("mix-new1", "done", ""),
        ("has space", "failed", "invalid_input"),
        ("mix-old1", "skipped", ""),
        ("mix-new2", "failed", "invalid_input"),
        ("mix-new3", "failed", "weak_password"),
        ("mix-old2", "skipped", ""),
        ("mix-new1", "failed", "duplicate"),
        ("mix-new4", "failed", "group_not_found"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
    .collect();
    assert_eq!(got, want, "{report:#}");
    expect_counts(&report, &[("done", 1), ("failed", 5), ("skipped", 2)]);
    let items = report["items"].as_array().expect("items");
    assert!(
        items[1]["detail"]
            .as_str()
            .expect("detail")
            .contains("username"),
        "the failure names the field: {}",
        items[1]
    );
    assert!(
        items[7]["detail"]
            .as_str()
            .expect("detail")
            .starts_with("created, but adding to \"no-such-group\" failed"),
        "what was done is said: {}",
        items[7]
    );
    assert!(
        report["next"]
            .as_str()
            .expect("next")
            .contains("5 items failed")
    );
    // The user whose group failed exists; the invalid ones were never sent.
    assert!(pool.admin.get_user("mix-new4").await.is_ok());
    assert!(pool.admin.get_user("mix-new2").await.is_err());
    assert!(pool.admin.get_user("mix-new3").await.is_err());
}

#[tokio::test]
async fn dry_runs_write_nothing() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok(
        "create_user",
        json!({"username": "dry-old", "suppress_invitation": true}),
    )
    .await;
    let report = s
        .ok(
            "create_users",
            json!({"dry_run": true, "users": [
                {"username": "dry-new", "suppress_invitation": true},
                {"username": "dry-old", "suppress_invitation": true},
                {"username": "bad name", "suppress_invitation": true},
            ]}),
        )
        .await;
    assert_eq!(report["dry_run"], true);
    expect_counts(
        &report,
        &[("failed", 1), ("skipped", 1), ("would_change", 1)],
    );
    assert_eq!(report["items"][0]["outcome"], "would_change");
    assert_eq!(report["items"][1]["outcome"], "skipped");
    assert!(pool.admin.get_user("dry-new").await.is_err());

    let report = s
        .ok(
            "disable_users",
            json!({"dry_run": true, "usernames": ["dry-old", "dry-ghost"]}),
        )
        .await;
    expect_counts(&report, &[("failed", 1), ("would_change", 1)]);
    assert_eq!(report["items"][1]["code"], "user_not_found");
    assert!(
        pool.admin.get_user("dry-old").await.expect("user").enabled,
        "a dry run needs no confirmation and disables no one"
    );
}

#[tokio::test]
async fn disable_and_enable_by_filter_and_by_list() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    for i in 0..5 {
        s.ok(
            "create_user",
            json!({"username": format!("contractor-{i}"), "suppress_invitation": true}),
        )
        .await;
    }
    s.ok(
        "create_user",
        json!({"username": "staff-1", "suppress_invitation": true}),
    )
    .await;
    let by_filter = json!({"filter": "username ^= \"contractor-\""});
    let (code, text) = s.err("disable_users", by_filter.clone()).await;
    assert_eq!(code, "confirmation_required", "{text}");
    assert!(text.contains("\"5 users\""), "{text}");
    let report = s
        .ok("disable_users", with_confirm(&by_filter, "5 users"))
        .await;
    expect_counts(&report, &[("done", 5)]);
    assert!(
        !pool
            .admin
            .get_user("contractor-3")
            .await
            .expect("user")
            .enabled
    );
    assert!(pool.admin.get_user("staff-1").await.expect("user").enabled);
    // Nothing left to change: no confirmation, every user skipped.
    let again = s.ok("disable_users", by_filter.clone()).await;
    expect_counts(&again, &[("skipped", 5)]);
    assert_eq!(again["items"][0]["detail"], "already disabled");

    let report = s
        .ok(
            "enable_users",
            json!({"usernames": ["contractor-0", "contractor-1", "staff-1", "ghost"]}),
        )
        .await;
    expect_counts(&report, &[("done", 2), ("failed", 1), ("skipped", 1)]);
    assert!(
        pool.admin
            .get_user("contractor-1")
            .await
            .expect("user")
            .enabled
    );

    let (code, text) = s
        .err(
            "enable_users",
            json!({"usernames": ["a"], "filter": "username ^= \"a\""}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("usernames"), "{text}");
    let (code, text) = s
        .err(
            "enable_users",
            json!({"filter": "username ^= \"nobody-at-all\""}),
        )
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(text.contains("matches no user"), "{text}");
}

#[tokio::test]
async fn group_membership_in_bulk_skips_what_is_already_so() {
    let pool = new_pool().await;
    let s = serve(&pool, &[], &[]).await;
    s.ok("create_group", json!({"group": "crew"})).await;
    for u in ["m-1", "m-2", "m-3"] {
        s.ok(
            "create_user",
            json!({"username": u, "email": format!("{u}@example.com"), "suppress_invitation": true}),
        )
        .await;
    }
    s.ok(
        "add_user_to_group",
        json!({"username": "m-1", "group": "crew"}),
    )
    .await;
    let report = s
        .ok(
            "add_users_to_group",
            json!({"group": "crew", "usernames": ["m-1", "m-2", "m-3", "m-ghost"]}),
        )
        .await;
    expect_counts(&report, &[("done", 2), ("failed", 1), ("skipped", 1)]);
    assert_eq!(report["items"][0]["detail"], "already in crew");
    assert_eq!(report["items"][3]["code"], "user_not_found");
    let again = s
        .ok(
            "add_users_to_group",
            json!({"group": "crew", "filter": "username ^= \"m-\""}),
        )
        .await;
    expect_counts(&again, &[("skipped", 3)]);

    let removed = s
        .ok(
            "remove_users_from_group",
            json!({"group": "crew", "usernames": ["m-2", "m-3"]}),
        )
        .await;
    expect_counts(&removed, &[("done", 2)]);
    let again = s
        .ok(
            "remove_users_from_group",
            json!({"group": "crew", "usernames": ["m-2", "m-3"]}),
        )
        .await;
    expect_counts(&again, &[("skipped", 2)]);
    assert_eq!(again["items"][0]["detail"], "not in crew");
    let (code, _) = s
        .err(
            "add_users_to_group",
            json!({"group": "no-crew", "usernames": ["m-1"]}),
        )
        .await;
    assert_eq!(code, "group_not_found");
}

#[tokio::test]
async fn the_cap_and_bad_settings_are_named() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(
        dir.path(),
        "[bulk]\nmax_items = 5\n[safety]\nbulk_confirm_threshold = 100\n",
    );
    let s = serve(&pool, &["--config", &config], &[]).await;
    let (code, text) = s
        .err("create_users", json!({"users": new_users("cap", 6)}))
        .await;
    assert_eq!(code, "invalid_input", "{text}");
    assert!(
        text.contains("`users`") && text.contains("at most 5"),
        "{text}"
    );
    let (code, text) = s.err("create_users", json!({"users": []})).await;
    assert_eq!(code, "invalid_input", "{text}");
    assert_eq!(count_users(&pool, "cap-").await, 0);
    let report = s
        .ok("create_users", json!({"users": new_users("cap", 5)}))
        .await;
    expect_counts(&report, &[("done", 5)]);

    for (toml, named) in [
        ("[bulk]\nmax_items = 0\n", "bulk.max_items"),
        ("[pacing]\nuser_creation = 0\n", "pacing.user_creation"),
        ("[pacing]\nuser_creashun = 5\n", "pacing.user_creashun"),
        (
            "[pacing]\nshared = \"redis\"\n",
            "pacing.shared is \"redis\" but no Redis server is named: set COGNITO_MCP_REDIS_URL",
        ),
        (
            "[pacing]\nshared = \"memcached\"\n",
            "pacing.shared (COGNITO_MCP_PACING_SHARED) is \"memcached\"",
        ),
        (
            "[pacing]\nenabled = false\nshared = \"redis\"\n[auth]\nredis_url = \"redis://127.0.0.1:1\"\n",
            "there is no rate to share",
        ),
        ("[safety.confirm]\ndelete_usr = \"never\"\n", "delete_usr"),
        (
            "[safety.confirm]\ndelete_user = \"sometimes\"\n",
            "safety.confirm.delete_user",
        ),
        (
            "[safety.confirm]\ndelete_user = \"over_threshold\"\n",
            "only bulk tools",
        ),
    ] {
        let config = write_config(dir.path(), toml);
        let (code, out, err) = common::run_cli(
            &["check", "--config", &config],
            &[("COGNITO_USER_POOL_ID", pool.id.as_str())],
        );
        assert_ne!(code, 0, "{toml}");
        assert!(
            out.contains(named) || err.contains(named),
            "{toml}: {out}{err}"
        );
    }
}

#[tokio::test]
async fn progress_reaches_the_typescript_client_during_a_bulk_call() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    // 10 creations a second: the call lasts about 4 seconds, long enough to report progress.
    let config = write_config(
        dir.path(),
        "[pacing]\nuser_creation = 10\n[safety]\nbulk_confirm_threshold = 100\n",
    );
    let args = json!({"users": new_users("prog", 40)}).to_string();
    let lines = common::drivers::ts_stdio(
        &pool,
        &config,
        &dir.path().join("audit.jsonl"),
        "progress",
        &[("MCP_TOOL", "create_users"), ("MCP_ARGS", &args)],
    )
    .await;
    let step = common::drivers::step(&lines, "result");
    let result = &step["result"]["structuredContent"];
    expect_counts(result, &[("done", 40)]);
    let progress = step["progress"].as_array().expect("progress");
    assert!(progress.len() >= 5, "several notifications: {progress:?}");
    let values: Vec<f64> = progress
        .iter()
        .map(|p| p["progress"].as_f64().expect("progress"))
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "increasing: {values:?}"
    );
    assert_eq!(
        values.last().copied(),
        Some(40.0),
        "the last one says all done"
    );
    assert!(progress.iter().all(|p| p["total"] == 40), "{progress:?}");
    assert!(
        progress[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("prog-") && m.contains("done")),
        "{progress:?}"
    );
}

#[tokio::test]
async fn cancelling_midway_stops_the_run_and_reports_what_was_done() {
    let pool = new_pool().await;
    let dir = tempfile::tempdir().expect("dir");
    let audit = dir.path().join("audit.jsonl");
    let config = write_config(
        dir.path(),
        "[pacing]\nuser_creation = 10\n[safety]\nbulk_confirm_threshold = 1000\n",
    );
    let args = json!({"users": new_users("cncl", 100)}).to_string();
    let lines = common::drivers::ts_stdio(
        &pool,
        &config,
        &audit,
        "cancel",
        &[
            ("MCP_TOOL", "create_users"),
            ("MCP_ARGS", &args),
            ("MCP_CANCEL_AT", "10"),
            ("MCP_LIST_FILTER", "username ^= \"cncl-\""),
        ],
    )
    .await;
    let step = common::drivers::step(&lines, "cancelled");
    assert!(
        step["error"].as_str().is_some(),
        "the call was aborted: {step}"
    );
    let count = step["count"].as_u64().expect("count");
    assert!(
        (10..60).contains(&count),
        "some were created before the cancel, far from all 100: {count}"
    );
    assert_eq!(
        step["count_later"], step["count"],
        "nothing else happens after the cancellation"
    );
    assert_eq!(count_users(&pool, "cncl-").await as u64, count);
    // The audit says exactly what was done.
    let text = common::settled_audit(&audit);
    let record: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["tool"] == "create_users")
        .expect("the bulk call is audited");
    assert_eq!(record["outcome"], "cancelled", "{record}");
    assert_eq!(record["summary"]["cancelled"], true);
    assert_eq!(record["summary"]["counts"]["done"].as_u64(), Some(count));
    assert_eq!(
        record["summary"]["counts"]["not_attempted"].as_u64(),
        Some(100 - count)
    );
    let creates = record["aws_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["operation"] == "AdminCreateUser")
        .count() as u64;
    assert_eq!(creates, count, "no request was sent for the rest");
}

/// The server behind a fault proxy that throttles AdminCreateUser past `quota` per second,
/// paced at `pacing` (`None`: pacing off): the report, and every request the proxy saw.
async fn create_behind_a_quota(
    prefix: &str,
    quota: f64,
    pacing: Option<f64>,
) -> (Value, Vec<(std::time::Instant, String, bool)>, usize) {
    let pool = new_pool().await;
    let proxy = FaultProxy::start(&moto().endpoint, "/").await;
    proxy.targets(&["AdminCreateUser"]);
    proxy.quota(quota);
    let dir = tempfile::tempdir().expect("dir");
    let pacing = match pacing {
        Some(rate) => format!("[pacing]\nuser_creation = {rate}\n"),
        None => "[pacing]\nenabled = false\n".into(),
    };
    let config = write_config(
        dir.path(),
        &format!("{pacing}[safety]\nbulk_confirm_threshold = 1000\n"),
    );
    let s = serve(
        &pool,
        &["--config", &config],
        &[(
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            proxy.base.as_str(),
        )],
    )
    .await;
    let report = s
        .ok("create_users", json!({"users": new_users(prefix, 60)}))
        .await;
    let created = count_users(&pool, &format!("{prefix}-")).await;
    (report, proxy.log(), created)
}

/// The most requests in any one-second window, and the average rate.
fn rates(log: &[(std::time::Instant, String, bool)]) -> (usize, f64) {
    let times: Vec<std::time::Instant> = log.iter().map(|(t, _, _)| *t).collect();
    let mut max_in_window = 0;
    for (i, start) in times.iter().enumerate() {
        let n = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        max_in_window = max_in_window.max(n);
    }
    let span = times
        .last()
        .expect("requests")
        .duration_since(times[0])
        .as_secs_f64();
    (max_in_window, (times.len() - 1) as f64 / span)
}

#[tokio::test]
async fn throttling_is_absorbed_and_the_rate_stays_under_the_configured_quota() {
    // Cognito (the proxy) allows 10 creations a second, but the server is told 20, as when
    // another application shares the account's quota: throttling happens, and pacing plus the
    // SDK's adaptive retry still finish every user.
    let rate = 20.0;
    let (report, log, created) = create_behind_a_quota("thr", 10.0, Some(rate)).await;
    expect_counts(&report, &[("done", 60)]);
    assert_eq!(created, 60);
    let throttled = log.iter().filter(|(_, _, t)| *t).count();
    assert!(throttled > 0, "the proxy throttled some requests");
    assert_eq!(
        report["throttled"].as_u64(),
        Some(throttled as u64),
        "the report counts every throttling answer"
    );
    assert_eq!(
        log.len(),
        60 + throttled,
        "each throttled request was retried, and nothing else was sent"
    );
    // Every attempt, retries included, kept to the configured rate: at most `rate` requests
    // (plus one at the window's edge) in any one-second window, and under it on average.
    let (max_in_window, average) = rates(&log);
    assert!(
        max_in_window as f64 <= rate + 1.0,
        "{max_in_window} requests in one second, over {rate}"
    );
    assert!(average <= rate, "average {average} per second");
}

#[tokio::test]
async fn pacing_under_the_quota_is_never_throttled() {
    let (report, log, created) = create_behind_a_quota("under", 10.0, Some(8.0)).await;
    expect_counts(&report, &[("done", 60)]);
    assert_eq!(created, 60);
    assert_eq!(report["throttled"], 0, "{report:#}");
    assert_eq!(log.len(), 60, "one request per user");
    let (max_in_window, _) = rates(&log);
    assert!(max_in_window <= 9, "{max_in_window} in one second");
}

#[tokio::test]
async fn without_pacing_the_same_run_is_throttled() {
    // The negative of the test above: the spacing comes from the pacer, not from moto's speed.
    let (report, log, created) = create_behind_a_quota("fast", 10.0, None).await;
    let throttled = log.iter().filter(|(_, _, t)| *t).count();
    assert!(
        throttled > 0,
        "unpaced requests ran into the quota: {report:#}"
    );
    assert_eq!(report["throttled"].as_u64(), Some(throttled as u64));
    let (max_in_window, _) = rates(&log);
    assert!(max_in_window > 10, "{max_in_window} in one second");
    // Whatever was not retried to success is reported as failed, never lost.
    let done = report["counts"]["done"].as_u64().unwrap_or(0) as usize;
    assert_eq!(done, created);
    assert_eq!(
        done + report["counts"]["failed"].as_u64().unwrap_or(0) as usize,
        60
    );
}
