//! Audit records: one JSON line per admin action, secrets redacted; and reading them back,
//! newest first ([`read_recent`]).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::calls::CallRecord;

mod read;

pub use read::{
    AuditPage, AuditQuery, DEFAULT_LIMIT, DEFAULT_SCAN_LIMIT, MAX_LINE, READ_BLOCK, read_recent,
};

/// The text that replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// How a call ended.
///
/// Newer versions may write outcomes this one does not know: readers of audit files should
/// keep the outcome as text, as [`read_recent`] does, rather than fail on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditOutcome {
    /// The action succeeded.
    Ok,
    /// The action failed (validation or AWS).
    Error,
    /// The action was refused before anything changed: by policy (read-only, deny list,
    /// protected principals) or because no one confirmed it.
    Refused,
    /// The action waits for the client's answer (an `input_required` result).
    InputRequired,
    /// The caller cancelled the action midway; `summary` says what was done.
    Cancelled,
}

/// One AWS call in an audit record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditCall {
    /// The API operation, e.g. `AdminCreateUser`.
    pub operation: String,
    /// AWS's request id, when a response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl From<&CallRecord> for AuditCall {
    fn from(c: &CallRecord) -> Self {
        Self {
            operation: c.operation.name().to_owned(),
            request_id: c.request_id.clone(),
        }
    }
}

/// One audit line.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// When the call started, RFC 3339 UTC.
    pub time: String,
    /// The call's own id: 32 lowercase hex digits, new for every call. The same id is the
    /// `cognito_mcp.call_id` attribute of the call's trace span (when traces are on), so an
    /// audit line and its trace find each other. Absent in records written before it existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Who asked: `local` over stdio, or the caller's identity.
    pub actor: String,
    /// The tool or resource.
    pub tool: String,
    /// The arguments, secrets replaced by [`REDACTED`].
    pub arguments: Value,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// The error code when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The AWS calls made, in order, with their request ids.
    pub aws_calls: Vec<AuditCall>,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: u64,
    /// How a person confirmed the action (`elicitation` or `argument`), when one had to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    /// For bulk actions: counts per item outcome, whether cancelled, throttling seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Value>,
}

impl AuditRecord {
    /// A record for a call that started at `started` and took `elapsed`.
    pub fn new(
        started: SystemTime,
        elapsed: Duration,
        actor: &str,
        tool: &str,
        arguments: Value,
    ) -> Self {
        Self {
            time: humantime::format_rfc3339_millis(started).to_string(),
            call_id: None,
            actor: actor.to_owned(),
            tool: tool.to_owned(),
            arguments: redact(arguments),
            outcome: AuditOutcome::Ok,
            error: None,
            aws_calls: Vec::new(),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            confirmed_by: None,
            summary: None,
        }
    }
}

/// Whether a field of that name holds a secret: passwords, secrets, and tokens other than
/// pagination tokens and `software_token` (set_user_pool_mfa_config's on/off switch for
/// authenticator apps).
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n == "pagination_token" || n == "next_token" || n == "software_token" {
        return false;
    }
    n.contains("password")
        || n.contains("secret")
        || n.ends_with("token")
        || n == "session"
        || n == "code"
        || n == "authorization"
}

