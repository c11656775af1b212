"""One quota for the fleet: N instances of the server, each creating its own users with one
bulk `create_users` call at the same time, through the official Python SDK over stdio, against
moto behind the loopback quota proxy of bulk_create.py (AdminCreateUser throttled past QUOTA
requests in any one-second window, with Cognito's TooManyRequestsException).

Three ways, each in a fresh pool:
  shared  every instance at the full quota, one schedule in Redis (pacing.shared = "redis")
  split   every instance at quota / N, pacing alone (the way without Redis)
  alone   every instance at the full quota, pacing alone (what the fleet did before)

Prints a table: total users a second against the quota, the throttling answers the proxy gave,
and the users that failed.

Usage: fleet_pacing.py --bin PATH --python-moto PATH [--instances 3] [--users-each 200]
       [--quota 50]
"""

import argparse
import asyncio
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bulk_create import ROOT, Quota, cognito, proxy, server_env, users


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis():
    port = free_port()
    d = tempfile.mkdtemp(prefix="fleet-redis-")
    r = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", d],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return r, f"redis://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


async def instance(args, endpoint, pool_id, config, redis_url, prefix, n, ready, go):
    env = server_env(endpoint, pool_id) | {"COGNITO_MCP_REDIS_URL": redis_url}
    params = StdioServerParameters(command=args.bin, args=["serve", "--config", config], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            ready.release()
            await go.wait()
            r = await session.call_tool("create_users", {"users": users(prefix, n)})
            report = r.structured_content or {}
            return n - report.get("counts", {}).get("done", 0)


async def run_way(args, moto_port, endpoint, quota, way, redis_url):
    pool = cognito(moto_port, "CreateUserPool", {"PoolName": f"fleet-{way}"})
    pool_id = pool["UserPool"]["Id"]
    rate = args.quota / args.instances if way == "split" else args.quota
    shared = 'shared = "redis"\n' if way == "shared" else ""
    d = Path(tempfile.mkdtemp(prefix=f"fleet-{way}-"))
    config = d / "cognito-mcp.toml"
    config.write_text(
        f"[pacing]\nuser_creation = {rate}\n{shared}\n[safety]\nbulk_confirm_threshold = 100000\n"
        f"[auth]\nredis_namespace = \"fleet-{way}\"\n"
    )
    ready = asyncio.Semaphore(0)
    go = asyncio.Event()
    tasks = [
        asyncio.create_task(
            instance(args, endpoint, pool_id, str(config), redis_url, f"{way}{i}", args.users_each, ready, go)
        )
        for i in range(args.instances)
    ]
    for _ in tasks:
        await ready.acquire()
    quota.reset()
    start = time.monotonic()
    go.set()
    failed = sum(await asyncio.gather(*tasks))
    elapsed = time.monotonic() - start
    return elapsed, quota.throttled, failed


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--python-moto", required=True)
    p.add_argument("--instances", type=int, default=3)
    p.add_argument("--users-each", type=int, default=200)
    p.add_argument("--quota", type=float, default=50.0)
    args = p.parse_args()

    moto = subprocess.Popen(
        [args.python_moto, str(ROOT / "scripts/moto-server.py"), "--until-stdin-closes"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    moto_port = int(moto.stdout.readline().strip().split("=", 1)[1])
    redis, redis_url = start_redis()
    rows = []
    try:
        quota = Quota(args.quota, 0)
        server = proxy(moto_port, quota)
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        for way in ("shared", "split", "alone"):
            rows.append((way, await run_way(args, moto_port, endpoint, quota, way, redis_url)))
        server.shutdown()
    finally:
        redis.terminate()
        moto.stdin.close()
        moto.wait(timeout=10)

    total = args.instances * args.users_each
    print(
        f"# {args.instances} instances x {args.users_each} users, AdminCreateUser quota "
        f"{args.quota:g}/s (proxy), one create_users call each, at once"
    )
    print("| pacing | rate per instance | wall time | users/s | of the quota | throttled | failed |")
    print("|---|---|---|---|---|---|---|")
    for way, (elapsed, throttled, failed) in rows:
        rate = args.quota / args.instances if way == "split" else args.quota
        done = total - failed
        print(
            f"| {way} | {rate:g}/s | {elapsed:.1f} s | {done / elapsed:.1f} | "
            f"{done / elapsed / args.quota:.0%} | {throttled} | {failed} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
