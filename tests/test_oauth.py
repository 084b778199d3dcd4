"""OAuth mode in process, on each store (a SQLite file, a real Redis): the whole sign-in, and every way to get it
wrong on purpose, each refused for its own reason. The HostUp behind it takes several users' keys and names each
user's ISO after its owner, so a tool call shows whose key it used."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from pydantic import SecretStr

from hostup_mcp.config import Config, HttpSettings
from hostup_mcp.http import build_app
from hostup_mcp.oauth.provider import Sealers
from hostup_mcp.oauth.store import open_store
from tests.fake_hostup import API_KEY, EXAMPLE_VPS_ID, NO_SCOPE_KEY, FakeHostUp
from tests.oauth_flow import OAuthFlow, iso_owner
from tests.oauth_server import ALICE, BOB, SECRET, UsersHostUp
from tests.redis_server import redis_server
from tests.threaded_server import serving

pytestmark = pytest.mark.anyio

PUBLIC = "http://127.0.0.1:8000"


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "oauth.sqlite3")
    else:
        with redis_server() as url:
            yield url


@pytest.fixture
def hostup() -> UsersHostUp:
    return UsersHostUp({ALICE: "alice", BOB: "bob", API_KEY: "carol"})


def settings_for(store: str, **changes: Any) -> HttpSettings:
    defaults: dict[str, Any] = {
        "oauth": True,
        "public_url": PUBLIC,
        "state_secrets": (SecretStr(SECRET),),
        "oauth_store": store,
    }
    return HttpSettings(**(defaults | changes))


@asynccontextmanager
async def oauth_server(store: str, hostup: FakeHostUp, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    config = Config(api_key=None, key_source="oauth")
    app = build_app(config, settings_for(store, **changes), transport=hostup.transport())
    inner = app.app  # type: ignore[attr-defined]  # the SDK's Starlette app, whose lifespan runs its sessions
    transport = httpx.ASGITransport(app=app)
    async with inner.router.lifespan_context(inner), httpx.AsyncClient(transport=transport, base_url=PUBLIC) as http:
        yield http


async def test_a_user_signs_in_calls_a_tool_with_their_own_key_refreshes_and_revokes(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        tokens = await flow.tokens(ALICE)
        assert iso_owner(await flow.call(tokens["access_token"], EXAMPLE_VPS_ID)) == "ISO of alice"

        refreshed = (await flow.refresh(tokens["refresh_token"])).json()
        assert refreshed["refresh_token"] != tokens["refresh_token"]
        assert iso_owner(await flow.call(refreshed["access_token"], EXAMPLE_VPS_ID)) == "ISO of alice"

        assert (await flow.revoke(refreshed["refresh_token"])).status_code == 200
        after = [await flow.call(token["access_token"], EXAMPLE_VPS_ID) for token in (tokens, refreshed)]
        assert [answer.status_code for answer in after] == [401, 401]
        assert (await flow.refresh(refreshed["refresh_token"])).status_code == 400
    assert hostup.used == ["alice", "alice"]


async def test_discovery_names_this_server_as_resource_and_issuer(store, hostup):
    async with oauth_server(store, hostup) as http:
        unauthenticated = await OAuthFlow(http).call("", EXAMPLE_VPS_ID)
        resource = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
        issuer = (await http.get("/.well-known/oauth-authorization-server")).json()

    assert unauthenticated.status_code == 401
    challenge = unauthenticated.headers["www-authenticate"]
    assert f'resource_metadata="{PUBLIC}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert resource["resource"] == f"{PUBLIC}/mcp"
    assert resource["authorization_servers"] == [PUBLIC]
    assert issuer["issuer"] == PUBLIC
    assert issuer["code_challenge_methods_supported"] == ["S256"]
    assert issuer["client_id_metadata_document_supported"] is True
    assert "none" in issuer["token_endpoint_auth_methods_supported"]
    assert (issuer["registration_endpoint"], issuer["revocation_endpoint"]) == (
        f"{PUBLIC}/register",
        f"{PUBLIC}/revoke",
    )


@pytest.mark.parametrize("verifier", ["", "not-the-verifier-" + "x" * 40])
async def test_a_wrong_or_missing_pkce_verifier_gets_no_token(store, hostup, verifier: str):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        code = await flow.sign_in(ALICE)
        answer = await flow.exchange(code, code_verifier=verifier)
        honest = await flow.exchange(code)  # the code was not used up by the failed attempt

    assert answer.status_code == 400
    assert "access_token" not in answer.text
    assert honest.status_code == 200


async def test_an_authorization_request_without_pkce_or_with_plain_pkce_is_refused(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        missing = await flow.authorize(code_challenge="", code_challenge_method="")
        plain = await flow.authorize(code_challenge_method="plain")

    for answer in (missing, plain):
        assert "sign-in" not in answer.headers.get("location", "")
        assert answer.status_code in (302, 400)


async def test_a_code_is_exchanged_once_and_its_second_use_revokes_its_tokens(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        code = await flow.sign_in(ALICE)
        first = (await flow.exchange(code)).json()
        second = await flow.exchange(code)
        call = await flow.call(first["access_token"], EXAMPLE_VPS_ID)

    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert call.status_code == 401  # whoever used the code first may have been the thief


async def test_another_clients_code_or_refresh_token_is_refused(store, hostup):
    async with oauth_server(store, hostup) as http:
        victim, thief = OAuthFlow(http), OAuthFlow(http)
        await victim.register()
        await thief.register()
        code = await victim.sign_in(ALICE)
        thief.verifier = victim.verifier
        stolen_code = await thief.exchange(code)
        tokens = (await victim.exchange(code)).json()
        stolen_refresh = await thief.refresh(tokens["refresh_token"])
        await thief.revoke(tokens["access_token"])
        still = await victim.call(tokens["access_token"], EXAMPLE_VPS_ID)

    assert (stolen_code.status_code, stolen_refresh.status_code) == (400, 400)
    assert iso_owner(still) == "ISO of alice"  # another client cannot revoke it either


async def test_a_refresh_token_used_twice_revokes_the_whole_sign_in(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        tokens = await flow.tokens(ALICE)
        rotated = (await flow.refresh(tokens["refresh_token"])).json()
        replayed = await flow.refresh(tokens["refresh_token"])
        after = await flow.refresh(rotated["refresh_token"])
        call = await flow.call(rotated["access_token"], EXAMPLE_VPS_ID)

    assert replayed.status_code == 400
    assert (after.status_code, call.status_code) == (400, 401)


async def test_a_store_that_lost_its_data_signs_everyone_out_instead_of_forgetting_a_revocation(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        kept, revoked = await flow.tokens(ALICE), await flow.tokens(ALICE)
        assert (await flow.revoke(revoked["refresh_token"])).status_code == 200
        await wipe(store)  # a Redis restarted without its volume
        calls = [await flow.call(tokens["access_token"], EXAMPLE_VPS_ID) for tokens in (kept, revoked)]
        refreshes = [await flow.refresh(tokens["refresh_token"]) for tokens in (kept, revoked)]

    assert [answer.status_code for answer in calls] == [401, 401]
    # the registered client went with the data too, so a refresh is refused as from an unknown client
    assert [answer.json()["error"] for answer in refreshes] == ["invalid_client", "invalid_client"]


async def test_two_refreshes_of_one_token_at_once_give_one_new_token(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        tokens = await flow.tokens(ALICE)
        answers: list[int] = []

        async def refresh() -> None:
            answers.append((await flow.refresh(tokens["refresh_token"])).status_code)

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(refresh)

    assert sorted(answers) == [200, 400, 400, 400, 400]


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://attacker.example/callback", "http://127.0.0.1:9/callback/../elsewhere", "http://127.0.0.1:10/callback"],
)
async def test_an_unregistered_redirect_uri_is_refused_and_never_redirected_to(store, hostup, redirect_uri: str):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        answer = await flow.authorize(redirect_uri=redirect_uri)

    assert answer.status_code == 400
    assert "location" not in answer.headers


async def test_a_code_exchanged_with_another_redirect_uri_is_refused(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register(redirect_uris=[flow.redirect_uri, "http://127.0.0.1:10/other"])
        code = await flow.sign_in(ALICE)
        answer = await flow.exchange(code, redirect_uri="http://127.0.0.1:10/other")

    assert answer.status_code == 400


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://attacker.example/callback", "javascript:alert(1)", "https://app.example/cb#fragment", "ftp://x.example/"],
)
async def test_registration_takes_only_https_or_loopback_redirect_uris(store, hostup, redirect_uri: str):
    async with oauth_server(store, hostup) as http:
        answer = await http.post(
            "/register", json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "none"}
        )

    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")


async def test_two_users_at_once_each_reach_hostup_with_only_their_own_key(store, hostup):
    async with oauth_server(store, hostup) as http:
        seen: dict[str, list[str]] = {"alice": [], "bob": []}

        async def user(key: str, name: str) -> None:
            flow = OAuthFlow(http)
            await flow.register()
            token = (await flow.tokens(key))["access_token"]
            for _ in range(8):
                seen[name].append(iso_owner(await flow.call(token, EXAMPLE_VPS_ID)))

        async with anyio.create_task_group() as group:
            group.start_soon(user, ALICE, "alice")
            group.start_soon(user, BOB, "bob")

    assert seen == {"alice": ["ISO of alice"] * 8, "bob": ["ISO of bob"] * 8}
    assert sorted(hostup.used) == ["alice"] * 8 + ["bob"] * 8


def forged(secret: str, **changes: Any) -> str:
    """An access token as this server would seal it, with `changes`."""
    document = {
        "key": ALICE,
        "client_id": "someone",
        "scopes": [],
        "family": "f",
        "exp": time.time() + 600,
        "iss": PUBLIC,
        "aud": f"{PUBLIC}/mcp",
    } | changes
    return Sealers.from_secrets([secret.encode()]).access.seal(document)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(forged(SECRET, exp=time.time() - 1), id="expired"),
        pytest.param(forged(SECRET, iss="https://other.example"), id="another-issuer"),
        pytest.param(forged(SECRET, aud="https://other.example/mcp"), id="another-audience"),
        pytest.param(forged("t" * 40), id="another-servers-secret"),
        pytest.param(forged(SECRET)[:-4] + "AAAA", id="tampered"),
        pytest.param(Sealers.from_secrets([SECRET.encode()]).refresh.seal({"key": ALICE}), id="a-refresh-token"),
        pytest.param(ALICE, id="a-hostup-key-itself"),
    ],
)
async def test_a_token_this_server_did_not_issue_for_itself_now_is_refused(store, hostup, token: str):
    async with oauth_server(store, hostup) as http:
        await start_sign_in_family(store, "f")  # the forged tokens' sign-in holds: only the token itself is tested
        control = await OAuthFlow(http).call(forged(SECRET), EXAMPLE_VPS_ID)
        answer = await OAuthFlow(http).call(token, EXAMPLE_VPS_ID)

    assert iso_owner(control) == "ISO of alice"  # the forger holds the secret and the store: only then it works
    assert answer.status_code == 401
    assert hostup.used == ["alice"]


async def test_a_sign_in_form_without_the_pages_cookie_or_token_is_refused(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        page = await flow.open_sign_in()
        wrong_token = await flow.submit(page, ALICE, csrf="0" * 64)
        http.cookies.clear()  # a page on another site submitting the form: the browser sends no cookie
        no_cookie = await flow.submit(page, ALICE)

    assert (wrong_token.status_code, no_cookie.status_code) == (403, 403)
    assert "location" not in wrong_token.headers and "location" not in no_cookie.headers
    assert hostup.requests == []  # nothing was checked with HostUp


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (NO_SCOPE_KEY, "it needs the read:vm scope"),
        ("hu_key_unknown_000000000", "HostUp did not accept this key (401)"),
        ("two words", "That is not an API key"),
    ],
)
async def test_a_key_that_cannot_read_vps_is_refused_at_sign_in_with_the_reason(store, hostup, key: str, reason: str):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        page = await flow.open_sign_in()
        answer = await flow.submit(page, key)

    assert answer.status_code == 400
    assert "location" not in answer.headers
    alert = type(page)(answer).alert()
    assert alert is not None and reason in alert


async def test_the_sign_in_page_shows_who_asks_and_where_it_goes_back_to_and_keeps_to_itself(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register(client_name="Claude <script>alert(1)</script>")
        page = (await flow.open_sign_in()).response

    assert "Claude &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script" not in page.text
    assert "127.0.0.1:9" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert "httponly" in page.headers["set-cookie"].lower() and "samesite=strict" in page.headers["set-cookie"].lower()


async def test_an_old_sign_in_link_is_refused(store, hostup):
    async with oauth_server(store, hostup) as http:
        stale = Sealers.from_secrets([SECRET.encode()]).ticket.seal({"exp": time.time() - 1, "client_id": "x"})
        answer = await http.get("/sign-in", params={"ticket": stale})

    assert answer.status_code == 400
    assert "expired" in answer.text


async def test_the_store_being_down_is_said_plainly_and_nothing_is_issued(tmp_path: Path, hostup):
    with redis_server() as url:
        async with oauth_server(url, hostup) as http:
            flow = OAuthFlow(http)
            await flow.register()
            tokens = await flow.tokens(ALICE)
            code = await flow.sign_in(ALICE)
    # Redis is gone now; the same app, a new client.
    async with oauth_server(url, hostup) as http:
        flow = OAuthFlow(http, client_id=flow.client_id)
        answer = await flow.exchange(code)
        call = await flow.call(tokens["access_token"], EXAMPLE_VPS_ID)

    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"
    assert "access_token" not in answer.text
    assert call.status_code == 503  # its revocation cannot be checked: not run
    assert hostup.used == []


async def test_no_hostup_key_is_in_any_answer_but_its_tokens_or_in_the_store_or_the_log(
    store, hostup, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response] = []
    async with oauth_server(store, hostup) as http:
        http.event_hooks["response"].append(lambda answer: answer.aread())
        flow = OAuthFlow(http)
        await flow.register()
        page = await flow.open_sign_in()
        answers.append(await flow.submit(page, "hu_key_unknown_000000000"))
        code_answer = await flow.submit(await flow.open_sign_in(), ALICE)
        answers.append(code_answer)
        tokens = (await flow.exchange(code_answer.headers["location"].split("code=")[1].split("&")[0])).json()
        answers.append(await flow.call(tokens["access_token"], EXAMPLE_VPS_ID))
        answers.append(await flow.refresh(tokens["refresh_token"]))
        dump = await store_dump(store)

    for answer in answers:
        assert ALICE not in answer.text and ALICE not in str(answer.headers)
    assert ALICE not in caplog.text and "hu_key_unknown" not in caplog.text
    assert tokens["access_token"] not in caplog.text and tokens["refresh_token"] not in caplog.text
    assert dump and ALICE not in dump and tokens["access_token"] not in dump and tokens["refresh_token"] not in dump


async def start_sign_in_family(store: str, family: str) -> None:
    opened = open_store(store)
    try:
        await opened.start(family, "first-refresh-token", 600)
    finally:
        await opened.close()


async def wipe(store: str) -> None:
    if store.startswith("redis://"):
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(store)
        try:
            await client.flushall()
        finally:
            await client.aclose()
        return
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM entries")


async def store_dump(store: str) -> str:
    if store.startswith("redis://"):
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(store, decode_responses=True)
        try:
            names = await client.keys("*")
            return json.dumps({name: await client.get(name) for name in names})
        finally:
            await client.aclose()
    with sqlite3.connect(store) as db:
        return json.dumps(db.execute("SELECT * FROM entries").fetchall())


class MetadataDocument:
    """A client metadata document served from loopback, as a client would publish it at its client_id."""

    def __init__(self) -> None:
        self.url = ""
        self.fetched = 0

    def document(self) -> dict[str, Any]:
        return {
            "client_id": self.url,
            "client_name": "Published client",
            "redirect_uris": ["http://127.0.0.1:9/callback"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        }

    async def connection(self, reader: Any, writer: Any) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.fetched += 1
        body = json.dumps(self.document()).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body) + body
        )
        await writer.drain()
        writer.close()


async def test_a_client_that_publishes_its_metadata_document_signs_in_without_registering(store, hostup):
    published = MetadataDocument()
    with serving(published.connection) as port:
        published.url = f"http://127.0.0.1:{port}/client.json"
        async with oauth_server(store, hostup) as http:
            flow = OAuthFlow(http, client_id=published.url)
            page = await flow.open_sign_in()
            tokens = await flow.tokens(ALICE)
            call = await flow.call(tokens["access_token"], EXAMPLE_VPS_ID)

    assert "Published client" in page.response.text
    assert iso_owner(call) == "ISO of alice"
    assert published.fetched == 1  # cached for the rest of the sign-in


async def test_a_key_revoked_at_hostup_after_sign_in_is_explained_as_signing_in_again(store, hostup):
    async with oauth_server(store, hostup) as http:
        flow = OAuthFlow(http)
        await flow.register()
        tokens = await flow.tokens(ALICE)
        del hostup.owners[ALICE]  # the user revoked the key in HostUp's dashboard
        answer = (await flow.call(tokens["access_token"], EXAMPLE_VPS_ID)).json()["result"]

    assert answer["isError"] is True
    text = answer["content"][0]["text"]
    assert (
        "sign in to this server again" in text and "HOSTUP_API_KEY" not in text and "Authorization: Bearer" not in text
    )
