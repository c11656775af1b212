"""The soak driver (run it through bench/soak, which starts moto, a Redis Cluster, the
instances and the balancer).

A user signs in once the real way (registration, authorization code with PKCE through the
consent page and the sign-in page), all through the round-robin balancer, so each step may
land on another instance. Then an open-loop load of MCP `tools/call` requests at a constant
arrival rate goes through the balancer for N minutes; the access token is refreshed every few
minutes. Every request's latency is measured from the moment it was due (so a stalled server or
driver shows up as latency, not as a lower rate); errors are counted by kind and by the
instance that answered (the balancer's `x-soak-upstream`); each instance's RSS is sampled every
10 s.

During the run, the fleet is disturbed the way production is, each at a set fraction of the
run: one instance is killed with SIGKILL and restarted a few seconds later (as an orchestrator
would); one Redis node is killed with SIGKILL and restarted on its own data (appendfsync
always); and the instances are restarted one by one with a new state key, the old one kept as
the previous key (a rolling rotation). Each disturbance opens a window, from a second before its
start (requests in flight meet it) to two seconds after the fleet is whole again; errors inside a window are reported with it, errors
outside every window are the ones that count (target zero). Writes summary.json and summary.md
into --out and prints the table.
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
import socket
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
        "grant_types": ["authorization_code", "refresh_token"], "token_endpoint_auth_method": "none"})
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
    """One instance behind the balancer: its port, its current process, what it answered."""

    def __init__(self, name, port, pid):
        self.name, self.port, self.pid = name, port, pid
        self.lat_ms = []
        self.requests = 0
        self.errors = {}
        self.error_samples = []
        self.started_t = 0.0  # when its current process started, in run time
        self.restarts = []

    def error(self, kind, detail):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 20:
            self.error_samples.append({"t": time.time(), "kind": kind, "detail": detail[:400]})


class Fleet:
    """The balancer's client, the instances by name, and the requests the balancer answered
    itself (no instance up, or a broken upstream connection)."""

    def __init__(self, public, instances):
        u = urllib.parse.urlsplit(public)
        self.client = Client(u.hostname, u.port)
        self.instances = {i.name: i for i in instances}
        self.balancer = Instance("balancer", u.port, 0)
        self.by_tool = {}
        self.session = None

    def answered_by(self, hdrs):
        return self.instances.get(hdrs.get("x-soak-upstream"), self.balancer)


class Token:
    def __init__(self, client_id, t):
        self.client_id = client_id
        self.access = t["access_token"]
        self.refresh = t.get("refresh_token")
        self.expires_at = time.monotonic() + float(t.get("expires_in", 3600))
        self.refreshes = []


async def call(fleet, token, n, tool, args):
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
               "mcp-protocol-version": PROTOCOL, "authorization": f"Bearer {token.access}"}
    body = json.dumps({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                       "params": {"name": tool, "arguments": args}}).encode()
    return await asyncio.wait_for(fleet.client.request("POST", "/mcp", headers, body), TIMEOUT_S)


WINDOWS = {}  # 10-second window of the due time -> [latencies (ms)], [error kinds]
ERRORS = []   # (due time in run time, instance, kind)


async def one(fleet, token, n, tool, args, due, t0):
    inst = fleet.balancer
    try:
        status, hdrs, data = await call(fleet, token, n, tool, args)
        inst = fleet.answered_by(hdrs)
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
    fleet.by_tool.setdefault(tool, []).append(ms)
    w = WINDOWS.setdefault(int((due - t0) // RSS_EVERY_S), ([], []))
    w[0].append(ms)
    if kind:
        w[1].append(kind)
        ERRORS.append((due - t0, inst.name, kind))
        inst.error(kind, f"{tool} #{n}: {detail}")


async def refresh(fleet, token):
    body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token.refresh,
                                   "client_id": token.client_id}).encode()
    t0 = time.monotonic()
    try:
        status, hdrs, data = await asyncio.wait_for(fleet.client.request(
            "POST", "/token", {"content-type": "application/x-www-form-urlencoded"}, body), TIMEOUT_S)
    except Exception as e:  # noqa: BLE001 - reported, the load goes on with the old token
        fleet.balancer.error("refresh", repr(e))
        token.refreshes.append({"at": "?", "ok": False, "error": repr(e)})
        return
    inst = fleet.answered_by(hdrs)
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


async def probe(fleet, token):
    """One whoami per instance (round robin) without initialize: the server is stateless."""
    out = {}
    for n in range(len(fleet.instances)):
        status, hdrs, data = await call(fleet, token, n + 1, "whoami", {})
        msg = rpc_payload(hdrs, data) if status == 200 else {}
        if "result" not in msg or msg["result"].get("isError"):
            raise SystemExit(f"soak: whoami without initialize answered HTTP {status}: {data[:300]!r}")
        out[hdrs.get("x-soak-upstream", "?")] = msg["result"].get("structuredContent", {}).get("username")
    return out


def tcp_up(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


async def wait_until(check, what, limit=60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"soak: {what} within {limit:g} s")


def start_instance(args, inst, key_generation):
    """Starts `inst` with the start script bench/soak wrote; returns its pid."""
    out = subprocess.run([args.start_instance, inst.name, str(inst.port), str(key_generation)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])


def redis_cluster_ok(port):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "cluster", "info"],
                       capture_output=True, text=True)
    return "cluster_state:ok" in r.stdout


class Events:
    """The disturbances of the run and their windows (run time, seconds)."""

    def __init__(self):
        self.windows = []

    def open(self, what):
        w = {"what": what, "start": None, "end": None, "steps": []}
        self.windows.append(w)
        return w

    def contains(self, t):
        return any(w["start"] is not None and w["start"] - 1.0 <= t <= (w["end"] or 1e18) + 2.0
                   for w in self.windows)


async def disturb(args, fleet, t0, events, stop):
    """Kill -9 an instance, kill -9 a Redis node, rotate the state key: each at its time."""
    duration = args.minutes * 60.0
    now = lambda: time.monotonic() - t0  # noqa: E731
    names = list(fleet.instances)

    async def at(fraction):
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, fraction * duration - now()))
            return False
        except asyncio.TimeoutError:
            return True

    if args.kill_at > 0 and await at(args.kill_at):
        inst = fleet.instances[names[-1]]
        w = events.open(f"instance {inst.name} killed (SIGKILL), restarted after {args.restart_after:g} s")
        w["start"] = now()
        os.kill(inst.pid, signal.SIGKILL)
        await asyncio.sleep(args.restart_after)
        inst.pid = await asyncio.to_thread(start_instance, args, inst, 1)
        await wait_until(lambda: tcp_up(inst.port), f"instance {inst.name} did not listen again")
        inst.started_t = now()
        inst.restarts.append(round(inst.started_t, 1))
        w["end"] = now()
        log(f"event: {w['what']}: back at {w['end']:.1f} s")
    if args.redis_restart_at > 0 and await at(args.redis_restart_at):
        port = args.redis_ports[1]
        w = events.open(f"Redis node 127.0.0.1:{port} killed (SIGKILL), restarted on its data after "
                        f"{args.restart_after:g} s")
        w["start"] = now()
        pid = int(subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "info", "server"],
                                 capture_output=True, text=True, check=True).stdout
                  .split("process_id:")[1].split()[0])
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(args.restart_after)
        subprocess.run([args.start_redis, str(port)], check=True, capture_output=True)
        await wait_until(lambda: all(redis_cluster_ok(p) for p in args.redis_ports),
                         "the cluster was not whole again")
        w["end"] = now()
        log(f"event: {w['what']}: whole again at {w['end']:.1f} s")
    if args.rotate_at > 0 and await at(args.rotate_at):
        w = events.open("state key rotated: each instance restarted in turn (SIGTERM, drained) with "
                        "the new key and the old one as the previous key")
        w["start"] = now()
        for name in names:
            inst = fleet.instances[name]
            os.kill(inst.pid, signal.SIGTERM)
            await wait_until(lambda: not os.path.exists(f"/proc/{inst.pid}") or
                             open(f"/proc/{inst.pid}/stat").read().split(") ")[1][0] == "Z",
                             f"instance {name} did not stop at SIGTERM")
            inst.pid = await asyncio.to_thread(start_instance, args, inst, 2)
            await wait_until(lambda: tcp_up(inst.port), f"instance {name} did not listen again")
            inst.started_t = now()
            inst.restarts.append(round(inst.started_t, 1))
            w["steps"].append({"instance": name, "back_at": round(now(), 1)})
        w["end"] = now()
        log(f"event: {w['what']}: done at {w['end']:.1f} s")


def alive_rss(pid):
    try:
        return rss_kb(pid)
    except OSError:
        return 0


async def run(args, fleet, token):
    instances = list(fleet.instances.values())
    out = {"probe": await probe(fleet, token)}
    log(f"probe: whoami answered by {json.dumps(out['probe'])}")
    duration = args.minutes * 60.0
    total = int(round(duration * args.rate))
    interval = 1.0 / args.rate
    samples = []
    out["machine_start"] = machine()
    busy0 = cpu_busy()
    out["rss_idle_kb"] = {i.name: rss_kb(i.pid) for i in instances}
    out["redis_idle"] = cluster_memory(args.redis_ports)
    t0 = time.monotonic()
    stop = asyncio.Event()
    events = Events()
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
            samples.append({"t": round(t, 1), **{i.name: alive_rss(i.pid) for i in instances},
                            "load1": load1})
            if "start" not in marks and t >= WARMUP_S - 0.5:
                marks["start"] = {"t": samples[-1]["t"],
                                  "redis": await asyncio.to_thread(cluster_memory, args.redis_ports)}
            k += 1

    async def refresher():
        while True:
            wait = min(args.refresh_every, max(5.0, token.expires_at - time.monotonic() - 60.0))
            try:
                await asyncio.wait_for(stop.wait(), wait)
                return
            except asyncio.TimeoutError:
                pass
            await refresh(fleet, token)

    tasks = [asyncio.create_task(sampler()), asyncio.create_task(refresher()),
             asyncio.create_task(disturb(args, fleet, t0, events, stop))]
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
        # Every 10th request is list_users (a call to Cognito), the rest whoami.
        tool, targs = ("list_users", {"limit": 5}) if n % 10 == 9 else ("whoami", {})
        task = asyncio.create_task(one(fleet, token, n + 10, tool, targs, due, t0))
        pending.add(task)
        task.add_done_callback(pending.discard)
    sent_s = time.monotonic() - t0
    if pending:
        await asyncio.wait(pending, timeout=TIMEOUT_S + 1)
    elapsed = time.monotonic() - t0
    samples.append({"t": round(elapsed, 1), **{i.name: alive_rss(i.pid) for i in instances}})
    stop.set()
    for t in tasks:
        r = await asyncio.gather(t, return_exceptions=True)
        if isinstance(r[0], BaseException):
            log(f"background task failed: {r[0]!r}")
            out.setdefault("task_failures", []).append(repr(r[0]))
    end_redis = cluster_memory(args.redis_ports)
    busy1 = cpu_busy()
    out["machine_busy_pct_during_load"] = round((busy1[0] - busy0[0]) * 100.0 / max(1, busy1[1] - busy0[1]), 1)
    out["machine_end"] = machine()
    fleet.client.close()

    reqs = sum(i.requests for i in instances) + fleet.balancer.requests
    out.update({
        "minutes": args.minutes, "rate_target": args.rate, "requests": reqs,
        "scheduled": total, "send_seconds": round(sent_s, 3),
        "achieved_rate": round(total / (sent_s + interval), 3),
        "max_send_lag_ms": round(max_lag * 1000.0, 2), "sent_over_10ms_late": late,
        "refreshes": token.refreshes, "rss_samples_kb": samples,
        "connections_opened": fleet.client.opened,
    })
    start = marks.get("start") or {"t": samples[0]["t"], "redis": out["redis_idle"]}
    per = {}
    all_ms = []
    for i in instances + [fleet.balancer]:
        ms = sorted(i.lat_ms)
        all_ms += ms
        entry = {"requests": i.requests, "errors": dict(i.errors), "error_samples": i.error_samples,
                 "latency_ms": {k: round(pct(ms, p), 3) if ms else 0.0
                                for k, p in (("p50", 50), ("p90", 90), ("p99", 99))}
                 | {"max": round(ms[-1], 3) if ms else 0.0}}
        if i is not fleet.balancer:
            # RSS of the current process, from its own warm-up (after its last restart).
            since = max(start["t"], i.started_t + WARMUP_S)
            own = [x[i.name] for x in samples if x["t"] >= since and x[i.name]]
            r0, r1 = (own[0], own[-1]) if own else (0, 0)
            entry["restarts_at_s"] = i.restarts
            entry["rss_kb"] = {"idle": out["rss_idle_kb"][i.name], "start": r0, "end": r1,
                               "from_t": since, "min": min(own, default=0), "max": max(own, default=0),
                               "drift_kb": r1 - r0, "drift_pct": round((r1 - r0) * 100.0 / r0, 2) if r0 else None}
        per[i.name] = entry
    all_ms.sort()
    out["instances"] = per
    outside = {}
    inside = [{} for _ in events.windows]
    for t, _, kind in ERRORS:
        # A window opens a second before its event (requests already in flight meet it) and
        # closes two seconds after the fleet is whole again.
        hit = [k for k, w in enumerate(events.windows)
               if w["start"] is not None and w["start"] - 1.0 <= t <= (w["end"] or 1e18) + 2.0]
        if hit:
            inside[hit[0]][kind] = inside[hit[0]].get(kind, 0) + 1
        else:
            outside[kind] = outside.get(kind, 0) + 1
    out["errors_by_time"] = [[round(t, 3), name, kind] for t, name, kind in ERRORS]
    out["events"] = [w | {"errors": inside[k],
                          "start": round(w["start"], 1) if w["start"] is not None else None,
                          "end": round(w["end"], 1) if w["end"] is not None else None}
                     for k, w in enumerate(events.windows)]
    out["overall"] = {"requests": reqs, "errors_outside_windows": outside,
                      "errors_in_windows": sum(sum(e.values()) for e in inside),
                      "latency_ms": {k: round(pct(all_ms, p), 3) for k, p in (("p50", 50), ("p90", 90), ("p99", 99))}
                      | {"max": round(all_ms[-1], 3) if all_ms else None}}
    out["by_tool"] = {}
    for tool, ms in sorted(fleet.by_tool.items()):
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


def cluster_memory(ports):
    """used_memory and keys, summed over the cluster's nodes (a node that is down counts 0)."""
    total = {"used_memory": 0, "keys": 0}
    for port in ports:
        try:
            m = redis_memory(port)
        except subprocess.CalledProcessError:
            continue
        total["used_memory"] += m["used_memory"]
        total["keys"] += m["keys"]
    return total


