"""The soak driver (run it through bench/soak, which starts moto, Redis and the two instances).

A user signs in once the real way (registration, authorization code with PKCE through the
consent page and the sign-in page), then an open-loop load of MCP `tools/call` requests at a
constant arrival rate alternates between instance A and instance B for N minutes; the access
token is refreshed every few minutes at alternating instances. Every request's latency is
measured from the moment it was due (so a stalled server or driver shows up as latency, not as
a lower rate); errors are counted by kind and instance; each instance's RSS is sampled every
10 s. Writes summary.json and summary.md into --out and prints the table.
"""
import argparse
import asyncio
import base64
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

REDIRECT = "http://127.0.0.1:53682/cb"
USERNAME = "soak-user"
PASSWORD = "Soak-Password-42"
PROTOCOL = "2025-11-25"
WARMUP_S = 30.0
RSS_EVERY_S = 10.0
TIMEOUT_S = 10.0


def log(msg):
    print(f"soak: {msg}", file=sys.stderr, flush=True)


# --- setup: a user through the server's own MCP tools (stdio) --------------------------------

def stdio_tools(binary, env, calls):
    """Runs `cognito-mcp serve` over stdio and makes `calls` [(tool, args)]; returns results."""
    p = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def send(msg):
        p.stdin.write(json.dumps(msg) + "\n")
        p.stdin.flush()

    def reply(want_id):
        while True:
            line = p.stdout.readline()
            if not line:
                raise SystemExit("soak: the stdio server closed its output")
            msg = json.loads(line)
            if msg.get("id") == want_id:
                return msg

    try:
        send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {},
            "clientInfo": {"name": "soak-setup", "version": "0"}}})
        reply(0)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        out = []
        for i, (tool, args) in enumerate(calls, start=1):
            send({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                  "params": {"name": tool, "arguments": args}})
            r = reply(i)
            if "error" in r or r.get("result", {}).get("isError"):
                raise SystemExit(f"soak: {tool} failed: {json.dumps(r)[:500]}")
            out.append(r["result"])
        return out
    finally:
        p.stdin.close()
        p.wait(timeout=10)


# --- setup: tokens the real way (urllib, a cookie jar, no redirect following) ----------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def go(self, url, form=None, json_body=None):
        data, headers = None, {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()


def hidden(html, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % re.escape(name), html)
    if not m:
        raise SystemExit(f"soak: no {name} field in the page: {html[:800]}")
    return m.group(1)


def expect(status, want, what, body):
    if status != want:
        raise SystemExit(f"soak: {what}: HTTP {status}, wanted {want}: {body[:800]}")


def sign_in(public):
    b = Browser()
    st, _, body = b.go(f"{public}/register", json_body={
        "client_name": "soak-client", "redirect_uris": [REDIRECT], "scope": "openid mcp/read",
        "token_endpoint_auth_method": "none"})
    expect(st, 201, "register", body)
    client_id = json.loads(body)["client_id"]
    if json.loads(body).get("token_endpoint_auth_method") != "none":
        raise SystemExit(f"soak: the client did not register as public: {body}")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    q = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
        "code_challenge": challenge, "code_challenge_method": "S256", "state": "x",
        "scope": "openid mcp/read", "resource": f"{public}/mcp"})
    st, _, page = b.go(f"{public}/authorize?{q}")
    expect(st, 200, "authorize (consent page)", page)
    st, h, body = b.go(f"{public}/consent", form={
        "txn": hidden(page, "txn"), "csrf": hidden(page, "csrf"), "action": "approve"})
    expect(st, 303, "consent", body)
    st, _, page = b.go(h["location"])
    expect(st, 200, "sign-in page", page)
    st, h, body = b.go(f"{public}/login", form={
        "state": hidden(page, "state"), "csrf": hidden(page, "csrf"),
        "username": USERNAME, "password": PASSWORD})
    expect(st, 303, "sign in", body)
    st, h, body = b.go(h["location"])
    expect(st, 303, "callback", body)
    loc = h["location"]
    if not loc.startswith(REDIRECT):
        raise SystemExit(f"soak: the callback redirected to {loc}, not the client")
    qs = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    if "code" not in qs:
        raise SystemExit(f"soak: no code in {loc}")
    st, _, body = b.go(f"{public}/token", form={
        "grant_type": "authorization_code", "code": qs["code"][0], "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": client_id})
    expect(st, 200, "token", body)
    return client_id, json.loads(body)


