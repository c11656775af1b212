//! How [`super::RedisStore`] reaches Redis: one server or a Redis Cluster, in plain TCP or TLS
//! (`rediss://`, the CA configurable), behind one connection type so the store's code is the
//! same for both; and what its failures say (the address, never the URL or its password).

use std::path::{Path, PathBuf};
use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::ClusterClientBuilder;
use ::redis::cluster_async::ClusterConnection;
use ::redis::{
    Client, Cmd, ConnectionInfo, ErrorKind, IntoConnectionInfo as _, Pipeline, ProtocolVersion,
    RedisError, RedisFuture, TlsCertificates, Value,
};

use crate::store::StoreError;

/// How long one attempt to connect may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its answer.
pub(super) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one store operation may take in all, reconnecting included.
pub(super) const DEADLINE: Duration = Duration::from_secs(5);

/// How to reach Redis, beyond its URL: [`RedisOptions::default`] is one server, and for
/// `rediss://` the system's trusted roots.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RedisOptions {
    /// A Redis Cluster rather than one server.
    pub cluster: bool,
    /// The CA certificates (PEM) that sign the server's certificate, trusted instead of the
    /// system's roots.
    pub ca_file: Option<PathBuf>,
}

impl RedisOptions {
    /// A Redis Cluster (`auth.redis_cluster`): the URL names one or more of its nodes,
    /// comma-separated, and the client learns the others and the slots from them.
    #[must_use]
    pub fn cluster(mut self, cluster: bool) -> Self {
        self.cluster = cluster;
        self
    }

    /// For `rediss://`, trust the CA certificates in this PEM file (`auth.redis_ca_file`), and
    /// only them, to sign the server's certificate.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }
}

/// What a store is connected to, for logs and errors: never the URL, which may hold a password.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// `host:port` (or a socket path); a cluster's seed nodes, comma-separated.
    pub(super) address: String,
    pub(super) cluster: bool,
    pub(super) tls: bool,
    pub(super) ca_file: Option<PathBuf>,
}

impl Target {
    /// `redis at host:port`, or `redis cluster at a:1,b:2`: how every message names it.
    pub(super) fn label(&self) -> String {
        if self.cluster {
            format!("redis cluster at {}", self.address)
        } else {
            format!("redis at {}", self.address)
        }
    }
}

