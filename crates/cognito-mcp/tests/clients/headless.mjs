// Shared by the OAuth client drivers in this folder: where the peers are, and a user agent without a
// browser that walks an authorization URL to the client's redirect URI.
//
// The drivers run in place (node crates/cognito-mcp/tests/clients/X.mjs): their packages are
// resolved in .peers/<prefix>/node_modules ($PEERS_DIR, else the nearest .peers above this file),
// not beside the script, so nothing needs copying next to node_modules.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function peersDir() {
  if (process.env.PEERS_DIR) return process.env.PEERS_DIR;
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    if (existsSync(join(d, ".peers"))) return join(d, ".peers");
    if (dirname(d) === d) throw new Error("no .peers directory above this script: run scripts/setup-peers");
  }
}

// A require() rooted in one peer prefix (.peers/npm, .peers/browser, ...). CommonJS builds are
// used; Node 22 also require()s ESM-only packages.
export function peerRequire(prefix) {
  return createRequire(join(peersDir(), prefix, "package.json"));
}

// Host-keyed cookies, as a browser keeps them for one profile (ports share cookies; Path and
// Domain attributes are not needed by the flows here).
class CookieJar {
  #byHost = new Map();
  store(url, response) {
    const host = new URL(url).hostname;
    const jar = this.#byHost.get(host) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, { value, attrs: attrs.map((a) => a.trim()) });
    }
    this.#byHost.set(host, jar);
  }
  header(url) {
    const jar = this.#byHost.get(new URL(url).hostname);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([n, c]) => `${n}=${c.value}`).join("; ");
  }
  dump() {
    return Object.fromEntries([...this.#byHost].map(([h, jar]) => [h, Object.fromEntries([...jar].map(([n, c]) => [n, c.attrs]))]));
  }
}

function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function attrsOf(tag) {
  const out = {};
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    out[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

// The first POST form of a page: its action, its hidden fields, the names and types of its other
// inputs (what a person fills), and its submit buttons.
export function parseForm(html) {
  const m = html.match(/<form\b([^>]*)>([\s\S]*?)<\/form>/i);
  if (!m) return null;
  const form = attrsOf(m[1]);
  const fields = [];
  const inputs = [];
  for (const t of m[2].matchAll(/<input\b([^>]*)>/gi)) {
    const a = attrsOf(t[1]);
    const type = (a.type ?? "text").toLowerCase();
    if (a.name === undefined) continue;
    if (type === "hidden") fields.push([a.name, a.value ?? ""]);
    else inputs.push({ name: a.name, type, id: a.id });
  }
  const buttons = [];
  for (const t of m[2].matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const a = attrsOf(t[1]);
    if ((a.type ?? "submit").toLowerCase() === "submit") buttons.push({ name: a.name, value: a.value, label: pageText(t[2]) });
  }
  return { method: (form.method ?? "get").toLowerCase(), action: form.action ?? "", fields, inputs, buttons };
}

export function pageText(html) {
  return decodeEntities(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " "),
  ).trim();
}

// Walks `authorizationUrl` like a browser whose user clicks `choice` ("approve" or "deny") on every
// consent form, until a Location starts with `redirectPrefix` (never fetched: nobody needs to
// listen there). Returns {code, state, iss, error, error_description, redirect, hops, pages,
// cookies}. Throws on a dead end (an error status, a page without a form, a redirect loop).
//
// `fill`, when given, is the person at the keyboard: it is called with every page that has a form
// ({url, status, headers, html, text, form}, any status) and answers
//   undefined                   to click `choice` (the consent page),
//   {values: {name: value}, button}  to submit the form with those fields filled (and the submit
//                               button of that value, else the first one), or
//   {stop: reason}              to walk away: the walk returns {stopped: reason, hops, pages, cookies}.
export async function headlessAuthorize(authorizationUrl, redirectPrefix, { choice = "approve", maxHops = 25, fill } = {}) {
  const jar = new CookieJar();
  const hops = [];
  const pages = [];
  let url = String(authorizationUrl);
  let init = { method: "GET" };
  for (let i = 0; i < maxHops; i++) {
    if (url.startsWith(redirectPrefix)) {
      const q = new URL(url).searchParams;
      const get = (k) => q.get(k) ?? undefined;
      return {
        code: get("code"),
        state: get("state"),
        iss: get("iss"),
        error: get("error"),
        error_description: get("error_description"),
        redirect: url,
        hops,
        pages,
        cookies: jar.dump(),
      };
    }
    hops.push(`${init.method} ${url}`);
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie) headers.set("cookie", cookie);
    headers.set("accept", "text/html,application/xhtml+xml");
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    jar.store(url, res);
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      init = { method: "GET" }; // 302/303 after a POST turn into a GET, as browsers do
      continue;
    }
    const body = await res.text();
    const form = parseForm(body);
    // A person reads a refusal page (wrong password, 429) and types again; a consent walker stops.
    if (res.status !== 200 && !(fill && form)) {
      throw new Error(`${init.method} ${url} answered ${res.status}: ${body.slice(0, 500)}`);
    }
    if (!form) throw new Error(`${url} answered a page without a form: ${pageText(body).slice(0, 500)}`);
    const seen = { url, status: res.status, text: pageText(body), form };
    const answer = fill ? await fill({ ...seen, headers: res.headers, html: body }) : undefined;
    pages.push(seen);
    if (answer?.stop !== undefined) return { stopped: answer.stop, hops, pages, cookies: jar.dump() };
    const wanted = answer ? answer.button : choice;
    const button = wanted === undefined ? form.buttons[0] : form.buttons.find((b) => b.value === wanted);
    if (!button) throw new Error(`${url}: no submit button with value ${JSON.stringify(wanted)} in ${JSON.stringify(form.buttons)}`);
    const target = new URL(form.action || url, url);
    const params = new URLSearchParams(form.fields);
    for (const [k, v] of Object.entries(answer?.values ?? {})) params.append(k, v);
    if (button.name) params.append(button.name, button.value ?? "");
    // What a browser adds to a same-origin form submission; CSRF defences may look at it.
    const page = new URL(url);
    const formHeaders = { origin: page.origin, referer: url, "content-type": "application/x-www-form-urlencoded" };
    if (form.method === "post") {
      init = { method: "POST", headers: formHeaders, body: params.toString() };
      url = target.href;
    } else {
      for (const [k, v] of params) target.searchParams.append(k, v);
      init = { method: "GET", headers: { referer: url } };
      url = target.href;
    }
  }
  throw new Error(`no redirect to ${redirectPrefix} after ${maxHops} hops: ${hops.join(" -> ")}`);
}
