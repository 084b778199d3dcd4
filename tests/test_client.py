"""What the HTTP client observes when a call fails: each kind of failure, with its facts
(the status received, whether the request was sent, whose problem it is)."""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import sys
import time
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest
from pydantic import SecretStr

from hostup_mcp.config import DEFAULT_BASE_URL, Config
from hostup_mcp.hostup.client import MAX_RESPONSE_BYTES, HostUpClient, call_deadline
from hostup_mcp.hostup.failures import Failure, HostUpError
from hostup_mcp.hostup.retry import RetryPolicy
from tests.fake_hostup import API_KEY, DOCUMENTED_200, EXAMPLE_VPS_ID, FakeHostUp, problem, serve_http
from tests.scripted_server import closed_port

pytestmark = pytest.mark.anyio
Handler = Callable[[httpx.Request], httpx.Response]
NO_RETRY = RetryPolicy(max_attempts=1)


async def failure_of(handler: Handler, call: Callable[[HostUpClient], object] | None = None) -> Failure:
    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2)
    async with HostUpClient.connect(config, transport=httpx.MockTransport(handler), retry=NO_RETRY) as client:
        with pytest.raises(HostUpError) as caught:
            await (call or (lambda c: c.get_vps_iso_media(EXAMPLE_VPS_ID)))(client)  # type: ignore[misc]
    return caught.value.failure


def facts(failure: Failure) -> tuple[object, ...]:
    return (
        failure.method,
        failure.status,
        failure.sent,
        failure.from_hostup,
        failure.problem.code,
        failure.problem.status,
    )


def raise_(error: Exception) -> httpx.Response:
    raise error


