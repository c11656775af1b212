//! Reading the audit back: the newest records first, filtered, without reading a large file
//! whole. How it reads, and what it assumes of the order, is in [`read_recent`]'s docs.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// How many bytes are read at a time, from the end of the file backwards: 64 KiB.
pub const READ_BLOCK: usize = 64 * 1024;

/// How many bytes a read scans at most, by default: 64 MiB (some 200,000 records).
pub const DEFAULT_SCAN_LIMIT: u64 = 64 * 1024 * 1024;

/// How many records a read returns, by default: 50.
pub const DEFAULT_LIMIT: usize = 50;

/// The longest line read: 1 MiB. Records are far shorter; a longer line (a call sent with
/// megabytes of arguments) is skipped and counted, without being held in memory.
pub const MAX_LINE: usize = 1024 * 1024;

/// How much earlier than `since` a record must have ended before the backward scan stops: one
/// minute, far more than the writer's drain interval, or the skew of processes sharing a file.
const STOP_SLACK: Duration = Duration::from_secs(60);

/// How much later than `until` a record must have ended before the search for `until` skips
/// it: one hour, longer than any call lasts.
const SEEK_SLACK: Duration = Duration::from_secs(3600);

/// Which records to read. Every filter given must match; `None` matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only records whose `actor` is exactly this (case-sensitive): `local`, or
    /// `SUB (USERNAME) via CLIENT_ID` over HTTP.
    pub actor: Option<String>,
    /// Only records whose `tool` is exactly this, e.g. `delete_user` or `read_resource`.
    pub tool: Option<String>,
    /// Only records whose `outcome` is exactly this: `ok`, `error`, `refused`, or an outcome a
    /// newer version writes (kept as text, so no outcome makes a record unreadable).
    pub outcome: Option<String>,
    /// Only records whose `time` (the call's start) is at or after this.
    pub since: Option<SystemTime>,
    /// Only records whose `time` is before this.
    pub until: Option<SystemTime>,
    /// Only the part of the file before this byte offset: the [`AuditPage::next_before`] of
    /// the previous page, to read the records older than it. It must be the start of a line
    /// within the file, or the read fails with [`io::ErrorKind::InvalidInput`].
    pub before: Option<u64>,
    /// At most this many records. Default: [`DEFAULT_LIMIT`].
    pub limit: usize,
    /// Stop after reading this many bytes of the file. Default: [`DEFAULT_SCAN_LIMIT`].
    pub scan_limit: u64,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            actor: None,
            tool: None,
            outcome: None,
            since: None,
            until: None,
            before: None,
            limit: DEFAULT_LIMIT,
            scan_limit: DEFAULT_SCAN_LIMIT,
        }
    }
}

