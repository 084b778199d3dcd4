"""Transport faults, retries and rate limits against a real HTTP server on 127.0.0.1.

Every test uses the production retry policy, so the number of requests and the time they take
pin that policy down.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import MAX_RESPONSE_BYTES
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, problem
from tests.results import problem_of
from tests.scripted_server import ScriptedServer, Step, closed_port, json_step

pytestmark = pytest.mark.anyio

PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
TIMEOUT = 1.0
OK = json_step(200, DOCUMENTED_200)


def rate_limited(retry_after: str | None) -> Step:
    headers = {} if retry_after is None else {"retry-after": retry_after}
    body = problem(429, "rate_limit_exceeded", "Too many requests", "Too many requests.", PATH)
    return json_step(429, body, headers=headers)


def unavailable(status: int = 503) -> Step:
    return json_step(status, problem(status, "upstream_unavailable", "Unavailable", "Try again shortly.", PATH))


@pytest.fixture
def hostup() -> Iterator[ScriptedServer]:
    with ScriptedServer().running() as server:
        yield server


def config_for(base_url: str) -> Config:
    return Config(api_key=SecretStr(API_KEY), base_url=base_url, timeout_seconds=TIMEOUT)


@pytest.fixture
async def client(hostup: ScriptedServer) -> AsyncIterator[Client]:
    async with Client(build_server(config_for(hostup.base_url))) as connected:
        yield connected


async def timed_call(client: Client) -> tuple[object, float]:
    started = time.monotonic()
    result = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
    return result, time.monotonic() - started


# --- transport faults -------------------------------------------------------------------------


async def test_connection_refused_is_retried_then_explained():
    async with Client(build_server(config_for(f"http://127.0.0.1:{closed_port()}"))) as client:
        result, elapsed = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["code"] == "connection_failed"
    assert "ConnectError" in problem_of(result)["detail"]
    assert elapsed < 1.0  # three refusals and two short backoffs


async def test_connection_reset_mid_body_is_retried_then_explained(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(body=json.dumps(DOCUMENTED_200).encode(), send_bytes=40, ending="reset"))

    result, _ = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["code"] == "connection_lost"
    assert len(hostup.requests_to(PATH)) == 3


async def test_reset_once_then_success_recovers(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(body=b'{"avail', send_bytes=5, ending="reset"), OK)

    result, _ = await timed_call(client)

    assert result.is_error is False
    assert result.structured_content == DOCUMENTED_200
    assert len(hostup.requests_to(PATH)) == 2


async def test_a_server_that_never_answers_times_out_within_the_budget(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(stall_before_headers=True))

    result, elapsed = await timed_call(client)

    assert problem_of(result)["code"] == "timeout"
    assert TIMEOUT <= elapsed < TIMEOUT + 0.5
    assert len(hostup.requests_to(PATH)) == 1


async def test_headers_then_a_stalled_body_times_out_within_the_budget(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(body=b'{"available": []' + b" " * 100, send_bytes=10, ending="stall"))

    result, elapsed = await timed_call(client)

    assert problem_of(result)["code"] == "timeout"
    assert elapsed < TIMEOUT + 0.5


async def test_a_body_trickled_byte_by_byte_cannot_outlast_the_budget(client: Client, hostup: ScriptedServer):
    # Each byte arrives well within httpx's per-read timeout; only the overall deadline stops it.
    hostup.script(PATH, Step(body=json.dumps(DOCUMENTED_200).encode(), trickle_seconds=0.1))

    result, elapsed = await timed_call(client)

    assert problem_of(result)["code"] == "timeout"
    assert elapsed < TIMEOUT + 0.5


async def test_a_truncated_body_is_retried_then_explained(client: Client, hostup: ScriptedServer):
    body = json.dumps(DOCUMENTED_200).encode()
    hostup.script(PATH, Step(body=body, send_bytes=len(body) // 2, ending="close"))

    result, _ = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["code"] == "connection_lost"
    assert "RemoteProtocolError" in problem_of(result)["detail"]
    assert len(hostup.requests_to(PATH)) == 3


async def test_a_content_length_shorter_than_the_body_reads_as_invalid_json(client: Client, hostup: ScriptedServer):
    hostup.script(
        PATH,
        Step(
            headers={"content-type": "application/json"},
            body=json.dumps(DOCUMENTED_200).encode(),
            content_length=20,
            ending="close",
        ),
    )

    result, _ = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["code"] == "invalid_response_body"
    assert "not valid JSON" in problem_of(result)["detail"]


async def test_a_declared_huge_body_is_refused_without_reading_it(client: Client, hostup: ScriptedServer):
    hostup.script(
        PATH, Step(headers={"content-type": "application/json"}, body=b"[", content_length=50 * 2**20, ending="stall")
    )

    result, elapsed = await timed_call(client)

    assert problem_of(result)["code"] == "response_too_large"
    assert elapsed < 0.5


async def test_a_streamed_body_over_the_cap_is_cut_off(client: Client, hostup: ScriptedServer):
    chunk = b"x" * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_RESPONSE_BYTES // len(chunk) + 4))
    hostup.script(
        PATH,
        Step(headers={"content-type": "application/json", "transfer-encoding": "chunked"}, body=chunked + b"0\r\n\r\n"),
    )

    result, _ = await timed_call(client)

    assert problem_of(result)["code"] == "response_too_large"
    assert "2048 KiB" in problem_of(result)["detail"]


async def test_a_200_with_the_wrong_content_type_is_not_parsed(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(headers={"content-type": "text/html"}, body=json.dumps(DOCUMENTED_200).encode()))

    result, _ = await timed_call(client)

    assert problem_of(result)["code"] == "invalid_response_body"
    assert "expected JSON, got text/html" in problem_of(result)["detail"]


async def test_a_redirect_elsewhere_is_not_followed_and_the_key_goes_nowhere_else(
    client: Client, hostup: ScriptedServer
):
    with ScriptedServer(host="127.0.0.2").running() as elsewhere:
        elsewhere.script(PATH, OK)
        hostup.script(PATH, Step(status=302, headers={"location": f"{elsewhere.base_url}{PATH}"}))

        result, _ = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["code"] == "redirect_not_followed"
    assert "127.0.0.2" in problem_of(result)["detail"]
    assert elsewhere.requests == []
    assert len(hostup.requests_to(PATH)) == 1
    assert all(seen.headers["authorization"] == f"Bearer {API_KEY}" for seen in hostup.requests)


# --- rate limits and retries ------------------------------------------------------------------


def http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "requests", "min_seconds", "max_seconds", "reported"),
    [
        ("1", 3, 2.0, 2.6, 1),  # waited out twice, then reported
        ("0", 3, 0.0, 0.5, 0),
        (None, 3, 0.25, 1.0, None),  # no header: ordinary backoff
        ("-3", 3, 0.25, 1.0, None),  # unusable: treated as absent
        ("soon", 3, 0.25, 1.0, None),
        ("86400", 1, 0.0, 0.3, 86400),  # absurdly long: reported at once
        ("4", 1, 0.0, 0.3, 4),  # just over the 3 s the server will wait
    ],
)
async def test_retry_after_variants(
    client: Client, hostup: ScriptedServer, retry_after, requests, min_seconds, max_seconds, reported
):
    hostup.script(PATH, rate_limited(retry_after))

    result, elapsed = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["status"] == 429
    assert problem_of(result).get("retryAfterSeconds") == reported
    assert len(hostup.requests_to(PATH)) == requests
    assert min_seconds <= elapsed < max_seconds


async def test_retry_after_as_an_http_date_is_honoured(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, rate_limited(http_date(2)), OK)

    result, elapsed = await timed_call(client)

    assert result.is_error is False
    assert len(hostup.requests_to(PATH)) == 2
    assert 1.0 <= elapsed < 3.0


async def test_a_far_http_date_is_reported_with_the_seconds(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, rate_limited(http_date(600)))

    result, elapsed = await timed_call(client)

    assert 595 <= problem_of(result)["retryAfterSeconds"] <= 600
    assert len(hostup.requests_to(PATH)) == 1
    assert elapsed < 0.3


async def test_429_then_success(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, rate_limited("1"), OK)

    result, elapsed = await timed_call(client)

    assert result.structured_content == DOCUMENTED_200
    assert len(hostup.requests_to(PATH)) == 2
    assert 1.0 <= elapsed < 1.5


async def test_503_then_success(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, unavailable(), OK)

    result, elapsed = await timed_call(client)

    assert result.structured_content == DOCUMENTED_200
    assert len(hostup.requests_to(PATH)) == 2
    assert 0.125 <= elapsed < 0.5


@pytest.mark.parametrize(("status", "requests"), [(502, 3), (503, 3), (504, 3), (500, 2)])
async def test_persistent_5xx_gives_up_after_the_policy(client: Client, hostup: ScriptedServer, status, requests):
    hostup.script(PATH, unavailable(status))

    result, elapsed = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["status"] == status
    assert "HostUp-side failure" in result.content[0].text
    assert len(hostup.requests_to(PATH)) == requests
    assert elapsed < 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
async def test_other_4xx_are_not_retried(client: Client, hostup: ScriptedServer, status: int):
    hostup.script(PATH, json_step(status, problem(status, "x", "X", "x", PATH)))

    await timed_call(client)

    assert len(hostup.requests_to(PATH)) == 1


async def test_connections_are_reused_across_calls(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, OK)

    for _ in range(5):
        await timed_call(client)

    assert len(hostup.requests_to(PATH)) == 5
    assert hostup.closed_connections + hostup.open_connections == 1


# --- writes: never repeated once HostUp may have acted -------------------------------------------

MOUNT_PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/mount"
MOUNT_ARGS = {"vps_id": EXAMPLE_VPS_ID, "iso_id": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"}


NOTHING_MOUNTED = json_step(200, {**DOCUMENTED_200, "mounted": []})


@pytest.fixture
async def writer(hostup: ScriptedServer) -> AsyncIterator[Client]:
    config = Config(api_key=SecretStr(API_KEY), base_url=hostup.base_url, timeout_seconds=TIMEOUT, enable_writes=True)
    hostup.script(PATH, NOTHING_MOUNTED)  # the gate pre-check: the ISO is there, and not mounted yet
    async with Client(build_server(config)) as connected:
        yield connected


async def mount(writer: Client) -> object:
    return await writer.call_tool("mount_vps_iso", MOUNT_ARGS)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_write_answered_with_5xx_is_not_repeated(writer: Client, hostup: ScriptedServer, status: int):
    hostup.script(MOUNT_PATH, unavailable(status))

    result = await mount(writer)

    assert problem_of(result)["status"] == status
    assert len(hostup.requests_to(MOUNT_PATH)) == 1


async def test_a_write_rejected_with_429_is_repeated_after_the_wait(writer: Client, hostup: ScriptedServer):
    hostup.script(MOUNT_PATH, rate_limited("1"), json_step(200, {"device": "ide3"}))

    result = await mount(writer)

    assert result.structured_content == {"device": "ide3"}
    assert [seen.method for seen in hostup.requests_to(MOUNT_PATH)] == ["POST", "POST"]


async def test_a_write_whose_connection_breaks_after_sending_is_not_repeated(writer: Client, hostup: ScriptedServer):
    hostup.script(MOUNT_PATH, Step(body=b'{"device":', send_bytes=4, ending="reset"))

    result = await mount(writer)

    assert problem_of(result)["code"] == "connection_lost"
    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    assert "may or may not have carried this out" in result.content[0].text


async def test_a_write_that_times_out_is_not_repeated(writer: Client, hostup: ScriptedServer):
    hostup.script(MOUNT_PATH, Step(stall_before_headers=True))

    result = await mount(writer)

    assert problem_of(result)["code"] == "timeout"
    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    assert "Check with list_vps_iso_media before trying again" in result.content[0].text


async def test_a_write_that_never_connected_is_repeated(caplog: pytest.LogCaptureFixture):
    config = Config(
        api_key=SecretStr(API_KEY),
        base_url=f"http://127.0.0.1:{closed_port()}",
        timeout_seconds=TIMEOUT,
        enable_writes=True,
    )
    async with Client(build_server(config)) as client:
        result = await client.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID})

    assert problem_of(result)["code"] == "connection_failed"
    assert "may or may not" not in result.content[0].text
    retries = [record for record in caplog.records if record.getMessage().startswith("retrying POST")]
    assert len(retries) == 2  # three attempts: HostUp cannot have acted on a request it never received
