"""OAuth mode for the tests: a HostUp with several users, and the installed server in OAuth mode over real HTTP
in front of it."""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx

from tests.fake_hostup import API_KEY, DOCUMENTED_200, FakeHostUp, serve_http
from tests.http_server import HttpServer, http_server

SECRET = "s" * 40
ALICE, BOB = "hu_key_alice_1111111111", "hu_key_bob_222222222222"


class UsersHostUp(FakeHostUp):
    """HostUp with several users: each key is its owner's, and each owner's ISO is named after them."""

    def __init__(self, owners: dict[str, str]) -> None:
        super().__init__()
        self.owners = owners
        self.used: list[str] = []  # the owner of every ISO request

    async def handle(self, request: httpx.Request) -> httpx.Response:
        owner = self.owners.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if owner is None:
            return await super().handle(request)  # 401, or 403 for NO_SCOPE_KEY
        if request.url.path.endswith("/iso"):
            self.used.append(owner)
            await anyio.sleep(0.01)  # calls overlap
            body = copy.deepcopy(DOCUMENTED_200)
            body["available"][0]["displayName"] = f"ISO of {owner}"
            return httpx.Response(200, json=body)
        request.headers["authorization"] = f"Bearer {API_KEY}"
        return await super().handle(request)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def oauth_env(base_url: str, public_url: str, store: str) -> dict[str, str]:
    return {
        "HOSTUP_BASE_URL": base_url,
        "HOSTUP_MCP_AUTH": "oauth",
        "HOSTUP_MCP_PUBLIC_URL": public_url,
        "HOSTUP_MCP_STATE_SECRET": SECRET,
        "HOSTUP_MCP_OAUTH_STORE": store,
        "HOSTUP_LOG_LEVEL": "INFO",
    }


@contextmanager
def oauth_server(store: str, **env: str) -> Iterator[tuple[HttpServer, UsersHostUp]]:
    hostup = UsersHostUp({ALICE: "alice", BOB: "bob", API_KEY: "carol"})
    port = free_port()
    with (
        serve_http(hostup) as base_url,
        http_server(oauth_env(base_url, f"http://127.0.0.1:{port}", store) | env, "--port", str(port)) as server,
    ):
        yield server, hostup