impl AuditQuery {
    /// Whether `record` passes every filter. A record without a readable `time` fails a
    /// `since` or `until` filter: it cannot be placed in time.
    pub fn matches(&self, record: &Value) -> bool {
        let text = |key: &str| record.get(key).and_then(Value::as_str);
        let same =
            |key: &str, want: &Option<String>| want.as_deref().is_none_or(|w| text(key) == Some(w));
        if !(same("actor", &self.actor)
            && same("tool", &self.tool)
            && same("outcome", &self.outcome))
        {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(time) = start_time(record) else {
            return false;
        };
        self.since.is_none_or(|s| time >= s) && self.until.is_none_or(|u| time < u)
    }
}

/// What a read found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct AuditPage {
    /// The matching records, newest first (the reverse of the order they were written), each
    /// as written: `time`, `actor`, `tool`, `arguments` (secrets redacted), `outcome`,
    /// `error`, `aws_calls`, `duration_ms`.
    pub records: Vec<Value>,
    /// How many records there are.
    pub count: usize,
    /// How many bytes of the file were read.
    pub scanned_bytes: u64,
    /// Whether older matching records may exist: the page filled up before the start of the
    /// file (or of the time range), or the scan stopped at its limit.
    pub more: bool,
    /// When `more`: the byte offset where this read stopped. Pass it as `before` with the same
    /// filters to read the next, older page; it stays valid while the file is only appended to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
    /// Whether the scan stopped at its byte limit before the start of the file or of the time
    /// range: older records were not searched.
    pub truncated: bool,
    /// Lines that are not audit records (not JSON objects, or longer than [`MAX_LINE`]),
    /// skipped.
    pub skipped_lines: usize,
    /// What to know about this answer: why it is empty, or how to read further back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Reads the newest records of the JSON-lines audit file at `path` that match `query`, newest
/// first.
///
/// The file is read backwards, in blocks of [`READ_BLOCK`] bytes from its end (or from
/// [`AuditQuery::before`], where a previous page stopped), and the scan stops as soon as it
/// can: when `limit` records matched, when the records have become older than `since`, or
/// after [`AuditQuery::scan_limit`] bytes. With `until`, a binary search first skips the newer
/// part of the file. A page that stopped early gives the offset to continue from
/// ([`AuditPage::next_before`]).
///
/// A missing file is an empty page with a note, not an error. Lines that are not JSON objects
/// are skipped and counted; a last line without its newline is being written and is left out
/// unless it already holds a whole record.
///
/// # Order
///
/// Records are appended when a call ends, so the file is in order of the calls' end times
/// (`time` + `duration_ms`), give or take the writer's drain interval and the several
/// processes that may share one file. It is not in order of `time`, the start: a long call
/// that started first is written after a short one that started later. Filtering never
/// depends on the order: every record read is checked against every filter. The order is
/// only used to stop reading early, with a margin: the backward scan stops at a record that
/// ended more than a minute before `since`, and the search for `until` skips only records
/// that ended more than an hour after it (so it assumes no call lasts longer).
///
/// # Errors
///
/// Those of opening and reading the file, and [`io::ErrorKind::InvalidInput`] for a `before`
/// that is not the start of a line in the file (the file was replaced, or the offset is not
/// one a page gave).
pub fn read_recent(path: &Path, query: &AuditQuery) -> io::Result<AuditPage> {
    read_in_blocks(path, query, READ_BLOCK)
}

/// [`read_recent`] with `block`-byte reads (small in tests, to cross block boundaries often).
pub(super) fn read_in_blocks(
    path: &Path,
    query: &AuditQuery,
    block: usize,
) -> io::Result<AuditPage> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(AuditPage {
                note: Some(
                    "The audit file does not exist yet: no call has been recorded since it was \
                     created (or since it was rotated away)."
                        .into(),
                ),
                ..AuditPage::default()
            });
        }
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let block = block.max(1);
    let mut scan = Scan {
        query,
        page: AuditPage::default(),
        stop: None,
        resume_at: 0,
    };
    let mut end = len;
    if let Some(before) = query.before {
        if before > len || (before > 0 && scan.read_at(&mut file, before - 1, 1)? != b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{before} is not the start of a line in the audit file ({len} bytes): the \
                     file was replaced since the page that gave it, or it is not a next_before"
                ),
            ));
        }
        end = before;
    }
    if let Some(until) = query.until
        && end > block as u64
    {
        end = seek_until(&mut file, end, until, block, &mut scan)?;
    }
    scan_backwards(&mut file, end, block, &mut scan)?;

    let mut page = scan.page;
    page.count = page.records.len();
    match scan.stop {
        Some(Stop::Limit { exhausted }) => page.more = !exhausted,
        Some(Stop::ScanLimit) => {
            page.more = true;
            page.truncated = true;
        }
        Some(Stop::Since) | None => page.more = false,
    }
    if page.more {
        let offset = scan.resume_at;
        page.next_before = Some(offset);
        page.note = Some(if page.truncated {
            format!(
                "Stopped after reading {} MiB of the audit file without reaching the start of \
                 the file or of the time range: older records were not searched. To continue, \
                 call again with before = {offset} and the same filters; to jump to an older \
                 time range, set until (and since).",
                query.scan_limit / (1024 * 1024)
            )
        } else {
            format!(
                "There may be older matching records: call again with before = {offset} and \
                 the same filters to read them."
            )
        });
    }
    Ok(page)
}

/// Why the scan stopped before the start of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `limit` records matched; `exhausted` when nothing was left to read anyway.
    Limit { exhausted: bool },
    /// The records are older than `since`.
    Since,
    /// [`AuditQuery::scan_limit`] bytes were read.
    ScanLimit,
}

/// The state of one read.
struct Scan<'q> {
    query: &'q AuditQuery,
    page: AuditPage,
    stop: Option<Stop>,
    /// The start of the oldest line read whole: where a next page resumes.
    resume_at: u64,
}