# --- a minimal asyncio HTTP/1.1 client with keep-alive ----------------------------------------

class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


class Client:
    """Keep-alive connections to one host:port; a request takes an idle one or opens another."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.idle = []
        self.opened = 0

    async def request(self, method, path, headers, body):
        conn = self.idle.pop() if self.idle else None
        if conn is None:
            r, w = await asyncio.open_connection(self.host, self.port)
            conn = Conn(r, w)
            self.opened += 1
        ok = False
        try:
            head = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}",
                    f"content-length: {len(body)}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            conn.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await conn.writer.drain()
            status_line = await conn.reader.readuntil(b"\r\n")
            status = int(status_line.split()[1])
            hdrs = {}
            while True:
                line = await conn.reader.readuntil(b"\r\n")
                if line == b"\r\n":
                    break
                k, _, v = line.decode("latin-1").partition(":")
                hdrs[k.strip().lower()] = v.strip()
            if hdrs.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int((await conn.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    data = await conn.reader.readexactly(size + 2)
                    if size == 0:
                        break
                    chunks.append(data[:-2])
                data = b"".join(chunks)
            else:
                data = await conn.reader.readexactly(int(hdrs.get("content-length", "0")))
            ok = hdrs.get("connection", "").lower() != "close"
            return status, hdrs, data
        finally:
            if ok:
                self.idle.append(conn)
            else:
                conn.close()

    def close(self):
        for c in self.idle:
            c.close()
        self.idle.clear()


def rpc_payload(hdrs, data):
    """The JSON-RPC message of a response body (JSON, or the first data event of an SSE body)."""
    if hdrs.get("content-type", "").startswith("text/event-stream"):
        for line in data.decode().splitlines():
            if line.startswith("data:") and line[5:].strip():
                return json.loads(line[5:])
        raise ValueError("no data event")
    return json.loads(data)


# --- the run ----------------------------------------------------------------------------------

def pct(sorted_ms, p):
    if not sorted_ms:
        return None
    i = min(len(sorted_ms) - 1, max(0, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[i]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_memory(port):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "info", "memory"],
                         capture_output=True, text=True, check=True).stdout
    keys = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "dbsize"],
                          capture_output=True, text=True, check=True).stdout.strip()
    m = re.search(r"^used_memory:(\d+)", out, re.M)
    return {"used_memory": int(m.group(1)), "keys": int(keys)}


def proc_ticks():
    """utime + stime of every process: {pid: (ticks, command line)}."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            fields = stat.rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            comm = stat[stat.find("(") + 1:stat.rfind(")")]
            out[int(pid)] = (int(fields[11]) + int(fields[12]), cmd or f"[{comm}]")
        except (OSError, IndexError, ValueError):
            pass
    return out


def cpu_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def machine(window=3.0):
    """The load average and what used the CPU over the next `window` seconds (blocking)."""
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    p0, c0 = proc_ticks(), cpu_busy()
    time.sleep(window)
    p1, c1 = proc_ticks(), cpu_busy()
    hz = os.sysconf("SC_CLK_TCK")
    use = sorted(((p1[p][0] - p0[p][0]) * 100.0 / hz / window, p1[p][1]) for p in p1 if p in p0)
    top = [f"{pc:.0f}% {cmd[:100]}" for pc, cmd in reversed(use[-8:]) if pc >= 1.0]
    busy = (c1[0] - c0[0]) * 100.0 / max(1, c1[1] - c0[1])
    return {"loadavg": load, "busy_pct_of_all_cores": round(busy, 1), "top": top}


class Instance:
    def __init__(self, name, base, pid):
        self.name, self.base, self.pid = name, base, pid
        u = urllib.parse.urlsplit(base)
        self.client = Client(u.hostname, u.port)
        self.lat_ms = []
        self.by_tool = {}
        self.requests = 0
        self.errors = {}
        self.error_samples = []
        self.session = None

    def error(self, kind, detail):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 20:
            self.error_samples.append({"t": time.time(), "kind": kind, "detail": detail[:400]})


