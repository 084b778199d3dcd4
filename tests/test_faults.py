"""Transport faults, retries and rate limits against a real HTTP server on 127.0.0.1.

Every test uses the production retry policy, so the number of requests and the time they take
pin that policy down.
"""

from __future__ import annotations

import gzip
import json
import logging
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.client import MAX_RESPONSE_BYTES
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, problem
from tests.results import hostup_document, problem_of
from tests.scripted_server import ScriptedServer, Step, closed_port, json_step

pytestmark = pytest.mark.anyio

PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
TIMEOUT = 0.5  # short: the timeout tests wait it out for real
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


class RecordedWaits(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> RecordedWaits:
    return RecordedWaits()


def instant(waits: RecordedWaits | None = None) -> RetryPolicy:
    """The default policy, its waits recorded instead of slept (the budget still runs on the real clock)."""
    return RetryPolicy(sleep=waits if waits is not None else RecordedWaits())


def config_for(base_url: str) -> Config:
    return Config(api_key=SecretStr(API_KEY), base_url=base_url, timeout_seconds=TIMEOUT)


@pytest.fixture
async def client(hostup: ScriptedServer) -> AsyncIterator[Client]:
    """Waits recorded, not slept, and a budget they never outlast, so retry counts do not depend on the clock."""
    config = Config(api_key=SecretStr(API_KEY), base_url=hostup.base_url, timeout_seconds=10)
    async with Client(build_server(config, retry=instant())) as connected:
        yield connected


@pytest.fixture
async def hasty(hostup: ScriptedServer) -> AsyncIterator[Client]:
    """A short budget (TIMEOUT) for the tests that wait it out for real."""
    async with Client(build_server(config_for(hostup.base_url), retry=instant())) as connected:
        yield connected


async def timed_call(client: Client) -> tuple[object, float]:
    started = time.monotonic()
    result = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
    return result, time.monotonic() - started


# --- transport faults -------------------------------------------------------------------------


async def test_connection_refused_is_retried_then_explained():
    async with Client(build_server(config_for(f"http://127.0.0.1:{closed_port()}"), retry=instant())) as client:
        result, elapsed = await timed_call(client)

    assert result.is_error is True
    assert problem_of(result)["code"] == "connection_failed"
    assert "the connection was refused" in problem_of(result)["detail"]
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
    assert hostup_document(result) == DOCUMENTED_200
    assert len(hostup.requests_to(PATH)) == 2


async def test_a_server_that_never_answers_times_out_within_the_budget(hasty: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(stall_before_headers=True))

    result, elapsed = await timed_call(hasty)

    assert problem_of(result)["code"] == "timeout"
    assert TIMEOUT <= elapsed < TIMEOUT + 0.5
    assert len(hostup.requests_to(PATH)) == 1


async def test_headers_then_a_stalled_body_times_out_within_the_budget(hasty: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(body=b'{"available": []' + b" " * 100, send_bytes=10, ending="stall"))

    result, elapsed = await timed_call(hasty)

    assert problem_of(result)["code"] == "timeout"
    assert elapsed < TIMEOUT + 0.5


async def test_a_body_trickled_byte_by_byte_cannot_outlast_the_budget(hasty: Client, hostup: ScriptedServer):
    # Each byte arrives well within httpx's per-read timeout; only the overall deadline stops it.
    hostup.script(PATH, Step(body=json.dumps(DOCUMENTED_200).encode(), trickle_seconds=0.1))

    result, elapsed = await timed_call(hasty)

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


# --- rate limits and retries: waits are recorded, not slept ---------------------------------------


@pytest.fixture
async def patient(hostup: ScriptedServer, waits: RecordedWaits) -> AsyncIterator[Client]:
    """A client whose retry waits are recorded instead of slept, with a budget they all fit in."""
    config = Config(api_key=SecretStr(API_KEY), base_url=hostup.base_url, timeout_seconds=60)
    async with Client(build_server(config, retry=instant(waits))) as connected:
        yield connected


def http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


def iso_time(seconds_from_now: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds_from_now)).isoformat()


@pytest.mark.parametrize(
    ("retry_after", "requests", "expected_waits", "reported"),
    [
        ("1", 3, [1.0, 1.0], 1),  # waited out twice, then reported
        ("0", 3, [0.0, 0.0], 0),
        ("3", 3, [3.0, 3.0], 3),  # the longest wait the server sits through
        ("86400", 1, [], 86400),  # absurdly long: reported at once
        ("4", 1, [], 4),  # just over the 3 s the server will wait
    ],
)
async def test_retry_after_variants(
    patient: Client, hostup: ScriptedServer, waits, retry_after, requests, expected_waits, reported
):
    hostup.script(PATH, rate_limited(retry_after))

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert problem_of(result)["status"] == 429
    assert problem_of(result).get("retryAfterSeconds") == reported
    assert len(hostup.requests_to(PATH)) == requests
    assert waits == expected_waits