impl Scan<'_> {
    /// Reads `n` bytes of the file at `offset`, counting them.
    fn read_at(&mut self, file: &mut File, offset: u64, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut buf)?;
        self.page.scanned_bytes += n as u64;
        Ok(buf)
    }

    /// Takes one whole line (without its newline); `unterminated` for a last line that has no
    /// newline yet. Sets `stop` when the scan is done.
    fn line(&mut self, line: &[u8], unterminated: bool) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let record = match serde_json::from_slice::<Value>(line) {
            Ok(v) if v.is_object() => v,
            // Half a record, still being written (or cut short by a crash): not an error.
            _ if unterminated => return,
            _ => {
                self.page.skipped_lines += 1;
                return;
            }
        };
        if let Some(since) = self.query.since
            && end_time(&record).is_some_and(|end| end + STOP_SLACK < since)
        {
            // Everything written before this record ended before it, give or take the slack:
            // it all started before `since`.
            self.stop = Some(Stop::Since);
            return;
        }
        if self.query.matches(&record) {
            self.page.records.push(record);
            if self.page.records.len() >= self.query.limit {
                self.stop = Some(Stop::Limit { exhausted: false });
            }
        }
    }
}

/// Reads the file backwards from `end` (a line boundary, or the file's length) to its start,
/// handing each line to `scan` newest first, until `scan` stops or the scan limit is reached.
fn scan_backwards(file: &mut File, end: u64, block: usize, scan: &mut Scan<'_>) -> io::Result<()> {
    if scan.query.limit == 0 {
        scan.stop = Some(Stop::Limit {
            exhausted: end == 0,
        });
        return Ok(());
    }
    // Whether the last line has its newline: if not, it may still be being written.
    let mut unterminated = end > 0 && scan.read_at(file, end - 1, 1)? != b"\n";
    // The bytes after the last newline found so far: the end of a line whose start is in a
    // block not read yet (empty once it grows past MAX_LINE: `overlong` then).
    let mut carry: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut pos = end;
    scan.resume_at = end;
    while pos > 0 {
        if scan.page.scanned_bytes >= scan.query.scan_limit {
            scan.stop = Some(Stop::ScanLimit);
            return Ok(());
        }
        let budget = scan.query.scan_limit - scan.page.scanned_bytes;
        let n = (block as u64).min(pos).min(budget);
        let start = pos - n;
        let chunk = scan.read_at(file, start, n as usize)?;
        pos = start;
        // Lines end at each newline of the chunk, newest first; the bytes before the chunk's
        // first newline join the carry.
        let mut line_end = chunk.len();
        for i in (0..chunk.len()).rev() {
            if chunk[i] != b'\n' {
                continue;
            }
            let tail = &chunk[i + 1..line_end];
            scan.resume_at = start + i as u64 + 1;
            if overlong || tail.len() + carry.len() > MAX_LINE {
                if !unterminated {
                    scan.page.skipped_lines += 1;
                }
            } else if carry.is_empty() {
                scan.line(tail, unterminated);
            } else {
                let mut line = tail.to_vec();
                line.extend_from_slice(&carry);
                scan.line(&line, unterminated);
            }
            carry.clear();
            overlong = false;
            unterminated = false;
            line_end = i;
            if matches!(scan.stop, Some(Stop::Limit { .. })) {
                let nothing_left = pos == 0 && chunk[..i].iter().all(u8::is_ascii_whitespace);
                scan.stop = Some(Stop::Limit {
                    exhausted: nothing_left,
                });
                return Ok(());
            }
            if scan.stop.is_some() {
                return Ok(());
            }
        }
        if !overlong {
            if line_end + carry.len() > MAX_LINE {
                carry.clear();
                overlong = true;
            } else {
                let mut joined = chunk[..line_end].to_vec();
                joined.extend_from_slice(&carry);
                carry = joined;
            }
        }
    }
    // The first line of the file has no newline before it.
    scan.resume_at = 0;
    if overlong || carry.len() > MAX_LINE {
        if !unterminated {
            scan.page.skipped_lines += 1;
        }
    } else {
        scan.line(&carry, unterminated);
        if let Some(Stop::Limit { .. }) = scan.stop {
            scan.stop = Some(Stop::Limit { exhausted: true });
        }
    }
    Ok(())
}

