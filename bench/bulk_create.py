"""Bulk user creation, side by side: our `create_users` against the same users created one
`create_user` call at a time, through the same MCP client (the official Python SDK over
stdio), against moto behind a loopback proxy that acts like Cognito's quota.

The proxy throttles AdminCreateUser past QUOTA requests per second (Cognito's default
UserCreation quota is 50) with the same TooManyRequestsException Cognito sends, and can add a
fixed latency per request (real Cognito is tens of milliseconds away; moto is not). Each run
gets a fresh pool. Prints a table: wall time per way, the ratio, and the throttling answers each
way received (counted by the proxy).

Usage: bulk_create.py --bin PATH --python-moto PATH [--users 500] [--quota 50]
       [--latency-ms 0,30]
"""

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parent.parent


class Quota:
    """Cognito's quota on one operation, and what the proxy saw."""

    def __init__(self, per_second, latency):
        self.per_second = per_second
        self.latency = latency
        self.lock = threading.Lock()
        self.window = deque()
        self.throttled = 0
        self.requests = 0

    def admit(self):
        with self.lock:
            self.requests += 1
            now = time.monotonic()
            while self.window and now - self.window[0] >= 1.0:
                self.window.popleft()
            if len(self.window) >= self.per_second:
                self.throttled += 1
                return False
            self.window.append(now)
            return True

    def reset(self):
        with self.lock:
            self.window.clear()
            self.throttled = 0
            self.requests = 0


def proxy(upstream_port, quota):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            target = self.headers.get("x-amz-target", "")
            if quota.latency:
                time.sleep(quota.latency)
            if target.endswith(".AdminCreateUser") and not quota.admit():
                payload = b'{"__type":"TooManyRequestsException","message":"Rate exceeded"}'
                self.send_response(400)
                self.send_header("content-type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-errortype", "TooManyRequestsException:")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            conn.request("POST", self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def cognito(port, op, payload):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/",
        body=json.dumps(payload),
        headers={
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": f"AWSCognitoIdentityProviderService.{op}",
            "authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    r = conn.getresponse()
    out = json.loads(r.read() or b"{}")
    conn.close()
    return out


def users(prefix, n):
    return [
        {"username": f"{prefix}-{i:04}", "email": f"{prefix}-{i:04}@example.com", "suppress_invitation": True}
        for i in range(n)
    ]


def server_env(endpoint, pool_id):
    """The environment of a server on moto (through the proxy at `endpoint`) for `pool_id`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint,
        "COGNITO_USER_POOL_ID": pool_id,
        "COGNITO_MCP_AUDIT_FILE": "/dev/null",
    }


async def run_way(args, endpoint, pool_id, way, n, quota):
    env = server_env(endpoint, pool_id)
    params = StdioServerParameters(command=args.bin, args=["serve"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            quota.reset()
            start = time.monotonic()
            failed = 0
            if way == "bulk":
                r = await session.call_tool(
                    "create_users", {"users": users(way, n), "confirm": f"{n} users"}
                )
                report = r.structured_content or {}
                failed = n - report.get("counts", {}).get("done", 0)
                if r.is_error:
                    print(r.content, file=sys.stderr)
            else:
                for u in users(way, n):
                    r = await session.call_tool("create_user", u)
                    failed += bool(r.is_error)
            elapsed = time.monotonic() - start
            return elapsed, quota.throttled, quota.requests, failed


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--python-moto", required=True)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--quota", type=float, default=50.0)
    p.add_argument("--latency-ms", default="0,30")
    args = p.parse_args()

    moto = subprocess.Popen(
        [args.python_moto, str(ROOT / "scripts/moto-server.py"), "--until-stdin-closes"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = moto.stdout.readline().strip()
    moto_port = int(line.split("=", 1)[1])
    rows = []
    try:
        for latency_ms in [int(x) for x in args.latency_ms.split(",")]:
            quota = Quota(args.quota, latency_ms / 1000.0)
            server = proxy(moto_port, quota)
            endpoint = f"http://127.0.0.1:{server.server_address[1]}"
            result = {}
            for way in ("bulk", "single"):
                pool = cognito(moto_port, "CreateUserPool", {"PoolName": f"bench-{way}-{latency_ms}"})
                pool_id = pool["UserPool"]["Id"]
                result[way] = await run_way(args, endpoint, pool_id, way, args.users, quota)
            server.shutdown()
            rows.append((latency_ms, result))
    finally:
        moto.stdin.close()
        moto.wait(timeout=10)

    print(f"# {args.users} users, AdminCreateUser quota {args.quota:g}/s (proxy), default pacing")
    print("| latency per request | create_users (one call) | create_user x N (one at a time) | ratio | throttled: bulk / single | failed: bulk / single |")
    print("|---|---|---|---|---|---|")
    for latency_ms, r in rows:
        b, s = r["bulk"], r["single"]
        print(
            f"| {latency_ms} ms | {b[0]:.1f} s ({args.users / b[0]:.0f}/s) | {s[0]:.1f} s ({args.users / s[0]:.0f}/s) "
            f"| {s[0] / b[0]:.2f}x | {b[1]} / {s[1]} | {b[3]} / {s[3]} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