@pytest.mark.parametrize("retry_after", [None, "-3", "soon", "9" * 4301, "１"])
async def test_a_429_without_a_usable_wait_backs_off_for_seconds_not_milliseconds(
    patient: Client, hostup: ScriptedServer, waits, retry_after
):
    hostup.script(PATH, rate_limited(retry_after))

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert problem_of(result).get("retryAfterSeconds") is None
    assert "rate limited: wait a minute" in result.content[0].text
    assert len(hostup.requests_to(PATH)) == 3
    first, second = waits
    assert 1.0 <= first < 2.0 and 2.0 <= second < 4.0


async def test_x_ratelimit_reset_is_the_wait_when_retry_after_is_missing(
    patient: Client, hostup: ScriptedServer, waits
):
    body = problem(429, "rate_limit_exceeded", "Too many requests", "Too many requests.", PATH)
    hostup.script(PATH, json_step(429, body, headers={"x-ratelimit-reset": iso_time(2)}), OK)

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert result.is_error is False
    assert len(waits) == 1 and 1.0 <= waits[0] <= 2.0


async def test_a_far_x_ratelimit_reset_is_reported_with_the_seconds(patient: Client, hostup: ScriptedServer, waits):
    body = problem(429, "rate_limit_exceeded", "Too many requests", "Too many requests.", PATH)
    hostup.script(PATH, json_step(429, body, headers={"x-ratelimit-reset": iso_time(600)}))

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert 595 <= problem_of(result)["retryAfterSeconds"] <= 600
    assert waits == []


async def test_retry_after_as_an_http_date_is_honoured(patient: Client, hostup: ScriptedServer, waits):
    hostup.script(PATH, rate_limited(http_date(2)), OK)

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert result.is_error is False
    assert len(hostup.requests_to(PATH)) == 2
    assert len(waits) == 1 and 1.0 <= waits[0] <= 2.0


async def test_a_far_http_date_is_reported_with_the_seconds(patient: Client, hostup: ScriptedServer, waits):
    hostup.script(PATH, rate_limited(http_date(600)))

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert 595 <= problem_of(result)["retryAfterSeconds"] <= 600
    assert len(hostup.requests_to(PATH)) == 1
    assert waits == []


async def test_429_then_success(patient: Client, hostup: ScriptedServer, waits):
    hostup.script(PATH, rate_limited("1"), OK)

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert hostup_document(result) == DOCUMENTED_200
    assert len(hostup.requests_to(PATH)) == 2
    assert waits == [1.0]


async def test_503_then_success(patient: Client, hostup: ScriptedServer, waits):
    hostup.script(PATH, unavailable(), OK)

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert hostup_document(result) == DOCUMENTED_200
    assert len(hostup.requests_to(PATH)) == 2
    assert len(waits) == 1 and 0.125 <= waits[0] <= 0.25


@pytest.mark.parametrize(("status", "requests"), [(502, 3), (503, 3), (504, 3), (500, 2)])
async def test_persistent_5xx_gives_up_after_the_policy(
    patient: Client, hostup: ScriptedServer, waits, status, requests
):
    hostup.script(PATH, unavailable(status))

    result = await patient.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert problem_of(result)["status"] == status
    assert "HostUp-side failure" in result.content[0].text
    assert len(hostup.requests_to(PATH)) == requests
    assert len(waits) == requests - 1
    assert all(0.125 <= wait <= 0.5 for wait in waits)


async def test_a_wait_that_would_pass_the_deadline_is_not_started(hasty: Client, hostup: ScriptedServer):
    hostup.script(PATH, rate_limited("1"))  # the budget is 1 s: a 1 s wait cannot fit

    result, elapsed = await timed_call(hasty)

    assert problem_of(result)["retryAfterSeconds"] == 1
    assert len(hostup.requests_to(PATH)) == 1
    assert elapsed < 0.5


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


# --- writes: never repeated once HostUp may have acted, and told the truth about it ----------------

MOUNT_PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/mount"
FROM_URL_PATH = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso/actions/from-url"
MOUNT_ARGS = {"vps_id": EXAMPLE_VPS_ID, "iso_id": "iso_01hxa3b4c5d6e7f8g9h0j1k2m3"}
DOWNLOAD_ARGS = {"vps_id": EXAMPLE_VPS_ID, "url": "https://example.com/a.iso", "filename": "a.iso"}
NOTHING_MOUNTED = json_step(200, {**DOCUMENTED_200, "mounted": []})


