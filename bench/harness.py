"""The benchmark harness (run it through bench/run, which installs everything)."""
import argparse
import json
import os
import re
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, token, timeout=2.0):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
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


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


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


def wrk(url, token, duration, conns):
    env = dict(os.environ, BENCH_TOKEN=token)
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency",
                          "-s", os.path.join(HERE, "call.lua"), url],
                         env=env, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "requests": total, "non2xx": int(errors.group(1)) if errors else 0, "raw": out}


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def hey(url, token, rate, duration, conns):
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--quick", action="store_true", help="shorter runs, for a smoke check")
    args = ap.parse_args()
    duration = 4 if args.quick else 10
    starts = 3 if args.quick else 7
    tmp = tempfile.mkdtemp(prefix="cognito-mcp-bench-")

    moto_port = free_port()
    moto = subprocess.Popen([os.path.join(args.peers, "venv/bin/python"),
                             os.path.join(ROOT, "scripts/moto-server.py"), "--port", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers = []
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

        def ours(port):
            env = dict(base_env, COGNITO_USER_POOL_ID=pool_id, COGNITO_CLIENT_ID=client_id,
                       COGNITO_MCP_AUDIT_FILE=os.path.join(tmp, "audit.jsonl"))
            return Server("cognito-mcp", [args.bin, "serve", "--transport", "http", "--bind", f"127.0.0.1:{port}"],
                          env, f"http://127.0.0.1:{port}/mcp")

        def fast(port):
            return Server("FastMCP", [os.path.join(args.peers, "fastmcp-venv/bin/python"),
                                      os.path.join(HERE, "fastmcp_server.py"), pem, issuer, client_id, str(port)],
                          dict(os.environ), f"http://127.0.0.1:{port}/mcp")

        results = {}
        for make in (ours, fast):
            # Cold start: exec to the first authenticated 200, median of several.
            times = []
            for _ in range(starts):
                s = make(free_port())
                t0 = time.monotonic()
                proc = s.start()
                wait_ready(s.url, token, proc)
                times.append((time.monotonic() - t0) * 1000.0)
                s.stop()
            s = make(free_port())
            servers.append(s)
            proc = s.start()
            wait_ready(s.url, token, proc)
            status, body = call(s.url, token)
            assert status == 200 and b"bench" in body, body[:300]
            time.sleep(1.0)
            idle = rss_kb(proc.pid)
            wrk(s.url, token, 2, 16)  # warm-up
            t0 = cpu_ticks(proc.pid)
            load = wrk(s.url, token, duration, 16)
            cpu_us = (cpu_ticks(proc.pid) - t0) * 1e6 / os.sysconf("SC_CLK_TCK") / max(1, load["requests"])
            loaded_rss = rss_kb(proc.pid)
            results[s.name] = {"cold_ms": statistics.median(times), "idle_kb": idle, "load": load,
                               "cpu_us": cpu_us, "loaded_kb": loaded_rss, "proc": proc, "server": s}

        fast_rps = results["FastMCP"]["load"]["rps"]
        rate = max(16, int(fast_rps * 0.5) // 16 * 16)
        for name, r in results.items():
            r["fixed"] = hey(r["server"].url, token, rate, duration, 16)
            r["server"].stop()

        o, f = results["cognito-mcp"], results["FastMCP"]

        def ratio(a, b):
            return f"{a / b:.1f}x" if a and b else "n/a"
        rows = [
            ("tools/call whoami, wrk -t1 -c16 (req/s)", f"{o['load']['rps']:.0f}", f"{f['load']['rps']:.0f}",
             ratio(o["load"]["rps"], f["load"]["rps"]) + " more"),
            ("server CPU per call (us)", f"{o['cpu_us']:.0f}", f"{f['cpu_us']:.0f}", ratio(f["cpu_us"], o["cpu_us"]) + " less"),
            (f"p50 at {rate} req/s (ms)", f"{o['fixed']['p50_ms']:.2f}", f"{f['fixed']['p50_ms']:.2f}",
             ratio(f["fixed"]["p50_ms"], o["fixed"]["p50_ms"]) + " lower"),
            (f"p99 at {rate} req/s (ms)", f"{o['fixed']['p99_ms']:.2f}", f"{f['fixed']['p99_ms']:.2f}",
             ratio(f["fixed"]["p99_ms"], o["fixed"]["p99_ms"]) + " lower"),
            ("p99 under wrk -c16 (ms)", wrk_p99(o), wrk_p99(f), ratio(float(wrk_p99(f)), float(wrk_p99(o))) + " lower"),
            ("RSS idle (MB)", f"{o['idle_kb'] / 1024:.1f}", f"{f['idle_kb'] / 1024:.1f}", ratio(f["idle_kb"], o["idle_kb"]) + " less"),
            ("RSS under load (MB)", f"{o['loaded_kb'] / 1024:.1f}", f"{f['loaded_kb'] / 1024:.1f}",
             ratio(f["loaded_kb"], o["loaded_kb"]) + " less"),
            ("cold start to first authenticated 200 (ms, median)", f"{o['cold_ms']:.1f}", f"{f['cold_ms']:.1f}",
             ratio(f["cold_ms"], o["cold_ms"]) + " faster"),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"\n{'measure':<{width}}  {'cognito-mcp':>12}  {'FastMCP':>10}  ratio")
        for r in rows:
            print(f"{r[0]:<{width}}  {r[1]:>12}  {r[2]:>10}  {r[3]}")
        for name, r in results.items():
            bad = r["load"]["non2xx"]
            if bad:
                print(f"warning: {name} answered {bad} non-2xx responses under wrk", file=sys.stderr)
            print(f"{name}: hey status codes {r['fixed']['codes']}", file=sys.stderr)
    finally:
        for s in servers:
            s.stop()
        moto.terminate()
        moto.wait()


def wrk_p99(r):
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", r["load"]["raw"])
    return f"{to_ms(m.group(1), m.group(2)):.2f}" if m else "0"


if __name__ == "__main__":
    main()
