"""HostUpClient: every HostUp request goes through `_request`, the one place for auth, the call's
deadline, retries, size limits and error mapping."""

from __future__ import annotations

import hashlib
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from hostup_mcp import __version__
from hostup_mcp.config import Config
from hostup_mcp.hostup import pool, problems, tls
from hostup_mcp.hostup.failures import Failure, HostUpError, not_sent, retry_safe
from hostup_mcp.hostup.models import (
    DeleteResult,
    JobEnvelope,
    MountResult,
    OperationResult,
    UnmountResult,
    VpsIsoMedia,
    VpsPage,
)
from hostup_mcp.hostup.reading import ACCEPT_ENCODING, BodyTooLargeError, BodyUndecodableError, read_body
from hostup_mcp.hostup.retry import RetryPolicy, parse_rate_limit_reset, parse_retry_after

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

USER_AGENT = f"hostup-mcp/{__version__}"
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 5.0
CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults

# When the current tool call must be done with HostUp (time.monotonic()); None outside a call.
_deadline: ContextVar[float | None] = ContextVar("hostup_deadline", default=None)


@contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Every HostUp request inside shares one budget of `seconds`, retries and their waits included."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@dataclass(frozen=True, slots=True)
class Answer:
    """A 2xx response, read whole."""

    status: int
    content_type: str
    body: bytes


