//! Configuration: environment over file over defaults.
//!
//! | setting | environment | file | default |
//! |---|---|---|---|
//! | region | `AWS_REGION` | `cognito.region` | the pool id's region, else `us-east-1` |
//! | pool id | `COGNITO_USER_POOL_ID` | `cognito.user_pool_id` | none (required) |
//! | app client id | `COGNITO_CLIENT_ID` | `cognito.client_id` | none |
//! | app client secret | `COGNITO_CLIENT_SECRET` | `cognito.client_secret` | none |
//! | its previous secret (rotation) | `COGNITO_CLIENT_SECRET_PREVIOUS` | `cognito.client_secret_previous` | a Secrets Manager reference's `AWSPREVIOUS` |
//! | references re-read every | `COGNITO_MCP_SECRETS_REFRESH_SECS` | `secrets.refresh_secs` | 300 |
//! | endpoint override | `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, `AWS_ENDPOINT_URL` | `cognito.endpoint_url` | AWS |
//! | read-only | `COGNITO_MCP_READ_ONLY` (or `--read-only`) | `server.read_only` | false |
//! | metrics (Prometheus) | `COGNITO_MCP_METRICS`, `COGNITO_MCP_METRICS_BIND` | `metrics.enabled`, `metrics.bind` | off; `/metrics` on the main listener unless a bind is given |
//! | traces (OpenTelemetry, feature `otel`) | `COGNITO_MCP_TRACES`, the `OTEL_*` variables | `traces.enabled` | off |
//! | shutdown grace | `COGNITO_MCP_SHUTDOWN_GRACE_SECS` | `server.shutdown_grace_secs` | 10 |
//! | trusted proxies (CIDRs) | `COGNITO_MCP_TRUSTED_PROXIES` | `server.trusted_proxies` | none |
//! | the header they write | `COGNITO_MCP_FORWARDED_HEADER` | `server.forwarded_header` | `x-forwarded-for` |
//! | allowed tools | | `tools.allow` | all |
//! | denied tools | | `tools.deny` | none |
//! | audit on/off | | `audit.enabled` | true |
//! | audit file | `COGNITO_MCP_AUDIT_FILE` | `audit.file` | `$XDG_STATE_HOME/cognito-mcp/audit.jsonl`; on AWS Lambda `/dev/stderr` |
//! | protected users / groups / app clients | | `safety.protected_users`, `safety.protected_groups`, `safety.protected_clients` | none (the server's own app clients are always protected) |
//! | confirmations | | `safety.confirm.TOOL`, `safety.bulk_confirm_threshold` | per tool; 10 |
//! | confirmations only from a person | | `safety.confirm.require_person` | false |
//! | confirmation-state key | `COGNITO_MCP_STATE_KEY` (and `COGNITO_MCP_STATE_KEY_PREVIOUS`) | | the proxy's key file, else random per process |
//! | bulk cap / in flight | | `bulk.max_items`, `bulk.concurrency` | 500; 8 |
//! | pacing | | `pacing.enabled`, `pacing.CATEGORY`, `pacing.max_attempts` | on, Cognito's default quotas; 5 |
//! | one schedule for every instance | `COGNITO_MCP_PACING_SHARED` | `pacing.shared` (`"redis"`: the Redis of `COGNITO_MCP_REDIS_URL`) | `"none"` |
//! | sign-in checks on/off | `COGNITO_MCP_SIGN_IN_ENABLED` | `sign_in.enabled` | false |
//! | sign-in checks return raw tokens | | `sign_in.return_tokens` | false (a summary only) |
//! | sign-in checks' app client | | `sign_in.client_id` | the app client id |
//! | its secret | | `sign_in.client_secret` | the app client secret, when it is the same client |
//!
//! Every secret setting takes the value or a reference to AWS, `secretsmanager:ARN[#json-key]`,
//! `secretsmanager:NAME[#json-key]` or `ssm:/path` (`cognito_mcp_auth::secrets`), read at start
//! and again every `secrets.refresh_secs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cognito_admin::Secret;
use cognito_mcp_auth::config::{AuthTable, CognitoTable, SecretsTable};
pub(crate) use cognito_mcp_auth::config::{Problem, is_region};
use cognito_mcp_auth::secrets::SecretSetting;
use serde::Deserialize;

