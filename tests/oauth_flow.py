"""An OAuth client for the tests, step by step, so each step can be done wrong on purpose: register, authorize,
fill in the sign-in page as a person would, exchange the code, call a tool, refresh, revoke."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

REDIRECT_URI = "http://127.0.0.1:9/callback"
MCP_HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@dataclass
class SignInPage:
    response: httpx.Response

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.response.text)
        assert found is not None, f"no {name} on the page: {self.response.text[:500]}"
        return html.unescape(found.group(1))

    def alert(self) -> str | None:
        found = re.search(r'role="alert">([^<]*)<', self.response.text)
        return html.unescape(found.group(1)) if found else None


@dataclass
class OAuthFlow:
    http: httpx.AsyncClient  # base_url: the server; keeps the sign-in cookie like a browser
    redirect_uri: str = REDIRECT_URI
    client_id: str = ""
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))

    async def register(self, **metadata: Any) -> dict[str, Any]:
        document = {
            "redirect_uris": [self.redirect_uri],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "Test client",
        } | metadata
        answer = await self.http.post("/register", json=document)
        assert answer.status_code == 201, answer.text
        self.client_id = answer.json()["client_id"]
        return answer.json()

    async def authorize(self, **overrides: str) -> httpx.Response:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
            "state": self.state,
        } | overrides
        return await self.http.get("/authorize", params={k: v for k, v in params.items() if v != ""})

    async def open_sign_in(self) -> SignInPage:
        answer = await self.authorize()
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        page = await self.http.get(location.removeprefix(str(self.http.base_url).rstrip("/")))
        return SignInPage(page)

    async def submit(self, page: SignInPage, key: str, **overrides: str) -> httpx.Response:
        form = {"ticket": page.field("ticket"), "csrf": page.field("csrf"), "key": key} | overrides
        return await self.http.post("/sign-in", data=form)

    async def sign_in(self, key: str) -> str:
        """The code the client receives after a person signed in with `key`."""
        answer = await self.submit(await self.open_sign_in(), key)
        assert answer.status_code == 303, answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    async def exchange(self, code: str, **overrides: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": self.verifier,
        } | overrides
        return await self.http.post("/token", data=form)

    async def tokens(self, key: str) -> dict[str, Any]:
        answer = await self.exchange(await self.sign_in(key))
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def refresh(self, refresh_token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        return await self.http.post("/token", data=form)

    async def revoke(self, token: str) -> httpx.Response:
        # the SDK's revocation form requires the client_secret field, empty for a public client
        return await self.http.post("/revoke", data={"token": token, "client_id": self.client_id, "client_secret": ""})

    async def call(self, access_token: str, vps_id: str, path: str = "/mcp") -> httpx.Response:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "list_vps_iso_media", "arguments": {"vps_id": vps_id}},
        }
        headers = MCP_HEADERS | {"authorization": f"Bearer {access_token}"}
        return await self.http.post(path, json=body, headers=headers)


def iso_owner(answer: httpx.Response) -> str:
    """Whose ISO list a tool call answered with (the fake names each user's ISO after its owner)."""
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["isError"] is False, result
    return str(result["structuredContent"]["available"][0]["displayName"])
