"""Properties over hostile input: ids and response bodies the server has never seen."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.ids import VPS_ID_PATTERN
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.server import build_server
from tests.fake_hostup import API_KEY, DOCUMENTED_200
from tests.results import problem_of

NO_RETRY = RetryPolicy(max_attempts=1)
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Recorder:
    """A HostUp stand-in whose answer each example sets; it records the paths it was asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.raw_targets: list[bytes] = []
        self.response = httpx.Response(200, json=DOCUMENTED_200)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.raw_targets.append(request.url.raw_path)
        return self.response


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def session(recorder: Recorder) -> Iterator[tuple[BlockingPortal, Client]]:
    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2.0)
    server = build_server(config, transport=httpx.MockTransport(recorder.handle), retry=NO_RETRY)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server)) as client:
        yield portal, client


def call(session: tuple[BlockingPortal, Client], vps_id: Any) -> CallToolResult:
    portal, client = session
    return portal.call(client.call_tool, "list_vps_iso_media", {"vps_id": vps_id})


def assert_explained(result: CallToolResult) -> None:
    """Either the documented data, or an error a model can act on: never a bare crash; and sendable."""
    result.model_dump_json(by_alias=True)  # what a transport writes; raises on a lone surrogate
    text = result.content[0].text
    assert "Error executing tool" not in text
    if result.is_error:
        assert problem_of(result).get("code") or problem_of(result).get("status")
        assert "Next step:" in text


@PROPERTY_SETTINGS
@given(vps_id=st.one_of(st.text(), st.text(alphabet=st.characters(codec="ascii")), st.from_regex(VPS_ID_PATTERN)))
def test_any_string_as_vps_id_is_rejected_up_front_or_becomes_exactly_one_safe_path(session, recorder, vps_id: str):
    recorder.paths.clear()
    recorder.raw_targets.clear()
    recorder.response = httpx.Response(200, json=DOCUMENTED_200)

    result = call(session, vps_id)

    assert_explained(result)
    if re.fullmatch(VPS_ID_PATTERN, vps_id):
        assert recorder.raw_targets == [f"/api/v2/vps/{vps_id}/iso".encode()]
        assert result.is_error is False
    else:
        assert recorder.paths == []
        assert problem_of(result)["code"] == "invalid_vps_id"


# Every code point, lone surrogates included: st.text() leaves them out, and they once stopped the stdio writer.
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=20,
)
documented_keys = st.sampled_from(
    [
        "available",
        "mounted",
        "bootOrder",
        "availableDevices",
        "actions",
        "status",
        "code",
        "detail",
        "title",
        "errors",
        "requestId",
    ]
)
json_fragments = st.lists(
    st.sampled_from(["[", "]", "{", "}", ":", ",", '"a"', "null", "NaN", "-Infinity", "1e400", "5.9", '"available"']),
    max_size=60,
).map(lambda tokens: "".join(tokens).encode())
bodies = st.one_of(
    json_fragments,
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(documented_keys, json_values, max_size=6).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
)


@PROPERTY_SETTINGS
@given(
    status=st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 409, 418, 429, 500, 502, 503]),
    body=bodies,
    content_type=st.sampled_from(["application/json", "application/problem+json", "text/html", "text/plain", ""]),
    retry_after=st.one_of(
        st.none(),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=12),
        st.integers(-10, 10**6).map(str),
    ),
)
def test_any_body_with_any_status_is_data_or_an_explained_error(
    session, recorder, status, body, content_type, retry_after
):
    headers = {"content-type": content_type} if content_type else {}
    if retry_after is not None:
        headers["retry-after"] = retry_after.encode("latin-1")  # header bytes as a server may send them
    recorder.response = httpx.Response(status, headers=headers, content=body)

    result = call(session, "vps_01hxa3b4c5d6e7f8g9h0j1k2m3")

    assert_explained(result)
    if not result.is_error:
        assert status == 200
        assert set(result.structured_content) >= {"available", "mounted", "bootOrder", "availableDevices", "actions"}