class Token:
    def __init__(self, client_id, t):
        self.client_id = client_id
        self.access = t["access_token"]
        self.refresh = t.get("refresh_token")
        self.expires_at = time.monotonic() + float(t.get("expires_in", 3600))
        self.refreshes = []


async def call(inst, token, n, tool, args, extra_headers=None):
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
               "mcp-protocol-version": PROTOCOL, "authorization": f"Bearer {token.access}"}
    if inst.session:
        headers["mcp-session-id"] = inst.session
    headers.update(extra_headers or {})
    body = json.dumps({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                       "params": {"name": tool, "arguments": args}}).encode()
    return await asyncio.wait_for(inst.client.request("POST", "/mcp", headers, body), TIMEOUT_S)


WINDOWS = {}  # 10-second window of the due time -> [latencies (ms)], [error kinds]


async def one(inst, token, n, tool, args, due, t0):
    try:
        status, hdrs, data = await call(inst, token, n, tool, args)
        kind = None
        if status != 200:
            kind, detail = f"http_{status}", data.decode(errors="replace")
        else:
            msg = rpc_payload(hdrs, data)
            if "error" in msg:
                kind, detail = "jsonrpc_error", json.dumps(msg["error"])
            elif msg.get("result", {}).get("isError"):
                kind, detail = "tool_error", json.dumps(msg["result"])
            elif msg.get("id") != n:
                kind, detail = "wrong_id", json.dumps(msg)[:300]
    except asyncio.TimeoutError:
        kind, detail = "timeout", f"no answer in {TIMEOUT_S} s"
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        kind, detail = "connection", repr(e)
    except (ValueError, KeyError) as e:
        kind, detail = "bad_body", repr(e)
    inst.requests += 1
    ms = (time.monotonic() - due) * 1000.0
    inst.lat_ms.append(ms)
    inst.by_tool.setdefault(tool, []).append(ms)
    w = WINDOWS.setdefault(int((due - t0) // RSS_EVERY_S), ([], []))
    w[0].append(ms)
    if kind:
        w[1].append(kind)
        inst.error(kind, f"{tool} #{n}: {detail}")


async def refresh(inst, token):
    body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token.refresh,
                                   "client_id": token.client_id}).encode()
    t0 = time.monotonic()
    try:
        status, _, data = await asyncio.wait_for(inst.client.request(
            "POST", "/token", {"content-type": "application/x-www-form-urlencoded"}, body), TIMEOUT_S)
    except Exception as e:  # noqa: BLE001 - reported, the load goes on with the old token
        inst.error("refresh", repr(e))
        token.refreshes.append({"at": inst.name, "ok": False, "error": repr(e)})
        return
    ms = (time.monotonic() - t0) * 1000.0
    if status != 200:
        inst.error("refresh", f"HTTP {status}: {data[:300]!r}")
        token.refreshes.append({"at": inst.name, "ok": False, "status": status, "ms": ms})
        return
    t = json.loads(data)
    token.access = t["access_token"]
    token.refresh = t.get("refresh_token", token.refresh)
    token.expires_at = time.monotonic() + float(t.get("expires_in", 3600))
    token.refreshes.append({"at": inst.name, "ok": True, "ms": round(ms, 2),
                            "rotated": "refresh_token" in t})


async def probe(inst, token):
    """One whoami without initialize: the server is stateless. Falls back to initialize."""
    status, hdrs, data = await call(inst, token, 1, "whoami", {})
    if status == 200:
        msg = rpc_payload(hdrs, data)
        if "result" in msg and not msg["result"].get("isError"):
            return {"stateless": True, "whoami": msg["result"].get("structuredContent")}
    log(f"{inst.name}: whoami without initialize answered HTTP {status}: {data[:300]!r}; initializing")
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "soak", "version": "0"}}}).encode()
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
               "authorization": f"Bearer {token.access}"}
    status, hdrs, data = await inst.client.request("POST", "/mcp", headers, body)
    if status != 200:
        raise SystemExit(f"soak: initialize at {inst.name}: HTTP {status}: {data[:300]!r}")
    inst.session = hdrs.get("mcp-session-id")
    headers["mcp-protocol-version"] = PROTOCOL
    if inst.session:
        headers["mcp-session-id"] = inst.session
    await inst.client.request("POST", "/mcp", headers,
                              json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode())
    return {"stateless": False, "session": inst.session}


