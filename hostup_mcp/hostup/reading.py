"""Reading a response body with a hard size limit, before and after decompression.

httpx decompresses each received chunk whole, so a small compressed chunk can expand to gigabytes
before any limit is checked. Here the raw bytes are read and decompressed with a bound on the output
of every step, so no more than `limit` + 1 bytes of body ever exist in memory.
"""

from __future__ import annotations

import zlib

import httpx

ACCEPT_ENCODING = "gzip, deflate"  # what read_body can decode; sent with every request


class BodyTooLargeError(Exception):
    pass


class BodyUndecodableError(Exception):
    pass


class BoundedDecoder:
    """gzip or zlib-wrapped deflate, never producing more than `limit` + 1 bytes in all."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._produced = 0
        self._fed = False
        self._zlib = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # | 32: gzip or zlib header, detected

    def feed(self, chunk: bytes) -> bytes:
        self._fed = self._fed or bool(chunk)
        try:
            out = self._zlib.decompress(chunk, self._limit - self._produced + 1)
        except zlib.error as exc:
            raise BodyUndecodableError(str(exc)) from None
        self._produced += len(out)
        if self._produced > self._limit or self._zlib.unconsumed_tail:
            raise BodyTooLargeError
        return out

    def finish(self) -> bytes:
        if self._fed and not self._zlib.eof:
            raise BodyUndecodableError("the compressed body ends early")
        return b""


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The whole body, decoded; BodyTooLargeError past `limit` bytes, BodyUndecodableError for a broken encoding."""
    if response.is_stream_consumed:  # built in memory (the sandbox, a test's fake): already read and decoded
        if len(response.content) > limit:
            raise BodyTooLargeError
        return response.content
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
        raise BodyUndecodableError(f"Content-Encoding {encoding!r} was not asked for")
    decoder = None if encoding in ("identity", "") else BoundedDecoder(limit)
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.feed(chunk) if decoder else chunk
        if len(body) > limit:
            raise BodyTooLargeError
    if decoder is not None:
        body += decoder.finish()
    return bytes(body)