class NoCookies(CookieJar):
    """A jar that keeps nothing. One client carries every user's requests in per-user mode, and HostUp (or a
    balancer before it) may answer with a session cookie, which HostUp takes as a credential: kept, it
    would ride on the next user's request. Only the key sent with each request speaks for it."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


class HostUpClient:
    def __init__(
        self, http: httpx.AsyncClient, config: Config, retry: RetryPolicy, rng: random.Random, key: SecretStr | None
    ) -> None:
        self._http = http
        self._config = config
        self._retry = retry
        self._rng = rng
        self._key = key

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        config: Config,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> AsyncIterator[HostUpClient]:
        """The client for `config`; a demo configuration talks to the in-process sandbox, never the network."""
        if config.demo and transport is None:
            from hostup_mcp.hostup.sandbox import Sandbox  # only the demo needs it

            transport = Sandbox().transport()
        verify: ssl.SSLContext | bool = True  # a test's or the sandbox's transport makes no TLS connection
        if transport is None:
            verify = tls.context(config.ca_file)
            transport = pool.transport(verify, CONNECTION_LIMITS)
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING, "User-Agent": USER_AGENT}
        async with httpx.AsyncClient(
            base_url=config.base_url,
            headers=headers,
            cookies=NoCookies(),
            follow_redirects=False,
            verify=verify,  # for the proxies httpx mounts from HTTPS_PROXY and the like
            timeout=httpx.Timeout(config.timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS),
            transport=transport,
        ) as http:
            rng = random.Random()  # noqa: S311 - jitter, not crypto
            yield cls(http, config, retry or RetryPolicy(), rng, config.api_key)

    def with_key(self, key: SecretStr | None) -> HostUpClient:
        """The same connections, another key: one request's own (per-user mode), used for it alone."""
        return HostUpClient(self._http, self._config, self._retry, self._rng, key)

    def key_fingerprint(self) -> str:
        """A one-way digest of the key this client sends (empty without one), to bind things to their user."""
        return hashlib.sha256(self._key.get_secret_value().encode()).hexdigest() if self._key is not None else ""

    async def get_vps_iso_media(self, vps_id: str) -> VpsIsoMedia:
        return await self._call(VpsIsoMedia, "GET", f"{vps_path(vps_id)}/iso")

    async def list_vps(
        self, *, limit: int | None = None, cursor: str | None = None, primary_ip: str | None = None
    ) -> VpsPage:
        params = {"limit": limit, "cursor": cursor, "primaryIp": primary_ip}
        query = {name: str(value) for name, value in params.items() if value is not None}
        return await self._call(VpsPage, "GET", "/api/v2/vps", query=query)

    async def mount_iso(self, vps_id: str, iso_id: str, device: str | None = None) -> MountResult:
        body = {"isoId": iso_id} | ({"device": device} if device else {})
        return await self._call(MountResult, "POST", f"{vps_path(vps_id)}/iso/actions/mount", body=body)

    async def unmount_iso(self, vps_id: str, device: str | None = None) -> UnmountResult:
        body = {"device": device} if device else {}  # HostUp unmounts ide2 when no device is given
        return await self._call(UnmountResult, "POST", f"{vps_path(vps_id)}/iso/actions/unmount", body=body)

    async def download_iso(self, vps_id: str, url: str, filename: str, decompress: str | None) -> OperationResult:
        body = {"url": url, "filename": filename} | ({"decompress": decompress} if decompress is not None else {})
        return await self._call(OperationResult, "POST", f"{vps_path(vps_id)}/iso/actions/from-url", body=body)

    async def delete_iso(self, vps_id: str, volid: str) -> DeleteResult:
        return await self._call(DeleteResult, "DELETE", f"{vps_path(vps_id)}/iso/{segment(volid)}")

    async def get_job(self, job_id: str) -> JobEnvelope:
        return await self._call(JobEnvelope, "GET", f"/api/jobs/{segment(job_id)}")

    async def _call(
        self,
        model: type[ModelT],
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> ModelT:
        answer = await self._request(method, path, query, body)
        try:
            return parse_body(model, answer)
        except UnusableBodyError as exc:
            # HostUp answered 2xx: whatever it was asked to do, it did; only its answer is unusable.
            raise HostUpError(Failure(exc.problem, method, answer.status, sent=True, from_hostup=False)) from None

    async def _request(
        self, method: str, path: str, query: dict[str, str] | None, body: dict[str, Any] | None
    ) -> Answer:
        """Send one logical request, retrying while RetryPolicy allows, it is safe, and the call's
        deadline has time left."""
        if self._key is None:
            raise not_sent(problems.missing_api_key(), method)
        deadline = _deadline.get() or time.monotonic() + self._config.timeout_seconds
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(method, path, query, body, deadline)
            if isinstance(outcome, Answer):
                return outcome
            wait = (
                self._retry.wait_before_retry(attempt, outcome.status, outcome.retry_after, self._rng)
                if retry_safe(outcome) and outcome.problem.code not in problems.PERMANENT
                else None
            )
            if wait is None or time.monotonic() + wait >= deadline:
                raise HostUpError(outcome)
            logger.info("retrying %s %s in %.2f s after %s", method, path, wait, outcome.status or outcome.problem.code)
            await self._retry.sleep(wait)

    async def _attempt(
        self, method: str, path: str, query: dict[str, str] | None, payload: dict[str, Any] | None, deadline: float
    ) -> Answer | Failure:
        """One try: the 2xx answer, or the failure as observed."""
        budget = self._config.timeout_seconds
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Failure(problems.timed_out(budget), method, status=None, sent=False, from_hostup=False)
        assert self._key is not None
        headers = {"Authorization": f"Bearer {self._key.get_secret_value()}"}
        started = time.monotonic()
        try:
            with anyio.fail_after(remaining):
                async with self._http.stream(
                    method,
                    path,
                    params=query,
                    json=payload,
                    headers=headers,
                    timeout=httpx.Timeout(remaining, connect=min(CONNECT_TIMEOUT_SECONDS, remaining)),
                ) as response:
                    status = response.status_code
                    content_type = response.headers.get("content-type", "")
                    try:
                        body = await read_body(response, MAX_RESPONSE_BYTES)
                    except BodyTooLargeError:
                        problem = problems.too_large(MAX_RESPONSE_BYTES, status)
                        return Failure(problem, method, status, sent=True, from_hostup=False)
                    except BodyUndecodableError as exc:
                        problem = problems.undecodable(status, str(exc))
                        return Failure(problem, method, status, sent=True, from_hostup=False)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            logger.info("%s %s: no connection (%s)", method, path, type(exc).__name__)
            problem = problems.connection_failed(exc, self._config.base_url)
            return Failure(problem, method, status=None, sent=False, from_hostup=False)
        except (TimeoutError, httpx.TimeoutException):
            logger.info("%s %s timed out after %.2f s", method, path, time.monotonic() - started)
            # It may strike before or after the request went out: count it as sent (HostUp may have it).
            return Failure(problems.timed_out(budget), method, status=None, sent=True, from_hostup=False)
        except httpx.RequestError as exc:
            logger.info("%s %s failed: %s", method, path, type(exc).__name__)
            problem = problems.connection_lost(exc, self._config.base_url)
            return Failure(problem, method, status=None, sent=True, from_hostup=False)
        logger.info("%s %s -> %d in %.0f ms", method, path, status, (time.monotonic() - started) * 1000)
        if 200 <= status < 300:
            return Answer(status, content_type, body)
        if 300 <= status < 400:
            return Failure(problems.redirected(response), method, status, sent=True, from_hostup=False)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is None and status == 429:
            retry_after = parse_rate_limit_reset(response.headers.get("x-ratelimit-reset"))
        parsed = problems.parse_error_body(response, body, retry_after)
        if parsed is not None:
            return Failure(parsed, method, status, sent=True, from_hostup=True, retry_after=retry_after)
        problem = problems.not_a_problem(response, body).model_copy(update={"retry_after_seconds": retry_after})
        return Failure(problem, method, status, sent=True, from_hostup=False, retry_after=retry_after)


class UnusableBodyError(Exception):
    """A 2xx body that cannot be used; `problem` says why."""

    def __init__(self, problem: problems.Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def parse_body(model: type[ModelT], answer: Answer) -> ModelT:
    if answer.content_type and not problems.is_json_content_type(answer.content_type):
        why = f"expected JSON, got {answer.content_type}"
        raise UnusableBodyError(problems.invalid_body(answer.status, answer.body, answer.content_type, why))
    try:
        # An empty 2xx body (e.g. a 204 from an undocumented action) reads as an empty object.
        document: Any = problems.load_json(answer.body) if answer.body.strip() else {}
    except ValueError:
        why = "the body is not valid JSON"
        raise UnusableBodyError(problems.invalid_body(answer.status, answer.body, answer.content_type, why)) from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise UnusableBodyError(problems.unexpected_shape(answer.status, document, exc)) from None


def vps_path(vps_id: str) -> str:
    return f"/api/v2/vps/{segment(vps_id)}"


def segment(value: str) -> str:
    """One path segment, percent-encoded: the tools check ids before calling, and whatever a caller
    passes can still never add a segment, a query or a fragment to the request."""
    return quote(value, safe="")
