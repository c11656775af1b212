#!/usr/bin/env python3
"""Runs moto's server (the local Cognito) on 127.0.0.1.

Prints `MOTO_PORT=<port>` on stdout once it accepts connections. With --until-stdin-closes it
exits when its standard input reaches end of file, so a test harness that dies can never leave
it running: the pipe closes with the harness.

    moto-server.py [--port N] [--until-stdin-closes]
"""
import argparse
import sys

from moto.moto_server.threaded_moto_server import ThreadedMotoServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--until-stdin-closes", action="store_true")
    args = parser.parse_args()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"MOTO_PORT={port}", flush=True)
    try:
        if args.until_stdin_closes:
            while sys.stdin.buffer.read(4096):
                pass
        else:
            import threading

            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
