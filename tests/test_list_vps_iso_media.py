"""list_vps_iso_media through the MCP protocol (both eras) against the fake HostUp."""

from __future__ import annotations

import time

import pytest
from mcp import Client
from pydantic import SecretStr

from hostup_mcp.config import Config
from hostup_mcp.hostup.retry import RetryPolicy
from hostup_mcp.server import build_server
from tests.conftest import FAST_RETRY
from tests.fake_hostup import (
    API_KEY,
    BLOCKED_200,
    DOCUMENTED_200,
    EXAMPLE_ISO_ID,
    EXAMPLE_VPS_ID,
    FakeHostUp,
    with_extra_fields,
    with_unicode_names,
)
from tests.results import guidance_of, hostup_document, problem_of

pytestmark = pytest.mark.anyio


async def call(client: Client, vps_id: str):
    return await client.call_tool("list_vps_iso_media", {"vps_id": vps_id})


async def test_documented_example_comes_back_as_structured_content_and_text(client: Client, fake: FakeHostUp):
    result = await call(client, EXAMPLE_VPS_ID)

    assert result.is_error is False
    assert hostup_document(result) == DOCUMENTED_200
    text = result.content[0].text
    assert EXAMPLE_ISO_ID in text and "Ubuntu 24.04 LTS" in text and "canMount: allowed" in text
    (request,) = fake.requests
    assert request.url.path == f"/api/v2/vps/{EXAMPLE_VPS_ID}/iso"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("hostup-mcp/")


async def test_null_fields_and_blocked_gates_are_kept_and_explained(client: Client):
    result = await call(client, "vps_demoblocked")

    assert result.is_error is False
    assert hostup_document(result) == BLOCKED_200
    # Absent values read as absent: no "null=null", no "ide0 null null".
    assert result.content[0].text == (
        "ISOs (id, display name, file, GB, format; - = none):\n"
        "iso_01hxb7debian12netinst000 - debian-12.8.0-amd64-netinst.iso 0.6 -\n"
        "mounted: cloud-init drive (no device given, not mounted)\n"
        "boot: not reported\n"
        "CD/DVD slots: ide0 (no description) (no type) free\n"
        "canMount: BLOCKED (The VPS has a pending order., code pending_order); "
        "canUpload: BLOCKED (Uploads are paused while an order is pending.)\n"
        "Mounting an ISO and adding an ISO are blocked now: do not suggest or try them; tell the user HostUp's reason."
    )
    assert guidance_of(result) == {
        "summary": "1 ISO available, 0 mounted. Mounting an ISO is blocked (The VPS has a pending order., code "
        "pending_order); Adding an ISO is blocked (Uploads are paused while an order is pending.).",
        "nextStep": "Mounting an ISO and adding an ISO are blocked now: do not suggest or try them; tell the user "
        "HostUp's reason.",
    }


async def test_fields_hostup_adds_later_are_kept_not_rejected(client: Client):
    result = await call(client, "vps_extra")

    assert result.is_error is False
    assert hostup_document(result) == with_extra_fields()
    assert "sha256:9f86d081" in result.content[0].text
    assert "local-lvm" in result.content[0].text


async def test_unicode_names_survive_exactly(client: Client):
    result = await call(client, "vps_unicode")

    assert hostup_document(result) == with_unicode_names()
    assert "Ubuntu 24.04 – svensk utgåva ✓" in result.content[0].text
    assert "日本語-インストーラ.iso" in result.content[0].text


@pytest.mark.parametrize(
    ("vps_id", "status", "code", "next_step"),
    [
        ("vps_demoforbidden", 403, "forbidden", "lacks the read:vm scope"),
        ("vps_unknown000", 404, "not_found", "call list_vps to get valid VPS ids"),
        ("vps_invalid", 400, "invalid_request", "fix the fields listed above"),
        ("vps_demobroken", 500, "internal_error", "HostUp-side failure"),
    ],
)
async def test_documented_errors_carry_the_problem_and_a_next_step(
    client: Client, vps_id: str, status: int, code: str, next_step: str
):
    result = await call(client, vps_id)

    assert result.is_error is True
    problem = problem_of(result)
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["requestId"] == "req_01hxa3b4c5d6e7f8g9h0j1k2m3"
    assert problem["instance"] == f"/api/v2/vps/{vps_id}/iso"
    text = result.content[0].text
    assert f"HostUp error {status} {code}" in text
    assert problem["detail"] in text
    assert "req_01hxa3b4c5d6e7f8g9h0j1k2m3" in text
    assert next_step in text


async def test_field_errors_are_listed_as_pointer_and_detail(client: Client):
    result = await call(client, "vps_invalid")

    assert problem_of(result)["errors"] == [
        {"pointer": "/id", "detail": "`id` is malformed.", "code": "invalid_request"}
    ]
    assert "- /id: `id` is malformed. (invalid_request)" in result.content[0].text


async def test_500_is_retried_once_then_reported(client: Client, fake: FakeHostUp):
    result = await call(client, "vps_demobroken")

    assert result.is_error is True
    assert fake.calls["vps_demobroken"] == 2


