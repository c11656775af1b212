"""FastMCP 4.x peer for the benchmark: JWTVerifier with the same RS256 key, issuer, audience and
scope check as cognito-mcp, and a tool that returns the caller's token claims.

    python fastmcp_server.py PEM_FILE ISSUER AUDIENCE PORT
"""
import sys

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier
from fastmcp.server.dependencies import get_access_token

pem_file, issuer, audience, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
verifier = JWTVerifier(
    public_key=open(pem_file).read(),
    issuer=issuer,
    audience=audience,
    algorithm="RS256",
    required_scopes=["mcp/read"],
)
mcp = FastMCP("fastmcp-bench", auth=verifier)


@mcp.tool
def whoami() -> dict:
    """Returns the caller's token claims."""
    token = get_access_token()
    return {"client_id": token.client_id, "scopes": token.scopes, "claims": token.claims}


mcp.run(
    transport="http",
    host="127.0.0.1",
    port=port,
    path="/mcp",
    stateless_http=True,
    json_response=True,
    show_banner=False,
    log_level="warning",
)
