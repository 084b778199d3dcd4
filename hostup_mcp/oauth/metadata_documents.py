"""Client ID Metadata Documents: a client whose `client_id` is an https URL describes itself at that URL, so it
needs no registration. Fetching a URL a stranger names is a way into the network this server stands in, so the
fetch is bounded every way: https only, to public addresses only (checked after resolving, and the connection
made to the address that was checked), no redirects, 5 KiB, 3 seconds, and each answer cached for 5 minutes.

A server whose own public URL is on loopback (someone trying it locally) also fetches from loopback, over http.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import anyio
import httpx
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

from hostup_mcp.hostup import tls
from hostup_mcp.oauth.provider import secure_redirect

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 5 * 1024
FETCH_SECONDS = 3.0
CACHE_SECONDS = 300.0
MAX_CACHED = 1000


class UnusableDocumentError(Exception):
    """Why a metadata document was not used (logged; the client is then simply unknown)."""


class MetadataDocuments:
    def __init__(self, allow_loopback: bool, ca_file: str | None = None) -> None:
        self.allow_loopback = allow_loopback
        self.ca_file = ca_file  # trusted as for HostUp: the OS store, plus HOSTUP_CA_FILE
        self.cache: dict[str, tuple[float, OAuthClientInformationFull | None]] = {}

    async def client(self, client_id: str) -> OAuthClientInformationFull | None:
        cached = self.cache.get(client_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            client = await self.fetch(client_id)
        except UnusableDocumentError as exc:
            logger.warning("client metadata document %s not used: %s", client_id[:200], exc)
            client = None
        if len(self.cache) >= MAX_CACHED:
            self.cache.clear()
        self.cache[client_id] = (time.monotonic() + CACHE_SECONDS, client)
        return client

    async def fetch(self, client_id: str) -> OAuthClientInformationFull:
        parts = urlsplit(client_id)
        host = parts.hostname or ""
        if parts.scheme != "https" and not (self.allow_loopback and parts.scheme == "http"):
            raise UnusableDocumentError("not https")
        if parts.fragment or parts.username or parts.password or not parts.path.strip("/"):
            raise UnusableDocumentError("a client_id URL needs a path and no fragment or credentials")
        address = await self.public_address(host, parts.port or (443 if parts.scheme == "https" else 80))
        body = await self.download(client_id, host, address)
        try:
            document = json.loads(body)
            client = OAuthClientInformationFull.model_validate(document)
        except (ValueError, ValidationError) as exc:
            raise UnusableDocumentError(f"not a client metadata document ({type(exc).__name__})") from None
        if client.client_id != client_id:
            raise UnusableDocumentError("its client_id is not its own URL")
        if client.client_secret is not None or client.token_endpoint_auth_method not in (None, "none"):
            raise UnusableDocumentError("a metadata document client authenticates with no secret")
        uris = [str(uri) for uri in client.redirect_uris or []]
        if not uris or not all(secure_redirect(uri) for uri in uris):
            raise UnusableDocumentError("every redirect_uri must be https, or http on a loopback address")
        return client.model_copy(update={"token_endpoint_auth_method": "none"})

    async def public_address(self, host: str, port: int) -> str:
        try:
            with anyio.fail_after(FETCH_SECONDS):
                found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError):
            raise UnusableDocumentError("its host does not resolve") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
        for address in addresses:
            if not (address.is_global or (self.allow_loopback and address.is_loopback)):
                raise UnusableDocumentError(f"its host resolves to a non-public address ({address})")
        return str(addresses[0])

    async def download(self, url: str, host: str, address: str) -> bytes:
        """GET `url` from `address` (the one checked), naming `host` for the certificate and the Host header."""
        parts = urlsplit(url)
        literal = f"[{address}]" if ":" in address else address
        pinned = parts._replace(netloc=literal + (f":{parts.port}" if parts.port else "")).geturl()
        headers = {"host": parts.netloc, "accept": "application/json", "accept-encoding": "identity"}
        verify = tls.context(self.ca_file)
        try:
            with anyio.fail_after(FETCH_SECONDS):
                async with httpx.AsyncClient(verify=verify, follow_redirects=False, timeout=FETCH_SECONDS) as http:
                    request = http.build_request("GET", pinned, headers=headers, extensions={"sni_hostname": host})
                    response = await http.send(request, stream=True)
                    try:
                        if response.status_code != 200:
                            raise UnusableDocumentError(f"HTTP {response.status_code}")
                        body = b""
                        async for chunk in response.aiter_raw():
                            body += chunk
                            if len(body) > MAX_DOCUMENT_BYTES:
                                raise UnusableDocumentError(f"larger than {MAX_DOCUMENT_BYTES} bytes")
                        return body
                    finally:
                        await response.aclose()
        except TimeoutError:
            raise UnusableDocumentError(f"not answered within {FETCH_SECONDS:.0f} s") from None
        except httpx.HTTPError as exc:
            raise UnusableDocumentError(f"could not be fetched ({type(exc).__name__})") from None
