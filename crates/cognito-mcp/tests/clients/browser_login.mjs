// A person in a real browser on our sign-in pages: headless Chromium (./chromium.mjs) opens the
// authorization URL of a client this script registers, clicks Approve, fills the sign-in page by
// its labels and each challenge page that follows (new password, authenticator setup with the key
// read from the page, authenticator code) from a script of answers (./login_pages.mjs), and lands
// on the client's redirect URI (answered inside the browser). The code is then exchanged at the
// token endpoint, with fetch, to show it works.
//
// Usage (Node 22, in place):
//   node browser_login.mjs BASE --answers JSON [--totp-key KEY] [--keyboard] [--scope S]
//        [--redirect-uri URI] [--timeout MS]
//   BASE: the server (http://127.0.0.1:PORT); its authorization-server metadata gives the
//   endpoints. --answers (else $LOGIN_ANSWERS): the script of login_pages.mjs. A code answer that
//   is not six digits is typed and left to the browser, which must refuse to submit it (the
//   field's pattern); the next answer is then given on the same page. --keyboard signs in on the
//   sign-in page with the keyboard alone (type where the focus is, Tab, type, Tab, Enter) and
//   reports where the focus went.
//
// Prints one JSON line:
//   {"step":"redirect", "client_id", "code", "state_ok", "iss", "error",
//    "token": {"status", "scope", "access_token", "refresh_token": bool, "error"},
//    "totp_key", "pages": [{kind, status, title, error, retry_after, focused, ...}],
//    "keyboard": {"focus_on_load", "tab_order": [focus after each Tab]} (with --keyboard),
//    "navigations", "console_errors"}
//   {"step":"stopped", "reason", "pages"}   the script was used up before the redirect
//   {"step":"error", "error", "pages", "navigations"}
// Exit: 0 when the redirect carried a code and the token endpoint took it; 4 stopped as the
// script said; 1 otherwise.
import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { catchRedirect, launchChromium } from "./chromium.mjs";
import { parseForm } from "./headless.mjs";
import { Answers, answersFrom, describePage, pageKind, shownSecret } from "./login_pages.mjs";

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    answers: { type: "string" },
    "totp-key": { type: "string" },
    keyboard: { type: "boolean", default: false },
    scope: { type: "string", default: "openid mcp/read" },
    "redirect-uri": { type: "string", default: "http://127.0.0.1:53682/oauth/callback" },
    timeout: { type: "string", default: "30000" },
  },
});
const [base] = positionals;
if (!base) {
  console.error("usage: browser_login.mjs BASE --answers JSON [--totp-key KEY] [--keyboard] [--scope S] [--redirect-uri URI] [--timeout MS]");
  process.exit(2);
}
const timeout = Number(opt.timeout);
const redirectUri = opt["redirect-uri"];
const answers = new Answers(answersFrom(opt.answers), { totpKey: opt["totp-key"] });
const pages = [];

async function json(url, init) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

// The client's side: metadata, registration, PKCE.
const meta = (await json(new URL("/.well-known/oauth-authorization-server", base))).body;
const reg = await json(meta.registration_endpoint, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    client_name: "public-test-client",
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    scope: opt.scope,
  }),
});
if (reg.status !== 201) {
  console.log(JSON.stringify({ step: "error", error: `registration answered ${reg.status}: ${JSON.stringify(reg.body)}`, pages }));
  process.exit(1);
}
const clientId = reg.body.client_id;
const verifier = randomBytes(32).toString("base64url");
const state = randomBytes(16).toString("base64url");
const authorize = new URL(meta.authorization_endpoint);
for (const [k, v] of Object.entries({
  response_type: "code",
  client_id: clientId,
  redirect_uri: redirectUri,
  code_challenge: createHash("sha256").update(verifier).digest("base64url"),
  code_challenge_method: "S256",
  state,
  scope: opt.scope,
  resource: new URL("/mcp", base).href,
})) {
  authorize.searchParams.set(k, v);
}

