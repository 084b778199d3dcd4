"""The sign-in page `/authorize` sends a person to: it says which client asks and where it goes back to, takes
the HostUp key once, checks it against HostUp (`GET /api/v2/vps?limit=1`, which needs `read:vm`) and only then
sends the person back to the client with a code.

One self-contained page: no script, no external resource, a strict Content-Security-Policy, light and dark. A
form is only taken with the cookie the page set (a site cannot submit its own key into someone else's sign-in).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from mcp.server.auth.provider import construct_redirect_uri
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from hostup_mcp.config import parse_bearer
from hostup_mcp.oauth.provider import HostUpAuthorizationServer

logger = logging.getLogger(__name__)

COOKIE = "hostup_mcp_signin"
KEY_PAGE = "https://cloud.hostup.se/api-management"
MAX_FORM_BYTES = 16 * 1024

# Why a key was refused, in the words the page shows; None when it works.
KeyCheck = Callable[[SecretStr], Awaitable[str | None]]

STYLE = """
:root { color-scheme: light dark; --fg: #1a1a1a; --bg: #ffffff; --muted: #4a4a4a; --line: #767676;
  --accent: #0b57d0; --accent-fg: #ffffff; --bad: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --fg: #f2f2f2; --bg: #161616; --muted: #c4c4c4; --line: #8e8e8e;
  --accent: #a8c7fa; --accent-fg: #062e6f; --bad: #f2b8b5; } }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 32rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; }
p, li { color: var(--muted); }
strong { color: var(--fg); }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input { box-sizing: border-box; width: 100%; min-height: 44px; font: inherit; padding: .5rem; color: var(--fg);
  background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
button { min-height: 44px; min-width: 44px; margin-top: 1rem; padding: .5rem 1.25rem; font: inherit; font-weight: 600;
  color: var(--accent-fg); background: var(--accent); border: 0; border-radius: 6px; cursor: pointer; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--bad); font-weight: 600; }
a { color: var(--accent); }
"""


class SignInPage:
    def __init__(
        self, server: HostUpAuthorizationServer, check_key: KeyCheck, csrf_secret: bytes, secure: bool
    ) -> None:
        self.server = server
        self.check_key = check_key
        self.csrf_key = hmac.new(csrf_secret, b"hostup-mcp sign-in form", hashlib.sha256).digest()
        self.secure = secure

    def csrf(self, cookie: str, ticket: str) -> str:
        return hmac.new(self.csrf_key, f"{cookie}\x00{ticket}".encode(), hashlib.sha256).hexdigest()

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            return self.show(request.query_params.get("ticket", ""), request.cookies.get(COOKIE))
        return await self.submit(request)

    def show(self, ticket: str, cookie: str | None, error: str | None = None) -> Response:
        signing_in = self.server.open_ticket(ticket)
        if signing_in is None:
            return self.page(
                "This sign-in link has expired",
                "<p>Go back to the app you came from and connect again; it will open a new one.</p>",
                status=400,
            )
        cookie = cookie or secrets.token_urlsafe(24)
        name = html.escape(signing_in["client_name"] or "An MCP client")
        back_to = html.escape(urlsplit(signing_in["redirect_uri"]).netloc or signing_in["redirect_uri"])
        problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        body = f"""
<p><strong>{name}</strong> asks to use your HostUp VPS ISO media through this server. After you sign in you go
back to <strong>{back_to}</strong>.</p>
{problem}
<form method="post" action="/sign-in">
<input type="hidden" name="ticket" value="{html.escape(ticket)}">
<input type="hidden" name="csrf" value="{self.csrf(cookie, ticket)}">
<label for="key">Your HostUp API key</label>
<input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required autofocus
 aria-describedby="scopes">
<p id="scopes">The key needs the <strong>read:vm</strong> scope; changes (mounting, adding, deleting ISOs) also
need <strong>write:vm</strong> and <strong>write:storage</strong>. Create one at
<a href="{KEY_PAGE}">{KEY_PAGE}</a>. It is checked with HostUp now, then kept only inside the sealed tokens this
app receives, never stored here in readable form.</p>
<button type="submit">Sign in</button>
</form>"""
        response = self.page("Sign in with your HostUp API key", body, status=200 if error is None else 400)
        response.set_cookie(
            COOKIE, cookie, max_age=600, httponly=True, samesite="strict", secure=self.secure, path="/sign-in"
        )
        return response

    async def submit(self, request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return self.page("The form was too large", "<p>Go back and try again.</p>", status=413)
        form = await request.form()
        ticket, csrf, raw_key = (str(form.get(name, "")) for name in ("ticket", "csrf", "key"))
        cookie = request.cookies.get(COOKIE)
        if cookie is None or not hmac.compare_digest(csrf, self.csrf(cookie, ticket)):
            logger.warning("sign-in refused: the form did not come from this server's page")
            return self.page(
                "This form did not come from this sign-in page",
                "<p>Nothing was sent to HostUp. Go back to the app you came from and connect again.</p>",
                status=403,
            )
        signing_in = self.server.open_ticket(ticket)
        if signing_in is None:
            return self.show(ticket, cookie)
        key = parse_bearer(f"Bearer {raw_key.strip()}")
        if key is None:
            return self.show(ticket, cookie, "That is not an API key: paste the key itself, without spaces.")
        refused = await self.check_key(key)
        if refused is not None:
            logger.info("sign-in for client %s refused: %s", signing_in["client_id"], refused)
            return self.show(ticket, cookie, refused)
        code = self.server.issue_code(signing_in, key)
        logger.info("signed in for client %s", signing_in["client_id"])
        target = construct_redirect_uri(signing_in["redirect_uri"], code=code, state=signing_in["state"])
        response = RedirectResponse(target, status_code=303, headers={"cache-control": "no-store"})
        response.delete_cookie(COOKIE, path="/sign-in")
        return response

    def page(self, title: str, body: str, status: int) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{html.escape(title)} · hostup-mcp</title>
<style nonce="{nonce}">{STYLE}</style></head>
<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""
        policy = (
            f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self' https: http://127.0.0.1:* http://localhost:*"
        )
        headers = {
            "content-security-policy": policy,
            "x-frame-options": "DENY",
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        }
        return HTMLResponse(document, status_code=status, headers=headers)
