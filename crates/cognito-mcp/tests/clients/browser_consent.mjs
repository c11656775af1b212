// A real browser on our consent page: playwright-core 1.65.1 (.peers/browser) driving Debian's
// /usr/bin/chromium with a fresh profile. It catches what the fetch-based walkers cannot: cookie
// attributes as the browser applies them, CSP violations, and the button a person would click.
//
// Usage (Node 22, in place):
//   node browser_consent.mjs AUTHORIZE_URL REDIRECT_PREFIX [--choice approve|deny] [--timeout MS]
//   AUTHORIZE_URL: our server's /authorize?... (a client already registered, PKCE done by the
//   caller). REDIRECT_PREFIX: the client's redirect_uri; nobody needs to listen there, the request
//   is answered inside the browser.
//
// Prints two JSON lines:
//   {"step":"consent", "url", "status", "title", "text", "items": [<li> texts],
//    "form": {"action", "method", "fields": [hidden input names], "buttons": [{name,value,label}]},
//    "headers": {content-security-policy, x-frame-options, cache-control, referrer-policy, ...},
//    "cookies": [{name, domain, path, httpOnly, secure, sameSite}], "console_errors": [...]}
//   {"step":"redirect", "url", "code", "state", "iss", "error", "error_description",
//    "navigations": [every document request URL], "console_errors": [...]}
// Exit 0 once the browser reaches REDIRECT_PREFIX (with a code or an error), 1 otherwise.
import { parseArgs } from "node:util";
import { catchRedirect, launchChromium } from "./chromium.mjs";

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    choice: { type: "string", default: "approve" },
    timeout: { type: "string", default: "30000" },
  },
});
const [authorizeUrl, redirectPrefix] = positionals;
if (!authorizeUrl || !redirectPrefix) {
  console.error("usage: browser_consent.mjs AUTHORIZE_URL REDIRECT_PREFIX [--choice approve|deny] [--timeout MS]");
  process.exit(2);
}
const timeout = Number(opt.timeout);

let browser;
let status = 0;
try {
  browser = await launchChromium(timeout);
  const { context, page, consoleErrors, navigations } = browser;

  // The client's redirect URI: answered here, so a loopback port nobody listens on is fine.
  const { reached } = await catchRedirect(context, redirectPrefix);

  const response = await page.goto(authorizeUrl, { waitUntil: "domcontentloaded" });
  const early = await Promise.race([reached, new Promise((r) => setTimeout(() => r(null), 0))]);
  if (!early) {
    const pick = (h) =>
      Object.fromEntries(
        ["content-security-policy", "x-frame-options", "cache-control", "referrer-policy", "x-content-type-options", "content-type"]
          .filter((k) => h[k] !== undefined)
          .map((k) => [k, h[k]]),
      );
    const info = await page.evaluate(() => {
      const form = document.querySelector("form");
      return {
        title: document.title,
        text: document.body.innerText.replace(/\s+/g, " ").trim(),
        items: [...document.querySelectorAll("li")].map((li) => li.innerText.trim()),
        form: form && {
          action: form.getAttribute("action"),
          method: (form.getAttribute("method") ?? "get").toLowerCase(),
          fields: [...form.querySelectorAll("input[type=hidden]")].map((i) => i.name),
          buttons: [...form.querySelectorAll("button")].map((b) => ({ name: b.name, value: b.value, label: b.innerText.trim() })),
        },
      };
    });
    const cookies = (await context.cookies()).map(({ name, domain, path, httpOnly, secure, sameSite }) => ({
      name,
      domain,
      path,
      httpOnly,
      secure,
      sameSite,
    }));
    console.log(
      JSON.stringify({
        step: "consent",
        url: page.url(),
        status: response?.status() ?? null,
        ...info,
        headers: pick((await response?.allHeaders()) ?? {}),
        cookies,
        console_errors: [...consoleErrors],
      }),
    );
    await page.locator(`form button[type=submit][value="${opt.choice}"], form button[value="${opt.choice}"]`).first().click();
  }
  const finalUrl = await Promise.race([
    reached,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no navigation to ${redirectPrefix} within ${timeout} ms; last URL ${page.url()}`)), timeout)),
  ]);
  const q = new URL(finalUrl).searchParams;
  const get = (k) => q.get(k) ?? null;
  console.log(
    JSON.stringify({
      step: "redirect",
      url: finalUrl,
      code: get("code"),
      state: get("state"),
      iss: get("iss"),
      error: get("error"),
      error_description: get("error_description"),
      navigations,
      console_errors: consoleErrors,
    }),
  );
} catch (e) {
  console.log(JSON.stringify({ step: "error", error: String(e?.message ?? e) }));
  console.error(`browser_consent: ${e?.stack ?? e}`);
  status = 1;
} finally {
  await browser?.close();
}
process.exit(status);