/// Finds where a backward scan for records before `until` may start: the start of a line
/// that ended more than [`SEEK_SLACK`] after `until` (everything after it started after
/// `until`), by binary search over the file's first `end` bytes; `end` when there is none. A
/// probe that finds no readable record ends the search where it is, which is always safe.
fn seek_until(
    file: &mut File,
    end: u64,
    until: SystemTime,
    block: usize,
    scan: &mut Scan<'_>,
) -> io::Result<u64> {
    let (mut lo, mut hi, mut cut) = (0, end, end);
    while hi - lo > block as u64 {
        let mid = lo + (hi - lo) / 2;
        match probe(file, mid, hi, end, block, scan)? {
            Probe::NoLineStart => hi = mid,
            Probe::Unreadable => break,
            Probe::Line { start, end_time } => {
                if end_time > until + SEEK_SLACK {
                    cut = start;
                    hi = mid;
                } else {
                    lo = start;
                }
            }
        }
    }
    Ok(cut)
}

/// What a probe of the file found.
enum Probe {
    /// No line starts between the probe's offset and the end of the range.
    NoLineStart,
    /// The line found is not a record with a readable time.
    Unreadable,
    /// A record starting at `start` (after a newline) that ended at `end_time`.
    Line { start: u64, end_time: SystemTime },
}

/// The first line that starts after `offset` and before `hi`: its start, and when its call
/// ended. Reads at most [`MAX_LINE`] bytes (plus a block) past the offset, and not past `end`.
fn probe(
    file: &mut File,
    offset: u64,
    hi: u64,
    end: u64,
    block: usize,
    scan: &mut Scan<'_>,
) -> io::Result<Probe> {
    let mut buf: Vec<u8> = Vec::new();
    let mut pos = offset;
    let mut start: Option<usize> = None;
    let limit = end.min(offset + (MAX_LINE + block) as u64);
    loop {
        if pos >= limit {
            return Ok(match start {
                None => Probe::NoLineStart,
                // The line is overlong, or is the unterminated last one: nothing to decide on.
                Some(_) => Probe::Unreadable,
            });
        }
        let n = (block as u64).min(limit - pos);
        buf.extend_from_slice(&scan.read_at(file, pos, n as usize)?);
        pos += n;
        if start.is_none() {
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) if offset + (i as u64) + 1 >= hi => return Ok(Probe::NoLineStart),
                Some(i) => start = Some(i + 1),
                None if pos >= hi => return Ok(Probe::NoLineStart),
                None => continue,
            }
        }
        let s = start.expect("set above");
        if let Some(i) = buf[s..].iter().position(|&b| b == b'\n') {
            let line = &buf[s..s + i];
            let at = offset + s as u64;
            return Ok(
                match serde_json::from_slice::<Value>(line)
                    .ok()
                    .as_ref()
                    .and_then(end_time)
                {
                    Some(end_time) => Probe::Line {
                        start: at,
                        end_time,
                    },
                    None => Probe::Unreadable,
                },
            );
        }
    }
}

/// When the call of `record` started: its RFC 3339 `time`.
fn start_time(record: &Value) -> Option<SystemTime> {
    humantime::parse_rfc3339(record.get("time")?.as_str()?).ok()
}