async def test_wrong_key_gives_401_explained(fake: FakeHostUp, mode: str):
    config = Config(api_key=SecretStr("hu_wrong"), timeout_seconds=1.0)
    async with Client(build_server(config, transport=fake.transport()), mode=mode) as client:
        result = await call(client, EXAMPLE_VPS_ID)

    assert result.is_error is True
    assert problem_of(result)["status"] == 401
    assert problem_of(result)["code"] == "unauthorized"
    assert "invalid, expired or revoked" in result.content[0].text
    assert "HOSTUP_API_KEY" in result.content[0].text


async def test_long_retry_after_returns_at_once_with_the_seconds(client: Client, fake: FakeHostUp):
    started = time.monotonic()
    result = await call(client, "vps_demoratelimited")

    assert time.monotonic() - started < 0.5
    assert fake.calls["vps_demoratelimited"] == 1
    assert result.is_error is True
    assert problem_of(result)["status"] == 429
    assert problem_of(result)["retryAfterSeconds"] == 30
    assert "wait 30 s" in result.content[0].text


async def test_short_retry_after_is_waited_out_then_succeeds(fake: FakeHostUp, mode: str):
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    config = Config(api_key=SecretStr(API_KEY), timeout_seconds=10)
    async with Client(build_server(config, transport=fake.transport(), retry=RetryPolicy(sleep=record))) as client:
        result = await call(client, "vps_throttledonce")

    assert waits == [1.0]  # the fake's Retry-After
    assert fake.calls["vps_throttledonce"] == 2
    assert result.is_error is False
    assert hostup_document(result) == DOCUMENTED_200


async def test_503_is_retried_then_succeeds(client: Client, fake: FakeHostUp):
    result = await call(client, "vps_flaky")

    assert result.is_error is False
    assert fake.calls["vps_flaky"] == 2


async def test_html_error_page_becomes_a_short_synthesized_problem(client: Client, fake: FakeHostUp):
    result = await call(client, "vps_proxyhtml")

    assert result.is_error is True
    problem = problem_of(result)
    assert problem["status"] == 502
    assert problem["code"] == "invalid_error_body"
    assert "'502 Bad Gateway'" in problem["detail"]
    assert "<" not in result.content[0].text
    assert len(result.content[0].text) < 700
    assert fake.calls["vps_proxyhtml"] == 3  # a 502 is retried like any gateway error


async def test_invalid_json_200_is_an_explained_error(client: Client):
    result = await call(client, "vps_badjson")

    assert result.is_error is True
    assert problem_of(result)["code"] == "invalid_response_body"
    assert problem_of(result)["status"] == 200
    assert "not valid JSON" in result.content[0].text


async def test_200_of_the_wrong_shape_names_the_mismatch(client: Client):
    result = await call(client, "vps_badshape")

    assert result.is_error is True
    assert problem_of(result)["code"] == "unexpected_response_shape"
    assert "available" in problem_of(result)["detail"]
    assert "bootOrder" in problem_of(result)["detail"]


async def test_timeout_is_returned_within_the_configured_budget(client: Client):
    started = time.monotonic()
    result = await call(client, "vps_slow")

    assert time.monotonic() - started < 1.5  # the fake sleeps 5 s; the budget is 1 s
    assert result.is_error is True
    assert problem_of(result)["code"] == "timeout"
    assert "HOSTUP_TIMEOUT" in result.content[0].text


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        " ",
        "vps_",
        "VPS_01abc",
        "vps_01/../../admin",
        "vps_1.2",
        "vps_1?x=1",
        "vps_1#f",
        "vps_%2e",
        "vps_a b",
        "vps_a\nHost: evil",
        "vps_" + "a" * 65,
        "iso_01hxa3b4c5d6e7f8g9h0j1k2m3",
    ],
)
async def test_malformed_ids_are_rejected_before_any_request(client: Client, fake: FakeHostUp, bad_id: str):
    result = await call(client, bad_id)

    assert result.is_error is True
    assert problem_of(result)["code"] == "invalid_vps_id"
    assert "vps_01hxa3b4c5d6e7f8g9h0j1k2m3" in result.content[0].text
    assert "as list_vps lists them" in result.content[0].text
    assert fake.requests == []


async def test_an_ip_address_instead_of_an_id_gets_a_hint(client: Client):
    result = await call(client, "203.0.113.7")

    assert "looks like an IP address" in result.content[0].text


async def test_without_a_key_every_call_explains_and_sends_nothing(fake: FakeHostUp, mode: str):
    server = build_server(Config(api_key=None), transport=fake.transport())
    async with Client(server, mode=mode) as client:
        result = await call(client, EXAMPLE_VPS_ID)

    assert result.is_error is True
    assert problem_of(result)["code"] == "missing_api_key"
    text = result.content[0].text
    assert "HOSTUP_API_KEY" in text and "cloud.hostup.se/api-management" in text and "read:vm" in text
    assert fake.requests == []


async def test_concurrent_calls_run_concurrently(fake: FakeHostUp, config: Config):
    import anyio

    fake.slow_seconds = 0.5
    server = build_server(config, transport=fake.transport(), retry=FAST_RETRY)
    results = []
    async with Client(server) as client:
        started = time.monotonic()

        async def one() -> None:
            results.append(await call(client, "vps_slow"))

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(one)
        elapsed = time.monotonic() - started

    assert elapsed < 0.5 * 4  # serial would take 10 s
    assert all(result.is_error is False for result in results) and len(results) == 20
