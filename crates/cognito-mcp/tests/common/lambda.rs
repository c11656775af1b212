//! The real binary as a Lambda function, under the Runtime API emulator
//! `scripts/lambda-invoke.py`: API Gateway HTTP API and Function URL events (payload format
//! 2.0) in, the function's answers and its stderr (the CloudWatch log) out.

use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{Pool, base_env, bin, root};

/// What AWS puts in front of the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// An API Gateway HTTP API, `$default` stage.
    HttpApi,
    /// A Lambda Function URL.
    FunctionUrl,
}

/// The domain of a Function URL (`{url-id}.lambda-url.{region}.on.aws`).
pub const URL_DOMAIN: &str = "k3zq7x2mvb6w4n8p1r5t9y0c2d4f6g8h.lambda-url.us-east-1.on.aws";
/// The default domain of an HTTP API (`{api-id}.execute-api.{region}.amazonaws.com`).
pub const API_DOMAIN: &str = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com";

impl Front {
    pub fn domain(self) -> &'static str {
        match self {
            Front::HttpApi => API_DOMAIN,
            Front::FunctionUrl => URL_DOMAIN,
        }
    }
}

/// One HTTP request, as AWS would hand it to the function.
#[derive(Debug, Clone)]
pub struct Request {
    pub front: Front,
    pub method: &'static str,
    pub path: String,
    /// The request context's `domainName`; the front's own domain unless changed.
    pub domain: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Send the body base64-encoded (`isBase64Encoded`), as Function URLs do.
    pub base64: bool,
}

impl Request {
    pub fn get(front: Front, path: &str) -> Self {
        Self {
            front,
            method: "GET",
            path: path.to_owned(),
            domain: front.domain().to_owned(),
            headers: vec![("host".into(), front.domain().into())],
            body: None,
            base64: false,
        }
    }

    /// A JSON-RPC `method` POSTed to `/mcp`, with `token` as bearer if any.
    pub fn rpc(front: Front, token: Option<&str>, method: &str, params: Value) -> Self {
        let mut r = Self::get(front, "/mcp");
        r.method = "POST";
        r.body = Some(
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string(),
        );
        r.headers.extend([
            ("content-type".into(), "application/json".into()),
            (
                "accept".into(),
                "application/json, text/event-stream".into(),
            ),
            ("mcp-protocol-version".into(), "2025-11-25".into()),
        ]);
        if let Some(t) = token {
            r.headers
                .push(("authorization".into(), format!("Bearer {t}")));
        }
        r
    }

    /// Replaces (or adds) a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// The payload-format-2.0 event.
    pub fn event(&self) -> Value {
        let (account, api_id) = match self.front {
            Front::HttpApi => ("123456789012", "a1b2c3d4e5"),
            // Function URLs without IAM auth carry no caller account.
            Front::FunctionUrl => ("anonymous", "k3zq7x2mvb6w4n8p1r5t9y0c2d4f6g8h"),
        };
        let mut headers = serde_json::Map::new();
        headers.insert("x-forwarded-proto".into(), "https".into());
        headers.insert("x-forwarded-port".into(), "443".into());
        headers.insert("x-forwarded-for".into(), "198.51.100.23".into());
        for (k, v) in &self.headers {
            headers.insert(k.clone(), Value::String(v.clone()));
        }
        let body = self.body.as_ref().map(|b| {
            if self.base64 {
                STANDARD.encode(b)
            } else {
                b.clone()
            }
        });
        json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": account,
                "apiId": api_id,
                "domainName": self.domain,
                "domainPrefix": self.domain.split('.').next().unwrap_or_default(),
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "198.51.100.23",
                    "userAgent": "test",
                },
                "requestId": "JKJaXmPLvHcESHA=",
                "routeKey": "$default",
                "stage": "$default",
                "time": "01/Jan/2026:00:00:00 +0000",
                "timeEpoch": 1767225600000u64,
            },
            "body": body,
            "isBase64Encoded": self.base64,
        })
    }
}

/// The function's answer to one event.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names in lower case.
    pub headers: serde_json::Map<String, Value>,
    /// The body, parsed when it is JSON.
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// One run of the emulator.
#[derive(Debug)]
pub struct Run {
    /// Its exit code: 0 when every event was answered.
    pub code: i32,
    /// Spawn to the function's first `GET /next`, in milliseconds.
    pub init_ms: Option<f64>,
    /// What the function posted to `/runtime/init/error`, if anything.
    pub init_error: Option<Value>,
    /// One answer per event answered, in order.
    pub answers: Vec<Answer>,
    /// The function's stdout and stderr, then the emulator's messages.
    pub stderr: String,
}

