"""Cold start on AWS Lambda, emulated locally (run it through bench/lambda-cold-start).

Starts moto, bootstraps a pool, signs a ReadOnly user in (a moto-issued access token), then,
N times and alternating so both see the same machine load, measures the same release binary:

  lambda: `bootstrap` with no arguments under scripts/lambda-invoke.py, given one Function URL
          event (POST /mcp tools/list, base64 body, the bearer token): init = spawn to the
          first GET /runtime/invocation/next, answer = event handed out to the response posted.
  http:   `serve --transport http --bind 127.0.0.1:0`: init = spawn to `listening on` on
          stdout, answer = the same tools/list POSTed on a fresh connection to its 200.

Prints medians (and the 90th percentile of the total), the ratio of the totals, the binary's
size, and the size of a zip holding it as `bootstrap` (what cargo lambda builds).
"""
import argparse
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOMAIN = "k3zq7x2mvb6w4n8p1r5t9y0c2d4f6g8h.lambda-url.us-east-1.on.aws"
PASSWORD = "Correct-Horse-42"
TOOLS_LIST = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})


def start_moto(python):
    moto = subprocess.Popen([python, os.path.join(ROOT, "scripts/moto-server.py"), "--until-stdin-closes"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = moto.stdout.readline().strip()
    if not line.startswith("MOTO_PORT="):
        raise SystemExit(f"moto printed {line!r}")
    return moto, f"http://127.0.0.1:{line.split('=', 1)[1]}"


def reader_token(endpoint, pool_id, client_id):
    idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint,
                       aws_access_key_id="bench", aws_secret_access_key="bench")
    idp.admin_create_user(UserPoolId=pool_id, Username="bench", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="bench", Password=PASSWORD, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="bench", GroupName="ReadOnly")
    auth = idp.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "bench", "PASSWORD": PASSWORD})
    return auth["AuthenticationResult"]["AccessToken"]


def function_url_event(token):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/mcp", "rawQueryString": "",
        "headers": {
            "host": DOMAIN, "content-type": "application/json",
            "accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25",
            "authorization": f"Bearer {token}", "x-forwarded-proto": "https", "x-forwarded-port": "443",
            "x-forwarded-for": "198.51.100.23",
        },
        "requestContext": {
            "accountId": "anonymous", "apiId": DOMAIN.split(".")[0], "domainName": DOMAIN,
            "domainPrefix": DOMAIN.split(".")[0], "requestId": "bench", "routeKey": "$default",
            "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000,
            "http": {"method": "POST", "path": "/mcp", "protocol": "HTTP/1.1", "sourceIp": "198.51.100.23",
                     "userAgent": "bench"},
        },
        "body": base64.b64encode(TOOLS_LIST.encode()).decode(), "isBase64Encoded": True,
    }


def tool_count(body):
    return len(json.loads(body)["result"]["tools"])


def lambda_start(binary, event_file, env):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/lambda-invoke.py"), "--event", event_file,
                          "--", binary], env=env, capture_output=True, text=True, timeout=60)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    if out.returncode != 0 or len(lines) != 2 or not lines[1].get("ok"):
        raise SystemExit(f"lambda run failed: {out.stdout}\n{out.stderr[-2000:]}")
    response = lines[1]["response"]
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body)
    if response["statusCode"] != 200 or tool_count(body) == 0:
        raise SystemExit(f"lambda answered {response['statusCode']}: {body[:300]}")
    return lines[0]["init_ms"], lines[1]["ms"]


def http_start(binary, token, env):
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", "--transport", "http", "--bind", "127.0.0.1:0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        ready = time.perf_counter()
        if not line.startswith("listening on "):
            raise SystemExit(f"http server printed {line!r}")
        url = line.split(" ", 2)[2].strip() + "/mcp"
        req = urllib.request.Request(url, data=TOOLS_LIST.encode(), method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25", "Authorization": f"Bearer {token}"})
        sent = time.perf_counter()
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            status = r.status
        done = time.perf_counter()
        if status != 200 or tool_count(body) == 0:
            raise SystemExit(f"http answered {status}: {body[:300]}")
        return (ready - t0) * 1000.0, (done - sent) * 1000.0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def p90(values):
    return statistics.quantiles(values, n=10)[-1] if len(values) >= 2 else values[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print the raw samples as JSON too")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cognito-mcp-lambda-bench-")
    moto, endpoint = start_moto(sys.executable)
    try:
        base_env = {
            "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint,
        }
        pool = json.loads(subprocess.run([args.bin, "bootstrap", "--no-admin", "--json"], env=base_env,
                                         capture_output=True, text=True, check=True).stdout)
        env = dict(base_env, COGNITO_USER_POOL_ID=pool["user_pool_id"], COGNITO_CLIENT_ID=pool["client_id"])
        token = reader_token(endpoint, pool["user_pool_id"], pool["client_id"])
        event_file = os.path.join(tmp, "event.json")
        with open(event_file, "w") as f:
            json.dump(function_url_event(token), f)
        http_env = dict(env, COGNITO_MCP_AUDIT_FILE=os.path.join(tmp, "audit.jsonl"))

        samples = {"lambda": [], "http": []}
        # One of each first, not counted: the binary's pages in the page cache, moto warm.
        lambda_start(args.bin, event_file, env)
        http_start(args.bin, token, http_env)
        for _ in range(args.runs):
            samples["lambda"].append(lambda_start(args.bin, event_file, env))
            samples["http"].append(http_start(args.bin, token, http_env))

        zip_path = os.path.join(tmp, "cognito-mcp.zip")
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(args.bin, "rb") as f:
                z.writestr(info, f.read())

        def med(kind, i):
            return statistics.median(s[i] for s in samples[kind])

        def total(kind):
            return [s[0] + s[1] for s in samples[kind]]

        rows = [
            ("init: spawn to ready (ms, median)", med("lambda", 0), med("http", 0)),
            ("first authenticated tools/list (ms, median)", med("lambda", 1), med("http", 1)),
            ("cold start total (ms, median)", statistics.median(total("lambda")), statistics.median(total("http"))),
            ("cold start total (ms, p90)", p90(total("lambda")), p90(total("http"))),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"\n{args.runs} cold starts each, alternating; release binary {args.bin}")
        print(f"{'measure':<{width}}  {'lambda':>8}  {'http':>8}  lambda/http")
        for name, a, b in rows:
            print(f"{name:<{width}}  {a:>8.1f}  {b:>8.1f}  {a / b:.2f}x")
        print(f"binary: {os.path.getsize(args.bin) / 1e6:.1f} MB; zip with it as bootstrap: "
              f"{os.path.getsize(zip_path) / 1e6:.1f} MB")
        if args.json:
            print(json.dumps(samples))
    finally:
        moto.stdin.close()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