class Streamed(httpx.AsyncByteStream):
    """A body that arrives over the wire, so the client decodes it itself."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body


ANSWERS: list[tuple[str, Handler, tuple[object, ...]]] = [
    (
        "HostUp's problem",
        lambda r: httpx.Response(404, json=problem(404, "not_found", "Not found", "x", r.url.path)),
        ("GET", 404, True, True, "not_found", 404),
    ),
    (
        "an error that is not a problem",
        lambda r: httpx.Response(502, headers={"content-type": "text/html"}, text="<title>Bad</title>"),
        ("GET", 502, True, False, "invalid_error_body", 502),
    ),
    (
        "no answer in time",
        lambda r: raise_(httpx.ReadTimeout("slow", request=r)),
        ("GET", None, True, False, "timeout", None),
    ),
    (
        "a connection lost after sending",
        lambda r: raise_(httpx.ReadError("reset", request=r)),
        ("GET", None, True, False, "connection_lost", None),
    ),
    (
        "a 300, which is a redirect too",
        lambda r: httpx.Response(300, headers={"location": "/elsewhere"}),
        ("GET", 300, True, False, "redirect_not_followed", 300),
    ),
    (
        "a redirect",
        lambda r: httpx.Response(302, headers={"location": "https://elsewhere.example/"}),
        ("GET", 302, True, False, "redirect_not_followed", 302),
    ),
    (
        "a body over the limit",
        lambda r: httpx.Response(200, content=b" " * (MAX_RESPONSE_BYTES + 1)),
        ("GET", 200, True, False, "response_too_large", 200),
    ),
    (
        "a body that is not JSON",
        lambda r: httpx.Response(200, headers={"content-type": "application/json"}, content=b"{"),
        ("GET", 200, True, False, "invalid_response_body", 200),
    ),
    (
        "a body of the wrong shape",
        lambda r: httpx.Response(200, json={"available": 1}),
        ("GET", 200, True, False, "unexpected_response_shape", 200),
    ),
    (
        "a compressed body that does not decompress",
        lambda r: httpx.Response(200, headers={"content-encoding": "gzip"}, stream=Streamed(b"not gzip")),
        ("GET", 200, True, False, "invalid_response_body", 200),
    ),
    (
        "a body of the wrong type",
        lambda r: httpx.Response(200, headers={"content-type": "text/plain"}, text="ok"),
        ("GET", 200, True, False, "invalid_response_body", 200),
    ),
]


@pytest.mark.parametrize(("handler", "expected"), [answer[1:] for answer in ANSWERS], ids=[a[0] for a in ANSWERS])
async def test_each_answer_that_is_not_data_is_a_failure_with_its_facts(handler: Handler, expected: tuple):
    assert facts(await failure_of(handler)) == expected


async def test_an_unusable_answer_to_a_write_is_a_failure_of_that_write():
    failure = await failure_of(
        lambda r: httpx.Response(200, json={"device": 3}), lambda c: c.mount_iso(EXAMPLE_VPS_ID, "iso_1")
    )

    assert facts(failure) == ("POST", 200, True, False, "unexpected_response_shape", 200)


async def test_a_call_whose_budget_is_already_spent_is_not_sent():
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=DOCUMENTED_200)

    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2)
    async with HostUpClient.connect(config, transport=httpx.MockTransport(record), retry=NO_RETRY) as client:
        with call_deadline(-1), pytest.raises(HostUpError) as caught:
            await client.unmount_iso(EXAMPLE_VPS_ID)

    assert facts(caught.value.failure) == ("POST", None, False, False, "timeout", None)
    assert "within the 2 s this call may take" in (caught.value.problem.detail or "")
    assert seen == []


async def test_no_connection_is_a_failure_before_sending(caplog: pytest.LogCaptureFixture):
    config = Config(api_key=SecretStr(API_KEY), base_url=f"http://127.0.0.1:{closed_port()}", timeout_seconds=2)
    caplog.set_level(logging.INFO, logger="hostup_mcp")
    async with HostUpClient.connect(config, retry=NO_RETRY) as client:
        with pytest.raises(HostUpError) as caught:
            await client.get_vps_iso_media(EXAMPLE_VPS_ID)

    assert facts(caught.value.failure) == ("GET", None, False, False, "connection_failed", None)
    assert config.base_url in (caught.value.problem.detail or "")
    assert f"GET /api/v2/vps/{EXAMPLE_VPS_ID}/iso: no connection (ConnectError)" in caplog.messages


@pytest.fixture
async def client() -> AsyncIterator[tuple[HostUpClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"operation": {"status": "queued", "jobId": "job_1"}, "device": "ide2"})

    config = Config(api_key=SecretStr(API_KEY))
    async with HostUpClient.connect(config, transport=httpx.MockTransport(record), retry=NO_RETRY) as connected:
        yield connected, seen


async def test_path_segments_are_encoded_so_no_value_can_add_one(client):
    hostup, seen = client
    await hostup.get_job("a/../b?c")

    assert seen[0].url.raw_path == b"/api/jobs/a%2F..%2Fb%3Fc"


@pytest.mark.parametrize(
    ("decompress", "body"),
    [(None, {"url": "u", "filename": "f"}), ("gzip", {"url": "u", "filename": "f", "decompress": "gzip"})],
)
async def test_a_download_sends_decompress_only_when_given(client, decompress: str | None, body: dict):
    hostup, seen = client
    await hostup.download_iso(EXAMPLE_VPS_ID, "u", "f", decompress)

    assert json.loads(seen[0].content) == body


async def test_another_key_uses_the_same_connections_for_one_request(client):
    hostup, seen = client
    await hostup.with_key(SecretStr("hu_other")).unmount_iso(EXAMPLE_VPS_ID)
    await hostup.unmount_iso(EXAMPLE_VPS_ID)

    assert [request.headers["authorization"] for request in seen] == ["Bearer hu_other", f"Bearer {API_KEY}"]


async def test_another_key_keeps_the_retry_policy():
    waits: list[float] = []
    answers = iter([httpx.Response(503), httpx.Response(200, json=DOCUMENTED_200)])
    seen: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    async def record(seconds: float) -> None:
        waits.append(seconds)

    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=10)
    retry = RetryPolicy(max_attempts=2, sleep=record)
    async with HostUpClient.connect(config, transport=httpx.MockTransport(flaky), retry=retry) as hostup:
        media = await hostup.with_key(SecretStr("hu_other")).get_vps_iso_media(EXAMPLE_VPS_ID)

    assert [iso.id for iso in media.available] == [iso["id"] for iso in DOCUMENTED_200["available"]]
    assert len(waits) == 1 and 0 < waits[0] <= 2
    assert [request.headers["authorization"] for request in seen] == ["Bearer hu_other"] * 2


async def test_a_host_that_never_accepts_the_connection_fails_at_the_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
):
    """A black-holed connect gives up after CONNECT_TIMEOUT_SECONDS as "never sent" (safe to repeat),
    not after the whole budget as "may have been sent"."""
    monkeypatch.setattr("hostup_mcp.hostup.client.CONNECT_TIMEOUT_SECONDS", 0.2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):  # fills the backlog: later SYNs go unanswered
            config = Config(api_key=SecretStr(API_KEY), base_url=f"http://127.0.0.1:{port}", timeout_seconds=5)
            async with HostUpClient.connect(config, retry=NO_RETRY) as client:
                started = time.monotonic()
                with pytest.raises(HostUpError) as caught:
                    await client.get_vps_iso_media(EXAMPLE_VPS_ID)
                took = time.monotonic() - started

    assert facts(caught.value.failure) == ("GET", None, False, False, "connection_failed", None)
    assert took < 2


async def test_a_missing_key_is_a_failure_of_the_call_that_needed_it():
    config = Config(api_key=None)
    async with HostUpClient.connect(config, transport=httpx.MockTransport(lambda r: httpx.Response(200))) as hostup:
        with pytest.raises(HostUpError) as caught:
            await hostup.unmount_iso(EXAMPLE_VPS_ID)

    assert facts(caught.value.failure) == ("POST", None, False, False, "missing_api_key", None)


async def test_a_wait_asked_for_with_an_error_that_is_not_a_problem_is_kept():
    failure = await failure_of(lambda r: httpx.Response(503, headers={"retry-after": "7"}, text="<title>Busy</title>"))

    assert (failure.retry_after, failure.problem.retry_after_seconds) == (7, 7)


async def test_a_lost_connection_names_the_base_url():
    failure = await failure_of(lambda r: raise_(httpx.ReadError("reset", request=r)))

    assert DEFAULT_BASE_URL in (failure.problem.detail or "")


async def test_each_request_is_logged_with_method_path_and_outcome(caplog: pytest.LogCaptureFixture):
    answers = iter([httpx.Response(503), httpx.Response(200, json=DOCUMENTED_200)])

    async def slowly(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)
        return next(answers)

    async def no_wait(seconds: float) -> None:
        pass

    caplog.set_level(logging.INFO, logger="hostup_mcp")
    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=10)
    retry = RetryPolicy(max_attempts=2, sleep=no_wait)
    async with HostUpClient.connect(config, transport=httpx.MockTransport(slowly), retry=retry) as hostup:
        await hostup.get_vps_iso_media(EXAMPLE_VPS_ID)

    path = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("hostup_mcp")]
    assert [re.sub(r"[\d.]+ (s|ms)", "N", line) for line in lines] == [
        f"GET {path} -> 503 in N",
        f"retrying GET {path} in N after 503",
        f"GET {path} -> 200 in N",
    ]
    took = [int(match) for match in re.findall(r"in (\d+) ms", " ".join(lines))]
    assert all(40 <= ms < 1000 for ms in took)


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        (httpx.ReadTimeout("slow"), r"GET {path} timed out after 0\.\d\d s"),
        (httpx.ReadError("reset"), r"GET {path} failed: ReadError"),
    ],
)
async def test_a_request_that_fails_is_logged_with_how(caplog: pytest.LogCaptureFixture, error: Exception, logged: str):
    async def fail(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)
        raise error

    caplog.set_level(logging.INFO, logger="hostup_mcp")
    await failure_of(fail)

    path = f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
    assert any(re.fullmatch(logged.format(path=path), record.getMessage()) for record in caplog.records)


async def test_a_cookie_hostup_sets_for_one_key_never_rides_on_another_keys_request():
    """HostUp takes its `hostup_session` cookie as a credential; one client carries every user's requests."""
    seen: list[tuple[str | None, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers.get("authorization"), request.headers.get("cookie")))
        return httpx.Response(200, json=DOCUMENTED_200, headers={"set-cookie": "hostup_session=alice; Path=/"})

    config = Config(api_key=None, timeout_seconds=2, key_source="request")
    async with HostUpClient.connect(config, transport=httpx.MockTransport(handler), retry=NO_RETRY) as shared:
        await shared.with_key(SecretStr("hu_alice")).get_vps_iso_media(EXAMPLE_VPS_ID)
        await shared.with_key(SecretStr("hu_bob")).get_vps_iso_media(EXAMPLE_VPS_ID)
        await shared.with_key(SecretStr("hu_alice")).get_vps_iso_media(EXAMPLE_VPS_ID)

    assert seen == [("Bearer hu_alice", None), ("Bearer hu_bob", None), ("Bearer hu_alice", None)]


