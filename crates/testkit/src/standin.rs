//! The Cognito hosted-UI stand-in: npm oauth2-mock-server shaped by
//! `scripts/upstream-stand-in.mjs` (on the Node 22 of `scripts/setup-peers`), for servers that
//! sign users in at Cognito's hosted UI (proxy mode).

use std::process::Stdio;

use serde_json::json;

use crate::{node_bin, root};

/// The server's own app client at the upstream.
pub const UPSTREAM_CLIENT: &str = "cognito-mcp-app-client";
pub const UPSTREAM_SECRET: &str = "upstream-app-client-secret";
/// A redirect URI nobody listens on: the flow stops when it gets there.
pub const REDIRECT: &str = "http://127.0.0.1:53682/oauth/callback";

/// The hosted-UI stand-in; stops when dropped (its stdin closes).
#[derive(Debug)]
pub struct StandIn {
    pub issuer: String,
    child: tokio::process::Child,
}

impl StandIn {
    /// Starts it with `user` (in `groups`) as the one who signs in.
    pub async fn start(user: &str, groups: &[&str]) -> Self {
        Self::start_with(user, groups, &[]).await
    }

    /// Starts it with more arguments (`--cognito-paths`, ...).
    pub async fn start_with(user: &str, groups: &[&str], extra: &[&str]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let node = node_bin().join("node");
        assert!(
            node.exists(),
            "{} is missing: run scripts/setup-peers",
            node.display()
        );
        let mut child = tokio::process::Command::new(node)
            .arg(root().join("scripts/upstream-stand-in.mjs"))
            .args([
                "--client-id",
                UPSTREAM_CLIENT,
                "--client-secret",
                UPSTREAM_SECRET,
            ])
            .args(["--user", user, "--groups", &groups.join(",")])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the stand-in");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("the stand-in started in time")
            .expect("read")
            .expect("the stand-in printed its issuer");
        let issuer = line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("unexpected {line:?}"))
            .to_owned();
        Self { issuer, child }
    }

    /// Native mode for the pool `pool_id`, as its cognito-idp API too: what the stand-in
    /// models (registered clients, CIMD policies) it answers, the rest goes to `aws_upstream`
    /// (moto).
    pub async fn native_in_front_of(pool_id: &str, aws_upstream: &str) -> Self {
        Self::start_with(
            "alice",
            &[],
            &[
                "--cognito-paths",
                "--native",
                "--issuer-host",
                "127.0.0.1",
                "--pool-id",
                pool_id,
                "--aws-upstream",
                aws_upstream,
            ],
        )
        .await
    }

    /// Where it listens: the issuer's origin, on 127.0.0.1 (the only address it binds), where
    /// `/oauth2/*`, `/_control/*` and, in native mode, its cognito-idp API are.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.issuer.replace("localhost", "127.0.0.1"))
            .expect("the issuer is a URL")
            .origin()
            .ascii_serialization()
    }

    /// From now on, `user` in `groups` signs in.
    pub async fn set_user(&self, user: &str, groups: &[&str]) {
        let r = reqwest::Client::new()
            .post(format!("{}/_control/user", self.origin()))
            .json(&json!({"username": user, "groups": groups}))
            .send()
            .await
            .expect("control");
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// From now on, `user` in `groups` signs in, their ID tokens carrying `roles` as
    /// `cognito:roles` (the first as `cognito:preferred_role`), as Cognito does for groups
    /// with IAM roles.
    pub async fn set_user_with_roles(&self, user: &str, groups: &[&str], roles: &[&str]) {
        let r = reqwest::Client::new()
            .post(format!("{}/_control/user", self.origin()))
            .json(&json!({"username": user, "groups": groups, "roles": roles}))
            .send()
            .await
            .expect("control");
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// The next sign-in is cancelled by the user (the upstream redirects with access_denied).
    pub async fn deny_next(&self) {
        let r = reqwest::Client::new()
            .post(format!("{}/_control/user", self.origin()))
            .json(&json!({"error": "access_denied"}))
            .send()
            .await
            .expect("control");
        assert!(r.status().is_success(), "{}", r.status());
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}