/// Replaces the value of every secret field, at any depth, with [`REDACTED`].
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if is_secret_field(&k) {
                        (k, Value::String(REDACTED.into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

/// The audit path that means the process's standard error. It is not opened by name: the
/// writer duplicates file descriptor 2, so records reach whatever standard error is (a pipe to
/// CloudWatch Logs on AWS Lambda, a terminal, a file the parent opened) and never truncate it.
/// Each record is still one line, written whole.
pub const STDERR: &str = "/dev/stderr";

/// Where audit records go: a JSON-lines file, appended to, created `0600` on Unix; or standard
/// error when the path is [`STDERR`].
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl AuditLog {
    /// An audit log appending to `path`. The file (and its directory) is created at the
    /// first write, so a bad path surfaces as a write error, reported, never as lost results.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            file: Mutex::new(None),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a JSON line, synchronously.
    pub fn write(&self, record: &AuditRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(open_append(&self.path)?);
        }
        let file = guard.as_mut().expect("opened above");
        let result = file.write_all(&line).and_then(|()| file.flush());
        if result.is_err() {
            // Reopen next time: the file may have been rotated or its disk remounted.
            *guard = None;
        }
        result
    }

    /// Moves writing to a background thread: [`AuditWriter::record`] never blocks the caller.
    pub fn into_background(self) -> AuditWriter {
        AuditWriter::spawn(self)
    }

    /// Keeps writing in the caller's thread: [`AuditWriter::record`] returns once the line is
    /// written. For hosts that freeze the process as soon as it has answered (AWS Lambda),
    /// where a queued record would wait for the next request, or be lost with the instance.
    pub fn into_inline(self) -> AuditWriter {
        AuditWriter {
            path: self.path.clone(),
            mode: Mode::Inline(self),
        }
    }
}

/// How often the background writer drains its queue: a record reaches the file at most this
/// long after the call.
pub const DRAIN_INTERVAL: Duration = Duration::from_millis(10);

/// Writes audit records on a background thread, off the request path
/// ([`AuditLog::into_background`]), or in the caller's thread ([`AuditLog::into_inline`]).
///
/// In the background, records are queued without bound (none is ever dropped) and written in
/// order, every [`DRAIN_INTERVAL`]; the file is flushed after each drain.
/// [`AuditWriter::flush`] waits until every record queued before it is in the file, and
/// dropping the writer writes every queued record before it returns. Either way a failed write
/// is reported through `tracing` with the record's tool.
#[derive(Debug)]
pub struct AuditWriter {
    path: PathBuf,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Background {
        sender: Option<Sender<Message>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
    Inline(AuditLog),
}

/// What the background thread receives, in order.
#[derive(Debug)]
enum Message {
    /// A record to write.
    Record(Box<AuditRecord>),
    /// Flush the file, then answer: every record queued before this message is written by then.
    Flush(SyncSender<io::Result<()>>),
}

impl AuditWriter {
    fn spawn(log: AuditLog) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel::<Message>();
        let path = log.path.clone();
        let thread = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || drain_until_closed(&log.path, &receiver))
            .ok();
        Self {
            path,
            mode: Mode::Background {
                sender: Some(sender),
                thread,
            },
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues a record (in the background: never blocks on I/O), or writes it (inline).
    pub fn record(&self, record: AuditRecord) {
        match &self.mode {
            Mode::Background { sender, .. } => {
                let sent = sender
                    .as_ref()
                    .is_some_and(|s| s.send(Message::Record(Box::new(record))).is_ok());
                if !sent {
                    tracing::error!(path = %self.path.display(), "the audit writer has stopped; a record was not written");
                }
            }
            Mode::Inline(log) => {
                if let Err(e) = log.write(&record) {
                    report(&self.path, &e, &record.tool);
                }
            }
        }
    }

    /// Returns once every record queued before the call is written to the file and flushed,
    /// so that a reader of the file sees them. It blocks (wakes the writer and waits for it,
    /// usually well under a millisecond): call it from a blocking context, not an async task.
    ///
    /// An error says a record may be missing from the file: one queued since the previous
    /// flush could not be written (each was also reported through `tracing`), the flush
    /// itself failed, or the writer thread has stopped. Inline, records are written before
    /// [`AuditWriter::record`] returns, and this returns `Ok` at once.
    pub fn flush(&self) -> io::Result<()> {
        let Mode::Background { sender, thread } = &self.mode else {
            return Ok(());
        };
        let stopped = || io::Error::other("the audit writer has stopped");
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        sender
            .as_ref()
            .ok_or_else(stopped)?
            .send(Message::Flush(reply))
            .map_err(|_| stopped())?;
        if let Some(t) = thread {
            // Wake it now rather than at the end of its sleep.
            t.thread().unpark();
        }
        answer.recv().map_err(|_| stopped())?
    }

    /// Whether records are written in the caller's thread ([`AuditLog::into_inline`], for
    /// hosts such as AWS Lambda) rather than in the background.
    pub fn is_inline(&self) -> bool {
        matches!(self.mode, Mode::Inline(_))
    }
}

/// The background writer's loop: it wakes every [`DRAIN_INTERVAL`] (or when a flush asks) and
/// drains the queue, instead of being woken for every record: under load a wake-up per call
/// costs more than writing the line. Lines are buffered and flushed once per drain, and when a
/// flush asks. It returns once the channel is closed and drained.
fn drain_until_closed(path: &Path, receiver: &Receiver<Message>) {
    let mut out: Option<std::io::BufWriter<File>> = None;
    // The first write error since the last flush request, for that request's answer.
    let mut lost: Option<io::Error> = None;
    loop {
        let mut last_tool = None;
        let disconnected = loop {
            match receiver.try_recv() {
                Ok(Message::Record(record)) => {
                    if let Err(e) = write_line(path, &mut out, &record) {
                        report(path, &e, &record.tool);
                        lost.get_or_insert(e);
                        out = None;
                    }
                    last_tool = Some(record.tool);
                }
                Ok(Message::Flush(reply)) => {
                    let flushed = out.as_mut().map_or(Ok(()), Write::flush);
                    if let Err(e) = &flushed {
                        report(path, e, last_tool.as_deref().unwrap_or(""));
                        out = None;
                    }
                    let answer = match lost.take() {
                        Some(e) => Err(io::Error::new(
                            e.kind(),
                            format!("an audit record could not be written: {e}"),
                        )),
                        None => flushed,
                    };
                    // The asker may have given up waiting; nothing to do then.
                    let _ = reply.send(answer);
                }
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        if let Some(w) = out.as_mut()
            && let Err(e) = w.flush()
        {
            report(path, &e, last_tool.as_deref().unwrap_or(""));
            lost.get_or_insert(e);
            out = None;
        }
        if disconnected {
            break;
        }
        // Not sleep: a flush or the writer's drop unparks the thread to drain at once.
        std::thread::park_timeout(DRAIN_INTERVAL);
    }
}

fn write_line(
    path: &Path,
    out: &mut Option<std::io::BufWriter<File>>,
    record: &AuditRecord,
) -> io::Result<()> {
    if out.is_none() {
        *out = Some(std::io::BufWriter::with_capacity(
            64 * 1024,
            open_append(path)?,
        ));
    }
    let w = out.as_mut().expect("opened above");
    serde_json::to_writer(&mut *w, record).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

fn report(path: &Path, e: &io::Error, tool: &str) {
    tracing::error!(
        path = %path.display(),
        error = %e,
        tool = %tool,
        "audit record could not be written; the tool's result was still returned"
    );
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        if let Mode::Background { sender, thread } = &mut self.mode {
            // Closing the channel ends the thread once the queue is written.
            sender.take();
            if let Some(t) = thread.take() {
                t.thread().unpark();
                let _ = t.join();
            }
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    if path == Path::new(STDERR) {
        use std::os::fd::AsFd as _;
        return Ok(File::from(io::stderr().as_fd().try_clone_to_owned()?));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_fields_are_redacted_at_any_depth() {
        let v = redact(json!({
            "username": "alice",
            "temporary_password": "Sup3r-Secret!",
            "pagination_token": "abc",
            "software_token": true,
            "nested": [{"password": "x", "client_secret": "y", "refresh_token": "z"}],
        }));
        assert_eq!(v["software_token"], true);
        assert_eq!(v["username"], "alice");
        assert_eq!(v["temporary_password"], REDACTED);
        assert_eq!(v["pagination_token"], "abc");
        assert_eq!(v["nested"][0]["password"], REDACTED);
        assert_eq!(v["nested"][0]["client_secret"], REDACTED);
        assert_eq!(v["nested"][0]["refresh_token"], REDACTED);
        assert!(!v.to_string().contains("Sup3r"));
    }

    #[test]
    fn writes_one_line_per_record() {
        let dir = std::env::temp_dir().join(format!("cognito-admin-audit-{}", std::process::id()));
        let path = dir.join("sub").join("audit.jsonl");
        let log = AuditLog::new(&path);
        let rec = AuditRecord::new(
            SystemTime::now(),
            Duration::from_millis(3),
            "local",
            "get_user",
            json!({}),
        );
        log.write(&rec).expect("write");
        log.write(&rec).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 2);
        let first: Value = serde_json::from_str(text.lines().next().expect("line")).expect("json");
        assert_eq!(first["tool"], "get_user");
        assert_eq!(first["outcome"], "ok");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn background_writer_writes_every_record_in_order() {
        let dir =
            std::env::temp_dir().join(format!("cognito-admin-audit-bg-{}", std::process::id()));
        let path = dir.join("audit.jsonl");
        let writer = AuditLog::new(&path).into_background();
        for i in 0..500 {
            let rec = AuditRecord::new(
                SystemTime::now(),
                Duration::ZERO,
                "local",
                &format!("t{i}"),
                json!({}),
            );
            writer.record(rec);
        }
        drop(writer);
        let text = std::fs::read_to_string(&path).expect("read");
        let tools: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("json")["tool"]
                    .as_str()
                    .expect("tool")
                    .to_owned()
            })
            .collect();
        assert_eq!(tools.len(), 500);
        assert!(tools.iter().enumerate().all(|(i, t)| *t == format!("t{i}")));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn inline_writer_has_written_when_record_returns() {
        let dir = tempfile_dir("inline");
        let path = dir.join("audit.jsonl");
        let writer = AuditLog::new(&path).into_inline();
        let rec = AuditRecord::new(SystemTime::now(), Duration::ZERO, "local", "t1", json!({}));
        writer.record(rec);
        // No drop, no wait: the line is there.
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("\"tool\":\"t1\""), "{text}");
        drop(writer);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn outcomes_read_back_as_written() {
        for outcome in [AuditOutcome::Ok, AuditOutcome::Error, AuditOutcome::Refused] {
            let text = serde_json::to_string(&outcome).expect("json");
            let back: AuditOutcome = serde_json::from_str(&text).expect("known outcome");
            assert_eq!(back, outcome);
        }
    }

    #[test]
    fn flush_returns_once_every_queued_record_is_in_the_file() {
        let dir = tempfile_dir("flush");
        let path = dir.join("audit.jsonl");
        let writer = AuditLog::new(&path).into_background();
        for round in 1..=20 {
            for i in 0..10 {
                let rec = AuditRecord::new(
                    SystemTime::now(),
                    Duration::ZERO,
                    "local",
                    &format!("t{round}-{i}"),
                    json!({}),
                );
                writer.record(rec);
            }
            writer.flush().expect("flush");
            // No sleep: the lines are there, the last one whole.
            let text = std::fs::read_to_string(&path).expect("read");
            assert_eq!(text.lines().count(), round * 10, "{text}");
            assert!(text.ends_with(&format!("\"t{round}-9\",\"arguments\":{{}},\"outcome\":\"ok\",\"aws_calls\":[],\"duration_ms\":0}}\n")), "{text}");
        }
        drop(writer);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn flush_reports_records_that_could_not_be_written() {
        let writer = AuditLog::new("/proc/definitely/not/writable/audit.jsonl").into_background();
        writer.record(AuditRecord::new(
            SystemTime::now(),
            Duration::ZERO,
            "local",
            "t",
            Value::Null,
        ));
        let e = writer.flush().expect_err("not written");
        assert!(e.to_string().contains("could not be written"), "{e}");
        // Reported once: the next flush has nothing lost to report.
        writer.flush().expect("nothing queued since");
    }

    #[test]
    fn inline_flush_is_immediate() {
        let writer = AuditLog::new(tempfile_dir("inline-flush").join("a.jsonl")).into_inline();
        assert!(writer.is_inline());
        writer.flush().expect("nothing to wait for");
    }

    fn tempfile_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("cognito-admin-audit-{name}-{}", std::process::id()))
    }

    #[test]
    fn unwritable_path_is_an_error_not_a_panic() {
        let log = AuditLog::new("/proc/definitely/not/writable/audit.jsonl");
        let rec = AuditRecord::new(SystemTime::now(), Duration::ZERO, "local", "t", Value::Null);
        assert!(log.write(&rec).is_err());
    }
}
