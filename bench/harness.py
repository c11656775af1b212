"""The benchmark harness (run it through bench/run, which installs everything).

Part 1, side by side in one run: cognito-mcp (JWT mode), FastMCP and the official TypeScript
SDK, each verifying the same RS256 token (issuer, audience, scope mcp/read) and answering the
authenticated `tools/call` of `whoami`; plus `/healthz` of the same cognito-mcp process, the
baseline of the CPU-per-call target. Part 2: the same binary in OAuth proxy mode with its state
in Redis, under the same whoami load with a token it issued itself, against the JWT mode's
figures of part 1, and the Redis commands it sends per request (INFO commandstats).
"""
import argparse
import base64
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import soak  # noqa: E402  (bench/soak.py: the real sign-in, registration to PKCE code exchange)

OURS, FAST, TS = "cognito-mcp", "FastMCP", "TS SDK"
CONNS = 16


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, token, timeout=2.0, rpc_id=1):
    body = json.dumps({"jsonrpc": "2.0", "id": rpc_id, "method": "tools/call",
                       "params": {"name": "whoami", "arguments": {}}}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, token, proc, deadline=30.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.args}")
        try:
            status, _ = call(url, token, timeout=1.0)
            if status == 200:
                return time.monotonic() - start
        except Exception:
            time.sleep(0.002)
    raise SystemExit(f"server not ready: {url}")


def wait_healthz(base, proc, deadline=30.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.args}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1.0) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.01)
    raise SystemExit(f"server not ready: {base}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all threads


class Server:
    def __init__(self, name, argv, env, url):
        self.name, self.argv, self.env, self.url = name, argv, env, url
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        return self.proc

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, token, duration, conns=CONNS, whoami=True):
    """wrk -t1: the whoami call (bench/call.lua, a unique id per request) or a plain GET."""
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency"]
    if whoami:
        argv += ["-s", os.path.join(HERE, "call.lua")]
    out = subprocess.run(argv + [url], env=dict(os.environ, BENCH_TOKEN=token or ""),
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = {p: to_ms(m.group(1), m.group(2)) for p in ("50", "99")
           if (m := re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out))}
    return {"rps": rps, "requests": total, "non2xx": int(errors.group(1)) if errors else 0,
            "p50_ms": lat.get("50"), "p99_ms": lat.get("99")}


def machine_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measured(proc, run, extra_pids=()):
    """Runs run() (a wrk run) and adds the CPU it saw: the server's per request, the load
    generator's (wrk, a child of this process) per request, each process's share of a core, and
    how busy the whole machine was (% of all its cores)."""
    hz = os.sysconf("SC_CLK_TCK")
    t0, w0, m0, c0 = cpu_ticks(proc.pid), children_cpu_s(), machine_busy(), time.monotonic()
    x0 = [cpu_ticks(p) for p in extra_pids]
    load = run()
    wall = time.monotonic() - c0
    n = max(1, load["requests"])
    m1 = machine_busy()
    server_s = (cpu_ticks(proc.pid) - t0) / hz
    wrk_s = children_cpu_s() - w0
    load.update(cpu_us=server_s * 1e6 / n, wrk_cpu_us=wrk_s * 1e6 / n,
                server_core_pct=server_s * 100 / wall, wrk_core_pct=wrk_s * 100 / wall,
                machine_busy_pct=(m1[0] - m0[0]) * 100 / max(1, m1[1] - m0[1]))
    load["extra_cpu_us"] = [(cpu_ticks(p) - x) * 1e6 / hz / n for p, x in zip(extra_pids, x0)]
    return load


def loaded(proc, url, token, duration, whoami=True):
    """A 2 s warm-up, then the measured wrk run with the CPU over it."""
    wrk(url, token, 2, whoami=whoami)
    return measured(proc, lambda: wrk(url, token, duration, whoami=whoami))


