"""A real MCP client doing OAuth by itself: the Python `mcp` SDK (2.3.0, .peers/mcp-venv).

OAuthClientProvider over streamable_http_client, with a redirect_handler that walks the
authorization URL headlessly (httpx2, the HTTP client the 2.x SDK is built on: redirects by hand,
a cookie jar, our consent form approved) and a callback_handler that hands back code, state and
iss. The SDK itself checks state and iss (RFC 9207) against what it sent and discovered.

Usage:
  .peers/mcp-venv/bin/python py_oauth_client.py URL CLIENT_NAME [TOOL [JSON_ARGS]]
      [--redirect-uri URI] [--auth-method none|client_secret_basic|client_secret_post]
      [--scope S] [--choice approve|deny] [--client-metadata-url URL]

Prints one JSON line per step, like ts_oauth_client.mjs:
  {"step":"first", "client":{...}, "authorization":{...}, "scope", "refresh_token", "claims", "whoami"}
  {"step":"refreshed", "scope", "new_access_token", "claims", "whoami", "token_requests"}
  {"step":"call", "tool", "result"} or {"step":"call", "tool", "error"}   (with TOOL only)
The refresh goes through the SDK's own path: this SDK refreshes before a request when the stored
token has expired (a 401 makes it authorize from scratch instead), so the driver marks the token
expired and calls whoami again.
Exit: 0 ok; 1 the flow failed ({"step", "error"} on stdout, traceback on stderr); 3 only the
optional TOOL call failed.
"""

import argparse
import asyncio
import base64
import html
import json
import re
import secrets
import sys
import time
import traceback
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken


