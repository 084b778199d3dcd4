"""The authorization server behind the SDK's OAuth routes (`mcp.server.auth`): the SDK parses and checks each
request (PKCE S256, redirect URIs, expiry, client authentication); this decides what a code, a token or a client
is, and keeps the HostUp key only inside sealed values.

- A sign-in ticket carries the authorization request to the sign-in page (10 minutes).
- A code carries the key the user pasted and the request it answers; it is exchanged once (5 minutes).
- An access token carries the key for tool calls (1 hour); a refresh token carries it for the next access token
  (30 days) and is rotated on each use. A refresh token used twice revokes its whole sign-in, as does a code used
  twice: one of the two was stolen.
- Either token works only while its sign-in is live in the store, so a store that lost its data signs everyone
  out rather than forgetting who was revoked.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import PrivateAttr, SecretStr, ValidationError

from hostup_mcp.config import is_loopback
from hostup_mcp.oauth import SIGN_IN_PATH
from hostup_mcp.oauth.sealing import Sealer
from hostup_mcp.oauth.store import Store

TICKET_SECONDS = 600
CODE_SECONDS = 300
ACCESS_SECONDS = 3600
REFRESH_SECONDS = 30 * 24 * 3600
CLIENT_SECONDS = 365 * 24 * 3600


class KeyedCode(AuthorizationCode):
    jti: str
    _key: SecretStr = PrivateAttr()


class KeyedRefreshToken(RefreshToken):
    jti: str
    family: str
    _key: SecretStr = PrivateAttr()


class KeyedAccessToken(AccessToken):
    """An access token as the SDK sees it, plus the HostUp key it carries (never in repr or dumps)."""

    _key: SecretStr = PrivateAttr()

    @property
    def hostup_key(self) -> SecretStr:
        return self._key


@dataclass(frozen=True)
class Sealers:
    ticket: Sealer
    code: Sealer
    access: Sealer
    refresh: Sealer
    client: Sealer

    @classmethod
    def from_secrets(cls, ring: list[bytes]) -> Sealers:
        return cls(
            *(
                Sealer(ring, f"hostup-mcp oauth {purpose}")
                for purpose in ("ticket", "code", "access", "refresh", "client")
            )
        )


def secure_redirect(uri: str) -> bool:
    """https, or http to this machine (a desktop client's loopback listener, RFC 8252); no fragment."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    loopback = host == "localhost" or is_loopback(host)
    return bool(host) and not parts.fragment and (parts.scheme == "https" or (parts.scheme == "http" and loopback))


class ClientDocuments(Protocol):
    async def client(self, client_id: str) -> OAuthClientInformationFull | None: ...


class HostUpAuthorizationServer:
    def __init__(self, public_url: str, sealers: Sealers, store: Store, documents: ClientDocuments) -> None:
        self.issuer = public_url
        self.resource = f"{public_url}/mcp"
        self.sealers = sealers
        self.store = store
        self.documents = documents

    # Clients

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """A registered client, or one that describes itself at its https client_id (a metadata document)."""
        if client_id.startswith(("https://", "http://")):
            return await self.documents.client(client_id)
        stored = await self.store.client(client_id)
        document = self.sealers.client.open(stored) if stored is not None else None
        if document is None:
            return None
        try:
            return OAuthClientInformationFull.model_validate(document)
        except ValidationError:
            return None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        uris = [str(uri) for uri in client_info.redirect_uris or []]
        if not uris or not all(secure_redirect(uri) for uri in uris):
            raise RegistrationError(
                "invalid_redirect_uri", "every redirect_uri must be https, or http on a loopback address"
            )
        assert client_info.client_id is not None  # the SDK's registration handler names every client
        # Sealed: the record holds the client's secret, which is a credential like any other.
        sealed = self.sealers.client.seal(client_info.model_dump(mode="json", exclude_none=True))
        await self.store.put_client(client_info.client_id, sealed, CLIENT_SECONDS)

    # The authorization request, handed to the sign-in page

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        ticket = self.sealers.ticket.seal(
            {
                "client_id": client.client_id,
                "client_name": client.client_name or "",
                "client_uri": str(client.client_uri) if client.client_uri else "",
                "redirect_uri": str(params.redirect_uri),
                "explicit": params.redirect_uri_provided_explicitly,
                "state": params.state,
                "scopes": params.scopes or [],
                "challenge": params.code_challenge,
                "resource": params.resource,
                "exp": time.time() + TICKET_SECONDS,
            }
        )
        return f"{self.issuer}{SIGN_IN_PATH}?{urlencode({'ticket': ticket})}"

    def open_ticket(self, ticket: str) -> dict[str, Any] | None:
        document = self.sealers.ticket.open(ticket)
        return document if document is not None and document["exp"] > time.time() else None

    def issue_code(self, request: dict[str, Any], key: SecretStr) -> str:
        """The code for a signed-in request; the caller sends the user back to the client with it."""
        return self.sealers.code.seal(
            {
                "jti": secrets.token_urlsafe(16),
                "key": key.get_secret_value(),
                "client_id": request["client_id"],
                "redirect_uri": request["redirect_uri"],
                "explicit": request["explicit"],
                "scopes": request["scopes"],
                "challenge": request["challenge"],
                "resource": request["resource"],
                "exp": time.time() + CODE_SECONDS,
            }
        )

    # Codes

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> KeyedCode | None:
        document = self.sealers.code.open(authorization_code)
        if document is None:  # whose code it is and whether it expired, the SDK checks
            return None
        code = KeyedCode(
            code=authorization_code,
            jti=document["jti"],
            scopes=document["scopes"],
            expires_at=document["exp"],
            client_id=document["client_id"],
            code_challenge=document["challenge"],
            redirect_uri=document["redirect_uri"],
            redirect_uri_provided_explicitly=document["explicit"],
            resource=document["resource"],
        )
        code._key = SecretStr(document["key"])
        return code

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: KeyedCode
    ) -> OAuthToken:
        if not await self.store.claim(f"code:{authorization_code.jti}", CODE_SECONDS):
            await self.store.revoke(authorization_code.jti, REFRESH_SECONDS)
            raise TokenError("invalid_grant", "this authorization code was already used; sign in again")
        family = authorization_code.jti
        scopes = authorization_code.scopes
        return await self.tokens(
            client, family, authorization_code._key, scopes, authorization_code.resource, first=True
        )

    # Refresh tokens

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> KeyedRefreshToken | None:
        document = self.sealers.refresh.open(refresh_token)
        # Whose token it is and whether it expired, the SDK checks against the client presenting it.
        if document is None or not await self.store.live(document["family"]):
            return None
        token = KeyedRefreshToken(
            token=refresh_token,
            jti=document["jti"],
            family=document["family"],
            client_id=document["client_id"],
            scopes=document["scopes"],
            expires_at=int(document["exp"]),
            resource=document["resource"],
        )
        token._key = SecretStr(document["key"])
        return token

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: KeyedRefreshToken, scopes: list[str]
    ) -> OAuthToken:
        successor = secrets.token_urlsafe(16)
        if not await self.store.advance(refresh_token.family, refresh_token.jti, successor, REFRESH_SECONDS):
            await self.store.revoke(refresh_token.family, REFRESH_SECONDS)
            raise TokenError(
                "invalid_grant", "this refresh token was already used, so its sign-in is revoked; sign in again"
            )
        return await self.tokens(
            client, refresh_token.family, refresh_token._key, scopes, refresh_token.resource, jti=successor
        )

    async def tokens(
        self,
        client: OAuthClientInformationFull,
        family: str,
        key: SecretStr,
        scopes: list[str],
        resource: str | None,
        *,
        first: bool = False,
        jti: str | None = None,
    ) -> OAuthToken:
        now = time.time()
        jti = jti or secrets.token_urlsafe(16)
        common = {"key": key.get_secret_value(), "client_id": client.client_id, "scopes": scopes, "family": family}
        access = self.sealers.access.seal(
            common | {"exp": now + ACCESS_SECONDS, "iss": self.issuer, "aud": resource or self.resource}
        )
        refresh = self.sealers.refresh.seal(common | {"exp": now + REFRESH_SECONDS, "jti": jti, "resource": resource})
        if first:
            await self.store.start(family, jti, REFRESH_SECONDS)
        return OAuthToken(
            access_token=access,
            expires_in=ACCESS_SECONDS,
            scope=" ".join(scopes) or None,
            refresh_token=refresh,
        )

    # Access tokens

    async def load_access_token(self, token: str) -> KeyedAccessToken | None:
        document = self.sealers.access.open(token)
        # Expiry and audience, the SDK checks (its bearer backend, with validate_token_resource).
        if document is None or document["iss"] != self.issuer or not await self.store.live(document["family"]):
            return None
        access = KeyedAccessToken(
            token=token,
            client_id=document["client_id"],
            scopes=document["scopes"],
            expires_at=int(document["exp"]),
            resource=document["aud"],
            subject=document["family"],
            claims={"iss": self.issuer},
        )
        access._key = SecretStr(document["key"])
        return access

    async def revoke_token(self, token: KeyedAccessToken | KeyedRefreshToken) -> None:
        family = token.family if isinstance(token, KeyedRefreshToken) else token.subject
        if family:
            await self.store.revoke(family, REFRESH_SECONDS)

    async def exchange_identity_assertion(self, *args: Any, **kwargs: Any) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "identity assertions are not accepted here")