async def run(args, instances, token, redis_port):
    a, b = instances
    out = {"probe": {}}
    for inst in instances:
        out["probe"][inst.name] = await probe(inst, token)
    log(f"probe: {json.dumps(out['probe'])[:400]}")
    duration = args.minutes * 60.0
    total = int(round(duration * args.rate))
    interval = 1.0 / args.rate
    samples = []
    # Idle baseline: the instances' CPU over the same few seconds the machine is looked at.
    idle0 = {i.name: cpu_s(i.pid) for i in instances}
    out["machine_start"] = machine()
    out["idle_cpu_pct"] = {i.name: round((cpu_s(i.pid) - idle0[i.name]) * 100.0 / 3.0, 2) for i in instances}
    cpu0 = {i.name: cpu_s(i.pid) for i in instances}
    busy0 = cpu_busy()
    out["rss_idle_kb"] = {i.name: rss_kb(i.pid) for i in instances}
    out["redis_idle"] = redis_memory(redis_port)
    t0 = time.monotonic()
    stop = asyncio.Event()
    marks = {}

    async def sampler():
        k = 0
        while not stop.is_set():
            due = t0 + k * RSS_EVERY_S
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if stop.is_set():
                break
            t = time.monotonic() - t0
            with open("/proc/loadavg") as f:
                load1 = float(f.read().split()[0])
            s = {"t": round(t, 1), **{i.name: rss_kb(i.pid) for i in instances}, "load1": load1,
                 "connections": {i.name: i.client.opened for i in instances}}
            samples.append(s)
            if "start" not in marks and t >= WARMUP_S - 0.5:
                marks["start"] = {"t": s["t"], "redis": await asyncio.to_thread(redis_memory, redis_port),
                                  "cpu": {i.name: cpu_s(i.pid) for i in instances},
                                  "requests": sum(i.requests for i in instances)}
            k += 1

    async def refresher():
        k = 0
        while True:
            wait = min(args.refresh_every, max(5.0, token.expires_at - time.monotonic() - 60.0))
            try:
                await asyncio.wait_for(stop.wait(), wait)
                return
            except asyncio.TimeoutError:
                pass
            await refresh(instances[k % 2], token)
            k += 1

    tasks = [asyncio.create_task(sampler()), asyncio.create_task(refresher())]
    pending = set()
    max_lag = 0.0
    late = 0
    for n in range(total):
        due = t0 + n * interval
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        lag = time.monotonic() - due
        max_lag = max(max_lag, lag)
        late += lag > 0.010
        inst = a if n % 2 == 0 else b
        # Every 10th request of each instance is list_users (a call to Cognito), the rest whoami.
        tool, targs = ("list_users", {"limit": 5}) if (n // 2) % 10 == 9 else ("whoami", {})
        task = asyncio.create_task(one(inst, token, n + 2, tool, targs, due, t0))
        pending.add(task)
        task.add_done_callback(pending.discard)
    sent_s = time.monotonic() - t0
    if pending:
        await asyncio.wait(pending, timeout=TIMEOUT_S + 1)
    elapsed = time.monotonic() - t0
    # The last RSS sample, at the end of the load.
    samples.append({"t": round(elapsed, 1), **{i.name: rss_kb(i.pid) for i in instances}})
    stop.set()
    for t in tasks:
        await asyncio.gather(t, return_exceptions=True)
    end_redis = redis_memory(redis_port)
    cpu1 = {i.name: cpu_s(i.pid) for i in instances}
    busy1 = cpu_busy()
    out["machine_busy_pct_during_load"] = round((busy1[0] - busy0[0]) * 100.0 / max(1, busy1[1] - busy0[1]), 1)
    out["machine_end"] = machine()
    for i in instances:
        i.client.close()

    reqs = sum(i.requests for i in instances)
    out.update({
        "minutes": args.minutes, "rate_target": args.rate, "requests": reqs,
        "scheduled": total, "send_seconds": round(sent_s, 3),
        "achieved_rate": round(total / (sent_s + interval), 3),
        "max_send_lag_ms": round(max_lag * 1000.0, 2), "sent_over_10ms_late": late,
        "refreshes": token.refreshes, "rss_samples_kb": samples,
        "connections_opened": {i.name: i.client.opened for i in instances},
    })
    start = marks.get("start") or {"t": samples[0]["t"], "redis": out["redis_idle"],
                                   "cpu": cpu0, "requests": 0}
    after = [s for s in samples if s["t"] >= start["t"]]
    per = {}
    all_ms = []
    for i in instances:
        ms = sorted(i.lat_ms)
        all_ms += ms
        r0 = next(s[i.name] for s in samples if s["t"] >= start["t"])
        r1 = samples[-1][i.name]
        per[i.name] = {
            "base": i.base, "requests": i.requests, "errors": dict(i.errors),
            "error_samples": i.error_samples,
            "latency_ms": {k: round(pct(ms, p), 3) for k, p in (("p50", 50), ("p90", 90), ("p99", 99))}
            | {"max": round(ms[-1], 3) if ms else None},
            "rss_kb": {"idle": out["rss_idle_kb"][i.name], "start": r0, "end": r1,
                       "min": min(s[i.name] for s in after), "max": max(s[i.name] for s in after),
                       "drift_kb": r1 - r0, "drift_pct": round((r1 - r0) * 100.0 / r0, 2)},
            "cpu_s": round(cpu1[i.name] - cpu0[i.name], 2),
            "cpu_us_per_request": round((cpu1[i.name] - cpu0[i.name]) * 1e6 / max(1, i.requests), 1),
        }
    all_ms.sort()
    errors = {}
    for i in instances:
        for k, v in i.errors.items():
            errors[k] = errors.get(k, 0) + v
    out["instances"] = per
    out["overall"] = {"requests": reqs, "errors": errors,
                      "latency_ms": {k: round(pct(all_ms, p), 3) for k, p in (("p50", 50), ("p90", 90), ("p99", 99))}
                      | {"max": round(all_ms[-1], 3) if all_ms else None}}
    tools = {}
    for i in instances:
        for tool, ms in i.by_tool.items():
            tools.setdefault(tool, []).extend(ms)
    out["by_tool"] = {}
    for tool, ms in sorted(tools.items()):
        ms.sort()
        out["by_tool"][tool] = {"requests": len(ms)} | {
            k: round(pct(ms, p), 3) for k, p in (("p50", 50), ("p90", 90), ("p99", 99))} | {"max": round(ms[-1], 3)}
    out["windows"] = []
    for k in sorted(WINDOWS):
        ms, kinds = sorted(WINDOWS[k][0]), WINDOWS[k][1]
        out["windows"].append({"t": k * RSS_EVERY_S, "requests": len(ms), "p50": round(pct(ms, 50), 2),
                               "p99": round(pct(ms, 99), 2), "max": round(ms[-1], 2), "errors": len(kinds)})
    out["redis"] = {"start": start["redis"], "end": end_redis, "start_t": start["t"]}
    return out


def table(s):
    s = dict(s)
    mib = lambda kb: f"{kb / 1024:.1f}"  # noqa: E731
    lat = lambda d: " / ".join(f"{d[k]:.2f}" for k in ("p50", "p90", "p99", "max"))  # noqa: E731
    errs = lambda e: ", ".join(f"{k} {v}" for k, v in sorted(e.items())) or "0"  # noqa: E731
    a, b = s["instances"]["A"], s["instances"]["B"]
    minutes = s["minutes"]
    rows = [
        ("requests", f"{a['requests']:,}", f"{b['requests']:,}", f"{s['requests']:,}"),
        ("achieved rate (req/s)", f"{a['requests'] * s['achieved_rate'] / s['requests']:.2f}",
         f"{b['requests'] * s['achieved_rate'] / s['requests']:.2f}",
         f"{s['achieved_rate']:.2f} (target {s['rate_target']:g}; max send lag {s['max_send_lag_ms']:.1f} ms)"),
        ("errors", errs(a["errors"]), errs(b["errors"]), errs(s["overall"]["errors"])),
        ("latency p50 / p90 / p99 / max (ms)", lat(a["latency_ms"]), lat(b["latency_ms"]),
         lat(s["overall"]["latency_ms"])),
        *[(f"latency of `{tool}` ({t['requests']:,} requests) p50 / p90 / p99 / max (ms)", "", "", lat(t))
          for tool, t in s["by_tool"].items()],
        ("server CPU per request (µs)", f"{a['cpu_us_per_request']:.0f}", f"{b['cpu_us_per_request']:.0f}", ""),
        ("server CPU idle, before load (% of a core)", f"{s['idle_cpu_pct']['A']:.1f}",
         f"{s['idle_cpu_pct']['B']:.1f}", ""),
        ("server CPU during the load (s; % of a core)",
         f"{a['cpu_s']:.1f} ({a['cpu_s'] * 100.0 / s['send_seconds']:.1f}%)",
         f"{b['cpu_s']:.1f} ({b['cpu_s'] * 100.0 / s['send_seconds']:.1f}%)",
         f"machine busy {s['machine_busy_pct_during_load']:.0f}% of both cores"),
        ("RSS idle, before load (MiB)", mib(a["rss_kb"]["idle"]), mib(b["rss_kb"]["idle"]), ""),
        (f"RSS at {s['redis']['start_t']:.0f} s, after warm-up (MiB)", mib(a["rss_kb"]["start"]),
         mib(b["rss_kb"]["start"]), ""),
        (f"RSS at the end, {minutes:g} min (MiB)", mib(a["rss_kb"]["end"]), mib(b["rss_kb"]["end"]), ""),
        ("RSS min / max after warm-up (MiB)", f"{mib(a['rss_kb']['min'])} / {mib(a['rss_kb']['max'])}",
         f"{mib(b['rss_kb']['min'])} / {mib(b['rss_kb']['max'])}", ""),
        ("RSS drift, end − start", f"{a['rss_kb']['drift_kb'] / 1024:+.2f} MiB ({a['rss_kb']['drift_pct']:+.1f}%)",
         f"{b['rss_kb']['drift_kb'] / 1024:+.2f} MiB ({b['rss_kb']['drift_pct']:+.1f}%)", ""),
        ("Redis used_memory, start → end (bytes; keys)", "", "",
         f"{s['redis']['start']['used_memory']:,} → {s['redis']['end']['used_memory']:,} "
         f"({s['redis']['start']['keys']} → {s['redis']['end']['keys']} keys)"),
        ("token refreshes (instance, ok)", "", "",
         ", ".join(f"{r['at']} {'ok' if r['ok'] else 'FAILED'}" for r in s["refreshes"]) or "none"),
    ]
    lines = ["| measure | A | B | overall |", "|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--a", required=True, help="instance A's base URL (also the public URL)")
    ap.add_argument("--b", required=True)
    ap.add_argument("--pid-a", type=int, required=True)
    ap.add_argument("--pid-b", type=int, required=True)
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--refresh-every", type=float, default=240.0,
                    help="seconds between refreshes (240: at 4 and 8 minutes of 10, at A then B)")
    args = ap.parse_args()

    def interrupted(signum, _frame):
        log(f"stopped by signal {signum}; no summary")
        os._exit(128 + signum)
    signal.signal(signal.SIGTERM, interrupted)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, interrupted)

    log(f"creating {USERNAME} (Developers) with the server's own tools over stdio")
    stdio_tools(args.bin, dict(os.environ), [
        ("create_user", {"username": USERNAME, "email": f"{USERNAME}@example.com",
                         "suppress_invitation": True, "groups": ["Developers"]}),
        # A stdio client without elicitation confirms with the target (docs/tools.md).
        ("set_user_password", {"username": USERNAME, "password": PASSWORD, "permanent": True,
                               "confirm": USERNAME}),
    ])
    log("signing in: register, authorize, consent, sign-in page, callback, token")
    client_id, t = sign_in(args.a)
    token = Token(client_id, t)
    log(f"client {client_id}; access token for {t.get('expires_in')} s, refresh token: {'refresh_token' in t}")
    instances = [Instance("A", args.a, args.pid_a), Instance("B", args.b, args.pid_b)]
    log(f"load: {args.rate:g} req/s for {args.minutes:g} min, alternating A and B")
    summary = asyncio.run(run(args, instances, token, args.redis_port))
    summary["date"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    summary["cores"] = os.cpu_count()
    md = table(summary)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write(md)
    print(md)
    for name, i in summary["instances"].items():
        for e in i["error_samples"][:5]:
            log(f"{name} error sample: {e}")
    log(f"written {args.out}/summary.json and summary.md")
    return 1 if summary["overall"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