class MemoryStorage:
    """What a desktop client keeps in its settings file, here in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class FormParser(HTMLParser):
    """The first form of a page: method, action, hidden fields, submit buttons, and the page text."""

    def __init__(self) -> None:
        super().__init__()
        self.form: dict | None = None
        self.in_form = False
        self.done = False
        self.button: dict | None = None
        self.text: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "form" and self.form is None:
            self.form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": [], "buttons": []}
            self.in_form = True
        elif self.in_form and tag == "input" and a.get("type", "text").lower() == "hidden" and "name" in a:
            self.form["fields"].append([a["name"], a.get("value", "")])
        elif self.in_form and tag == "button" and a.get("type", "submit").lower() == "submit":
            self.button = {"name": a.get("name"), "value": a.get("value"), "label": ""}
            self.form["buttons"].append(self.button)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag == "form":
            self.in_form = False
        elif tag == "button":
            self.button = None

    def handle_data(self, data):
        if self.skip:
            return
        self.text.append(data)
        if self.button is not None:
            self.button["label"] = (self.button["label"] + " " + data).strip()


async def headless_authorize(url: str, redirect_prefix: str, choice: str, max_hops: int = 25) -> dict:
    """Walks `url` like a browser whose user clicks `choice` on every consent form, until a Location
    starts with `redirect_prefix` (never fetched). Raises on a dead end."""
    hops: list[str] = []
    pages: list[dict] = []
    method, data, headers = "GET", None, {}
    # httpx2's jar keeps cookies per host like a browser; redirects are followed by hand so each
    # hop is seen (and the last one, to a loopback nobody listens on, is not fetched).
    async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as ua:
        for _ in range(max_hops):
            if url.startswith(redirect_prefix):
                q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
                cookies = [{"domain": c.domain, "name": c.name} for c in ua.cookies.jar]
                return {**q, "redirect": url, "hops": hops, "pages": pages, "cookies": cookies}
            hops.append(f"{method} {url}")
            res = await ua.request(method, url, data=data, headers={"accept": "text/html", **headers})
            location = res.headers.get("location")
            if 300 <= res.status_code < 400 and location:
                url = urljoin(url, location)
                method, data, headers = "GET", None, {}
                continue
            if res.status_code != 200:
                raise RuntimeError(f"{method} {url} answered {res.status_code}: {res.text[:500]}")
            p = FormParser()
            p.feed(res.text)
            text = re.sub(r"\s+", " ", html.unescape(" ".join(p.text))).strip()
            if p.form is None:
                raise RuntimeError(f"{url} answered a page without a form: {text[:500]}")
            button = next((b for b in p.form["buttons"] if b["value"] == choice), None)
            if button is None:
                raise RuntimeError(f"{url}: no submit button with value {choice!r} in {p.form['buttons']}")
            pages.append({"url": url, "text": text, "form": p.form})
            fields = list(p.form["fields"])
            if button["name"]:
                fields.append([button["name"], button["value"] or ""])
            target = urljoin(url, p.form["action"] or url)
            origin = "{0.scheme}://{0.netloc}".format(urlparse(url))
            if p.form["method"] == "post":
                method, data = "POST", dict(fields)
                headers = {"origin": origin, "referer": url}
            else:
                method, data, headers = "GET", None, {"referer": url}
                target = target + ("&" if "?" in target else "?") + urlencode(fields)
            url = target
    raise RuntimeError(f"no redirect to {redirect_prefix} after {max_hops} hops: {' -> '.join(hops)}")


def claims_of(token: str | None):
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None


def tool_value(result) -> object:
    if result.structured_content is not None:
        return result.structured_content
    text = "".join(c.text for c in result.content if getattr(c, "type", None) == "text")
    try:
        return json.loads(text)
    except ValueError:
        return text


def emit(obj: dict) -> None:
    print(json.dumps(obj, default=str), flush=True)


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("client_name")
    ap.add_argument("tool", nargs="?")
    ap.add_argument("tool_args", nargs="?")
    ap.add_argument("--redirect-uri", default="http://127.0.0.1:53683/oauth/callback")
    ap.add_argument("--auth-method")
    ap.add_argument("--scope")
    ap.add_argument("--choice", default="approve")
    # A client ID metadata document URL (CIMD): the SDK uses it as client_id where the
    # authorization server supports CIMD, and registers otherwise.
    ap.add_argument("--client-metadata-url")
    args = ap.parse_args()

    storage = MemoryStorage()
    authorization: dict = {}

    async def redirect_handler(url: str) -> None:
        authorization.clear()
        authorization.update(await headless_authorize(url, args.redirect_uri, args.choice))
        authorization["url"] = url
        if "error" in authorization:
            raise RuntimeError(f"authorization refused: {authorization['error']} ({authorization['redirect']})")

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=authorization["code"], state=authorization.get("state"), iss=authorization.get("iss"))

    metadata = OAuthClientMetadata(
        client_name=args.client_name,
        redirect_uris=[args.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=args.auth_method,
        scope=args.scope,
    )
    provider = OAuthClientProvider(
        server_url=args.url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=args.client_metadata_url,
    )

    # Token endpoint traffic, to show which grant each step really used.
    token_requests: list[dict] = []

    async def on_response(response: httpx2.Response) -> None:
        req = response.request
        if req.method == "POST" and b"grant_type=" in (req.content or b""):
            grant = parse_qs(req.content.decode()).get("grant_type", [None])[0]
            token_requests.append({"grant_type": grant, "status": response.status_code})

    step = "first"
    status = 0
    try:
        async with httpx2.AsyncClient(auth=provider, timeout=30, event_hooks={"response": [on_response]}) as http:
            async with streamable_http_client(args.url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    me = await session.call_tool("whoami", {})
                    if me.is_error:
                        raise RuntimeError(f"whoami failed: {me.content}")
                    t = storage.tokens
                    c = storage.client
                    emit(
                        {
                            "step": step,
                            "client": {
                                "client_id": c.client_id,
                                "client_name": c.client_name,
                                "token_endpoint_auth_method": c.token_endpoint_auth_method,
                                "client_secret": c.client_secret is not None,
                                "redirect_uris": [str(u) for u in c.redirect_uris or []],
                            },
                            "authorization": {
                                "url": authorization.get("url"),
                                "code": authorization.get("code"),
                                "state": authorization.get("state"),
                                "iss": authorization.get("iss"),
                                "hops": authorization.get("hops"),
                                "consent": authorization.get("pages"),
                                "cookies": authorization.get("cookies"),
                            },
                            "scope": t.scope,
                            "refresh_token": t.refresh_token is not None,
                            "claims": claims_of(t.access_token),
                            "whoami": tool_value(me),
                        }
                    )

                    step = "refreshed"
                    if not t.refresh_token:
                        raise RuntimeError("the token response carried no refresh_token")
                    before = t.access_token
                    provider.context.token_expiry_time = time.time() - 1
                    me = await session.call_tool("whoami", {})
                    if me.is_error:
                        raise RuntimeError(f"whoami failed: {me.content}")
                    if not any(r["grant_type"] == "refresh_token" and r["status"] == 200 for r in token_requests):
                        raise RuntimeError(f"no successful refresh_token grant: {token_requests}")
                    t = storage.tokens
                    emit(
                        {
                            "step": step,
                            "scope": t.scope,
                            "new_access_token": t.access_token != before,
                            "claims": claims_of(t.access_token),
                            "whoami": tool_value(me),
                            "token_requests": token_requests,
                        }
                    )

                    if args.tool:
                        step = "call"
                        try:
                            result = await session.call_tool(args.tool, json.loads(args.tool_args or "{}"))
                            emit({"step": step, "tool": args.tool, "result": result.model_dump(by_alias=True, exclude_none=True)})
                            status = 3 if result.is_error else 0
                        except Exception as e:  # noqa: BLE001 - reported, not raised
                            emit({"step": step, "tool": args.tool, "error": describe(e)})
                            status = 3
    except BaseException as e:  # noqa: BLE001 - anyio wraps failures in exception groups
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        if step == "call":
            return status
        emit({"step": step, "error": describe(e)})
        traceback.print_exception(e, file=sys.stderr)
        return 1
    return status


def describe(e: BaseException) -> str:
    """The innermost messages of an exception group (anyio task groups wrap the real cause)."""
    if isinstance(e, BaseExceptionGroup):
        return "; ".join(describe(x) for x in e.exceptions)
    return f"{type(e).__name__}: {e}"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
