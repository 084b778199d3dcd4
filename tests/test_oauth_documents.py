"""Fetching a Client ID Metadata Document a stranger names: only what is public, small, quick and about itself
is used; everything else leaves the client unknown (and is logged), over real sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from hostup_mcp.oauth.metadata_documents import MAX_DOCUMENT_BYTES, MetadataDocuments
from tests.threaded_server import serving

pytestmark = pytest.mark.anyio


def document(url: str, **changes: Any) -> dict[str, Any]:
    return {
        "client_id": url,
        "client_name": "Published client",
        "redirect_uris": ["https://app.example/callback"],
        "token_endpoint_auth_method": "none",
    } | changes


def answering(make: Callable[[str], bytes], delay: float = 0.0) -> Callable[[Any, Any], Any]:
    async def connection(reader: Any, writer: Any) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        await asyncio.sleep(delay)
        host = next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.lower().startswith("host:"))
        writer.write(make(f"http://{host}{head.split(' ')[1]}"))
        await writer.drain()
        writer.close()

    return connection


def ok(body: bytes, status: str = "200 OK", headers: str = "content-type: application/json\r\n") -> bytes:
    return f"HTTP/1.1 {status}\r\n{headers}content-length: {len(body)}\r\n\r\n".encode() + body


async def fetched(make: Callable[[str], bytes], delay: float = 0.0, path: str = "/client.json", **options: Any):
    with serving(answering(make, delay)) as port:
        url = f"http://127.0.0.1:{port}{path}"
        documents = MetadataDocuments(allow_loopback=options.get("allow_loopback", True))
        return url, await documents.client(url)


async def test_a_document_about_itself_is_used_as_a_public_client():
    url, client = await fetched(lambda url: ok(json.dumps(document(url)).encode()))

    assert client is not None
    assert (str(client.client_id), client.client_name, client.token_endpoint_auth_method) == (
        url,
        "Published client",
        "none",
    )


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda url: ok(json.dumps(document(url, padding="x" * MAX_DOCUMENT_BYTES)).encode()), "larger than"),
        (lambda url: ok(json.dumps(document("https://someone-else.example/client.json")).encode()), "not its own URL"),
        (lambda url: ok(b"", "302 Found", f"location: {url}x\r\n"), "HTTP 302"),
        (lambda url: ok(b"<html>not json</html>", headers="content-type: text/html\r\n"), "not a client metadata"),
        (lambda url: ok(json.dumps(document(url, redirect_uris=["http://app.example/cb"])).encode()), "redirect_uri"),
        (lambda url: ok(json.dumps(document(url, client_secret="s3cret")).encode()), "no secret"),
    ],
    ids=["oversized", "someone-elses", "redirecting", "not-json", "insecure-redirect", "with-a-secret"],
)
async def test_a_document_that_is_not_small_honest_and_direct_is_not_used(make, why: str, caplog):
    _, client = await fetched(make)

    assert client is None
    assert why in caplog.text


async def test_a_slow_document_is_given_up_on_after_three_seconds(caplog):
    started = asyncio.get_running_loop().time()
    _, client = await fetched(lambda url: ok(json.dumps(document(url)).encode()), delay=10)

    assert client is None
    assert asyncio.get_running_loop().time() - started < 5
    assert "not answered within 3 s" in caplog.text


async def test_a_private_address_is_never_fetched_unless_the_server_itself_is_local(caplog):
    asked: list[str] = []

    def make(url: str) -> bytes:
        asked.append(url)
        return ok(json.dumps(document(url)).encode())

    _, client = await fetched(make, allow_loopback=False)

    assert client is None and asked == []
    assert "not https" in caplog.text  # http to loopback: refused before any lookup


@pytest.mark.parametrize(
    ("client_id", "why"),
    [
        ("https://10.0.0.8/client.json", "non-public address (10.0.0.8)"),
        ("https://169.254.169.254/latest/meta-data", "non-public address (169.254.169.254)"),
        ("https://[::1]/client.json", "non-public address (::1)"),
        ("https://localhost/client.json", "non-public address"),
        ("https://app.example/", "needs a path"),
        ("https://user:pw@app.example/c.json", "credentials"),
    ],
)
async def test_an_https_client_id_on_a_private_network_or_without_a_path_is_refused(client_id: str, why: str, caplog):
    assert await MetadataDocuments(allow_loopback=False).client(client_id) is None
    assert why in caplog.text


async def test_an_answer_is_cached_so_a_sign_in_fetches_once():
    count = 0

    def make(url: str) -> bytes:
        nonlocal count
        count += 1
        return ok(json.dumps(document(url)).encode())

    with serving(answering(make)) as port:
        url = f"http://127.0.0.1:{port}/client.json"
        documents = MetadataDocuments(allow_loopback=True)
        first, second = await documents.client(url), await documents.client(url)

    assert first == second and first is not None
    assert count == 1
