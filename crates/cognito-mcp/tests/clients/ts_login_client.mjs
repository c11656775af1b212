// The official TypeScript SDK (.peers/npm) signing in on our own sign-in page, without a browser:
// its real auth() (protected resource metadata, authorization-server metadata, registration,
// PKCE, token exchange) with the in-memory provider of ./ts_provider.mjs, whose "browser" is
// headlessAuthorize (./headless.mjs) with a person filling each page from a script of answers
// (./login_pages.mjs: sign-in, new password, TOTP setup, TOTP code). Then it connects with
// StreamableHTTPClientTransport, lists the tools and calls whoami.
//
// Usage (Node 22, in place):
//   node ts_login_client.mjs URL --answers JSON [--totp-key KEY] [--client-name NAME]
//        [--redirect-uri URI] [--scope S]
//   URL is the MCP endpoint (http://127.0.0.1:PORT/mcp). --answers (else $LOGIN_ANSWERS) is the
//   script described in login_pages.mjs. --totp-key is the authenticator app's key for a "totp"
//   answer on the code page (a setup page's shown key is used, and remembered, by itself).
//   --client-name defaults to "public-test-client" (a public client under the tests' config).
//
// Prints one JSON line on stdout:
//   {"step":"signed-in", "username", "whoami", "tools": [names], "scope", "claims",
//    "iss", "refresh_token": bool, "totp_key", "client": {client_id, token_endpoint_auth_method},
//    "pages": [{kind, status, title, error, retry_after, rules, answered, ...}]}
//   {"step":"stopped", "reason", "pages"}   the script was used up before the redirect
//   {"step":"error", "error", "pages"}
// Each page's record says what the server showed and how it answered the previous submission
// (its status and Retry-After); passwords and codes typed are not printed.
// Exit: 0 signed in; 4 stopped as the script said; 1 anything else (the reason on stderr too).
import { parseArgs } from "node:util";
import { headlessAuthorize, peerRequire } from "./headless.mjs";
import { Answers, answersFrom, describePage, pageKind, shownSecret } from "./login_pages.mjs";
import { MemoryProvider, authorizeAndConnect, claimsOf, errorText, toolValue } from "./ts_provider.mjs";

const { StreamableHTTPClientTransport } = peerRequire("npm")("@modelcontextprotocol/sdk/client/streamableHttp.js");

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    answers: { type: "string" },
    "totp-key": { type: "string" },
    "client-name": { type: "string", default: "public-test-client" },
    "redirect-uri": { type: "string", default: "http://127.0.0.1:53682/oauth/callback" },
    scope: { type: "string" },
  },
});
const [serverUrl] = positionals;
if (!serverUrl) {
  console.error("usage: ts_login_client.mjs URL --answers JSON [--totp-key KEY] [--client-name NAME] [--redirect-uri URI] [--scope S]");
  process.exit(2);
}

const pages = [];
const answers = new Answers(answersFrom(opt.answers), { totpKey: opt["totp-key"] });

// One page in front of the person: read it, record it, type the script's answer.
async function fill(p) {
  const kind = pageKind(p.html, p.form);
  const seen = describePage(p.html, p.form, p.status, p.headers.get("retry-after"));
  pages.push(seen);
  if (kind === "consent") {
    seen.answered = "approve";
    return undefined; // headlessAuthorize clicks Approve
  }
  const a = answers.next(kind, p.text);
  seen.answered = a === undefined ? null : a.page;
  if (a === undefined) return { stop: `the script ended on the ${kind} page` };
  switch (kind) {
    case "sign-in":
      return { values: { username: a.username, password: a.password } };
    case "new-password":
      return { values: { new_password: a.password, confirm_password: a.confirm ?? a.password } };
    case "totp-setup": {
      const shown = shownSecret(p.html);
      seen.qr_svg = /<svg\b/.test(p.html);
      seen.key_shown = shown;
      return { values: { code: await answers.code(a, shown) } };
    }
    case "totp":
      return { values: { code: await answers.code(a) } };
    default:
      throw new Error(`no way to answer the ${kind} page: ${p.text.slice(0, 400)}`);
  }
}

const provider = new MemoryProvider({
  clientName: opt["client-name"],
  redirectUri: opt["redirect-uri"],
  scope: opt.scope,
  browse: (url) => headlessAuthorize(url, opt["redirect-uri"], { fill }),
});
const transportFor = () => new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider });

let client;
try {
  client = await authorizeAndConnect(provider, transportFor, "cognito-mcp-ts-login-test");
  const me = await client.callTool({ name: "whoami", arguments: {} });
  if (me.isError) throw new Error(`whoami failed: ${JSON.stringify(me.content)}`);
  const whoami = toolValue(me);
  const { tools } = await client.listTools();
  const t = provider.tokens();
  const reg = provider.clientInformation();
  console.log(
    JSON.stringify({
      step: "signed-in",
      username: whoami?.username ?? null,
      whoami,
      tools: tools.map((x) => x.name),
      scope: t.scope ?? null,
      claims: claimsOf(t.access_token),
      iss: provider.authorization.iss ?? null,
      refresh_token: t.refresh_token !== undefined,
      totp_key: answers.totpKey ?? null,
      client: { client_id: reg.client_id, token_endpoint_auth_method: reg.token_endpoint_auth_method ?? null },
      pages,
    }),
  );
} catch (e) {
  const stopped = provider.authorization?.stopped;
  if (stopped !== undefined) {
    console.log(JSON.stringify({ step: "stopped", reason: stopped, pages }));
    process.exit(4);
  }
  console.log(JSON.stringify({ step: "error", error: errorText(e), pages }));
  console.error(`ts_login_client: ${e?.stack ?? e}`);
  process.exit(1);
}
await client.close();
process.exit(0);