def hey(url, token, rate, duration, conns=CONNS):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "whoami", "arguments": {}}})
    per_worker = max(1, rate // conns)
    out = subprocess.run(["hey", "-z", f"{duration}s", "-c", str(conns), "-q", str(per_worker),
                          "-m", "POST", "-T", "application/json",
                          "-H", "Accept: application/json, text/event-stream",
                          "-H", "MCP-Protocol-Version: 2025-11-25",
                          "-H", f"Authorization: Bearer {token}", "-d", body, url],
                         capture_output=True, text=True, check=True).stdout
    pct = {m.group(1): float(m.group(2)) * 1000.0
           for m in re.finditer(r"\s(\d+)%+ in ([\d.]+) secs", out)}
    codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", out)
    return {"p50_ms": pct.get("50"), "p99_ms": pct.get("99"), "codes": codes,
            "rate": per_worker * conns}


def measure(make, token, duration, starts, healthz=False):
    """Cold start (median), idle RSS, the whoami load; for ours also /healthz on the same process.
    Leaves the server running (for the fixed-rate run) and returns its figures."""
    times = []
    for _ in range(starts):
        s = make(free_port())
        t0 = time.monotonic()
        proc = s.start()
        wait_ready(s.url, token, proc)
        times.append((time.monotonic() - t0) * 1000.0)
        s.stop()
    s = make(free_port())
    proc = s.start()
    wait_ready(s.url, token, proc)
    status, body = call(s.url, token)
    assert status == 200 and b"bench" in body, body[:300]
    time.sleep(1.0)
    r = {"server": s, "cold_ms": statistics.median(times), "idle_kb": rss_kb(proc.pid)}
    r["load"] = loaded(proc, s.url, token, duration)
    r["loaded_kb"] = rss_kb(proc.pid)
    if healthz:
        r["healthz"] = loaded(proc, s.url.rsplit("/", 1)[0] + "/healthz", None, duration, whoami=False)
    print(f"bench: {s.name}: {r['load']['rps']:.0f} req/s, {r['load']['cpu_us']:.0f} us CPU per call",
          file=sys.stderr)
    return r


# --- proxy mode with Redis -----------------------------------------------------------------

def redis_cli(port, *argv):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *argv],
                          capture_output=True, text=True, check=True).stdout


def commandstats(port):
    """{command: calls} from INFO commandstats, without the INFO commands themselves."""
    out = redis_cli(port, "info", "commandstats")
    stats = {m.group(1): int(m.group(2)) for m in re.finditer(r"^cmdstat_([\w|]+):calls=(\d+)", out, re.M)}
    stats.pop("info", None)
    return stats


def diff(after, before):
    d = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in d.items() if v}


