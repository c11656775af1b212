#!/usr/bin/env python3
"""Run a Lambda function's executable locally under an emulated Lambda Runtime API.

    python3 scripts/lambda-invoke.py --event FILE [--event FILE ...] [--env K=V ...]
                                     [--timeout SECS] -- CMD [ARGS...]

Serves the Runtime API (2018-06-01) on a free 127.0.0.1 port, starts CMD with
AWS_LAMBDA_RUNTIME_API pointing at it and the variables the Lambda runtime sets, hands it the
events in order (one per GET .../invocation/next), and prints to stdout one JSON line
{"init_ms": ...} (spawn to the first GET .../next), then one line per event:

    {"ok": true,  "response": <parsed JSON, or the body as a string>, "ms": <float>}
    {"ok": false, "error": <the posted error body, parsed when JSON>,  "ms": <float>}

where ms runs from handing out the event to its answer. Then it stops CMD (SIGTERM, SIGKILL
after 2 s) and exits 0. CMD's stderr and stdout go to this script's stderr.

CMD's environment is this script's, plus AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT,
AWS_LAMBDA_FUNCTION_NAME (CMD's base name), AWS_LAMBDA_FUNCTION_VERSION=$LATEST,
AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128, AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/NAME,
AWS_LAMBDA_LOG_STREAM_NAME, AWS_REGION (us-east-1 when not already set) and _HANDLER (CMD's
base name), then every --env, which may override any of them. Each /next carries
Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms (now + --timeout),
Lambda-Runtime-Invoked-Function-Arn and Lambda-Runtime-Trace-Id.

Exits 2 with a message on stderr when CMD exits before answering every event (with its exit
status), when it reports an init error (POST .../init/error; the line {"init_error": <body>,
"ms": <since spawn>} is printed first), on --timeout (default 30 s, for the whole run), or on
bad arguments. Python 3 standard library only.
"""

import argparse
import http.server
import json
import os
import secrets
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid

API_PREFIX = "/2018-06-01/runtime"
ACCOUNT_ID = "000000000000"


def fail(message):
    print(f"lambda-invoke: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="lambda-invoke.py",
        usage="%(prog)s --event FILE [--event FILE ...] [--env K=V ...] [--timeout SECS] -- CMD [ARGS...]",
        description=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--event", action="append", required=True, metavar="FILE",
                        help="an event payload file; repeat for several invocations, in order")
    parser.add_argument("--env", action="append", default=[], metavar="K=V",
                        help="an environment variable for CMD; repeatable")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECS",
                        help="limit for the whole run (default 30)")
    split = argv.index("--") if "--" in argv else len(argv)
    options, command = argv[:split], argv[split + 1 :]
    if "-h" in options or "--help" in options:
        parser.print_help()
        sys.exit(0)
    if not command:
        fail("no command: put the function's command after `--`")
    args = parser.parse_args(options)
    if args.timeout <= 0:
        fail("--timeout must be positive")
    env = {}
    for pair in args.env:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--env {pair!r} is not K=V")
        env[key] = value
    events = []
    for path in args.event:
        try:
            with open(path, "rb") as f:
                events.append(f.read())
        except OSError as e:
            fail(f"cannot read event file {path}: {e.strerror}")
    return events, env, args.timeout, command