@pytest.fixture
async def writer(hostup: ScriptedServer, waits: RecordedWaits) -> AsyncIterator[Client]:
    config = Config(api_key=SecretStr(API_KEY), base_url=hostup.base_url, timeout_seconds=TIMEOUT, enable_writes=True)
    hostup.script(PATH, NOTHING_MOUNTED)  # the gate pre-check: the ISO is there, and not mounted yet
    async with Client(build_server(config, retry=instant(waits))) as connected:
        yield connected


async def mount(writer: Client) -> object:
    return await writer.call_tool("mount_vps_iso", MOUNT_ARGS)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_write_answered_with_5xx_is_not_repeated_and_its_outcome_is_unknown(
    writer: Client, hostup: ScriptedServer, status: int
):
    hostup.script(MOUNT_PATH, unavailable(status))

    result = await mount(writer)

    assert problem_of(result)["status"] == status
    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    text = result.content[0].text
    assert "the outcome is unknown: HostUp may or may not have carried out the mount" in text
    assert "Check with list_vps_iso_media before trying again" in text
    assert "retry later" not in text


async def test_a_write_rejected_with_429_is_repeated_after_the_wait(writer: Client, hostup: ScriptedServer, waits):
    hostup.script(MOUNT_PATH, rate_limited("0"), json_step(200, {"device": "ide3"}))

    result = await mount(writer)

    assert hostup_document(result) == {"device": "ide3"}
    assert [seen.method for seen in hostup.requests_to(MOUNT_PATH)] == ["POST", "POST"]
    assert waits == [0.0]


async def test_a_500_whose_body_claims_429_is_a_500_sent_once(writer: Client, hostup: ScriptedServer):
    claims_429 = problem(429, "rate_limit_exceeded", "Too many requests", "Too many requests.", MOUNT_PATH)
    hostup.script(MOUNT_PATH, json_step(500, claims_429, headers={"retry-after": "0"}))

    result = await mount(writer)

    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    assert problem_of(result)["status"] == 500 and problem_of(result)["bodyStatus"] == 429
    text = result.content[0].text
    assert text.startswith("HostUp error 500 rate_limit_exceeded")
    assert "rate limited" not in text.split("Next step:")[1]
    assert "the outcome is unknown" in text


async def test_a_problem_body_decides_nothing_about_where_it_came_from(writer: Client, hostup: ScriptedServer):
    # A body that dresses up as one of ours is still HostUp's answer.
    forged = {"type": "urn:hostup-mcp:timeout", "code": "timeout", "title": "forged", "status": 504}
    hostup.script(MOUNT_PATH, json_step(409, forged))

    result = await mount(writer)

    assert result.content[0].text.startswith("HostUp error 409 timeout")
    assert "refused the action in the VPS's current state" in result.content[0].text


@pytest.mark.parametrize(
    "answer",
    [
        json_step(200, {"device": 3}),  # the wrong shape
        Step(headers={"content-type": "application/json"}, body=b'{"device": '),  # not JSON
        Step(headers={"content-type": "text/html"}, body=b"<html>ok</html>"),  # not JSON at all
        Step(headers={"content-type": "application/json"}, body=b" " * (MAX_RESPONSE_BYTES + 1)),  # oversize
    ],
    ids=["shape", "json", "html", "oversize"],
)
async def test_a_write_whose_2xx_answer_cannot_be_read_says_hostup_acted(
    writer: Client, hostup: ScriptedServer, answer: Step
):
    hostup.script(MOUNT_PATH, answer)

    result = await mount(writer)

    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    text = result.content[0].text
    assert "Next step: HostUp accepted the mount (HTTP 200), but its answer could not be read. Do not repeat it" in text
    assert "try again" not in text.lower()


async def test_an_unreadable_download_answer_warns_that_repeating_it_downloads_again(
    writer: Client, hostup: ScriptedServer
):
    hostup.script(FROM_URL_PATH, json_step(202, {"operation": {"jobId": "job_1"}}))  # no status: not the shape

    result = await writer.call_tool("download_vps_iso", DOWNLOAD_ARGS)

    assert "a second call would start it again" in result.content[0].text
    assert problem_of(result)["response"] == {"operation": {"jobId": "job_1"}}  # HostUp's body is kept


async def test_a_write_whose_connection_breaks_after_sending_is_not_repeated(writer: Client, hostup: ScriptedServer):
    hostup.script(MOUNT_PATH, Step(body=b'{"device":', send_bytes=4, ending="reset"))

    result = await mount(writer)

    assert problem_of(result)["code"] == "connection_lost"
    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    assert "may or may not have carried out the mount" in result.content[0].text


async def test_a_write_that_times_out_is_not_repeated(writer: Client, hostup: ScriptedServer):
    hostup.script(MOUNT_PATH, Step(stall_before_headers=True))

    result = await mount(writer)

    assert problem_of(result)["code"] == "timeout"
    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    assert "Check with list_vps_iso_media before trying again" in result.content[0].text


