// TypeScript SDK peer for the benchmark (@modelcontextprotocol/sdk, the official one): the SDK's
// Streamable HTTP transport, stateless (a server and a transport per request, as the SDK's own
// stateless example does), JSON responses, and the SDK's bearer middleware with a verifier that
// checks the same RS256 token as cognito-mcp (jose: signature, issuer, audience, expiry) and
// requires the scope mcp/read. One tool, whoami, returns the token's claims.
//
//   node ts_sdk_server.mjs PEM_FILE ISSUER AUDIENCE PORT
import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { importSPKI, jwtVerify } from 'jose';

const [pemFile, issuer, audience, port] = process.argv.slice(2);
const key = await importSPKI(readFileSync(pemFile, 'utf8'), 'RS256');

const verifier = {
  async verifyAccessToken(token) {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, { issuer, audience, algorithms: ['RS256'] }));
    } catch (e) {
      throw new InvalidTokenError(`invalid token: ${e.code ?? e.message}`);
    }
    return {
      token,
      clientId: String(payload.client_id ?? ''),
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
      expiresAt: payload.exp,
      extra: { claims: payload },
    };
  },
};

function newServer() {
  const server = new McpServer({ name: 'ts-sdk-bench', version: '0' });
  server.registerTool('whoami', { description: "Returns the caller's token claims." }, async (extra) => {
    const auth = extra.authInfo;
    const out = { client_id: auth.clientId, scopes: auth.scopes, claims: auth.extra.claims };
    return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
  });
  return server;
}

const app = createMcpExpressApp({ host: '127.0.0.1' });
app.post('/mcp', requireBearerAuth({ verifier, requiredScopes: ['mcp/read'] }), async (req, res) => {
  const server = newServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    transport.close();
    server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.listen(Number(port), '127.0.0.1');
