//! `read_audit`: the audit trail read back, newest first, filtered by actor, tool, outcome and
//! time. A tool router on [`CognitoMcp`], merged with the others in `mcp/schema.rs`.
//!
//! The call goes through the same wrapper as every tool: refused without the admin scope over
//! HTTP (the audit shows every caller's actions), and itself recorded in the audit.

use std::path::Path;
use std::time::{Duration, SystemTime};

use cognito_admin::AdminError;
use cognito_admin::audit::{self, AuditPage, AuditQuery, STDERR, read_recent};
use cognito_admin::validate::Invalid;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{Json, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::catalog;
use crate::mcp::error::ToolError;
use crate::mcp::state::State;

/// The outcomes an audit record may have; `cancelled` is written by versions that record
/// calls the client cancelled.
const OUTCOMES: &[&str] = &["ok", "error", "refused", "cancelled"];

/// The largest `limit`.
const MAX_LIMIT: usize = 500;

/// Input of `read_audit`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadAuditInput {
    /// Only the calls of this actor, exactly as recorded (case-sensitive): `local` over stdio;
    /// over HTTP `SUB (USERNAME) via CLIENT_ID`, as whoami shows it.
    #[serde(default)]
    actor: Option<String>,
    /// Only the calls of this tool, e.g. `delete_user`; `read_resource` for resource reads.
    #[serde(default)]
    tool: Option<String>,
    /// Only the calls that ended so: `ok`, `error`, `refused` (by policy, before anything
    /// ran) or `cancelled`.
    #[serde(default)]
    #[schemars(extend("enum" = ["ok", "error", "refused", "cancelled"]))]
    outcome: Option<String>,
    /// Only the calls that started at or after this: an RFC 3339 time
    /// (`2025-06-01T09:00:00Z`; an offset like `+02:00`, or a date alone, also work), or how
    /// long ago (`15m`, `2h`, `1d`).
    #[serde(default)]
    since: Option<String>,
    /// Only the calls that started before this: an RFC 3339 time or how long ago, as `since`.
    #[serde(default)]
    until: Option<String>,
    /// At most this many records, 1 to 500. Default: 50.
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    limit: Option<u32>,
    /// The `next_before` of the previous answer, to read the records older than it (with the
    /// same filters).
    #[serde(default)]
    before: Option<u64>,
}

impl ReadAuditInput {
    /// The query this input asks for, relative durations counted back from `now`.
    fn query(&self, now: SystemTime) -> Result<AuditQuery, Invalid> {
        let limit = self.limit.map_or(audit::DEFAULT_LIMIT, |l| l as usize);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid(
                "limit",
                format!("is {limit}, outside 1 to {MAX_LIMIT}"),
                "a whole number from 1 to 500; for older records, pass the answer's \
                 next_before as before",
                "50",
            ));
        }
        if let Some(actor) = &self.actor {
            nonempty("actor", actor, "local")?;
        }
        if let Some(tool) = &self.tool {
            nonempty("tool", tool, "delete_user")?;
            if tool != "read_resource" && catalog::find(tool).is_none() {
                return Err(invalid(
                    "tool",
                    format!("is {tool:?}, which is not a tool of this server"),
                    format!(
                        "a tool name (one of {}), or read_resource for resource reads",
                        catalog::names()
                    ),
                    "delete_user",
                ));
            }
        }
        if let Some(outcome) = &self.outcome
            && !OUTCOMES.contains(&outcome.as_str())
        {
            return Err(invalid(
                "outcome",
                format!("is {outcome:?}, which is not an outcome"),
                "one of ok, error, refused, cancelled",
                "refused",
            ));
        }
        let since = self
            .since
            .as_deref()
            .map(|s| time_bound("since", s, now))
            .transpose()?;
        let until = self
            .until
            .as_deref()
            .map(|s| time_bound("until", s, now))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until)
            && u <= s
        {
            return Err(invalid(
                "until",
                "is not after since, so no call can be in between",
                "a time after since (or a shorter time ago: since = 2h, until = 1h reads the \
                 hour before the last)",
                "1h",
            ));
        }
        Ok(AuditQuery {
            actor: self.actor.clone(),
            tool: self.tool.clone(),
            outcome: self.outcome.clone(),
            since,
            until,
            before: self.before,
            limit,
            ..AuditQuery::default()
        })
    }
}