@pytest.mark.parametrize(
    ("cause", "says"),
    [
        (
            socket.gaierror(-2, "Name or service not known"),
            "the name could not be resolved (Name or service not known)",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "the connection was refused"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "the TLS handshake failed"),
        (OSError(101, "Network is unreachable"), "Network is unreachable"),
    ],
)
async def test_a_connection_failure_says_which_and_why(cause: BaseException, says: str):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connect failed", request=request) from cause

    failure = await failure_of(refuse)

    assert failure.problem.code == "connection_failed"
    assert failure.problem.detail.startswith(says)
    assert f" connecting to {DEFAULT_BASE_URL}: " in failure.problem.detail


async def test_a_refused_connection_on_a_real_socket_is_said_so():
    config = Config(api_key=SecretStr(API_KEY), base_url=f"http://127.0.0.1:{closed_port()}", timeout_seconds=2)
    async with HostUpClient.connect(config, retry=NO_RETRY) as client:
        with pytest.raises(HostUpError) as caught:
            await client.get_vps_iso_media(EXAMPLE_VPS_ID)

    assert caught.value.failure.problem.detail.startswith("the connection was refused connecting to")


class ImportWatch:
    """A meta-path finder that finds nothing and notes every module something tried to import."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        self.asked.append(name)


async def test_a_hostup_call_over_a_real_socket_imports_nothing():
    """httpcore imports sniffio on every request; were it not installed, each request would search sys.path for
    it again (2 ms of CPU per call under load, docs/performance.md)."""
    watch = ImportWatch()
    with serve_http(FakeHostUp()) as base_url:
        async with HostUpClient.connect(Config(api_key=SecretStr(API_KEY), base_url=base_url)) as client:
            await client.get_vps_iso_media(EXAMPLE_VPS_ID)  # the first call may import what it needs once
            sys.meta_path.insert(0, watch)
            try:
                for _ in range(3):
                    await client.get_vps_iso_media(EXAMPLE_VPS_ID)
            finally:
                sys.meta_path.remove(watch)

    assert watch.asked == []