let browser;
let status = 0;
try {
  browser = await launchChromium(timeout);
  const { context, page, consoleErrors, navigations } = browser;
  const { landed } = await catchRedirect(context, redirectUri);
  // What has the focus: the element's id, else its role and text ("button:Sign in").
  const focused = () =>
    page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      return e.id || `${e.tagName.toLowerCase()}:${e.innerText.trim()}`;
    });
  // Does `action` (a click, a key) and waits for the document it leads to (null when that is the
  // redirect URI, where nobody may be listening).
  const submit = async (action) => {
    try {
      return (await Promise.all([page.waitForNavigation({ waitUntil: "domcontentloaded" }), action()]))[0];
    } catch (e) {
      if (landed()) return null;
      throw e;
    }
  };

  let response = await page.goto(authorize.href, { waitUntil: "domcontentloaded" });
  let keyboard;
  while (!landed()) {
    const html = await page.content();
    const form = parseForm(html);
    const kind = pageKind(html, form);
    const seen = {
      ...describePage(html, form, response?.status() ?? null, (await response?.allHeaders())?.["retry-after"]),
      url: page.url(),
      focused: await focused(),
    };
    pages.push(seen);
    if (kind === "consent") {
      seen.answered = "approve";
      response = await submit(() => page.getByRole("button", { name: "Approve" }).click());
      continue;
    }
    let a = answers.next(kind, html);
    // Codes the browser itself refuses (not six digits): typed, checked, not sent.
    while (a && (kind === "totp" || kind === "totp-setup") && !["totp", "wrong-totp"].includes(a.code) && !/^\d{6}$/.test(a.code)) {
      const field = page.locator("#code");
      await field.fill(String(a.code));
      (seen.refused_by_browser ??= []).push({ typed: String(a.code), valid: await field.evaluate((e) => e.checkValidity()) });
      a = answers.next(kind, html);
    }
    seen.answered = a === undefined ? null : a.page;
    if (a === undefined) {
      console.log(JSON.stringify({ step: "stopped", reason: `the script ended on the ${kind} page`, pages }));
      status = 4;
      break;
    }
    const button = page.locator("form button[type=submit]");
    switch (kind) {
      case "sign-in":
        if (opt.keyboard && !keyboard) {
          keyboard = { focus_on_load: seen.focused, tab_order: [] };
          await page.keyboard.type(a.username);
          await page.keyboard.press("Tab");
          keyboard.tab_order.push(await focused());
          await page.keyboard.type(a.password);
          await page.keyboard.press("Tab");
          keyboard.tab_order.push(await focused());
          response = await submit(() => page.keyboard.press("Enter"));
          break;
        }
        await page.getByLabel("Username or email").fill(a.username);
        await page.getByLabel("Password", { exact: true }).fill(a.password);
        response = await submit(() => page.getByRole("button", { name: "Sign in" }).click());
        break;
      case "new-password":
        await page.getByLabel("New password", { exact: true }).fill(a.password);
        await page.getByLabel("New password again").fill(a.confirm ?? a.password);
        response = await submit(() => button.click());
        break;
      case "totp-setup": {
        // What a person does: read the key under the QR code, type it into the app.
        const shown = shownSecret(html);
        seen.key_shown = (await page.locator("#secret").innerText()).replace(/\s+/g, "");
        seen.qr_svg = (await page.locator(".qr svg").count()) === 1;
        await page.getByLabel("The 6-digit code the app now shows").fill(await answers.code(a, shown));
        response = await submit(() => button.click());
        break;
      }
      case "totp":
        await page.getByLabel("Code", { exact: true }).fill(await answers.code(a));
        response = await submit(() => button.click());
        break;
      default:
        throw new Error(`no way to answer the ${kind} page: ${html.slice(0, 400)}`);
    }
  }
  if (status === 0) {
    const q = new URL(landed()).searchParams;
    const code = q.get("code");
    let token = null;
    if (code) {
      const t = await json(meta.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId }),
      });
      token = {
        status: t.status,
        scope: t.body.scope ?? null,
        access_token: t.body.access_token ?? null,
        refresh_token: t.body.refresh_token !== undefined,
        error: t.body.error ?? null,
      };
    }
    console.log(
      JSON.stringify({
        step: "redirect",
        client_id: clientId,
        code,
        state_ok: q.get("state") === state,
        iss: q.get("iss"),
        error: q.get("error"),
        token,
        totp_key: answers.totpKey ?? null,
        pages,
        keyboard: keyboard ?? null,
        navigations,
        console_errors: consoleErrors,
      }),
    );
    if (token?.status !== 200) status = 1;
  }
} catch (e) {
  console.log(JSON.stringify({ step: "error", error: String(e?.message ?? e), pages, navigations: browser?.navigations }));
  console.error(`browser_login: ${e?.stack ?? e}`);
  status = 1;
} finally {
  await browser?.close();
}
process.exit(status);