fn invalid(
    field: &str,
    problem: impl Into<String>,
    requirement: impl Into<String>,
    example: &str,
) -> Invalid {
    Invalid {
        field: field.into(),
        problem: problem.into(),
        requirement: requirement.into(),
        example: example.into(),
    }
}

fn nonempty(field: &str, value: &str, example: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return Err(invalid(
            field,
            "is empty",
            format!("a {field} exactly as the audit records it, or leave {field} out"),
            example,
        ));
    }
    Ok(())
}

/// A time bound: an RFC 3339 time (`Z`, an offset, or a date alone, meaning midnight UTC), or
/// a duration (`15m`, `2h`, `1d`) counted back from `now`.
fn time_bound(field: &str, value: &str, now: SystemTime) -> Result<SystemTime, Invalid> {
    let bad = |problem: String| {
        invalid(
            field,
            problem,
            "an RFC 3339 time such as 2025-06-01T09:00:00Z (an offset like +02:00, or a date \
             alone, also work), or how long ago, such as 15m, 2h or 1d",
            "2h",
        )
    };
    let value = value.trim();
    if let Ok(ago) = humantime::parse_duration(value) {
        return now
            .checked_sub(ago)
            .filter(|t| *t >= SystemTime::UNIX_EPOCH)
            .ok_or_else(|| bad(format!("is {value:?}, which reaches back before 1970")));
    }
    parse_rfc3339(value).ok_or_else(|| {
        bad(format!(
            "is {value:?}, which is neither an RFC 3339 time nor a duration"
        ))
    })
}

