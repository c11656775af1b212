// Shared by the TypeScript SDK drivers (ts_oauth_client.mjs, ts_login_client.mjs): an in-memory
// OAuthClientProvider whose "browser" is a function given to it (headlessAuthorize with or without
// a person filling the sign-in pages), and the first-connection dance of the SDK's auth().
import { randomBytes } from "node:crypto";
import { peerRequire } from "./headless.mjs";

const sdk = peerRequire("npm");
const { Client } = sdk("@modelcontextprotocol/sdk/client/index.js");
const { UnauthorizedError } = sdk("@modelcontextprotocol/sdk/client/auth.js");

// undici hides the reason of a network error ("fetch failed") in `cause`.
export const errorText = (e) => String(e?.message ?? e) + (e?.cause ? `: ${e.cause.message ?? e.cause}` : "");

// What a desktop client keeps in its settings file, here in memory.
//   clientName, redirectUri: the registration's client_name and redirect_uris.
//   authMethod, scope: token_endpoint_auth_method and scope of the registration, when given.
//   browse(url): opens the authorization URL and returns what came back on the redirect URI,
//     as headlessAuthorize does ({code, state, iss, error, ...} or {stopped, ...}).
export class MemoryProvider {
  #client;
  #tokens;
  #verifier;
  #state;
  #discovery;
  #options;
  authorization; // what came back on the redirect URI (or where the walk stopped)
  constructor(options) {
    this.#options = options;
  }
  get redirectUrl() {
    return this.#options.redirectUri;
  }
  // A client ID metadata document URL: the SDK uses it as client_id where the authorization
  // server supports CIMD, instead of registering.
  get clientMetadataUrl() {
    return this.#options.clientMetadataUrl;
  }
  get clientMetadata() {
    const m = {
      client_name: this.#options.clientName,
      redirect_uris: [this.#options.redirectUri],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    };
    if (this.#options.authMethod) m.token_endpoint_auth_method = this.#options.authMethod;
    if (this.#options.scope) m.scope = this.#options.scope;
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
    const a = await this.#options.browse(url);
    this.authorization = { ...a, authorization_url: String(url) };
    if (a.stopped !== undefined) throw new Error(`the sign-in stopped before the redirect: ${a.stopped}`);
    if (a.error) throw new Error(`authorization refused: ${a.error} ${a.error_description ?? ""} (${a.redirect})`);
    if (a.state !== this.#state) throw new Error(`state mismatch: sent ${this.#state}, got ${a.state}`);
    const issuer = this.#discovery?.authorizationServerMetadata?.issuer;
    if (issuer && a.iss !== undefined && a.iss !== issuer) throw new Error(`iss ${a.iss} is not the metadata issuer ${issuer}`);
  }
  // Forces the next request to be refused so the SDK's refresh path runs.
  spoilAccessToken() {
    this.#tokens = { ...this.#tokens, access_token: "spoiled-" + randomBytes(8).toString("hex") };
  }
}

// The first connection answers 401; the SDK discovers, registers, calls redirectToAuthorization
// and throws UnauthorizedError (its signal that a browser is out there); finishAuth exchanges the
// code. Returns a client connected with the new tokens. `transportFor()` makes a fresh
// StreamableHTTPClientTransport with the provider.
export async function authorizeAndConnect(provider, transportFor, name) {
  const first = transportFor();
  try {
    await new Client({ name, version: "1.0.0" }).connect(first);
    throw new Error("connected without authorization: the server did not answer 401");
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  if (!provider.authorization?.code) throw new Error("the SDK never asked for authorization");
  await first.finishAuth(provider.authorization.code);
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transportFor());
  return client;
}

export function claimsOf(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

export function toolValue(result) {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