class BodyRecorder(Recorder):
    """Also keeps each request's query and JSON body, to see exactly what went to HostUp."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[dict[str, str]] = []
        self.bodies: list[Any] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(dict(request.url.params))
        self.bodies.append(json.loads(request.content) if request.content else None)
        if request.method == "POST":
            self.paths.append(request.url.path)
            return httpx.Response(202, json={"operation": {"status": "queued", "jobId": "job_1", "pollUrl": None}})
        if request.url.path == "/api/v2/vps":
            self.paths.append(request.url.path)
            return httpx.Response(200, json={"data": [], "nextCursor": None})
        return httpx.Response(200, json=DOCUMENTED_200)


@pytest.fixture(scope="module")
def writes() -> Iterator[tuple[BlockingPortal, Client, BodyRecorder]]:
    recorder = BodyRecorder()
    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=2.0, enable_writes=True)
    server = build_server(config, transport=httpx.MockTransport(recorder.handle), retry=NO_RETRY)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server)) as client:
        yield portal, client, recorder


def call_tool(writes: tuple[BlockingPortal, Client, BodyRecorder], tool: str, arguments: dict[str, Any]) -> Any:
    portal, client, recorder = writes
    recorder.paths.clear()
    recorder.queries.clear()
    recorder.bodies.clear()
    return portal.call(client.call_tool, tool, arguments)


@PROPERTY_SETTINGS
@given(cursor=any_text | st.text(max_size=3000))
@example(cursor="\ud800")
@example(cursor="null")  # JSON text: the SDK would have decoded it to no cursor
def test_any_string_as_cursor_is_refused_up_front_or_sent_exactly_and_only_as_the_cursor(writes, cursor: str):
    result = call_tool(writes, "list_vps", {"cursor": cursor})
    recorder = writes[2]

    assert_explained(result)
    if any(0xD800 <= ord(char) <= 0xDFFF for char in cursor):  # a lone surrogate: JSON can send it, a URL cannot
        assert problem_of(result)["code"] == "invalid_cursor"
        assert recorder.paths == []
    else:
        assert recorder.paths == ["/api/v2/vps"]
        assert recorder.queries == [{"cursor": cursor}]


@PROPERTY_SETTINGS
@given(url=any_text | st.from_regex(r"https?://[a-z0-9.-]{1,30}(/[ -~]{0,40})?", fullmatch=True))
def test_any_string_as_url_is_refused_up_front_or_sent_exactly_as_the_url(writes, url: str):
    arguments = {"vps_id": "vps_a", "url": url, "filename": "debian-12.iso"}
    result = call_tool(writes, "download_vps_iso", arguments)
    recorder = writes[2]

    assert_explained(result)
    if result.is_error:
        assert problem_of(result)["code"] == "invalid_url"
        assert recorder.paths == []
    else:
        assert recorder.paths == ["/api/v2/vps/vps_a/iso/actions/from-url"]
        assert recorder.bodies[-1] == {"url": url, "filename": "debian-12.iso"}


@PROPERTY_SETTINGS
@given(filename=any_text | st.from_regex(r"[A-Za-z0-9._-]{1,60}", fullmatch=True))
def test_any_string_as_filename_is_refused_up_front_or_sent_exactly_as_the_filename(writes, filename: str):
    arguments = {"vps_id": "vps_a", "url": "https://example.com/x.iso", "filename": filename}
    result = call_tool(writes, "download_vps_iso", arguments)
    recorder = writes[2]

    assert_explained(result)
    if result.is_error:
        assert problem_of(result)["code"] == "invalid_filename"
        assert recorder.paths == []
    else:
        assert recorder.paths == ["/api/v2/vps/vps_a/iso/actions/from-url"]
        assert recorder.bodies[-1]["filename"] == filename
