//! A real `redis-server` (Debian's, a test peer: scripts/setup-peers installs it) on
//! 127.0.0.1 on a free port, in a temporary directory; killed when dropped. Every test that
//! needs Redis starts one of these: the binary's tests and the state store's own. Also over TLS
//! with a CA made in the test ([`RedisServer::start_tls`], [`tls::TestCa`]), and as a
//! three-master Redis Cluster ([`cluster::RedisCluster`]).

pub mod cluster;
pub mod tls;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use self::tls::{TestCa, TlsFiles};

/// How long a server may take to be ready: generous, for a busy machine. Readiness only; no
/// test measures it.
pub(crate) const READY: Duration = Duration::from_secs(30);

/// A free TCP port on 127.0.0.1 (free when asked).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One `redis-server`. [`RedisServer::restart`] keeps its port and directory, so what it
/// persisted comes back and clients reconnect to the same URL.
#[derive(Debug)]
pub struct RedisServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    args: Vec<String>,
    tls: Option<TlsFiles>,
    child: Option<Child>,
}

impl RedisServer {
    /// No persistence: a restart loses everything.
    pub fn start() -> Self {
        Self::start_with(&["--appendonly", "no"])
    }

    /// The append-only file, fsynced before every answer: a restart (even `kill -9`) keeps
    /// every acknowledged write.
    pub fn start_persistent() -> Self {
        Self::start_with(&["--appendonly", "yes", "--appendfsync", "always"])
    }

    /// Any other `redis-server` arguments (`--requirepass`, ...).
    pub fn start_with(args: &[&str]) -> Self {
        Self::launch(args, None)
    }

    /// TLS only (`--port 0 --tls-port P`), with a server certificate for 127.0.0.1 that `ca`
    /// signs; clients need no certificate of their own (`--tls-auth-clients no`).
    pub fn start_tls(ca: &TestCa, args: &[&str]) -> Self {
        Self::launch(args, Some(ca))
    }

    /// [`Self::start_tls`] with a certificate for `names` only (another host's certificate).
    pub fn start_tls_for(ca: &TestCa, names: &[&str], args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let tls = ca.issue_for(dir.path(), names);
        Self::spawned(free_port(), dir, args, Some(tls))
    }

    fn launch(args: &[&str], ca: Option<&TestCa>) -> Self {
        Self::launch_on(free_port(), args, ca)
    }

    /// Starts on `port`, which the caller found free.
    fn launch_on(port: u16, args: &[&str], ca: Option<&TestCa>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let tls = ca.map(|ca| ca.issue(dir.path()));
        Self::spawned(port, dir, args, tls)
    }

    fn spawned(port: u16, dir: tempfile::TempDir, args: &[&str], tls: Option<TlsFiles>) -> Self {
        let mut server = Self {
            port,
            dir,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            tls,
            child: None,
        };
        server.spawn();
        server
    }

    /// `redis://127.0.0.1:PORT`, or `rediss://` over TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: a crash, not a shutdown).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts it again on the same port and directory.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    /// Runs `redis-cli` against this server (over TLS, trusting its CA, when it is TLS) and
    /// returns what it printed; panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        self.tls_cli_args(&mut cmd);
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}); it comes with redis-server"));
        assert!(
            out.status.success(),
            "redis-cli {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `--tls --cacert CA` when this server is TLS.
    pub(crate) fn tls_cli_args(&self, cmd: &mut Command) {
        if let Some(t) = &self.tls {
            cmd.arg("--tls").arg("--cacert").arg(&t.ca);
        }
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("redis.log")).expect("log file");
        let port = self.port.to_string();
        let mut cmd = Command::new("redis-server");
        match &self.tls {
            None => cmd.args(["--port", &port]),
            Some(t) => cmd
                .args(["--port", "0", "--tls-port", &port])
                .arg("--tls-cert-file")
                .arg(&t.cert)
                .arg("--tls-key-file")
                .arg(&t.key)
                .arg("--tls-ca-cert-file")
                .arg(&t.ca)
                .args(["--tls-auth-clients", "no"]),
        };
        let child = cmd
            .args(["--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}); it is a test peer: run scripts/setup-peers \
                     to install it"
                )
            });
        self.child = Some(child);
        self.wait_ready();
    }

    /// Waits until the server answers PING (PONG, or NOAUTH when it wants a password; not
    /// LOADING); over TLS, until it logs that it accepts connections (after loading).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY;
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("redis-server exited ({status}): {}", self.log());
            }
            let ready = if self.tls.is_some() {
                self.log().contains("Ready to accept connections")
            } else {
                self.answers_ping()
            };
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 64];
        s.write_all(b"PING\r\n").is_ok()
            && s.read(&mut buf)
                .is_ok_and(|n| buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