/// Runs the binary with `args` (none: what Lambda's `provided.al2023` runtime does) as a
/// function for `pool` under `scripts/lambda-invoke.py`, one invocation per request, with the
/// base environment, the pool and its app client, and `env`.
pub fn invoke(pool: &Pool, requests: &[Request], args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("scripts/lambda-invoke.py"));
    for (i, r) in requests.iter().enumerate() {
        let path = dir.path().join(format!("event-{i}.json"));
        std::fs::write(&path, r.event().to_string()).expect("write event");
        cmd.arg("--event").arg(path);
    }
    cmd.args(["--timeout", "60", "--"])
        .arg(bin())
        .args(args)
        .env_clear()
        .envs(base_env())
        .env("COGNITO_USER_POOL_ID", &pool.id)
        .env("COGNITO_CLIENT_ID", &pool.client_id)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let out = cmd.output().expect("run scripts/lambda-invoke.py");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut run = Run {
        code: out.status.code().unwrap_or(-1),
        init_ms: None,
        init_error: None,
        answers: Vec::new(),
        stderr,
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("lambda-invoke.py printed {line:?}: {e}"));
        if let Some(ms) = v["init_ms"].as_f64() {
            run.init_ms = Some(ms);
        } else if v.get("init_error").is_some() {
            run.init_error = Some(v["init_error"].clone());
        } else {
            assert_eq!(v["ok"], true, "the invocation failed: {v}\n{}", run.stderr);
            run.answers.push(answer(&v["response"]));
        }
    }
    run
}

fn answer(r: &Value) -> Answer {
    let raw = r["body"].as_str().unwrap_or_default();
    let bytes = if r["isBase64Encoded"] == true {
        STANDARD.decode(raw).expect("base64 body")
    } else {
        raw.as_bytes().to_vec()
    };
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    let headers = r["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Answer {
        status: u16::try_from(r["statusCode"].as_u64().expect("statusCode")).expect("status"),
        headers,
        body,
    }
}

/// cargo-lambda's own emulator (`cargo lambda watch --only-lambda-apis`, from
/// `scripts/setup-peers`) with the binary attached as a function for `pool`; both are killed
/// when this is dropped. Its Runtime API address has a scheme and a path
/// (`http://127.0.0.1:PORT/.rt`), unlike Lambda's and lambda-invoke.py's `host:port`.
pub struct CargoLambda {
    port: u16,
    watch: std::process::Child,
    function: std::process::Child,
    pub log: tempfile::NamedTempFile,
}

fn cargo_lambda() -> std::path::PathBuf {
    let binary = super::peers().join("cargo-lambda/bin/cargo-lambda");
    assert!(
        binary.exists(),
        "{} is missing: run scripts/setup-peers",
        binary.display()
    );
    binary
}

impl CargoLambda {
    pub fn start(pool: &Pool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let watch = Command::new(cargo_lambda())
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
            .args(["-P", &port.to_string()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "cargo lambda watch did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let log = tempfile::NamedTempFile::new().expect("log file");
        let function = Command::new(bin())
            .env_clear()
            .envs(base_env())
            .env("COGNITO_USER_POOL_ID", &pool.id)
            .env("COGNITO_CLIENT_ID", &pool.client_id)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("log file"))
            .spawn()
            .expect("the function starts");
        Self {
            port,
            watch,
            function,
            log,
        }
    }

    /// `cargo lambda invoke --data-file` with the request's event.
    pub fn invoke(&self, request: &Request) -> Answer {
        let event = tempfile::NamedTempFile::new().expect("event file");
        std::fs::write(event.path(), request.event().to_string()).expect("write event");
        let out = Command::new(cargo_lambda())
            .args(["lambda", "invoke", "-A", "127.0.0.1", "-P"])
            .arg(self.port.to_string())
            .args(["--output-format", "json", "--color", "never", "--data-file"])
            .arg(event.path())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo lambda invoke runs");
        assert!(
            out.status.success(),
            "cargo lambda invoke: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log.path()).unwrap_or_default()
        );
        let response: Value = serde_json::from_slice(&out.stdout).expect("a JSON answer");
        answer(&response)
    }
}

impl Drop for CargoLambda {
    fn drop(&mut self) {
        for child in [&mut self.function, &mut self.watch] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