def parse_body(body):
    """The body as JSON when it is JSON, else as text."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def trace_id():
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


class Emulator:
    """The invocation state shared by the HTTP handlers and the main thread."""

    def __init__(self, events, function_name, region, timeout):
        self.events = events
        self.function_name = function_name
        self.region = region
        self.timeout = timeout
        self.cond = threading.Condition()
        self.next_index = 0  # the next event to hand out
        self.pending = {}  # request id -> (event index, time handed out)
        self.results = [None] * len(events)
        self.first_next = None  # perf_counter of the first GET /next
        self.init_error = None  # (body, perf_counter)
        self.stopping = False

    def done(self):
        return all(result is not None for result in self.results)

    def next_event(self):
        """Blocks until an event is available (or the run stops); returns its (id, index)."""
        with self.cond:
            if self.first_next is None:
                self.first_next = time.perf_counter()
                self.cond.notify_all()
            while self.next_index >= len(self.events) and not self.stopping:
                self.cond.wait()
            if self.stopping:
                return None
            index = self.next_index
            self.next_index += 1
            request_id = str(uuid.uuid4())
            self.pending[request_id] = (index, time.perf_counter())
            return request_id, index

    def answer(self, request_id, ok, body):
        with self.cond:
            entry = self.pending.pop(request_id, None)
            if entry is None:
                return False
            index, started = entry
            ms = (time.perf_counter() - started) * 1000.0
            parsed = parse_body(body)
            self.results[index] = (
                {"ok": True, "response": parsed, "ms": ms}
                if ok
                else {"ok": False, "error": parsed, "ms": ms}
            )
            self.cond.notify_all()
            return True

    def report_init_error(self, body):
        with self.cond:
            if self.init_error is None:
                self.init_error = (parse_body(body), time.perf_counter())
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()


def make_handler(emulator):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

        def read_body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def send(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def send_json(self, status, value):
            self.send(status, json.dumps(value).encode(), [("Content-Type", "application/json")])

        def do_GET(self):
            if self.path != f"{API_PREFIX}/invocation/next":
                self.send_json(404, {"errorMessage": f"unknown path {self.path}", "errorType": "NotFound"})
                return
            handed = emulator.next_event()
            if handed is None:
                self.close_connection = True
                self.send_json(410, {"errorMessage": "the emulator is stopping", "errorType": "Gone"})
                return
            request_id, index = handed
            deadline_ms = int(time.time() * 1000 + emulator.timeout * 1000)
            arn = f"arn:aws:lambda:{emulator.region}:{ACCOUNT_ID}:function:{emulator.function_name}"
            self.send(200, emulator.events[index], [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                ("Lambda-Runtime-Invoked-Function-Arn", arn),
                ("Lambda-Runtime-Trace-Id", trace_id()),
            ])

        def do_POST(self):
            body = self.read_body()
            path = self.path
            if path == f"{API_PREFIX}/init/error":
                emulator.report_init_error(body)
                self.send_json(202, {"status": "OK"})
                return
            prefix = f"{API_PREFIX}/invocation/"
            if path.startswith(prefix):
                request_id, _, kind = path[len(prefix):].partition("/")
                if kind in ("response", "error"):
                    if emulator.answer(request_id, kind == "response", body):
                        self.send_json(202, {"status": "OK"})
                    else:
                        self.send_json(400, {"errorMessage": f"unknown or answered request id {request_id}",
                                             "errorType": "InvalidRequestID"})
                    return
            self.send_json(404, {"errorMessage": f"unknown path {path}", "errorType": "NotFound"})

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A function stopped while it long-polls /next drops its connection: not news.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def stop_child(child):
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=2)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def describe_status(code):
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


def emit(line):
    print(json.dumps(line), flush=True)


def main(argv):
    events, extra_env, timeout, command = parse_args(argv)
    name = os.path.basename(command[0]) or "function"
    env = dict(os.environ)
    region = extra_env.get("AWS_REGION") or env.get("AWS_REGION") or "us-east-1"
    function_name = extra_env.get("AWS_LAMBDA_FUNCTION_NAME", name)
    emulator = Emulator(events, function_name, region, timeout)
    server = Server(("127.0.0.1", 0), make_handler(emulator))
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{secrets.token_hex(16)}",
        "_HANDLER": name,
    })
    env.setdefault("AWS_REGION", region)
    env.update(extra_env)

    started = time.perf_counter()
    try:
        child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno())
    except OSError as e:
        server.shutdown()
        fail(f"cannot start {command[0]}: {e.strerror}")

    printed_init = False
    printed = 0
    outcome = None  # None: success; else the message to exit 2 with
    deadline = started + timeout
    with emulator.cond:
        while True:
            if not printed_init and emulator.first_next is not None:
                emit({"init_ms": (emulator.first_next - started) * 1000.0})
                printed_init = True
            while printed < len(events) and emulator.results[printed] is not None:
                emit(emulator.results[printed])
                printed += 1
            if emulator.init_error is not None:
                body, at = emulator.init_error
                emit({"init_error": body, "ms": (at - started) * 1000.0})
                outcome = "the function reported an init error"
                break
            if printed == len(events):
                break
            code = child.poll()
            if code is not None:
                outcome = (f"{command[0]} exited with {describe_status(code)} after answering "
                           f"{printed} of {len(events)} events")
                break
            now = time.perf_counter()
            if now >= deadline:
                outcome = (f"timed out after {timeout:g} s with {printed} of {len(events)} events "
                           f"answered")
                break
            emulator.cond.wait(timeout=min(0.05, deadline - now))

    if outcome is not None and emulator.init_error is not None:
        # Give the function a moment to exit by itself after reporting, for its status.
        try:
            child.wait(timeout=2)
            outcome += f"; {command[0]} exited with {describe_status(child.returncode)}"
        except subprocess.TimeoutExpired:
            pass
    stop_child(child)
    emulator.stop()
    server.shutdown()
    server.server_close()
    if outcome is not None:
        fail(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