async def test_when_only_the_precheck_times_out_the_write_is_said_not_sent(writer: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(stall_before_headers=True))

    result = await mount(writer)

    assert problem_of(result)["code"] == "timeout"
    assert hostup.requests_to(MOUNT_PATH) == []
    text = result.content[0].text
    assert "Next step: the mount was not sent, because the check before it failed" in text
    assert "may or may not" not in text


async def test_one_deadline_covers_the_precheck_and_the_write(writer: Client, hostup: ScriptedServer):
    hostup.script(PATH, json_step(200, {**DOCUMENTED_200, "mounted": []}, delay=0.3))
    hostup.script(MOUNT_PATH, Step(stall_before_headers=True))

    started = time.monotonic()
    result = await mount(writer)
    elapsed = time.monotonic() - started

    assert problem_of(result)["code"] == "timeout"
    assert len(hostup.requests_to(MOUNT_PATH)) == 1
    assert TIMEOUT <= elapsed < TIMEOUT + 0.2  # not 0.3 s + a whole budget for the write


async def test_a_write_that_never_connected_is_repeated(caplog: pytest.LogCaptureFixture):
    config = Config(
        api_key=SecretStr(API_KEY),
        base_url=f"http://127.0.0.1:{closed_port()}",
        timeout_seconds=10,  # a budget that never ends the attempts first, on a loaded machine too
        enable_writes=True,
    )
    async with Client(build_server(config, retry=instant())) as client:
        result = await client.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID})

    assert problem_of(result)["code"] == "connection_failed"
    assert "may or may not" not in result.content[0].text
    retries = [record for record in caplog.records if record.getMessage().startswith("retrying POST")]
    assert len(retries) == 2  # three attempts: HostUp cannot have acted on a request it never received


# --- TLS and compression ----------------------------------------------------------------------


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server context with a certificate no CA bundle trusts (what a TLS-inspecting proxy presents)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    subprocess.run(
        ["openssl", *request, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_an_untrusted_certificate_is_explained_with_how_to_trust_it(self_signed: ssl.SSLContext, caplog):
    caplog.set_level(logging.INFO, logger="hostup_mcp")
    with ScriptedServer(tls=self_signed).running() as proxy:
        async with Client(build_server(config_for(proxy.base_url))) as client:
            result, _ = await timed_call(client)

    assert problem_of(result)["code"] == "certificate_not_trusted"
    assert "CERTIFICATE_VERIFY_FAILED" in problem_of(result)["detail"]
    assert "HOSTUP_CA_FILE" in result.content[0].text
    assert proxy.requests == []  # the request never went out
    # Not tried again: the same certificate fails the same way, and a retry only spent the budget (a loaded CI
    # run once reported the second attempt's timeout instead of the certificate).
    assert [record for record in caplog.records if record.getMessage().startswith("retrying")] == []


def gzip_step(document: bytes) -> Step:
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    return Step(headers=headers, body=gzip.compress(document))


async def test_a_gzipped_answer_is_read(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, gzip_step(json.dumps(DOCUMENTED_200).encode()))

    result, _ = await timed_call(client)

    assert hostup_document(result) == DOCUMENTED_200
    assert hostup.requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_a_decompression_bomb_is_stopped_at_the_limit_not_after_inflating_it(
    client: Client, hostup: ScriptedServer
):
    bomb = gzip.compress(b" " * (32 * MAX_RESPONSE_BYTES))  # 64 MiB of spaces in ~64 KB
    hostup.script(PATH, Step(headers={"content-type": "application/json", "content-encoding": "gzip"}, body=bomb))
    tracemalloc.start()

    result, _ = await timed_call(client)

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert problem_of(result)["code"] == "response_too_large"
    assert peak < 8 * MAX_RESPONSE_BYTES  # httpx's decoder would have held all 64 MiB


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (gzip.compress(json.dumps(DOCUMENTED_200).encode(), mtime=0)[:-12], "the compressed body ends early"),
        (b"not gzip at all", "incorrect header check"),
    ],
)
async def test_a_broken_compressed_body_is_explained(client: Client, hostup: ScriptedServer, body: bytes, why: str):
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    hostup.script(PATH, Step(headers=headers, body=body))

    result, _ = await timed_call(client)

    assert problem_of(result)["code"] == "invalid_response_body"
    assert why in problem_of(result)["detail"]


async def test_an_encoding_we_did_not_ask_for_is_refused(client: Client, hostup: ScriptedServer):
    hostup.script(PATH, Step(headers={"content-type": "application/json", "content-encoding": "br"}, body=b"x"))

    result, _ = await timed_call(client)

    assert problem_of(result)["code"] == "invalid_response_body"
    assert "Content-Encoding 'br'" in problem_of(result)["detail"]
