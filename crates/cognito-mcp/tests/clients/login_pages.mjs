// Shared by the sign-in page drivers (ts_login_client.mjs without a browser, browser_login.mjs in
// Chromium): what each of our sign-in pages is, the script of answers a person gives them, and
// the authenticator app (RFC 6238 TOTP).
//
// The script is a JSON array, one answer per page after the consent page, in order:
//   {"page": "sign-in", "username": "...", "password": "..."}
//   {"page": "new-password", "password": "...", "confirm": "..."}   (confirm defaults to password)
//   {"page": "totp-setup", "code": C}     the "Set up your authenticator app" page
//   {"page": "totp", "code": C}           the "Enter your authenticator code" page
// where C is "totp" (the current code of the key: on the setup page the key it shows, else the
// key given with --totp-key or learnt on a setup page earlier in the run), "wrong-totp" (six
// digits that are not the current code) or the literal text to type ("12ab56").
// A page reached with the script used up ends the run there (the backoff tests stop so).
import { createHmac } from "node:crypto";

// What a page is, from its form (parseForm of ./headless.mjs) and its HTML.
export function pageKind(html, form) {
  if (!form) return "no-form";
  const names = new Set((form.inputs ?? []).map((i) => i.name));
  if (/\/consent$/.test(form.action)) return "consent";
  if (names.has("username") && names.has("password")) return "sign-in";
  if (names.has("new_password")) return "new-password";
  if (/id="secret"/.test(html)) return "totp-setup";
  if (names.has("mfa")) return "select-mfa";
  if (names.has("code")) return /authenticator/i.test(html) ? "totp" : "code";
  return "unknown";
}

const textOf = (html) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, " ")
    .trim();

function inner(html, re) {
  const m = html.match(re);
  return m ? textOf(m[1]) : null;
}

// The page as the test reports it: kind, status, heading, the error it announces, Retry-After.
export function describePage(html, form, status, retryAfter) {
  return {
    kind: pageKind(html, form),
    status,
    title: inner(html, /<h1>([\s\S]*?)<\/h1>/i),
    error: inner(html, /<p class="error" role="alert" id="error">([\s\S]*?)<\/p>/i),
    retry_after: retryAfter ?? null,
    rules: [...html.matchAll(/<ul id="rules"[^>]*>([\s\S]*?)<\/ul>/gi)].flatMap((m) =>
      [...m[1].matchAll(/<li>([\s\S]*?)<\/li>/gi)].map((li) => textOf(li[1])),
    ),
  };
}

// The TOTP key a setup page shows (grouped by four), as typed into an app: no spaces.
export function shownSecret(html) {
  const m = html.match(/id="secret">([^<]*)</);
  return m ? m[1].replace(/\s+/g, "") : null;
}

// RFC 4648 base32, case-folded (moto's key is lowercase), padding ignored.
export function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let n = 0;
  const out = [];
  for (const c of s.toUpperCase().replace(/[\s=]/g, "")) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not a base32 digit: ${c}`);
    bits = ((bits << 5) | v) & 0xffff;
    n += 5;
    if (n >= 8) {
      out.push((bits >> (n - 8)) & 0xff);
      n -= 8;
    }
  }
  return Buffer.from(out);
}

// The RFC 6238 code (HMAC-SHA-1, 30-second steps, 6 digits) of base32 `key` at Unix time `t`.
export function totp(key, t = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const h = createHmac("sha1", base32(key)).update(counter).digest();
  const off = h[19] & 0x0f;
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(bin % 1_000_000).padStart(6, "0");
}

// The current code, taken early enough in its step that the server (and moto, which accepts only
// the current step) still sees the same step: in the last 6 seconds, wait for the next one.
export async function freshTotp(key) {
  const into = (Date.now() / 1000) % 30;
  if (into >= 24) await new Promise((r) => setTimeout(r, (30 - into) * 1000 + 300));
  return totp(key);
}

// The person at the keyboard: hands out the script's answers page by page.
export class Answers {
  #list;
  #key; // the authenticator app's key, once known
  constructor(list, { totpKey } = {}) {
    if (!Array.isArray(list)) throw new Error("the answers must be a JSON array");
    this.#list = [...list];
    this.#key = totpKey || undefined;
  }
  get totpKey() {
    return this.#key;
  }
  // The next answer, for a page of `kind` (undefined once the script is used up).
  next(kind, pageText) {
    const a = this.#list.shift();
    if (a === undefined) return undefined;
    if (a.page !== kind) {
      throw new Error(`the script expected the ${a.page} page, the server showed the ${kind} page: ${String(pageText).slice(0, 400)}`);
    }
    return a;
  }
  // What to type in the code field; `shown` is the key a setup page shows.
  async code(answer, shown) {
    if (shown) this.#key = shown;
    if (answer.code !== "totp" && answer.code !== "wrong-totp") return String(answer.code);
    if (!this.#key) throw new Error("a TOTP code is asked for, but no key is known (pass --totp-key)");
    const good = await freshTotp(this.#key);
    if (answer.code === "totp") return good;
    return good === "000000" ? "111111" : "000000";
  }
}

// The script from --answers (JSON) or, when absent, $LOGIN_ANSWERS.
export function answersFrom(option) {
  const text = option ?? process.env.LOGIN_ANSWERS;
  if (!text) throw new Error("no answers: pass --answers JSON or set LOGIN_ANSWERS");
  return JSON.parse(text);
}
