// A real MCP client doing OAuth by itself: the official TypeScript SDK (.peers/npm, 1.32.2) with an
// in-memory OAuthClientProvider whose "browser" is headlessAuthorize (./headless.mjs): it follows
// redirects with a cookie jar and approves our consent page.
//
// Usage (Node 22, in place):
//   node ts_oauth_client.mjs URL CLIENT_NAME [TOOL [JSON_ARGS]]
//        [--redirect-uri URI] [--auth-method none|client_secret_basic|client_secret_post]
//        [--scope S] [--choice approve|deny]
//   URL is the MCP endpoint (http://127.0.0.1:PORT/mcp). CLIENT_NAME goes to /register: the
//   server's public-client patterns decide whether the client gets a secret. --auth-method is sent
//   as token_endpoint_auth_method when given (else the server chooses). --scope is the client
//   metadata's scope, which the SDK uses only when neither WWW-Authenticate nor the protected
//   resource metadata names scopes.
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
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { headlessAuthorize, peerRequire } from "./headless.mjs";

const sdk = peerRequire("npm");
const { Client } = sdk("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = sdk("@modelcontextprotocol/sdk/client/streamableHttp.js");
const { UnauthorizedError } = sdk("@modelcontextprotocol/sdk/client/auth.js");

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "redirect-uri": { type: "string", default: "http://127.0.0.1:53682/oauth/callback" },
    "auth-method": { type: "string" },
    scope: { type: "string" },
    choice: { type: "string", default: "approve" },
  },
});
const [serverUrl, clientName, toolName, toolArgs] = positionals;
if (!serverUrl || !clientName) {
  console.error("usage: ts_oauth_client.mjs URL CLIENT_NAME [TOOL [JSON_ARGS]] [--redirect-uri URI] [--auth-method M] [--scope S]");
  process.exit(2);
}

let step = "first";
// undici hides the reason of a network error ("fetch failed") in `cause`.
const errorText = (e) => String(e?.message ?? e) + (e?.cause ? `: ${e.cause.message ?? e.cause}` : "");
function fail(e) {
  const message = e?.stack ?? String(e);
  console.log(JSON.stringify({ step, error: errorText(e) }));
  console.error(`ts_oauth_client: ${step} failed: ${message}`);
  process.exit(1);
}

// What a desktop client keeps in its settings file, here in memory.
class MemoryProvider {
  #client;
  #tokens;
  #verifier;
  #state;
  #discovery;
  authorization; // what came back on the redirect URI
  get redirectUrl() {
    return opt["redirect-uri"];
  }
  get clientMetadata() {
    const m = {
      client_name: clientName,
      redirect_uris: [opt["redirect-uri"]],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    };
    if (opt["auth-method"]) m.token_endpoint_auth_method = opt["auth-method"];
    if (opt.scope) m.scope = opt.scope;
    return m;
  }
  state() {
    this.#state = randomBytes(16).toString("base64url");
    return this.#state;
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(t) {
    this.#tokens = t;
  }
  saveCodeVerifier(v) {
    this.#verifier = v;
  }
  codeVerifier() {
    return this.#verifier;
  }
  saveDiscoveryState(s) {
    this.#discovery = s;
  }
  discoveryState() {
    return this.#discovery;
  }
  // The SDK leaves state and iss (RFC 9207) to the application: check both here.
  async redirectToAuthorization(url) {
    const a = await headlessAuthorize(url, opt["redirect-uri"], { choice: opt.choice });
    if (a.error) throw new Error(`authorization refused: ${a.error} ${a.error_description ?? ""} (${a.redirect})`);
    if (a.state !== this.#state) throw new Error(`state mismatch: sent ${this.#state}, got ${a.state}`);
    const issuer = this.#discovery?.authorizationServerMetadata?.issuer;
    if (issuer && a.iss !== undefined && a.iss !== issuer) throw new Error(`iss ${a.iss} is not the metadata issuer ${issuer}`);
    this.authorization = { ...a, authorization_url: String(url) };
  }
  // Forces the next request to be refused so the SDK's refresh path runs.
  spoilAccessToken() {
    this.#tokens = { ...this.#tokens, access_token: "spoiled-" + randomBytes(8).toString("hex") };
  }
}

function claimsOf(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

function toolValue(result) {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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

const provider = new MemoryProvider();
const transportFor = () => new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider, fetch: loggingFetch });

let client;
try {
  // First connection: 401, discovery, registration, redirectToAuthorization, then UnauthorizedError
  // (the SDK's signal that a browser is out there); finishAuth exchanges the code.
  const first = transportFor();
  try {
    await new Client({ name: "cognito-mcp-ts-oauth-test", version: "1.0.0" }).connect(first);
    throw new Error("connected without authorization: the server did not answer 401");
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  if (!provider.authorization?.code) throw new Error("the SDK never asked for authorization");
  await first.finishAuth(provider.authorization.code);

  client = new Client({ name: "cognito-mcp-ts-oauth-test", version: "1.0.0" });
  await client.connect(transportFor());
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
