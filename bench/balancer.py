"""A round-robin HTTP load balancer on loopback for the soak (bench/soak), standard library only.

It stands for an ALB in front of the instances:
- each request goes to the next upstream in turn, with `X-Forwarded-For` set to the client's
  address (appended to what the client sent, as a balancer does), from its own source address
  (`--source`, e.g. 127.0.0.2), so the instances can trust exactly that hop
  (`server.trusted_proxies = ["127.0.0.2/32"]`);
- an upstream that refuses the connection is marked down for a second and the request goes to
  the next one: it never reached the refusing one, so this is safe for any request (an ALB
  stops routing to a target its health check fails; this is the fast version of that);
- a fresh connection that breaks after the request was sent is not retried (the upstream may
  have acted on it): the client gets 502, as from an ALB; a kept-alive connection that fails
  is tried once more on a fresh one (the upstream may have restarted since), as HTTP clients do
  for idempotent requests; the soak's calls are read-only;
- every answer carries `x-soak-upstream: NAME`, for the soak's per-instance counts.

Usage: balancer.py --port P --upstreams NAME=host:port,... [--source 127.0.0.2]
Prints `BALANCER_PORT=P` when it listens; stops when its standard input closes.
"""

import argparse
import http.client
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-connection", "content-length"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--upstreams", required=True)
    ap.add_argument("--source", default="127.0.0.2")
    args = ap.parse_args()
    upstreams = []
    for item in args.upstreams.split(","):
        name, _, addr = item.partition("=")
        host, _, port = addr.rpartition(":")
        upstreams.append((name, host, int(port)))
    lock = threading.Lock()
    state = {"next": 0, "down_until": [0.0] * len(upstreams)}
    local = threading.local()

    def pick(skip):
        with lock:
            now = time.monotonic()
            for _ in range(len(upstreams)):
                i = state["next"] % len(upstreams)
                state["next"] += 1
                if i not in skip and state["down_until"][i] <= now:
                    return i
            # Everything is marked down: try the next one not yet tried anyway.
            for i in range(len(upstreams)):
                if i not in skip:
                    return i
        return None

    def conn_to(i):
        pool = getattr(local, "conns", None)
        if pool is None:
            pool = local.conns = {}
        c = pool.get(i)
        if c is None:
            _, host, port = upstreams[i]
            c = http.client.HTTPConnection(host, port, timeout=30, source_address=(args.source, 0))
            pool[i] = c
        return c

    def drop(i):
        c = getattr(local, "conns", {}).pop(i, None)
        if c is not None:
            c.close()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_one(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            xff = self.headers.get("x-forwarded-for")
            peer = self.client_address[0]
            headers["X-Forwarded-For"] = f"{xff}, {peer}" if xff else peer
            tried = set()
            while True:
                i = pick(tried)
                if i is None:
                    return self.answer(503, {}, b"no upstream is up\n", "-")
                tried.add(i)
                name = upstreams[i][0]
                try:
                    r, data = self.forward(i, body, headers)
                except ConnectionRefusedError:
                    # Never reached it: mark it down and go to the next.
                    with lock:
                        state["down_until"][i] = time.monotonic() + 1.0
                    continue
                except (OSError, http.client.HTTPException) as e:
                    return self.answer(502, {}, f"upstream {name}: {e!r}\n".encode(), name)
                out = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP]
                return self.answer(r.status, out, data, name)

        def forward(self, i, body, headers):
            """One request to upstream i. A kept-alive connection that fails is retried once on
            a fresh one (the upstream may have restarted since); the soak's calls are
            read-only, so a repeat is harmless. A fresh connection that fails is not retried."""
            for fresh in (False, True):
                c = conn_to(i)
                reused = c.sock is not None
                try:
                    if not reused:
                        c.connect()
                    c.request(self.command, self.path, body=body, headers=headers)
                    r = c.getresponse()
                    data = r.read()
                    if r.getheader("connection", "").lower() == "close":
                        drop(i)
                    return r, data
                except (OSError, http.client.HTTPException):
                    drop(i)
                    if not reused or fresh:
                        raise
            raise AssertionError("unreachable")

        def answer(self, status, headers, data, name):
            self.send_response(status)
            for k, v in (headers.items() if isinstance(headers, dict) else headers):
                self.send_header(k, v)
            self.send_header("x-soak-upstream", name)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = do_PUT = handle_one

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"BALANCER_PORT={server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
