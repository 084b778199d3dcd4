"""HostUpClient: every HostUp request goes through `_request`, the one place for auth, timeouts,
retries, size limits and error mapping."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from hostup_mcp import __version__
from hostup_mcp.config import Config
from hostup_mcp.hostup import problems, tls
from hostup_mcp.hostup.models import (
    DeleteResult,
    JobEnvelope,
    MountResult,
    OperationResult,
    UnmountResult,
    VpsIsoMedia,
    VpsPage,
)
from hostup_mcp.hostup.problems import HostUpError, Problem
from hostup_mcp.hostup.retry import RetryPolicy, parse_retry_after

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_RESPONSE_BYTES = 2 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Failure:
    """One attempt that did not succeed; `retry_after` is HostUp's Retry-After in seconds, if any."""

    problem: Problem
    retry_after: int | None = None
    retryable: bool = False
    sent: bool = True  # False only when the connection was never made, so HostUp cannot have acted on it


class HostUpClient:
    def __init__(self, http: httpx.AsyncClient, config: Config, retry: RetryPolicy, rng: random.Random) -> None:
        self._http = http
        self._config = config
        self._retry = retry
        self._rng = rng

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
        headers = {"Accept": "application/json", "User-Agent": f"hostup-mcp/{__version__}"}
        if config.api_key is not None:
            headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
        async with httpx.AsyncClient(
            base_url=config.base_url,
            headers=headers,
            follow_redirects=False,
            verify=tls.context() if transport is None else True,
            timeout=httpx.Timeout(config.timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS),
            transport=transport,
        ) as http:
            yield cls(http, config, retry or RetryPolicy(), random.Random())  # noqa: S311 - jitter, not crypto

    async def get_vps_iso_media(self, vps_id: str) -> VpsIsoMedia:
        return parse_body(VpsIsoMedia, await self._request("GET", f"{vps_path(vps_id)}/iso"))

    async def list_vps(
        self, *, limit: int | None = None, cursor: str | None = None, primary_ip: str | None = None
    ) -> VpsPage:
        params = {"limit": limit, "cursor": cursor, "primaryIp": primary_ip}
        query = {name: str(value) for name, value in params.items() if value is not None}
        return parse_body(VpsPage, await self._request("GET", "/api/v2/vps", query=query))

    async def mount_iso(self, vps_id: str, iso_id: str, device: str | None = None) -> MountResult:
        body = {"isoId": iso_id} | ({"device": device} if device else {})
        return parse_body(MountResult, await self._request("POST", f"{vps_path(vps_id)}/iso/actions/mount", body=body))

    async def unmount_iso(self, vps_id: str, device: str | None = None) -> UnmountResult:
        body = {"device": device} if device else {}  # HostUp unmounts ide2 when no device is given
        path = f"{vps_path(vps_id)}/iso/actions/unmount"
        return parse_body(UnmountResult, await self._request("POST", path, body=body))

    async def download_iso(self, vps_id: str, url: str, filename: str, decompress: str | None) -> OperationResult:
        body = {"url": url, "filename": filename}
        if decompress is not None:
            body["decompress"] = decompress
        path = f"{vps_path(vps_id)}/iso/actions/from-url"
        return parse_body(OperationResult, await self._request("POST", path, body=body))

    async def delete_iso(self, vps_id: str, volid: str) -> DeleteResult:
        path = f"{vps_path(vps_id)}/iso/{segment(volid)}"
        return parse_body(DeleteResult, await self._request("DELETE", path))

    async def get_job(self, job_id: str) -> JobEnvelope:
        return parse_body(JobEnvelope, await self._request("GET", f"/api/jobs/{segment(job_id)}"))

    async def _request(
        self, method: str, path: str, *, query: dict[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> tuple[httpx.Response, bytes]:
        """Send one logical request, retrying as RetryPolicy allows.

        A GET is retried on any transient failure. A write is retried only when HostUp cannot have acted on
        it: the connection was never made, or HostUp answered 429 (rejected before processing).
        """
        if self._config.api_key is None:
            raise HostUpError(problems.missing_api_key())
        budget = self._config.timeout_seconds
        started = time.monotonic()
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            remaining = budget - (time.monotonic() - started - waited)
            outcome = await self._attempt(method, path, query, body, remaining)
            if not isinstance(outcome, Failure):
                return outcome
            problem = outcome.problem
            safe_to_repeat = method == "GET" or not outcome.sent or problem.status == 429
            wait = (
                self._retry.wait_before_retry(attempt, problem.status, outcome.retry_after, self._rng)
                if outcome.retryable and safe_to_repeat
                else None
            )
            if wait is None or budget - (time.monotonic() - started - waited) <= 0:
                raise HostUpError(problem)
            logger.info("retrying %s %s in %.2f s after %s", method, path, wait, problem.code or problem.status)
            await anyio.sleep(wait)
            waited += wait

    async def _attempt(
        self, method: str, path: str, query: dict[str, str] | None, body: dict[str, Any] | None, remaining: float
    ) -> tuple[httpx.Response, bytes] | Failure:
        """One try: the response and its body on 2xx, else what went wrong."""
        if remaining <= 0:
            return Failure(problems.timed_out(self._config.timeout_seconds))
        started = time.monotonic()
        try:
            with anyio.fail_after(remaining):
                async with self._http.stream(
                    method,
                    path,
                    params=query,
                    json=body,
                    timeout=httpx.Timeout(remaining, connect=min(CONNECT_TIMEOUT_SECONDS, remaining)),
                ) as response:
                    body = await read_capped(response, MAX_RESPONSE_BYTES)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            logger.info("%s %s: no connection (%s)", method, path, type(exc).__name__)
            return Failure(problems.connection_failed(exc, self._config.base_url), retryable=True, sent=False)
        except (TimeoutError, httpx.TimeoutException):
            logger.info("%s %s timed out after %.2f s", method, path, time.monotonic() - started)
            return Failure(problems.timed_out(self._config.timeout_seconds))
        except HostUpError as exc:
            return Failure(exc.problem)
        except httpx.DecodingError:
            return Failure(problems.undecodable())
        except httpx.RequestError as exc:
            logger.info("%s %s failed: %s", method, path, type(exc).__name__)
            return Failure(problems.connection_lost(exc, self._config.base_url), retryable=True)
        logger.info("%s %s -> %d in %.0f ms", method, path, response.status_code, (time.monotonic() - started) * 1000)
        if response.is_success:
            return response, body
        if response.is_redirect:
            return Failure(problems.redirected(response))
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return Failure(problems.problem_from_response(response, body, retry_after), retry_after, retryable=True)


def vps_path(vps_id: str) -> str:
    return f"/api/v2/vps/{segment(vps_id)}"


def segment(value: str) -> str:
    """One path segment, percent-encoded: the tools check ids before calling, and whatever a caller
    passes can still never add a segment, a query or a fragment to the request."""
    return quote(value, safe="")


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HostUpError(problems.too_large(limit, response.status_code))
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise HostUpError(problems.too_large(limit, response.status_code))
    return bytes(body)


def parse_body(model: type[ModelT], exchange: tuple[httpx.Response, bytes]) -> ModelT:
    response, body = exchange
    content_type = response.headers.get("content-type", "")
    if content_type and not problems.is_json_content_type(content_type):
        raise HostUpError(problems.invalid_body(response, body, f"expected JSON, got {content_type}"))
    try:
        # An empty 2xx body (e.g. a 204 from an undocumented action) reads as an empty object.
        document: Any = problems.load_json(body) if body.strip() else {}
    except ValueError:
        raise HostUpError(problems.invalid_body(response, body, "the body is not valid JSON")) from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise HostUpError(problems.unexpected_shape(response, exc)) from None