pub(crate) mod act_as;
mod deploy_file;
mod pacing;
pub(crate) mod traces;

pub(crate) use deploy_file::DeployFile;
use pacing::PacingFile;
pub(crate) use pacing::PacingSettings;
pub(crate) use traces::TracesSettings;

use crate::catalog;
use crate::catalog::ConfirmMode;

/// The TOML file, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    #[serde(default)]
    cognito: CognitoTable,
    #[serde(default)]
    server: ServerFile,
    #[serde(default)]
    tools: ToolsFile,
    #[serde(default)]
    audit: AuditFile,
    #[serde(default)]
    auth: AuthTable,
    #[serde(default)]
    sign_in: SignInFile,
    /// `[deploy]`: read by `deploy template` only.
    deploy: Option<DeployFile>,
    #[serde(default)]
    safety: SafetyFile,
    #[serde(default)]
    bulk: BulkFile,
    #[serde(default)]
    pacing: PacingFile,
    #[serde(default)]
    metrics: MetricsFile,
    #[serde(default)]
    traces: traces::TracesFile,
    #[serde(default)]
    secrets: SecretsTable,
    #[serde(default)]
    identity_pool: cognito_mcp_auth::config::IdentityPoolTable,
    #[serde(default)]
    aws: act_as::AwsFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsFile {
    enabled: Option<bool>,
    bind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SafetyFile {
    #[serde(default)]
    protected_users: Vec<String>,
    #[serde(default)]
    protected_groups: Vec<String>,
    #[serde(default)]
    protected_clients: Vec<String>,
    bulk_confirm_threshold: Option<usize>,
    #[serde(default)]
    confirm: ConfirmFile,
}

/// `[safety.confirm]`: `require_person`, and a mode per tool (`delete_user = "never"`).
#[derive(Debug, Default, Deserialize)]
struct ConfirmFile {
    require_person: Option<bool>,
    #[serde(flatten)]
    tools: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkFile {
    max_items: Option<usize>,
    concurrency: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    read_only: Option<bool>,
    bind: Option<String>,
    public_url: Option<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    forwarded_header: Option<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    max_body_bytes: Option<usize>,
    shutdown_grace_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolsFile {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFile {
    enabled: Option<bool>,
    file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInFile {
    enabled: Option<bool>,
    return_tokens: Option<bool>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `[aws] act_as`: whose credentials sign the tools' calls.
    pub(crate) act_as: act_as::ActAs,
    pub(crate) read_only: bool,
    pub(crate) allow: Vec<String>,
    pub(crate) deny: Vec<String>,
    pub(crate) audit_enabled: bool,
    pub(crate) audit_file: PathBuf,
    pub(crate) http: HttpSettings,
    /// `COGNITO_MCP_METRICS`, `metrics.enabled` (default off): Prometheus metrics over HTTP.
    pub(crate) metrics: Option<MetricsSettings>,
    /// `COGNITO_MCP_TRACES`, `traces.enabled` (default off): OpenTelemetry traces over OTLP.
    pub(crate) traces: Option<TracesSettings>,
    /// `[cognito]`, `[auth]` and their environment variables, resolved by the library: the
    /// region, pool, app client and its secret, the endpoint override, the bearer check, the
    /// scopes, proxy mode. The one copy: nothing else holds these.
    pub(crate) auth: cognito_mcp_auth::AuthConfig,
    /// `[deploy]`, as written; `None` when the file has no such table.
    pub(crate) deploy: Option<DeployFile>,
    pub(crate) safety: SafetySettings,
    pub(crate) bulk: cognito_admin::BulkLimits,
    /// `[pacing]`: the rates, retries, and whether the instances share one schedule.
    pub(crate) pacing: PacingSettings,
    /// Problems found while reading `[safety]`, `[bulk]` and `[pacing]`.
    pub(crate) safety_problems: Vec<Problem>,
    /// `[sign_in]`: the sign-in check tools.
    pub(crate) sign_in: SignInSettings,
    /// `COGNITO_MCP_STATE_KEY` (and `COGNITO_MCP_STATE_KEY_PREVIOUS`): the key of
    /// confirmation states, and of the proxy's state (the same setting as the library's).
    pub(crate) state_key: Option<SecretSetting>,
}

/// Sign-in checks (`[sign_in]`): the `test_sign_in` and `respond_to_auth_challenge` tools.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignInSettings {
    /// `COGNITO_MCP_SIGN_IN_ENABLED`, `sign_in.enabled`; default false: the tools are not
    /// listed and are refused.
    pub(crate) enabled: bool,
    /// `sign_in.return_tokens`: also answer with the raw tokens; default false (a summary of
    /// them only).
    pub(crate) return_tokens: bool,
    /// `sign_in.client_id`: the app client to sign in through (it must allow
    /// ALLOW_ADMIN_USER_PASSWORD_AUTH); default the server's app client (`COGNITO_CLIENT_ID`).
    pub(crate) client_id: Option<String>,
    /// `sign_in.client_secret` (the value or a reference to AWS); default
    /// `COGNITO_CLIENT_SECRET` (the same setting, with its previous secret) when the client is
    /// the server's own.
    pub(crate) client_secret: Option<SecretSetting>,
}

/// `[safety]`: protected principals and confirmations.
#[derive(Debug, Clone)]
pub(crate) struct SafetySettings {
    pub(crate) protected: cognito_admin::protect::Protected,
    /// Bulk calls changing more users than this need confirming (tools in `OverThreshold`).
    pub(crate) bulk_confirm_threshold: usize,
    /// Per-tool overrides of the default confirmation modes.
    pub(crate) confirm: BTreeMap<String, ConfirmMode>,
    /// `safety.confirm.require_person`: take a confirmation only from a person (through MCP
    /// elicitation), never from the agent's `confirm` argument; default false.
    pub(crate) require_person: bool,
}

impl SafetySettings {
    /// When `spec` asks a person to confirm: `safety.confirm`, else the catalogue's default.
    pub(crate) fn confirm_mode(&self, spec: &crate::catalog::ToolSpec) -> ConfirmMode {
        self.confirm.get(spec.name).copied().unwrap_or(spec.confirm)
    }
}

impl Default for SafetySettings {
    fn default() -> Self {
        Self {
            protected: Default::default(),
            bulk_confirm_threshold: DEFAULT_BULK_CONFIRM_THRESHOLD,
            confirm: BTreeMap::new(),
            require_person: false,
        }
    }
}

/// Bulk calls changing more users than this ask for confirmation by default.
pub(crate) const DEFAULT_BULK_CONFIRM_THRESHOLD: usize = 10;

/// What `[safety]`, `[bulk]` and `[pacing]` say.
type SafetyParts = (SafetySettings, cognito_admin::BulkLimits, PacingSettings);

/// Reads `[safety]`, `[bulk]` and `[pacing]`, collecting what is wrong with them.
fn safety_settings(
    safety: SafetyFile,
    bulk: BulkFile,
    pacing: PacingFile,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> SafetyParts {
    let mut confirm = BTreeMap::new();
    for (tool, mode) in safety.confirm.tools {
        let Some(spec) = catalog::find(&tool) else {
            problems.push(Problem::new(format!(
                "safety.confirm names {tool:?}, which is not a tool; the tools are: {}",
                catalog::names()
            )));
            continue;
        };
        match ConfirmMode::parse(&mode) {
            None => problems.push(Problem::new(format!(
                "safety.confirm.{tool} is {mode:?}; write \"always\", \"never\" or \
                 \"over_threshold\""
            ))),
            Some(ConfirmMode::OverThreshold) if !spec.bulk => problems.push(Problem::new(format!(
                "safety.confirm.{tool} is \"over_threshold\", which only bulk tools take; write \
                 \"always\" or \"never\""
            ))),
            Some(m) => {
                confirm.insert(tool, m);
            }
        }
    }
    let max_items = bulk.max_items.unwrap_or(cognito_admin::DEFAULT_MAX_ITEMS);
    if !(1..=10_000).contains(&max_items) {
        problems.push(Problem::new(format!(
            "bulk.max_items is {max_items}; set it from 1 to 10000 (default {})",
            cognito_admin::DEFAULT_MAX_ITEMS
        )));
    }
    let concurrency = bulk
        .concurrency
        .unwrap_or(cognito_admin::DEFAULT_CONCURRENCY);
    if !(1..=64).contains(&concurrency) {
        problems.push(Problem::new(format!(
            "bulk.concurrency is {concurrency}; set it from 1 to 64 (default {})",
            cognito_admin::DEFAULT_CONCURRENCY
        )));
    }
    (
        SafetySettings {
            protected: cognito_admin::protect::Protected::new(
                safety.protected_users,
                safety.protected_groups,
            )
            .with_clients(safety.protected_clients),
            bulk_confirm_threshold: safety
                .bulk_confirm_threshold
                .unwrap_or(DEFAULT_BULK_CONFIRM_THRESHOLD),
            confirm,
            require_person: safety.confirm.require_person.unwrap_or(false),
        },
        cognito_admin::BulkLimits::new(max_items, concurrency),
        pacing::settings(pacing, env, problems),
    )
}

/// Default address `serve --transport http` binds.
pub(crate) const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// How long a SIGTERM waits for the calls in flight by default: under the 30 s that ECS and
/// Kubernetes give a task before they kill it.
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 10;
/// Default largest request body over HTTP: 1 MiB.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where the metrics are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetricsSettings {
    /// `COGNITO_MCP_METRICS_BIND`, `metrics.bind`: a listener of their own (say
    /// `127.0.0.1:9464`, or a private interface); none: `/metrics` on the main listener.
    pub(crate) bind: Option<String>,
}

/// Settings of the HTTP transport.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    /// `COGNITO_MCP_BIND`, `server.bind`; default 127.0.0.1:8080.
    pub(crate) bind: String,
    /// `server.allowed_hosts`; default: loopback names plus the public URL's host.
    pub(crate) allowed_hosts: Vec<String>,
    /// `server.allowed_origins`; default: the public URL's origin and loopback origins.
    pub(crate) allowed_origins: Vec<String>,
    /// `server.max_body_bytes`; default 1 MiB.
    pub(crate) max_body_bytes: usize,
    /// `COGNITO_MCP_SHUTDOWN_GRACE_SECS`, `server.shutdown_grace_secs`: how long a SIGTERM
    /// waits for the calls in flight; default 10 s.
    pub(crate) shutdown_grace: std::time::Duration,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn truthy(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// The default audit file: the user's state directory (`$XDG_STATE_HOME`, `~/.local/state`),
/// else the local data directory.
pub(crate) fn default_audit_file() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("cognito-mcp")
        .join("audit.jsonl")
}

impl Settings {
    /// Reads the file at `path` (if any) and the environment through `env`.
    pub(crate) fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Problem> {
        let file = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    Problem::new(format!(
                        "cannot read the config file {}: {e}; check the --config path",
                        p.display()
                    ))
                })?;
                cognito_mcp_auth::config::parse_toml::<FileConfig>(p, &text)?
            }
            None => FileConfig::default(),
        };
        let env_nonempty = |k: &str| non_empty(env(k));
        let mut auth = cognito_mcp_auth::AuthConfig::from_tables(file.cognito, file.auth, env)
            .map_err(|e| Problem::new(e.to_string()))?;
        // `COGNITO_MCP_PUBLIC_URL` is resolved by the library; the file's key is `[server]`'s.
        if auth.public_url.is_none() {
            auth.public_url =
                non_empty(file.server.public_url).map(|u| u.trim_end_matches('/').to_owned());
        }
        auth.set_trusted_proxies(
            &file.server.trusted_proxies,
            file.server.forwarded_header.as_deref(),
            env,
        );
        auth.set_secrets_refresh(&file.secrets, env);
        auth.set_identity_pool(&file.identity_pool, env);
        let act_as = act_as::resolve(file.aws, env)?;
        let shutdown_grace_secs = match env_nonempty("COGNITO_MCP_SHUTDOWN_GRACE_SECS") {
            Some(v) => v.parse::<u64>().map_err(|_| {
                Problem::new(format!(
                    "COGNITO_MCP_SHUTDOWN_GRACE_SECS is {v:?}; set it to a whole number of \
                     seconds, like 10"
                ))
            })?,
            None => file
                .server
                .shutdown_grace_secs
                .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECS),
        };
        let metrics_on = match env_nonempty("COGNITO_MCP_METRICS") {
            Some(v) => truthy(&v).ok_or_else(|| {
                Problem::new(format!(
                    "COGNITO_MCP_METRICS is {v:?}; set it to true or false"
                ))
            })?,
            None => file.metrics.enabled.unwrap_or(false),
        };
        let metrics = metrics_on.then(|| MetricsSettings {
            bind: env_nonempty("COGNITO_MCP_METRICS_BIND").or(non_empty(file.metrics.bind.clone())),
        });
        let read_only = match env_nonempty("COGNITO_MCP_READ_ONLY") {
            Some(v) => truthy(&v).ok_or_else(|| {
                Problem::new(format!(
                    "COGNITO_MCP_READ_ONLY is {v:?}; set it to true or false"
                ))
            })?,
            None => file.server.read_only.unwrap_or(false),
        };
        let mut safety_problems = Vec::new();
        let (safety, bulk, pacing) = safety_settings(
            file.safety,
            file.bulk,
            file.pacing,
            env,
            &mut safety_problems,
        );
        Ok(Self {
            act_as,
            read_only,
            allow: file.tools.allow,
            deny: file.tools.deny,
            audit_enabled: file.audit.enabled.unwrap_or(true),
            audit_file: env_nonempty("COGNITO_MCP_AUDIT_FILE")
                .map(PathBuf::from)
                .or(file.audit.file)
                .unwrap_or_else(|| match env_nonempty("AWS_LAMBDA_RUNTIME_API") {
                    // Lambda's filesystem is read-only but for /tmp, which no one reads:
                    // standard error goes to CloudWatch Logs.
                    Some(_) => PathBuf::from(cognito_admin::audit::STDERR),
                    None => default_audit_file(),
                }),
            metrics,
            traces: traces::resolve(file.traces, env)?,
            http: HttpSettings {
                bind: env_nonempty("COGNITO_MCP_BIND")
                    .or(non_empty(file.server.bind))
                    .unwrap_or_else(|| DEFAULT_BIND.to_owned()),
                allowed_hosts: file.server.allowed_hosts,
                allowed_origins: file.server.allowed_origins,
                max_body_bytes: file.server.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
                shutdown_grace: std::time::Duration::from_secs(shutdown_grace_secs),
            },
            auth,
            deploy: file.deploy.clone(),
            safety,
            bulk,
            pacing,
            safety_problems,
            sign_in: SignInSettings::default(),
            state_key: None,
        })
        .and_then(|mut settings: Settings| {
            let f = file.sign_in;
            let enabled = match env_nonempty("COGNITO_MCP_SIGN_IN_ENABLED") {
                Some(v) => truthy(&v).ok_or_else(|| {
                    Problem::new(format!(
                        "COGNITO_MCP_SIGN_IN_ENABLED is {v:?}; set it to true or false"
                    ))
                })?,
                None => f.enabled.unwrap_or(false),
            };
            let own_client = settings.auth.client_id.clone();
            let client_id = non_empty(f.client_id).or(own_client.clone());
            let client_secret = f
                .client_secret
                .filter(|s| !s.is_empty())
                .map(|s| SecretSetting::new("sign_in.client_secret", &s))
                .or_else(|| {
                    (client_id == own_client)
                        .then(|| settings.auth.client_secret.clone())
                        .flatten()
                });
            // One setting for the library's state and the confirmation states, so one refresh
            // rotates both.
            settings.state_key = settings
                .auth
                .proxy
                .as_ref()
                .and_then(|p| p.state_key.clone())
                .or_else(|| cognito_mcp_auth::config::state_key_setting(env));
            settings.sign_in = SignInSettings {
                enabled,
                return_tokens: f.return_tokens.unwrap_or(false),
                client_id,
                client_secret,
            };
            Ok(settings)
        })
    }

    /// Every problem `serve` and `check` find: [`Settings::problems`], and what this build
    /// cannot do (traces without the `otel` feature).
    pub(crate) fn serve_problems(&self) -> Vec<Problem> {
        let mut out = self.problems();
        out.extend(traces::unbuilt(self.traces.as_ref()));
        out
    }

    /// Every problem with the settings, each phrased as what to fix. Empty when usable.
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out = self.auth.problems();
        for tool in self.auth.tool_scopes.keys() {
            if catalog::find(tool).is_none() {
                out.push(Problem::new(format!(
                    "auth.tool_scopes names {tool:?}, which is not a tool; the tools are: {}",
                    catalog::names()
                )));
            }
        }
        out.extend(self.safety_problems.iter().cloned());
        if self.pacing.shared {
            out.extend(self.auth.redis.problems("pacing.shared is \"redis\""));
            if self.pacing.rates.is_none() {
                out.push(Problem::new(
                    "pacing.shared is \"redis\" but pacing.enabled is false: there is no rate to \
                     share; turn pacing on, or set pacing.shared = \"none\"",
                ));
            }
        }
        // The library reports the proxy's key; outside proxy mode, the confirmation states'.
        if let Some(key) = &self.state_key
            && self.auth.proxy.is_none()
        {
            out.extend(key.problems().into_iter().map(Problem::new));
            out.extend(cognito_mcp_auth::config::state_key_problems(key));
        }
        if let Some(s) = &self.sign_in.client_secret {
            out.extend(s.problems().into_iter().map(Problem::new));
        }
        if self.sign_in.enabled && self.sign_in.client_id.is_none() {
            out.push(Problem::new(
                "sign-in checks are enabled (sign_in.enabled or COGNITO_MCP_SIGN_IN_ENABLED) but \
                 name no app client: set sign_in.client_id (or COGNITO_CLIENT_ID) to an app \
                 client that allows ALLOW_ADMIN_USER_PASSWORD_AUTH, and sign_in.client_secret \
                 (or COGNITO_CLIENT_SECRET) if it has a secret",
            ));
        }
        out.extend(act_as::problems(self.act_as, &self.auth));
        for (list, names) in [("tools.allow", &self.allow), ("tools.deny", &self.deny)] {
            for name in names {
                if catalog::find(name).is_none() {
                    out.push(Problem::new(format!(
                        "{list} names {name:?}, which is not a tool; the tools are: {}",
                        catalog::names()
                    )));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;

impl Settings {
    /// What no tool changes: `[safety]`'s protected users, groups and app clients, and the
    /// app clients this server itself uses (its own, the ones whose tokens it accepts, the
    /// machine clients and the sign-in checks' client): deleting one would lock the server's
    /// own callers out.
    pub(crate) fn protected(&self) -> cognito_admin::protect::Protected {
        let own = self
            .auth
            .client_id
            .iter()
            .chain(&self.auth.client_ids)
            .chain(self.auth.machine_clients.keys())
            .chain(&self.sign_in.client_id)
            .cloned();
        self.safety.protected.clone().with_clients(own)
    }

    /// Every secret setting: the library's (client secret, Redis URL, state key), the
    /// confirmation states' key and the sign-in checks' client secret, each once.
    pub(crate) fn secret_settings(&self) -> Vec<SecretSetting> {
        let mut out = self.auth.secret_settings();
        for s in self.state_key.iter().chain(&self.sign_in.client_secret) {
            if !out.iter().any(|o| o.same_as(s)) {
                out.push(s.clone());
            }
        }
        out
    }
}
