#!/usr/bin/env python3
"""Signs JWTs with moto's Cognito key (kid "dummy"), for tests that need tokens moto's own
flows cannot produce: expired, not yet valid, client-credentials shaped.

Reads a JSON array of {"header": {...}, "claims": {...}} on stdin; prints a JSON array of
tokens. The header's "alg" defaults to RS256 and "kid" to moto's.
"""
import json
import sys

from joserfc import jwk, jwt
from moto.utilities.utils import load_resource


def main() -> int:
    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    items = json.load(sys.stdin)
    out = []
    for item in items:
        header = {"alg": "RS256", "kid": key.kid or "dummy", **item.get("header", {})}
        out.append(jwt.encode(header, item["claims"], key))
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