/// The connection of one store: one server's [`ConnectionManager`], or a cluster's
/// [`ClusterConnection`] (which routes each command to the node of its keys' slot). Both
/// reconnect by themselves and are cheap to clone.
#[derive(Clone)]
pub(super) enum Conn {
    One(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::One(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::One(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::One(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// The URLs of `url`: one, or (for a cluster) several separated by commas, each starting with
/// its scheme. A comma inside one URL (in a password) does not split it.
fn split_urls(url: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in url.match_indices(',') {
        let rest = url[i + 1..].trim_start();
        if ["redis://", "rediss://", "valkey://", "valkeys://"]
            .iter()
            .any(|s| rest.len() >= s.len() && rest[..s.len()].eq_ignore_ascii_case(s))
        {
            out.push(url[start..i].trim());
            start = i + 1;
        }
    }
    out.push(url[start..].trim());
    out
}

/// Where one URL points, without its credentials (`host:port`, or a socket path), and whether
/// it is TLS. Refuses a URL that would turn certificate verification off.
fn address_of(url: &str) -> Result<(String, bool), StoreError> {
    // Never echo the URL: it may hold a password.
    let parsed = url::Url::parse(url).map_err(|_| {
        StoreError::Backend(
            "the Redis URL is not a URL; write it as redis://[user:password@]host[:port][/db] \
             (rediss:// for TLS)"
                .into(),
        )
    })?;
    if parsed.fragment() == Some("insecure") {
        return Err(StoreError::Backend(
            "the Redis URL ends in #insecure, which would accept any certificate: certificate \
             verification is never turned off; name the CA that signs the server's certificate \
             with auth.redis_ca_file (COGNITO_MCP_REDIS_CA_FILE) instead"
                .into(),
        ));
    }
    if parsed.fragment().is_some() {
        return Err(StoreError::Backend(
            "the Redis URL has a #fragment; remove it".into(),
        ));
    }
    let tls = matches!(parsed.scheme(), "rediss" | "valkeys");
    match parsed.scheme() {
        "redis" | "rediss" | "valkey" | "valkeys" => {
            let host = parsed
                .host_str()
                .filter(|h| !h.is_empty())
                .ok_or_else(|| StoreError::Backend("the Redis URL names no host".into()))?;
            Ok((format!("{host}:{}", parsed.port().unwrap_or(6379)), tls))
        }
        "redis+unix" | "unix" => Ok((parsed.path().to_owned(), false)),
        other => Err(StoreError::Backend(format!(
            "the Redis URL's scheme is {other:?}; use redis:// or rediss://"
        ))),
    }
}

/// The connection settings of one URL, with RESP3 unless the URL chose a protocol itself:
/// RESP3 lets the connection notice a dropped server at once and reconnect before the next
/// command.
fn connection_info(url: &str, target: &Target) -> Result<ConnectionInfo, StoreError> {
    let mut info = url
        .into_connection_info()
        .map_err(|e| invalid(target, &e))?;
    let chose_protocol = url::Url::parse(url)
        .map(|u| u.query_pairs().any(|(k, _)| k == "protocol"))
        .unwrap_or(false);
    if !chose_protocol {
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        info = info.set_redis_settings(settings);
    }
    Ok(info)
}

fn invalid(target: &Target, e: &RedisError) -> StoreError {
    StoreError::Backend(format!(
        "the Redis URL for {} is not usable: {e}",
        target.address
    ))
}

/// The PEM certificates of `path`, the only roots trusted for the server's certificate.
fn read_ca(path: &Path) -> Result<Vec<u8>, StoreError> {
    let pem = std::fs::read(path).map_err(|e| {
        StoreError::Backend(format!(
            "cannot read the Redis CA file {} (auth.redis_ca_file): {e}",
            path.display()
        ))
    })?;
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(BEGIN.len()).any(|w| w == BEGIN) {
        return Err(StoreError::Backend(format!(
            "the Redis CA file {} (auth.redis_ca_file) holds no PEM certificate",
            path.display()
        )));
    }
    Ok(pem)
}

/// What to connect to, read from the URL and the options.
struct Plan {
    target: Target,
    /// The connection settings of each URL.
    infos: Vec<ConnectionInfo>,
    /// The CA certificates (PEM) to trust instead of the system's roots.
    ca: Option<Vec<u8>>,
}

/// Reads `url` and `options` into a [`Plan`], refusing what is inconsistent: a list of URLs
/// without `cluster`, a mix of `redis://` and `rediss://`, a CA for a connection that is not
/// TLS.
fn plan(url: &str, options: &RedisOptions) -> Result<Plan, StoreError> {
    let urls = split_urls(url);
    if urls.len() > 1 && !options.cluster {
        return Err(StoreError::Backend(
            "the Redis URL is a list of URLs, which names the nodes of a Redis Cluster: set \
             auth.redis_cluster = true, or name one server"
                .into(),
        ));
    }
    let mut addresses = Vec::new();
    let mut modes = Vec::new();
    for u in &urls {
        let (address, tls) = address_of(u)?;
        addresses.push(address);
        modes.push(tls);
    }
    let tls = modes[0];
    if modes.iter().any(|m| *m != tls) {
        return Err(StoreError::Backend(
            "the Redis URLs mix redis:// and rediss://; every node of the cluster is reached the \
             same way"
                .into(),
        ));
    }
    if options.ca_file.is_some() && !tls {
        return Err(StoreError::Backend(
            "auth.redis_ca_file (COGNITO_MCP_REDIS_CA_FILE) names a CA, but the Redis URL is \
             redis://, which is not encrypted: write rediss://"
                .into(),
        ));
    }
    let target = Target {
        address: addresses.join(","),
        cluster: options.cluster,
        tls,
        ca_file: options.ca_file.clone(),
    };
    let ca = options.ca_file.as_deref().map(read_ca).transpose()?;
    let infos = urls
        .iter()
        .map(|u| connection_info(u, &target))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan { target, infos, ca })
}

/// Connects as `url` and `options` say: fails when Redis cannot be reached now (within
/// [`DEADLINE`]), its certificate is refused, or the settings are inconsistent.
pub(super) async fn open(url: &str, options: &RedisOptions) -> Result<(Conn, Target), StoreError> {
    let Plan {
        target,
        mut infos,
        ca,
    } = plan(url, options)?;
    let certs = |pem: Vec<u8>| TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    };
    let connecting = async {
        if target.cluster {
            let mut builder = ClusterClientBuilder::new(infos)
                .connection_timeout(CONNECT_TIMEOUT)
                .response_timeout(RESPONSE_TIMEOUT)
                // Redirections (MOVED, ASK), a node reconnecting and a cluster that is still
                // settling (TRYAGAIN, CLUSTERDOWN) are retried by the client, each retry
                // counting against one budget; DEADLINE bounds them all.
                .retries(8)
                .min_retry_wait(50)
                .max_retry_wait(500);
            if let Some(pem) = ca {
                builder = builder.certs(certs(pem));
            }
            let client = builder.build().map_err(|e| invalid(&target, &e))?;
            client
                .get_async_connection()
                .await
                .map(Conn::Cluster)
                .map_err(|e| match (certificate_refusal(&target, &e), e.detail()) {
                    // The client tried every node of the URL and keeps one node's error.
                    (None, Some(detail)) if e.to_string().contains("initial connections") => {
                        StoreError::Backend(format!(
                            "{} is unreachable: no node of the URL answered ({detail}); {}",
                            target.label(),
                            outage_hint(false)
                        ))
                    }
                    _ => describe(&target, &e, false),
                })
        } else {
            let info = infos.remove(0);
            let client = match ca {
                Some(pem) => Client::build_with_tls(info, certs(pem)),
                None => Client::open(info),
            }
            .map_err(|e| invalid(&target, &e))?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(RESPONSE_TIMEOUT))
                .set_number_of_retries(1)
                .set_min_delay(Duration::from_millis(100))
                .set_max_delay(Duration::from_millis(500));
            ConnectionManager::new_with_config(client, config)
                .await
                .map(Conn::One)
                .map_err(|e| describe(&target, &e, false))
        }
    };
    match tokio::time::timeout(DEADLINE, connecting).await {
        Ok(Ok(conn)) => Ok((conn, target)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(no_answer(&target, false)),
    }
}

/// What follows an outage: after connecting, the store recovers by itself.
fn outage_hint(connected: bool) -> &'static str {
    if connected {
        "it reconnects by itself when the server is back"
    } else {
        "check the Redis URL and that the server runs"
    }
}

pub(super) fn no_answer(target: &Target, connected: bool) -> StoreError {
    StoreError::Backend(format!(
        "{} did not answer within {}s; {}",
        target.label(),
        DEADLINE.as_secs(),
        outage_hint(connected)
    ))
}

/// A refused server certificate, in words: rustls's reason (`invalid peer certificate: ...`),
/// and which CA was asked. Found in the message, where the cluster client also keeps it.
fn certificate_refusal(target: &Target, e: &RedisError) -> Option<String> {
    let text = e.to_string();
    let at = text.find("invalid peer certificate")?;
    let reason = text[at..].lines().next().unwrap_or_default();
    let trusted = match &target.ca_file {
        Some(path) => format!("the CA in {} (auth.redis_ca_file)", path.display()),
        None => {
            "any of the system's trusted roots (name another CA with auth.redis_ca_file)".to_owned()
        }
    };
    let why = if reason.contains("UnknownIssuer") {
        format!("it is not signed by {trusted}")
    } else if reason.contains("not valid for name") || reason.contains("NotValidForName") {
        "it does not name the host of the Redis URL".to_owned()
    } else {
        format!("checked against {trusted}")
    };
    Some(format!(
        "{} presented a TLS certificate that was refused: {why} ({reason}); the connection \
         is not made without a verified certificate",
        target.label()
    ))
}

/// A Redis failure as a [`StoreError`] naming the address (`connected` once the store has
/// connected). Redis's own messages carry no credentials, and the URL is never part of them.
pub(super) fn describe(target: &Target, e: &RedisError, connected: bool) -> StoreError {
    if let Some(refusal) = certificate_refusal(target, e) {
        return StoreError::Backend(refusal);
    }
    let label = target.label();
    let unreachable = if e.is_connection_refusal() {
        Some("connection refused".to_owned())
    } else if e.is_timeout() {
        Some("no answer in time".to_owned())
    } else if e.is_connection_dropped() {
        Some("the connection was lost".to_owned())
    } else if e.is_io_error() {
        Some(e.to_string())
    } else if e.is_cluster_error() || e.code() == Some("MASTERDOWN") {
        // What a cluster answers last when the node of a slot is down: the other nodes send
        // the client back to it (MOVED) until the retries run out, or report the cluster down.
        Some(match e.redirect_node() {
            Some((node, slot)) => format!("the node of hash slot {slot}, {node}, does not answer"),
            None => format!(
                "the cluster cannot serve the key's slot now ({})",
                e.code().unwrap_or("no code")
            ),
        })
    } else {
        None
    };
    StoreError::Backend(match unreachable {
        Some(why) => format!("{label} is unreachable: {why}; {}", outage_hint(connected)),
        None if e.kind() == ErrorKind::AuthenticationFailed
            || matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) =>
        {
            format!("{label} refused the credentials of the Redis URL: {e}")
        }
        None => format!("{label} failed: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_splits_only_before_a_scheme() {
        assert_eq!(
            split_urls("redis://a:1, rediss://b:2,REDIS://c"),
            ["redis://a:1", "rediss://b:2", "REDIS://c"]
        );
        // A comma in a password is part of its URL.
        assert_eq!(
            split_urls("redis://:pa,ss@a:1,redis://b"),
            ["redis://:pa,ss@a:1", "redis://b"]
        );
        assert_eq!(split_urls("redis://a"), ["redis://a"]);
    }

    #[test]
    fn inconsistent_settings_are_refused() {
        let cluster = RedisOptions::default().cluster(true);
        let refused = |url: &str, o: &RedisOptions| match plan(url, o) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted"),
        };
        let msg = refused("redis://a:1,redis://b:2", &RedisOptions::default());
        assert!(msg.contains("set auth.redis_cluster = true"), "{msg}");
        let msg = refused("redis://a:1,rediss://b:2", &cluster);
        assert!(msg.contains("mix redis:// and rediss://"), "{msg}");
        let msg = refused(
            "redis://a:1",
            &RedisOptions::default().ca_file("/nonexistent"),
        );
        assert!(msg.contains("not encrypted"), "{msg}");
        let msg = refused(
            "rediss://a:1",
            &RedisOptions::default().ca_file("/nonexistent/ca.pem"),
        );
        assert!(msg.contains("cannot read the Redis CA file"), "{msg}");
        let plan = plan("rediss://:pw@a:1, rediss://b:2", &cluster).expect("plan");
        assert_eq!(plan.target.address, "a:1,b:2");
        assert!(plan.target.tls && plan.target.cluster && plan.ca.is_none());
        assert_eq!(plan.infos.len(), 2);
    }

    /// `#insecure` would make the redis crate accept any certificate; it is refused, with
    /// the setting to use instead.
    #[test]
    fn insecure_fragment_is_refused() {
        for url in [
            "rediss://:pw@cache:6379/#insecure",
            "rediss://cache#insecure",
        ] {
            let msg = match plan(url, &RedisOptions::default()) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("accepted {url}"),
            };
            assert!(
                msg.contains("#insecure") && msg.contains("auth.redis_ca_file"),
                "{msg}"
            );
            assert!(!msg.contains("pw@"), "{msg}");
        }
    }
}
