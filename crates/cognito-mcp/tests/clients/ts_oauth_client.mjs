// A real MCP client doing OAuth by itself: the official TypeScript SDK (.peers/npm, 1.32.2) with an
// in-memory OAuthClientProvider (./ts_provider.mjs) whose "browser" is headlessAuthorize
// (./headless.mjs): it follows redirects with a cookie jar and approves our consent page.
//
// Usage (Node 22, in place):
//   node ts_oauth_client.mjs URL CLIENT_NAME [TOOL [JSON_ARGS]]
//        [--redirect-uri URI] [--auth-method none|client_secret_basic|client_secret_post]
//        [--scope S] [--choice approve|deny] [--client-metadata-url URL]
//   URL is the MCP endpoint (http://127.0.0.1:PORT/mcp). CLIENT_NAME goes to /register: the
//   server's public-client patterns decide whether the client gets a secret. --auth-method is sent
//   as token_endpoint_auth_method when given (else the server chooses). --scope is the client
//   metadata's scope, which the SDK uses only when neither WWW-Authenticate nor the protected
//   resource metadata names scopes. --client-metadata-url is the client's ID metadata document
//   (CIMD): the SDK uses that URL as its client_id where the authorization server says it
//   supports CIMD, and registers otherwise.
//
// Prints one JSON line per step on stdout:
//   {"step":"first", "client":{...registration...}, "authorization":{code,state,iss,...},
//    "scope": <token response scope>, "claims": <access token payload if a JWT, else null>,
//    "whoami": <structuredContent or text>}
//   {"step":"refreshed", "scope", "claims", "whoami", "token_requests": [grant types so far]}
//   {"step":"call", "tool", "result"} or {"step":"call", "tool", "error"}   (with TOOL only)
// The refresh goes through the SDK's own path: the stored access token is replaced by garbage, the
// server answers 401, and the transport's auth() refreshes with the stored refresh token.
// Exit: 0 ok; 1 the flow failed (message on stderr, and {"step":..., "error"} on stdout);
// 3 only the optional TOOL call failed.
import { parseArgs } from "node:util";
import { headlessAuthorize, peerRequire } from "./headless.mjs";
import { MemoryProvider, authorizeAndConnect, claimsOf, errorText, toolValue } from "./ts_provider.mjs";

const { StreamableHTTPClientTransport } = peerRequire("npm")("@modelcontextprotocol/sdk/client/streamableHttp.js");

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "redirect-uri": { type: "string", default: "http://127.0.0.1:53682/oauth/callback" },
    "auth-method": { type: "string" },
    scope: { type: "string" },
    choice: { type: "string", default: "approve" },
    "client-metadata-url": { type: "string" },
  },
});
const [serverUrl, clientName, toolName, toolArgs] = positionals;
if (!serverUrl || !clientName) {
  console.error("usage: ts_oauth_client.mjs URL CLIENT_NAME [TOOL [JSON_ARGS]] [--redirect-uri URI] [--auth-method M] [--scope S]");
  process.exit(2);
}

let step = "first";
function fail(e) {
  const message = e?.stack ?? String(e);
  console.log(JSON.stringify({ step, error: errorText(e) }));
  console.error(`ts_oauth_client: ${step} failed: ${message}`);
  process.exit(1);
}

// Token endpoint traffic, to show which grant each refresh really used.
const tokenRequests = [];
async function loggingFetch(url, init) {
  const res = await fetch(url, init);
  if (init?.method === "POST" && typeof init.body !== "undefined" && String(init.body).includes("grant_type=")) {
    tokenRequests.push({ grant_type: new URLSearchParams(String(init.body)).get("grant_type"), status: res.status });
  }
  return res;
}

const provider = new MemoryProvider({
  clientName,
  redirectUri: opt["redirect-uri"],
  authMethod: opt["auth-method"],
  scope: opt.scope,
  clientMetadataUrl: opt["client-metadata-url"],
  browse: (url) => headlessAuthorize(url, opt["redirect-uri"], { choice: opt.choice }),
});
const transportFor = () => new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider, fetch: loggingFetch });

let client;
try {
  // First connection: 401, discovery, registration, redirectToAuthorization, finishAuth.
  client = await authorizeAndConnect(provider, transportFor, "cognito-mcp-ts-oauth-test");
  const me = await client.callTool({ name: "whoami", arguments: {} });
  if (me.isError) throw new Error(`whoami failed: ${JSON.stringify(me.content)}`);
  const t = provider.tokens();
  const reg = provider.clientInformation();
  console.log(
    JSON.stringify({
      step,
      client: {
        client_id: reg.client_id,
        client_name: reg.client_name,
        token_endpoint_auth_method: reg.token_endpoint_auth_method ?? null,
        client_secret: reg.client_secret !== undefined,
        redirect_uris: reg.redirect_uris,
      },
      authorization: {
        url: provider.authorization.authorization_url,
        code: provider.authorization.code,
        state: provider.authorization.state,
        iss: provider.authorization.iss ?? null,
        hops: provider.authorization.hops,
        consent: provider.authorization.pages.map((p) => ({ url: p.url, text: p.text, form: p.form })),
        cookies: provider.authorization.cookies,
      },
      scope: t.scope ?? null,
      refresh_token: t.refresh_token !== undefined,
      claims: claimsOf(t.access_token),
      whoami: toolValue(me),
    }),
  );
} catch (e) {
  fail(e);
}

step = "refreshed";
try {
  if (!provider.tokens().refresh_token) throw new Error("the token response carried no refresh_token");
  const before = provider.tokens().access_token;
  provider.spoilAccessToken();
  const me = await client.callTool({ name: "whoami", arguments: {} });
  if (me.isError) throw new Error(`whoami failed: ${JSON.stringify(me.content)}`);
  const t = provider.tokens();
  if (!tokenRequests.some((r) => r.grant_type === "refresh_token" && r.status === 200)) {
    throw new Error(`no successful refresh_token grant: ${JSON.stringify(tokenRequests)}`);
  }
  console.log(
    JSON.stringify({
      step,
      scope: t.scope ?? null,
      new_access_token: t.access_token !== before,
      claims: claimsOf(t.access_token),
      whoami: toolValue(me),
      token_requests: tokenRequests,
    }),
  );
} catch (e) {
  fail(e);
}

let status = 0;
if (toolName) {
  step = "call";
  try {
    const result = await client.callTool({ name: toolName, arguments: toolArgs ? JSON.parse(toolArgs) : {} });
    console.log(JSON.stringify({ step, tool: toolName, result }));
    if (result.isError) status = 3;
  } catch (e) {
    console.log(JSON.stringify({ step, tool: toolName, error: errorText(e) }));
    status = 3;
  }
}
await client.close();
process.exit(status);