def monitor(port, url, token, n):
    """The commands Redis sees during n sequential calls (redis-cli monitor): each command's
    name and how many keys it names (the keys themselves are not kept)."""
    mon = subprocess.Popen(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "monitor"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        if mon.stdout.readline().strip() != "OK":
            return []
        for i in range(n):
            call(url, token, rpc_id=1000 + i)
        redis_cli(port, "ping")  # the marker of the end
        seen = []
        for line in mon.stdout:
            words = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
            if not words:
                continue
            if words[0].upper() == "PING":
                break
            seen.append(f"{words[0].upper()} with {len(words) - 1} argument(s)")
        return seen
    finally:
        mon.terminate()
        mon.wait()


PROXY_TOML = """[auth]
enabled = true
provider = "cognito"
upstream = "login"
store = "redis"

[auth.login]
flow = "admin_password"

# The bench's client registers as public (PKCE alone), as bench/soak's does.
[auth.dcr]
public_client_patterns = ["soak-client"]
"""


def proxy_mode(args, env, tmp, duration, sequential):
    """Our binary in OAuth proxy mode (sign-in page upstream, Redis store): a token obtained the
    real way (bench/soak.py's sign_in), then the whoami load. Returns its figures."""
    redis_port = free_port()
    os.makedirs(os.path.join(tmp, "redis"), exist_ok=True)
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--daemonize", "no",
                              "--dir", os.path.join(tmp, "redis")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = None
    try:
        for _ in range(100):
            try:
                if "PONG" in redis_cli(redis_port, "ping"):
                    break
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.1)
        version = re.search(r"v=(\S+)", subprocess.run(["redis-server", "--version"], capture_output=True,
                                                       text=True).stdout).group(1)
        cfg = os.path.join(tmp, "proxy.toml")
        with open(cfg, "w") as f:
            f.write(PROXY_TOML)
        soak.stdio_tools(args.bin, env, [
            ("create_user", {"username": soak.USERNAME, "email": f"{soak.USERNAME}@example.com",
                             "suppress_invitation": True, "groups": ["Developers"]}),
            ("set_user_password", {"username": soak.USERNAME, "password": soak.PASSWORD, "permanent": True,
                                   "confirm": soak.USERNAME}),
        ])
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        penv = dict(env, COGNITO_MCP_CONFIG=cfg, COGNITO_MCP_REDIS_URL=f"redis://127.0.0.1:{redis_port}",
                    COGNITO_MCP_STATE_KEY=base64.b64encode(os.urandom(32)).decode(),
                    COGNITO_MCP_PUBLIC_URL=public, COGNITO_MCP_STATE_DIR=os.path.join(tmp, "proxy-state"),
                    COGNITO_MCP_AUDIT_FILE=os.path.join(tmp, "audit-proxy.jsonl"))
        s = Server("proxy", [args.bin, "serve", "--transport", "http", "--bind", f"127.0.0.1:{port}"],
                   penv, f"{public}/mcp")
        proc = s.start()
        wait_healthz(public, proc)
        _, tokens = soak.sign_in(public)
        token = tokens["access_token"]
        status, body = call(s.url, token)
        assert status == 200 and soak.USERNAME.encode() in body, body[:300]
        time.sleep(1.0)
        r = {"redis": version, "idle_kb": rss_kb(proc.pid)}
        # Idle: what the server sends Redis on its own over a second.
        c0 = commandstats(redis_port)
        time.sleep(1.0)
        r["idle_cmds"] = diff(commandstats(redis_port), c0)
        # Sequential calls, one at a time: exact commands per request.
        c0 = commandstats(redis_port)
        for i in range(sequential):
            status, body = call(s.url, token, rpc_id=i + 2)
            assert status == 200 and soak.USERNAME.encode() in body, body[:300]
        r["seq"] = {k: v / sequential for k, v in diff(commandstats(redis_port), c0).items()}
        r["seq_n"] = sequential
        r["monitor"] = monitor(redis_port, s.url, token, 3)
        # Under the wrk load (after its warm-up).
        wrk(s.url, token, 2)
        c0 = commandstats(redis_port)
        load = measured(proc, lambda: wrk(s.url, token, duration), extra_pids=[redis.pid])
        load["redis_cpu_us"] = load["extra_cpu_us"][0]
        r["load_cmds"] = {k: v / max(1, load["requests"]) for k, v in diff(commandstats(redis_port), c0).items()}
        r["load"] = load
        r["loaded_kb"] = rss_kb(proc.pid)
        print(f"bench: proxy mode: {load['rps']:.0f} req/s, {load['cpu_us']:.0f} us CPU per call", file=sys.stderr)
        return r
    finally:
        if s:
            s.stop()
        redis.terminate()
        redis.wait()


