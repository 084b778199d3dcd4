"""OAuth mode, put together: the SDK's auth settings and routes around our authorization server, the sign-in page,
and the HostUp check of a pasted key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from mcp.server.auth.routes import build_metadata
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from hostup_mcp.config import Config, HttpSettings, is_loopback
from hostup_mcp.hostup.client import HostUpClient
from hostup_mcp.hostup.failures import HostUpError
from hostup_mcp.oauth.metadata_documents import MetadataDocuments
from hostup_mcp.oauth.provider import HostUpAuthorizationServer, Sealers
from hostup_mcp.oauth.signin import KeyCheck, SignInPage
from hostup_mcp.oauth.store import Store, StoreError, open_store

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class OAuthMode:
    auth: AuthSettings
    provider: HostUpAuthorizationServer
    sign_in: SignInPage

    def server_options(self) -> dict[str, Any]:
        return {"auth": self.auth, "auth_server_provider": self.provider}

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 metadata as the SDK builds it, plus what it leaves out: public clients (`none`) and client
        metadata documents."""
        registration = self.auth.client_registration_options or ClientRegistrationOptions()
        revocation = self.auth.revocation_options or RevocationOptions()
        document = build_metadata(self.auth.issuer_url, None, registration, revocation).model_dump(
            mode="json", exclude_none=True
        )
        document["token_endpoint_auth_methods_supported"] = ["none", "client_secret_post", "client_secret_basic"]
        document["revocation_endpoint_auth_methods_supported"] = document["token_endpoint_auth_methods_supported"]
        document["client_id_metadata_document_supported"] = True
        return document


def oauth_mode(config: Config, settings: HttpSettings, transport: httpx.AsyncBaseTransport | None = None) -> OAuthMode:
    """`transport` (a test's fake HostUp) is where pasted keys are checked, as tool calls are."""
    assert settings.public_url is not None  # HttpSettings.check_oauth refused to start without it
    ring = [secret.get_secret_value().encode() for secret in settings.state_secrets]
    local = is_loopback(urlsplit(settings.public_url).hostname or "")
    documents = MetadataDocuments(allow_loopback=local, ca_file=config.ca_file)
    provider = HostUpAuthorizationServer(
        settings.public_url, Sealers.from_secrets(ring), open_store(settings.oauth_store), documents
    )
    # Validated from strings, which keeps the issuer without a trailing slash (issuers compare exactly).
    auth = AuthSettings.model_validate(
        {
            "issuer_url": settings.public_url,
            "resource_server_url": provider.resource,
            "validate_token_resource": True,
            "client_registration_options": ClientRegistrationOptions(enabled=True),
            "revocation_options": RevocationOptions(enabled=True),
        }
    )
    secure = settings.public_url.startswith("https://")
    sign_in = SignInPage(provider, hostup_key_check(config, transport), ring[0], secure)
    return OAuthMode(auth, provider, sign_in)


def closing_store(lifespan: Lifespan, store: Store) -> Lifespan:
    """The app's lifespan, then the store's connections closed as the server stops."""

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        async with lifespan(app):
            try:
                yield
            finally:
                await store.close()

    return run


async def unavailable(request: Request, exc: Exception) -> Response:
    """What an unhandled error becomes in OAuth mode: the store being down says so (503), anything else is the
    plain 500 Starlette would send."""
    if isinstance(exc, StoreError):
        document = {
            "error": "temporarily_unavailable",
            "error_description": "The sign-in store cannot be reached, so nothing was changed. Try again shortly.",
        }
        return JSONResponse(document, status_code=503, headers={"retry-after": "5", "cache-control": "no-store"})
    return PlainTextResponse("Internal Server Error", status_code=500)


def hostup_key_check(config: Config, transport: httpx.AsyncBaseTransport | None) -> KeyCheck:
    async def check(key: SecretStr) -> str | None:
        async with HostUpClient.connect(config, transport=transport) as client:
            try:
                await client.with_key(key).list_vps(limit=1)
            except HostUpError as exc:
                return refusal(exc.failure.status, exc.failure.problem.title or "no answer")
        return None

    return check


def refusal(status: int | None, title: str) -> str:
    if status == 401:
        return "HostUp did not accept this key (401): check that you copied all of it and that it was not revoked."
    if status == 403:
        return (
            "HostUp accepted the key but it may not read your VPS list (403): it needs the read:vm scope. "
            "Create a key with read:vm (and write:vm, write:storage for changes) and paste that one."
        )
    return f"The key could not be checked with HostUp right now ({title}); nothing was saved. Try again in a moment."
