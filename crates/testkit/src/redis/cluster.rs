//! A real three-master Redis Cluster of Debian's `redis-server` (no replicas), made with
//! `redis-cli --cluster create`: each node on 127.0.0.1 with a free client port and a free
//! cluster-bus port, its own directory (its `nodes.conf`, and with
//! [`RedisCluster::start_persistent`] its append-only file, fsynced before every answer),
//! killed when dropped. Plain TCP, or TLS on every link ([`RedisCluster::start_tls`]).

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::tls::TestCa;
use super::{READY, RedisServer};

/// How many masters.
const MASTERS: usize = 3;

/// A Redis Cluster of three masters. [`RedisCluster::restart`] kills one node and starts
/// it again on its port and directory, so it comes back with its slots and its data.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Three masters over plain TCP, without persistence (a restarted node comes back empty);
    /// ready (`cluster_state:ok` on every node) on return.
    pub fn start() -> Self {
        Self::launch(None, false)
    }

    /// Three masters, each with the append-only file fsynced before every answer: a node
    /// killed (`kill -9`) and restarted keeps every write it acknowledged.
    pub fn start_persistent() -> Self {
        Self::launch(None, true)
    }

    /// Three masters with TLS for clients and for the cluster bus, their certificates signed by
    /// `ca`; no persistence.
    pub fn start_tls(ca: &TestCa) -> Self {
        Self::launch(Some(ca), false)
    }

    fn launch(ca: Option<&TestCa>, persistent: bool) -> Self {
        let mut nodes = Vec::new();
        for _ in 0..MASTERS {
            // Both ports at once, so they differ.
            let (client, bus) = {
                let a = TcpListener::bind("127.0.0.1:0").expect("a free port");
                let b = TcpListener::bind("127.0.0.1:0").expect("a free port");
                let port = |l: &TcpListener| l.local_addr().expect("addr").port();
                (port(&a), port(&b))
            };
            let bus = bus.to_string();
            let mut args = vec![
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-port",
                &bus,
                // A stopped node is marked failed after 5 s and, once back, cleared 10 s later
                // (twice the timeout): a restart is whole again within seconds.
                "--cluster-node-timeout",
                "5000",
            ];
            // An fsync before every answer is what the restart tests need, and costs the
            // others disk time they do not.
            if persistent {
                args.extend(["--appendonly", "yes", "--appendfsync", "always"]);
            } else {
                args.extend(["--appendonly", "no"]);
            }
            if ca.is_some() {
                args.extend(["--tls-cluster", "yes", "--tls-replication", "yes"]);
            }
            nodes.push(RedisServer::launch_on(client, &args, ca));
        }
        let mut create = Command::new("redis-cli");
        nodes[0].tls_cli_args(&mut create);
        create.args(["--cluster", "create"]);
        for n in &nodes {
            create.arg(format!("127.0.0.1:{}", n.port));
        }
        let out = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}); it comes with redis-server"));
        assert!(
            out.status.success(),
            "redis-cli --cluster create: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Self { nodes };
        cluster.wait_ok();
        cluster
    }

    /// Every node's URL, comma-separated: what `COGNITO_MCP_REDIS_URL` names with
    /// `auth.redis_cluster = true`.
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(RedisServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The nodes.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// The node that serves `key`'s hash slot (its hash tag's, when it has one).
    pub fn node_of(&self, key: &str) -> usize {
        let slot: u16 = self.nodes[0]
            .cli(&["cluster", "keyslot", key])
            .trim()
            .parse()
            .expect("a slot");
        let table = self.nodes[0].cli(&["cluster", "nodes"]);
        for line in table.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let serves = fields.iter().skip(8).any(|range| {
                let (lo, hi) = range.split_once('-').unwrap_or((range, range));
                matches!((lo.parse::<u16>(), hi.parse::<u16>()), (Ok(lo), Ok(hi)) if (lo..=hi).contains(&slot))
            });
            if !serves {
                continue;
            }
            // `127.0.0.1:PORT@BUS[,hostname]`
            let port: u16 = fields[1]
                .split(['@', ','])
                .next()
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .expect("a node address");
            return self
                .nodes
                .iter()
                .position(|n| n.port == port)
                .expect("a node of this cluster");
        }
        panic!("no node serves slot {slot}: {table}");
    }

    /// Kills node `i` (SIGKILL: a crash).
    pub fn stop(&mut self, i: usize) {
        self.nodes[i].stop();
    }

    /// Kills node `i` if it runs, starts it again on its port and directory, and waits until
    /// the cluster is whole again.
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].restart();
        self.wait_ok();
    }

    /// Waits until every node reports `cluster_state:ok`: every slot served.
    pub fn wait_ok(&self) {
        let deadline = Instant::now() + READY;
        for n in &self.nodes {
            loop {
                let info = n.cli(&["cluster", "info"]);
                if info.lines().any(|l| l.trim() == "cluster_state:ok") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the cluster did not become ready: node {}: {info}",
                    n.port
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}