/// When the call of `record` ended, near when it was written: `time` + `duration_ms`.
fn end_time(record: &Value) -> Option<SystemTime> {
    let ms = record
        .get("duration_ms")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Some(start_time(record)? + Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;
    use crate::audit::{AuditOutcome, AuditRecord};

    /// A fresh directory for one test, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "cognito-admin-audit-read-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Self(dir)
        }

        fn file(&self, text: &str) -> PathBuf {
            let path = self.0.join("audit.jsonl");
            std::fs::write(&path, text).expect("write");
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    /// 2025-01-01T00:00:00Z plus `secs`.
    fn at(secs: u64) -> SystemTime {
        humantime::parse_rfc3339("2025-01-01T00:00:00Z").expect("time") + Duration::from_secs(secs)
    }

    /// One audit line, as the writer writes it.
    fn line(secs: u64, actor: &str, tool: &str, outcome: AuditOutcome) -> String {
        let mut r = AuditRecord::new(
            at(secs),
            Duration::from_millis(5),
            actor,
            tool,
            json!({"username": "u"}),
        );
        r.outcome = outcome;
        let mut text = serde_json::to_string(&r).expect("json");
        text.push('\n');
        text
    }

    /// `n` records, one a second, with tools `t0`, `t1`, ...
    fn numbered(n: u64) -> String {
        (0..n)
            .map(|i| line(i, "local", &format!("t{i}"), AuditOutcome::Ok))
            .collect()
    }

    fn tools(page: &AuditPage) -> Vec<String> {
        page.records
            .iter()
            .map(|r| r["tool"].as_str().expect("tool").to_owned())
            .collect()
    }

    fn query(limit: usize) -> AuditQuery {
        AuditQuery {
            limit,
            ..AuditQuery::default()
        }
    }

    #[test]
    fn reads_every_record_newest_first_whatever_the_block_size() {
        let dir = TempDir::new();
        let path = dir.file(&numbered(1000));
        let want: Vec<String> = (0..1000).rev().map(|i| format!("t{i}")).collect();
        for block in [1, 7, 100, 250, 4096, READ_BLOCK] {
            let page = read_in_blocks(&path, &query(5000), block).expect("read");
            assert_eq!(tools(&page), want, "block {block}");
            assert_eq!(page.count, 1000);
            assert!(!page.more && !page.truncated && page.next_before.is_none());
            assert_eq!(page.skipped_lines, 0);
        }
        let page = read_recent(&path, &query(3)).expect("read");
        assert_eq!(tools(&page), ["t999", "t998", "t997"]);
        assert!(page.more);
        // Three records from the end: a fraction of the file was read.
        let len = std::fs::metadata(&path).expect("len").len();
        assert!(
            page.scanned_bytes <= READ_BLOCK as u64 + 1,
            "{}",
            page.scanned_bytes
        );
        assert!(page.scanned_bytes < len);
    }

    #[test]
    fn records_larger_than_a_block_are_read_whole() {
        let dir = TempDir::new();
        let big = "x".repeat(5000);
        let text: String = (0..20)
            .map(|i| {
                let r = AuditRecord::new(
                    at(i),
                    Duration::ZERO,
                    "local",
                    &format!("t{i}"),
                    json!({"description": big}),
                );
                format!("{}\n", serde_json::to_string(&r).expect("json"))
            })
            .collect();
        let path = dir.file(&text);
        for block in [512, 1024, 4999, 5000, 5001] {
            let page = read_in_blocks(&path, &query(100), block).expect("read");
            assert_eq!(page.count, 20, "block {block}");
            assert_eq!(page.skipped_lines, 0, "block {block}");
            assert_eq!(tools(&page)[0], "t19");
            assert!(
                page.records
                    .iter()
                    .all(|r| r["arguments"]["description"] == big.as_str())
            );
        }
    }

    #[test]
    fn filters_match_exactly() {
        let dir = TempDir::new();
        let mut text = String::new();
        text += &line(1, "local", "create_user", AuditOutcome::Ok);
        text += &line(2, "alice via c1", "delete_user", AuditOutcome::Refused);
        text += &line(3, "local", "get_user", AuditOutcome::Error);
        text += &line(4, "alice via c1", "create_user", AuditOutcome::Ok);
        // An outcome a newer version writes is kept, and can be asked for.
        text +=
            &line(5, "local", "list_users", AuditOutcome::Ok).replace("\"ok\"", "\"cancelled\"");
        let path = dir.file(&text);
        let read = |q: AuditQuery| read_recent(&path, &q).expect("read");
        let page = read(AuditQuery {
            actor: Some("alice via c1".into()),
            ..AuditQuery::default()
        });
        assert_eq!(tools(&page), ["create_user", "delete_user"]);
        let page = read(AuditQuery {
            tool: Some("create_user".into()),
            ..AuditQuery::default()
        });
        assert_eq!(page.count, 2);
        let page = read(AuditQuery {
            tool: Some("Create_User".into()),
            ..AuditQuery::default()
        });
        assert_eq!(page.count, 0, "case-sensitive");
        let page = read(AuditQuery {
            outcome: Some("refused".into()),
            ..AuditQuery::default()
        });
        assert_eq!(tools(&page), ["delete_user"]);
        let page = read(AuditQuery {
            outcome: Some("cancelled".into()),
            ..AuditQuery::default()
        });
        assert_eq!(tools(&page), ["list_users"]);
        assert_eq!(page.records[0]["outcome"], "cancelled");
        let page = read(AuditQuery {
            actor: Some("local".into()),
            tool: Some("create_user".into()),
            outcome: Some("ok".into()),
            ..AuditQuery::default()
        });
        assert_eq!(page.count, 1);
        assert_eq!(page.records[0]["time"], "2025-01-01T00:00:01.000Z");
    }

    #[test]
    fn pages_continue_where_the_last_one_stopped() {
        let dir = TempDir::new();
        let path = dir.file(&numbered(300));
        let page_of = |before| AuditQuery {
            outcome: None,
            before,
            limit: 40,
            ..AuditQuery::default()
        };
        let mut all = Vec::new();
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = read_in_blocks(&path, &page_of(before), 333).expect("read");
            pages += 1;
            all.extend(tools(&page));
            if !page.more {
                assert!(page.next_before.is_none());
                break;
            }
            assert!(page.note.as_deref().is_some_and(|n| n.contains("before =")));
            before = page.next_before;
        }
        assert_eq!(pages, 8);
        let want: Vec<String> = (0..300).rev().map(|i| format!("t{i}")).collect();
        assert_eq!(all, want);
    }

    #[test]
    fn a_full_last_page_says_there_is_no_more() {
        let dir = TempDir::new();
        let path = dir.file(&numbered(10));
        let page = read_in_blocks(&path, &query(10), 64).expect("read");
        assert_eq!(page.count, 10);
        assert!(!page.more, "the page ends at the start of the file");
    }

    #[test]
    fn before_must_be_a_line_start_in_the_file() {
        let dir = TempDir::new();
        let path = dir.file(&numbered(3));
        let len = std::fs::metadata(&path).expect("len").len();
        for before in [5, len + 1] {
            let e = read_recent(
                &path,
                &AuditQuery {
                    before: Some(before),
                    ..AuditQuery::default()
                },
            )
            .expect_err("not a line start");
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        }
        let page = read_recent(
            &path,
            &AuditQuery {
                before: Some(0),
                ..AuditQuery::default()
            },
        )
        .expect("read");
        assert_eq!(page.count, 0);
    }

    #[test]
    fn since_and_until_select_by_start_time_and_stop_early() {
        let dir = TempDir::new();
        // A record a minute, over three and a half days.
        let text: String = (0..5000)
            .map(|i| line(i * 60, "local", &format!("t{i}"), AuditOutcome::Ok))
            .collect();
        let path = dir.file(&text);
        let len = std::fs::metadata(&path).expect("len").len();
        let page = read_in_blocks(
            &path,
            &AuditQuery {
                since: Some(at(4990 * 60)),
                ..query(100)
            },
            4096,
        )
        .expect("read");
        let want: Vec<String> = (4990..5000).rev().map(|i| format!("t{i}")).collect();
        assert_eq!(tools(&page), want);
        assert!(!page.more);
        // A minute of slack before `since` is read, not the whole file.
        assert!(
            page.scanned_bytes < len / 10,
            "{} of {len}",
            page.scanned_bytes
        );

        let page = read_in_blocks(
            &path,
            &AuditQuery {
                since: Some(at(100 * 60)),
                until: Some(at(110 * 60)),
                ..query(100)
            },
            4096,
        )
        .expect("read");
        let want: Vec<String> = (100..110).rev().map(|i| format!("t{i}")).collect();
        assert_eq!(tools(&page), want);
        // The binary search skipped the newer records (those that ended over an hour after
        // `until`), and the scan stopped a minute before `since`.
        assert!(
            page.scanned_bytes < len / 10,
            "{} of {len}",
            page.scanned_bytes
        );

        let page = read_in_blocks(
            &path,
            &AuditQuery {
                until: Some(at(3 * 60)),
                ..query(100)
            },
            4096,
        )
        .expect("read");
        assert_eq!(tools(&page), ["t2", "t1", "t0"]);
    }

    #[test]
    fn a_long_call_written_late_does_not_hide_shorter_ones() {
        // Records are written when calls end: a long call that started before `since` comes
        // after a short one that started after it.
        let dir = TempDir::new();
        let mut text = numbered(10);
        text += &line(100, "local", "short", AuditOutcome::Ok);
        let mut long =
            AuditRecord::new(at(50), Duration::from_secs(55), "local", "long", json!({}));
        long.outcome = AuditOutcome::Ok;
        text += &format!("{}\n", serde_json::to_string(&long).expect("json"));
        let path = dir.file(&text);
        let page = read_recent(
            &path,
            &AuditQuery {
                since: Some(at(99)),
                ..AuditQuery::default()
            },
        )
        .expect("read");
        assert_eq!(tools(&page), ["short"]);
        let page = read_recent(
            &path,
            &AuditQuery {
                since: Some(at(50)),
                until: Some(at(51)),
                ..AuditQuery::default()
            },
        )
        .expect("read");
        assert_eq!(tools(&page), ["long"]);
    }

    #[test]
    fn garbage_lines_are_skipped_and_counted() {
        let dir = TempDir::new();
        let mut text = String::new();
        text += &line(1, "local", "a", AuditOutcome::Ok);
        text += "not json\n";
        text += "\n";
        text += "[1, 2]\n";
        text += "{\"time\": \"yesterday\", \"tool\": \"b\"}\n";
        text += "\u{fffd}\u{0}\n";
        text += &line(2, "local", "c", AuditOutcome::Ok);
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n");
        // A last line without its newline is still being written: left out, not counted.
        bytes.extend_from_slice(b"{\"time\":\"2025-01-01T00:00:0");
        let path = dir.0.join("audit.jsonl");
        std::fs::write(&path, &bytes).expect("write");
        let page = read_in_blocks(&path, &query(50), 16).expect("read");
        assert_eq!(tools(&page), ["c", "b", "a"]);
        assert_eq!(
            page.skipped_lines, 4,
            "not json, [1, 2], NUL, invalid UTF-8"
        );
        // A record without a readable time cannot be placed in time.
        let page = read_recent(
            &path,
            &AuditQuery {
                since: Some(at(0)),
                ..AuditQuery::default()
            },
        )
        .expect("read");
        assert_eq!(tools(&page), ["c", "a"]);
    }

    #[test]
    fn a_whole_last_record_without_its_newline_is_read() {
        let dir = TempDir::new();
        let text = numbered(3);
        let path = dir.file(text.trim_end());
        let page = read_in_blocks(&path, &query(50), 10).expect("read");
        assert_eq!(tools(&page), ["t2", "t1", "t0"]);
    }

    #[test]
    fn overlong_lines_are_skipped() {
        let dir = TempDir::new();
        let mut text = line(1, "local", "a", AuditOutcome::Ok);
        text += &format!("{{\"x\":\"{}\"}}\n", "y".repeat(MAX_LINE));
        text += &line(2, "local", "b", AuditOutcome::Ok);
        let path = dir.file(&text);
        let page = read_recent(&path, &query(50)).expect("read");
        assert_eq!(tools(&page), ["b", "a"]);
        assert_eq!(page.skipped_lines, 1);
    }

    #[test]
    fn the_scan_limit_truncates_and_says_how_to_continue() {
        let dir = TempDir::new();
        let path = dir.file(&numbered(2000));
        let q = AuditQuery {
            tool: Some("t5".into()),
            scan_limit: 64 * 1024,
            ..AuditQuery::default()
        };
        let page = read_in_blocks(&path, &q, 4096).expect("read");
        assert!(page.truncated && page.more);
        assert_eq!(page.count, 0);
        assert!(page.scanned_bytes <= 64 * 1024);
        let note = page.note.expect("note");
        assert!(
            note.contains("before = ") && note.contains("until"),
            "{note}"
        );
        let mut before = page.next_before;
        let mut found = Vec::new();
        while let Some(b) = before {
            let page = read_in_blocks(
                &path,
                &AuditQuery {
                    before: Some(b),
                    ..q.clone()
                },
                4096,
            )
            .expect("read");
            found.extend(tools(&page));
            before = page.next_before;
        }
        assert_eq!(found, ["t5"]);
    }

    #[test]
    fn missing_file_is_an_empty_page_with_a_note() {
        let dir = TempDir::new();
        let page = read_recent(&dir.0.join("none.jsonl"), &AuditQuery::default()).expect("read");
        assert_eq!(page.count, 0);
        assert!(!page.more);
        assert!(page.note.is_some_and(|n| n.contains("does not exist")));
        let page = read_recent(&dir.file(""), &AuditQuery::default()).expect("read");
        assert_eq!(page, AuditPage::default());
    }

    #[test]
    fn directory_is_an_error() {
        let dir = TempDir::new();
        assert!(read_recent(&dir.0, &AuditQuery::default()).is_err());
    }
}
