//! [`RedisSettings`]: the Redis server the instances share, read in every mode. Proxy mode's
//! `auth.store = "redis"` keeps its state there, and an application may share more through
//! it (`cognito-mcp`'s `[pacing] shared = "redis"` keeps its quota schedule there).

use std::path::{Path, PathBuf};

use super::{Problem, Secret, non_empty, redis_url_check};
use crate::secrets::SecretSetting;

/// The Redis server of `COGNITO_MCP_REDIS_URL` / `auth.redis_url`, `auth.redis_namespace`,
/// `auth.redis_cluster` and `COGNITO_MCP_REDIS_CA_FILE` / `auth.redis_ca_file`. Its `Debug`
/// never shows the URL (it may hold a password).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisSettings {
    /// `COGNITO_MCP_REDIS_URL`, `auth.redis_url`: one server, or with `cluster` one or more
    /// nodes of the cluster, comma-separated (the value, or a reference to AWS); `None` when
    /// unset.
    pub url: Option<SecretSetting>,
    /// `auth.redis_namespace`: the prefix of every key; default `cognito-mcp`.
    pub namespace: String,
    /// `auth.redis_cluster`: the server is a Redis Cluster; default false.
    pub cluster: bool,
    /// `COGNITO_MCP_REDIS_CA_FILE`, `auth.redis_ca_file`: the CA certificates (PEM) trusted,
    /// instead of the system's roots, to sign a `rediss://` server's certificate.
    pub ca_file: Option<PathBuf>,
}

/// How every message tells the reader to write the URL.
const FORM: &str = "redis://[user:password@]host[:port][/db], or rediss://... for TLS";

impl RedisSettings {
    /// The settings from the file's values and the environment (which wins).
    pub(super) fn read(
        url: Option<Secret>,
        namespace: Option<String>,
        cluster: Option<bool>,
        ca_file: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let env_nonempty = |k: &str| non_empty(env(k));
        Self {
            url: env_nonempty("COGNITO_MCP_REDIS_URL")
                .map(Secret::new)
                .or(url.filter(|s| !s.is_empty()))
                .map(|url| {
                    SecretSetting::new("COGNITO_MCP_REDIS_URL (or auth.redis_url)", &url)
                        .check(redis_url_check)
                        .read_at_start()
                }),
            namespace: non_empty(namespace).unwrap_or_else(|| "cognito-mcp".to_owned()),
            cluster: cluster.unwrap_or(false),
            ca_file: env_nonempty("COGNITO_MCP_REDIS_CA_FILE")
                .map(PathBuf::from)
                .or(ca_file.filter(|p| !p.as_os_str().is_empty())),
        }
    }

    /// What is wrong with these settings for `needer` (`auth.store is "redis"`), which needs
    /// the server: no URL, a URL that is not one, a list without `cluster`, TLS settings that
    /// do not fit. The URL is never echoed.
    pub fn problems(&self, needer: &str) -> Vec<Problem> {
        match &self.url {
            None => vec![Problem::new(format!(
                "{needer} but no Redis server is named: set COGNITO_MCP_REDIS_URL (or \
                 auth.redis_url) to {FORM}"
            ))],
            // A reference is checked when it is read.
            Some(url) if url.is_reference() => Vec::new(),
            Some(url) => url_problems(
                url.current().expose(),
                self.cluster,
                self.ca_file.as_deref(),
                FORM,
            ),
        }
    }

    /// The connection options these settings name.
    #[cfg(feature = "redis")]
    pub fn options(&self) -> crate::store::RedisOptions {
        let options = crate::store::RedisOptions::default().cluster(self.cluster);
        match &self.ca_file {
            Some(ca) => options.ca_file(ca),
            None => options,
        }
    }
}

/// What is wrong with the Redis URL (a list of them with `redis_cluster`) and its TLS settings.
fn url_problems(url: &str, cluster: bool, ca_file: Option<&Path>, form: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    // A list splits before each scheme, so a comma in a password does not split it.
    let mut urls = Vec::new();
    let mut start = 0;
    for (i, _) in url.match_indices(',') {
        let rest = url[i + 1..].trim_start().to_ascii_lowercase();
        if rest.starts_with("redis://") || rest.starts_with("rediss://") {
            urls.push(url[start..i].trim());
            start = i + 1;
        }
    }
    urls.push(url[start..].trim());
    let scheme = |u: &str| {
        u.split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase())
            .filter(|s| s == "redis" || s == "rediss")
    };
    if urls.iter().any(|u| scheme(u).is_none()) {
        out.push(Problem::new(format!(
            "COGNITO_MCP_REDIS_URL (or auth.redis_url) is not a redis:// or rediss:// URL; \
             write it as {form}"
        )));
        return out;
    }
    if urls.len() > 1 && !cluster {
        out.push(Problem::new(
            "COGNITO_MCP_REDIS_URL (or auth.redis_url) is a list of URLs, which names the nodes \
             of a Redis Cluster: set auth.redis_cluster = true, or name one server",
        ));
    }
    let tls = urls
        .iter()
        .filter(|u| scheme(u).as_deref() == Some("rediss"))
        .count();
    if tls != 0 && tls != urls.len() {
        out.push(Problem::new(
            "COGNITO_MCP_REDIS_URL (or auth.redis_url) mixes redis:// and rediss://; every node \
             of the cluster is reached the same way",
        ));
    }
    if urls.iter().any(|u| u.ends_with("#insecure")) {
        out.push(Problem::new(
            "COGNITO_MCP_REDIS_URL (or auth.redis_url) ends in #insecure, which would accept any \
             certificate: Redis certificates are always verified; name the CA that signs the \
             server's certificate with COGNITO_MCP_REDIS_CA_FILE (or auth.redis_ca_file) instead",
        ));
    }
    if let Some(ca) = ca_file {
        if tls == 0 {
            out.push(Problem::new(
                "COGNITO_MCP_REDIS_CA_FILE (or auth.redis_ca_file) names a CA, but the Redis URL \
                 is redis://, which is not encrypted: write rediss://",
            ));
        } else if !ca.is_file() {
            out.push(Problem::new(format!(
                "COGNITO_MCP_REDIS_CA_FILE (or auth.redis_ca_file) is {}, which is not a \
                 readable file",
                ca.display()
            )));
        }
    }
    out
}