# --- the run ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--fastmcp-python", required=True, help="python of the FastMCP venv")
    ap.add_argument("--fastmcp-version", default="?")
    ap.add_argument("--node", required=True)
    ap.add_argument("--ts-sdk-server", required=True, help="ts_sdk_server.mjs beside its node_modules")
    ap.add_argument("--ts-sdk-version", default="?")
    ap.add_argument("--quick", action="store_true", help="shorter runs, for a smoke check")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    duration = 4 if args.quick else 10
    starts = 3 if args.quick else 7
    tmp = tempfile.mkdtemp(prefix="cognito-mcp-bench-")
    load_start = os.getloadavg()

    moto_port = free_port()
    moto = subprocess.Popen([os.path.join(args.peers, "venv/bin/python"),
                             os.path.join(ROOT, "scripts/moto-server.py"), "--port", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {}
    try:
        endpoint = f"http://127.0.0.1:{moto_port}"
        base_env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                        AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=endpoint, RUST_LOG="warn")
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=0.5)
                break
            except Exception:
                time.sleep(0.1)
        pool = json.loads(subprocess.run([args.bin, "bootstrap", "--no-admin", "--json"], env=base_env,
                                         capture_output=True, text=True, check=True).stdout)
        pool_id, client_id = pool["user_pool_id"], pool["client_id"]
        pem = os.path.join(tmp, "moto.pem")
        token = subprocess.run([os.path.join(args.peers, "venv/bin/python"), os.path.join(HERE, "mint.py"),
                                pool_id, client_id, pem], capture_output=True, text=True, check=True).stdout.strip()
        issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
        our_env = dict(base_env, COGNITO_USER_POOL_ID=pool_id, COGNITO_CLIENT_ID=client_id,
                       COGNITO_MCP_AUDIT_FILE=os.path.join(tmp, "audit.jsonl"))

        def ours(port):
            return Server(OURS, [args.bin, "serve", "--transport", "http", "--bind", f"127.0.0.1:{port}"],
                          our_env, f"http://127.0.0.1:{port}/mcp")

        def fast(port):
            return Server(FAST, [args.fastmcp_python, os.path.join(HERE, "fastmcp_server.py"),
                                 pem, issuer, client_id, str(port)],
                          dict(os.environ), f"http://127.0.0.1:{port}/mcp")

        def ts(port):
            return Server(TS, [args.node, args.ts_sdk_server, pem, issuer, client_id, str(port)],
                          dict(os.environ), f"http://127.0.0.1:{port}/mcp")

        for name, make in ((OURS, ours), (FAST, fast), (TS, ts)):
            results[name] = measure(make, token, duration, starts, healthz=name == OURS)

        # Latency at a fixed rate all three carry: half FastMCP's measured throughput.
        rate = max(CONNS, int(results[FAST]["load"]["rps"] * 0.5) // CONNS * CONNS)
        for r in results.values():
            r["fixed"] = hey(r["server"].url, token, rate, duration)
            r["server"].stop()

        proxy = proxy_mode(args, our_env, tmp, duration, 50 if args.quick else 200)
    finally:
        for r in results.values():
            r["server"].stop()
        moto.terminate()
        moto.wait()

    report(args, results, proxy, rate, (load_start, os.getloadavg()))


def report(args, results, proxy, rate, loadavg):
    o, f, t = results[OURS], results[FAST], results[TS]
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average (1, 5, 15 min) "
          f"{' '.join(f'{v:.2f}' for v in loadavg[0])} at the start, "
          f"{' '.join(f'{v:.2f}' for v in loadavg[1])} at the end")

    def x(a, b):
        return f"{a / b:.1f}x" if a and b else "n/a"

    def row(label, key, fmt, better):
        vals = [key(r) for r in (o, f, t)]
        if better == "higher":
            rf, rt = x(vals[0], vals[1]), x(vals[0], vals[2])
        else:
            rf, rt = x(vals[1], vals[0]), x(vals[2], vals[0])
        return (label, *(fmt.format(v) for v in vals), rf, rt)

    rows = [
        row("tools/call whoami, wrk -t1 -c16 (req/s)", lambda r: r["load"]["rps"], "{:,.0f}", "higher"),
        row("server CPU per call (us)", lambda r: r["load"]["cpu_us"], "{:,.0f}", "lower"),
        row(f"p50 at {rate} req/s (ms)", lambda r: r["fixed"]["p50_ms"], "{:.2f}", "lower"),
        row(f"p99 at {rate} req/s (ms)", lambda r: r["fixed"]["p99_ms"], "{:.2f}", "lower"),
        row("p50 under wrk -c16 (ms)", lambda r: r["load"]["p50_ms"], "{:.2f}", "lower"),
        row("p99 under wrk -c16 (ms)", lambda r: r["load"]["p99_ms"], "{:.2f}", "lower"),
        row("RSS idle (MB)", lambda r: r["idle_kb"] / 1024, "{:.1f}", "lower"),
        row("RSS under load (MB)", lambda r: r["loaded_kb"] / 1024, "{:.1f}", "lower"),
        row("cold start to first authenticated 200 (ms, median)", lambda r: r["cold_ms"], "{:,.1f}", "lower"),
    ]
    head = ("measure", OURS, f"{FAST} {args.fastmcp_version}", f"{TS} {args.ts_sdk_version}",
            f"vs {FAST}", f"vs {TS}")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print()
    for r in [head] + rows:
        print("  ".join(f"{c:<{widths[0]}}" if i == 0 else f"{c:>{widths[i]}}" for i, c in enumerate(r)))

    h = o["healthz"]
    cpu_ratio = o["load"]["cpu_us"] / h["cpu_us"] if h["cpu_us"] else float("inf")
    print(f"\n{OURS} GET /healthz, same process: {h['rps']:,.0f} req/s, {h['cpu_us']:.1f} us CPU per request; "
          f"whoami / healthz CPU per request: {cpu_ratio:.1f}x")
    print("\nCPU during the measured wrk runs (% of one core; the machine has "
          f"{os.cpu_count()} cores):")
    runs = [(f"{n} whoami", r["load"]) for n, r in results.items()] + [(f"{OURS} /healthz", h),
                                                                    ("proxy whoami", proxy["load"])]
    for label, ld in runs:
        print(f"  {label:<22} server {ld['server_core_pct']:>4.0f}%, wrk {ld['wrk_core_pct']:>4.0f}% "
              f"({ld['wrk_cpu_us']:.0f} us per request), machine busy {ld['machine_busy_pct']:>4.0f}% of all cores")
    targets = [
        (f"throughput >= 40x {FAST}", o["load"]["rps"] / f["load"]["rps"], 40, True),
        (f"throughput >= 14x {TS}", o["load"]["rps"] / t["load"]["rps"], 14, True),
        ("whoami CPU per call <= 3x /healthz's", cpu_ratio, 3, False),
        ("idle RSS <= 15 MB", o["idle_kb"] / 1024, 15, False),
    ]
    print("\ntargets:")
    for label, v, goal, higher in targets:
        met = v >= goal if higher else v <= goal
        print(f"  {label:<40} {v:>7.1f}  {'met' if met else 'NOT met'}")

    p = proxy
    print(f"\nproxy mode (upstream login, store redis, redis-server {p['redis']}) against JWT mode:")
    prow = [
        ("tools/call whoami, wrk -t1 -c16 (req/s)", o["load"]["rps"], p["load"]["rps"], "{:,.0f}"),
        ("server CPU per call (us)", o["load"]["cpu_us"], p["load"]["cpu_us"], "{:.0f}"),
        ("server + redis-server CPU per call (us)", o["load"]["cpu_us"],
         p["load"]["cpu_us"] + p["load"]["redis_cpu_us"], "{:.0f}"),
        ("p50 under wrk -c16 (ms)", o["load"]["p50_ms"], p["load"]["p50_ms"], "{:.2f}"),
        ("p99 under wrk -c16 (ms)", o["load"]["p99_ms"], p["load"]["p99_ms"], "{:.2f}"),
        ("RSS idle (MB)", o["idle_kb"] / 1024, p["idle_kb"] / 1024, "{:.1f}"),
    ]
    w = max(len(r[0]) for r in prow)
    print(f"  {'measure':<{w}}  {'JWT':>9}  {'proxy':>9}  proxy/JWT")
    for label, a, b, fmt in prow:
        print(f"  {label:<{w}}  {fmt.format(a):>9}  {fmt.format(b):>9}  {b / a:.2f}x")

    def cmds(d):
        return ", ".join(f"{k} {v:.3f}" for k, v in sorted(d.items())) or "none"
    print(f"  Redis commands per request, {p['seq_n']} sequential calls: {cmds(p['seq'])}")
    print(f"  Redis commands per request, under wrk: {cmds(p['load_cmds'])}")
    print(f"  Redis commands in one idle second: {cmds(p['idle_cmds'])}")
    print(f"  redis-cli monitor over 3 sequential calls: {'; '.join(p['monitor']) or 'nothing'}")

    for name, r in list(results.items()) + [("proxy", p)]:
        bad = r["load"]["non2xx"]
        if bad:
            print(f"warning: {name} answered {bad} non-2xx responses under wrk", file=sys.stderr)
        if "fixed" in r:
            print(f"{name}: hey status codes {r['fixed']['codes']}", file=sys.stderr)
    if o["healthz"]["non2xx"]:
        print(f"warning: /healthz answered {o['healthz']['non2xx']} non-2xx responses", file=sys.stderr)

    if args.json:
        out = {name: {k: v for k, v in r.items() if k != "server"} for name, r in results.items()}
        out["proxy"] = p
        out["fixed_rate"] = rate
        out["versions"] = {FAST: args.fastmcp_version, TS: args.ts_sdk_version}
        out["loadavg"] = loadavg
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