/// Parses an RFC 3339 time with `Z` or a `±HH:MM` offset, or a date alone (midnight UTC).
fn parse_rfc3339(value: &str) -> Option<SystemTime> {
    if value.len() == "2025-06-01".len() {
        return humantime::parse_rfc3339(&format!("{value}T00:00:00Z")).ok();
    }
    if let Ok(t) = humantime::parse_rfc3339(value) {
        return Some(t);
    }
    // humantime takes only `Z` (or +00:00): move any other offset into the time.
    let (local, offset) = value.split_at_checked(value.len().checked_sub(6)?)?;
    let o = offset.as_bytes();
    let sign = match o[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    if o[3] != b':'
        || !offset[1..3]
            .bytes()
            .chain(offset[4..].bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (hours, minutes): (u64, u64) = (offset[1..3].parse().ok()?, offset[4..].parse().ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let t = humantime::parse_rfc3339(&format!("{local}Z")).ok()?;
    let shift = Duration::from_secs(hours * 3600 + minutes * 60);
    // 09:00+02:00 is 07:00Z.
    if sign > 0 {
        t.checked_sub(shift)
    } else {
        t.checked_add(shift)
    }
}

#[tool_router(router = audit_router, vis = "pub(crate)")]
impl State {
    #[tool(
        description = "Read the audit trail: the calls made to this server, newest first, each \
        with its time, actor, tool, arguments (secrets redacted), outcome, error code, AWS \
        calls with request ids, and duration. Filter by actor, tool, outcome (ok, error, \
        refused, cancelled) and time: since/until as an RFC 3339 time or how long ago (15m, \
        2h, 1d). Returns up to limit records (1 to 500, default 50); when more is true, pass \
        next_before as before to read older ones. Over HTTP it needs the admin scope."
    )]
    async fn read_audit(
        &self,
        Parameters(req): Parameters<ReadAuditInput>,
    ) -> Result<Json<AuditPage>, ToolError> {
        let query = req.query(SystemTime::now()).map_err(AdminError::from)?;
        let Some(writer) = self.auditor.writer().cloned() else {
            return Err(AdminError::AuditDisabled.into());
        };
        if writer.path() == Path::new(STDERR) {
            return Err(AdminError::AuditOnStderr.into());
        }
        let path = writer.path().display().to_string();
        let inline = writer.is_inline();
        // Flushing waits for the writer thread, and a read may scan megabytes: both block.
        let (flushed, read) = tokio::task::spawn_blocking(move || {
            // The calls made just before this one are queued, not yet written: wait for them.
            let flushed = writer.flush();
            (flushed, read_recent(writer.path(), &query))
        })
        .await
        .map_err(|e| AdminError::AuditUnreadable {
            path: path.clone(),
            detail: format!("the read stopped: {e}"),
        })?;
        let mut page = match read {
            Ok(page) => page,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                return Err(AdminError::from(invalid(
                    "before",
                    format!("cannot be used: {e}"),
                    "the next_before of a previous read_audit answer, the file unchanged since \
                     (leave before out to start from the newest record)",
                    "48213",
                ))
                .into());
            }
            Err(e) => {
                return Err(AdminError::AuditUnreadable {
                    path,
                    detail: e.to_string(),
                }
                .into());
            }
        };
        let mut notes: Vec<String> = Vec::new();
        if let Err(e) = flushed {
            tracing::warn!(error = %e, "read_audit: the audit writer did not confirm every record");
            notes.push(format!(
                "Records of the last few calls may be missing: the audit writer reported: {e}."
            ));
        }
        if inline {
            notes.push(
                "This server writes its audit within each request, as on AWS Lambda: every \
                 running instance has its own file, and this answer holds only this instance's \
                 records."
                    .into(),
            );
        }
        if let Some(note) = page.note.take() {
            notes.push(note);
        }
        if !notes.is_empty() {
            page.note = Some(notes.join(" "));
        }
        Ok(Json(page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        humantime::parse_rfc3339("2025-06-01T12:00:00Z").expect("time")
    }

    fn input(json: serde_json::Value) -> ReadAuditInput {
        serde_json::from_value(json).expect("input")
    }

    fn field_of(json: serde_json::Value) -> String {
        input(json).query(now()).expect_err("invalid").field
    }

    #[test]
    fn times_are_rfc3339_dates_offsets_or_durations() {
        let t = |s: &str| time_bound("since", s, now()).expect(s);
        let z = |s: &str| humantime::parse_rfc3339(s).expect(s);
        assert_eq!(t("2h"), z("2025-06-01T10:00:00Z"));
        assert_eq!(t("15m"), z("2025-06-01T11:45:00Z"));
        assert_eq!(t("1d"), z("2025-05-31T12:00:00Z"));
        assert_eq!(t("2025-06-01T09:30:00Z"), z("2025-06-01T09:30:00Z"));
        assert_eq!(t("2025-06-01T09:30:00.250Z"), z("2025-06-01T09:30:00.250Z"));
        assert_eq!(t("2025-06-01T09:30:00+02:00"), z("2025-06-01T07:30:00Z"));
        assert_eq!(t("2025-06-01T09:30:00-05:30"), z("2025-06-01T15:00:00Z"));
        assert_eq!(t(" 2025-06-01 "), z("2025-06-01T00:00:00Z"));
        for bad in [
            "yesterday",
            "",
            "2025-06-01T09:30:00",
            "2025-06-01T09:30:00+2:00",
            "2025-06-01T09:30:00+24:00",
            "2025-13-01",
            "10000000000000d",
        ] {
            let e = time_bound("since", bad, now()).expect_err(bad);
            assert_eq!(e.field, "since");
            assert!(e.requirement.contains("RFC 3339"), "{e:?}");
            assert_eq!(e.example, "2h");
        }
    }

    #[test]
    fn defaults_read_the_newest_fifty() {
        let q = input(serde_json::json!({})).query(now()).expect("valid");
        assert_eq!(q.limit, 50);
        assert_eq!(q, AuditQuery::default());
    }

    #[test]
    fn bad_input_names_its_field() {
        use serde_json::json;
        assert_eq!(field_of(json!({"limit": 0})), "limit");
        assert_eq!(field_of(json!({"limit": 501})), "limit");
        assert_eq!(field_of(json!({"since": "soon"})), "since");
        assert_eq!(field_of(json!({"until": "later"})), "until");
        assert_eq!(field_of(json!({"since": "1h", "until": "2h"})), "until");
        assert_eq!(field_of(json!({"outcome": "failed"})), "outcome");
        assert_eq!(field_of(json!({"tool": "delete_users"})), "tool");
        assert_eq!(field_of(json!({"actor": ""})), "actor");
        let q = input(json!({"tool": "read_resource", "outcome": "cancelled", "limit": 500}))
            .query(now())
            .expect("valid");
        assert_eq!(q.limit, 500);
        assert_eq!(q.outcome.as_deref(), Some("cancelled"));
    }

    #[test]
    fn the_schema_lists_the_outcomes() {
        let schema = schemars::schema_for!(ReadAuditInput);
        let outcome = &schema.as_value()["properties"]["outcome"];
        assert_eq!(outcome["enum"], serde_json::json!(OUTCOMES), "{outcome}");
    }
}
