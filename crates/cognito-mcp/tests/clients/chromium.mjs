// Shared by the browser drivers (browser_consent.mjs, browser_login.mjs): Debian's
// /usr/bin/chromium under playwright-core (.peers/browser) with a fresh profile, and the client's
// redirect URI answered inside the browser.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerRequire } from "./headless.mjs";

const { chromium } = peerRequire("browser")("playwright-core");

// A headless Chromium with a throwaway profile: {context, page, consoleErrors, navigations,
// close()}. `navigations` lists every document request ("METHOD URL").
export async function launchChromium(timeout) {
  const profile = mkdtempSync(join(tmpdir(), "cognito-mcp-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      // No sandbox: tests run as root in containers. The rest keeps Chromium from calling home
      // (only package registries are reachable here, and nothing else should be tried).
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      timeout,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);
  const consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  const navigations = [];
  page.on("request", (r) => {
    const nav = `${r.method()} ${r.url()}`;
    // A routed request shows up twice (before and after the route); keep it once.
    if (r.isNavigationRequest() && navigations.at(-1) !== nav) navigations.push(nav);
  });
  return {
    context,
    page,
    consoleErrors,
    navigations,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Catches the browser's arrival at the client's redirect URI (any URL starting with
// `redirectPrefix`), so a loopback port nobody listens on is fine: such a request is answered
// inside the browser when Playwright's routing sees it, but routing misses the last hop of a
// same-site redirect chain (POST /login -> 303 /auth/callback -> 303 redirect URI), which then
// fails to connect. The request itself is always seen, so that is what counts.
// Returns {reached: a promise of the first such URL, landed(): that URL or undefined}.
export async function catchRedirect(context, redirectPrefix) {
  let resolve;
  let url;
  const reached = new Promise((r) => (resolve = r));
  const note = (u) => {
    url ??= u;
    resolve(url);
  };
  context.on("request", (r) => {
    if (r.url().startsWith(redirectPrefix)) note(r.url());
  });
  await context.route(
    (u) => u.href.startsWith(redirectPrefix),
    async (route) => {
      note(route.request().url());
      await route.fulfill({ status: 200, contentType: "text/html", body: "<p>authorization received</p>" });
    },
  );
  return { reached, landed: () => url };
}
