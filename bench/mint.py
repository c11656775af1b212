"""Mints the benchmark token with moto's Cognito key and writes moto's public key as PEM.

    python mint.py POOL_ID CLIENT_ID PEM_OUT  -> prints the token
"""
import json
import sys
import time

from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

pool, client, pem_out = sys.argv[1:4]
key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
with open(pem_out, "wb") as f:
    f.write(key.as_pem(private=False))
now = int(time.time())
claims = {
    "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
    "sub": "bench-user",
    "client_id": client,
    "aud": client,
    "token_use": "access",
    "scope": "mcp/read",
    "username": "bench",
    "cognito:groups": ["ReadOnly"],
    "iat": now,
    "auth_time": now,
    "exp": now + 6 * 3600,
    "jti": "bench",
}
print(jwt.encode({"alg": "RS256", "kid": key.kid or "dummy"}, claims, key))