def table(s):
    mib = lambda kb: f"{kb / 1024:.1f}"  # noqa: E731
    lat = lambda d: " / ".join(f"{d[k]:.2f}" for k in ("p50", "p90", "p99", "max"))  # noqa: E731
    errs = lambda e: ", ".join(f"{k} {v}" for k, v in sorted(e.items())) or "0"  # noqa: E731
    names = [n for n in s["instances"] if n != "balancer"]
    inst = [s["instances"][n] for n in names]
    bal = s["instances"]["balancer"]
    cols = lambda f: " | ".join(f(i) for i in inst)  # noqa: E731
    rows = [
        ("requests answered", cols(lambda i: f"{i['requests']:,}"),
         f"{s['requests']:,} ({bal['requests']:,} by the balancer itself)"),
        ("achieved rate (req/s)", cols(lambda i: ""),
         f"{s['achieved_rate']:.2f} (target {s['rate_target']:g}; max send lag {s['max_send_lag_ms']:.1f} ms)"),
        ("errors (all)", cols(lambda i: errs(i["errors"])), errs(bal["errors"]) + " at the balancer"),
        ("errors outside the disturbance windows", cols(lambda i: ""),
         errs(s["overall"]["errors_outside_windows"])),
        ("latency p50 / p90 / p99 / max (ms)", cols(lambda i: lat(i["latency_ms"])),
         lat(s["overall"]["latency_ms"])),
        *[(f"latency of `{tool}` ({t['requests']:,} requests) p50 / p90 / p99 / max (ms)", cols(lambda i: ""),
           lat(t)) for tool, t in s["by_tool"].items()],
        ("restarts (s into the run)", cols(lambda i: ", ".join(f"{t:g}" for t in i["restarts_at_s"]) or "none"), ""),
        ("RSS idle, before load (MiB)", cols(lambda i: mib(i["rss_kb"]["idle"])), ""),
        ("RSS after warm-up → end, current process (MiB)",
         cols(lambda i: f"{mib(i['rss_kb']['start'])} → {mib(i['rss_kb']['end'])} (from {i['rss_kb']['from_t']:.0f} s)"), ""),
        ("RSS drift, end − start", cols(lambda i: f"{i['rss_kb']['drift_kb'] / 1024:+.2f} MiB"
                                          f" ({i['rss_kb']['drift_pct'] or 0:+.1f}%)"), ""),
        ("Redis used_memory, start → end (bytes; keys; all nodes)", cols(lambda i: ""),
         f"{s['redis']['start']['used_memory']:,} → {s['redis']['end']['used_memory']:,} "
         f"({s['redis']['start']['keys']} → {s['redis']['end']['keys']} keys)"),
        ("token refreshes (answered by, ok)", cols(lambda i: ""),
         ", ".join(f"{r['at']} {'ok' if r['ok'] else 'FAILED'}" for r in s["refreshes"]) or "none"),
        ("machine busy during the load", cols(lambda i: ""), f"{s['machine_busy_pct_during_load']:.0f}% of both cores"),
    ]
    lines = ["| measure | " + " | ".join(names) + " | overall |", "|---" * (len(names) + 2) + "|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]} |" for r in rows]
    lines += ["", "| disturbance | window (s into the run) | errors in the window |", "|---|---|---|"]
    lines += [f"| {e['what']} | {e['start']} → {e['end']} (−1 s, +2 s) | {errs(e['errors'])} |" for e in s["events"]]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--public", required=True, help="the balancer's URL (also the public URL)")
    ap.add_argument("--instances", required=True, help="NAME:PORT:PID,...")
    ap.add_argument("--redis-ports", required=True, help="the cluster's node ports, comma-separated")
    ap.add_argument("--start-instance", required=True, help="script: NAME PORT KEY_GENERATION -> pid")
    ap.add_argument("--start-redis", required=True, help="script: PORT (restarts one node)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--refresh-every", type=float, default=240.0)
    ap.add_argument("--kill-at", type=float, default=0.3, help="fraction of the run (0: never)")
    ap.add_argument("--redis-restart-at", type=float, default=0.55)
    ap.add_argument("--rotate-at", type=float, default=0.8)
    ap.add_argument("--restart-after", type=float, default=3.0, help="seconds down before a restart")
    args = ap.parse_args()
    args.redis_ports = [int(p) for p in args.redis_ports.split(",")]

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
    log("signing in through the balancer: register, authorize, consent, sign-in page, callback, token")
    client_id, t = sign_in(args.public)
    token = Token(client_id, t)
    log(f"client {client_id}; access token for {t.get('expires_in')} s, refresh token: {'refresh_token' in t}")
    instances = []
    for item in args.instances.split(","):
        name, port, pid = item.split(":")
        instances.append(Instance(name, int(port), int(pid)))
    fleet = Fleet(args.public, instances)
    log(f"load: {args.rate:g} req/s for {args.minutes:g} min through the balancer")
    summary = asyncio.run(run(args, fleet, token))
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
    bad = summary["overall"]["errors_outside_windows"] or summary.get("task_failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
