"""Two replicas behind a round-robin balancer: every request stands alone, in both protocol eras; and when
one replica dies mid-run, calls keep working on the other and no request is lost silently."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from mcp.types import ElicitResult

from hostup_mcp.hostup.sandbox import EXAMPLE_ISO_ID, EXAMPLE_VPS_ID
from tests.balancer import Balancer, balancing
from tests.fake_hostup import API_KEY, DOCUMENTED_200, FakeHostUp, serve_http
from tests.http_server import HttpServer, bearer, http_client, http_server
from tests.results import hostup_document

pytestmark = [pytest.mark.posix, pytest.mark.anyio]
SHARED_SECRET = "replicas-share-this-state-secret-0123456789"


@contextmanager
def two_replicas(*args: str) -> Iterator[tuple[str, Balancer, list[HttpServer], FakeHostUp]]:
    """Two server processes on one fake HostUp (one backend, as in production), behind a balancer."""
    fake = FakeHostUp()
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_http(fake))
        env = {"HOSTUP_BASE_URL": base_url, "HOSTUP_MCP_STATE_SECRET": SHARED_SECRET}
        replicas = [stack.enter_context(http_server(env, *args)) for _ in range(2)]
        upstreams = [("127.0.0.1", int(replica.base.rsplit(":", 1)[1])) for replica in replicas]
        url, balancer = stack.enter_context(balancing(upstreams))
        yield f"{url}/mcp", balancer, replicas, fake


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_each_request_may_go_to_another_replica_in_both_eras(mode: str):
    with two_replicas("--enable-writes") as (url, balancer, _, _):
        async with http_client(url, mode, **bearer(API_KEY)) as client:
            tools = await client.list_tools()
            before = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
            unmounted = await client.call_tool("unmount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "device": "ide2"})
            mounted = await client.call_tool("mount_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "iso_id": EXAMPLE_ISO_ID})
            after = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})

    assert len(tools.tools) == 7
    assert hostup_document(before) == DOCUMENTED_200
    assert hostup_document(unmounted) == {"device": "ide2"}
    assert hostup_document(mounted) == {"device": "ide2", "isoId": EXAMPLE_ISO_ID}
    assert after.structured_content["mounted"][0]["isoId"] == EXAMPLE_ISO_ID
    assert set(balancer.served) == {0, 1}  # both replicas answered requests of this one client
    assert all(first != second for first, second in zip(balancer.served, balancer.served[1:], strict=False))


async def test_a_confirmation_asked_by_one_replica_is_answered_on_the_other():
    # 2026-07-28: the question comes back in the result; the answer is a new request, with sealed state.
    questions: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    with two_replicas("--enable-writes") as (url, balancer, _, fake):
        async with http_client(url, "auto", answer, **bearer(API_KEY)) as client:
            result = await client.call_tool("delete_vps_iso", {"vps_id": EXAMPLE_VPS_ID, "volid": EXAMPLE_ISO_ID})

    assert len(questions) == 1
    assert result.structured_content["deleted"] is True
    assert [request.method for request in fake.requests].count("DELETE") == 1
    assert set(balancer.served) == {0, 1}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_when_a_replica_dies_calls_go_on_and_nothing_is_lost_silently(mode: str):
    outcomes: list[str] = []
    with two_replicas() as (url, balancer, replicas, _):
        async with http_client(url, mode, **bearer(API_KEY)) as client:
            for round_ in range(30):
                if round_ == 10:
                    replicas[1].stop(signal.SIGKILL)
                try:
                    result = await client.call_tool("list_vps_iso_media", {"vps_id": EXAMPLE_VPS_ID})
                except Exception as exc:
                    outcomes.append(f"failed: {type(exc).__name__}")
                else:
                    outcomes.append("answered" if hostup_document(result) == DOCUMENTED_200 else "WRONG")

    assert len(outcomes) == 30  # every call came back, one way or the other
    assert "WRONG" not in outcomes
    assert outcomes[10:] == ["answered"] * 20  # the balancer skips the dead replica
    assert set(balancer.served[-20:]) == {0}
