"""The body bound, byte-exact: a body of exactly the limit is read, one byte more is refused, before and
after decompression, however the bytes arrive (declared, chunked, compressed)."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from hostup_mcp.hostup.reading import BodyTooLargeError, BoundedDecoder, read_body

pytestmark = pytest.mark.anyio

LIMIT = 1000


class Chunks(httpx.AsyncByteStream):
    """A body that arrives over the wire in the given chunks, undeclared."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def arriving(body: bytes, encoding: str = "identity", *, declared: bool = False, chunk: int = 300) -> httpx.Response:
    headers = {"content-encoding": encoding}
    if declared:
        headers["content-length"] = str(len(body))
    pieces = [body[start : start + chunk] for start in range(0, len(body), chunk)] or [b""]
    return httpx.Response(200, headers=headers, stream=Chunks(*pieces))


ENCODINGS = {"identity": lambda body: body, "gzip": gzip.compress, "deflate": zlib.compress}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("declared", [False, True])
async def test_a_body_of_exactly_the_limit_is_read_whole(encoding: str, declared: bool):
    body = bytes(range(256)) * 3 + b"x" * (LIMIT - 768)
    sent = ENCODINGS[encoding](body)

    assert await read_body(arriving(sent, encoding, declared=declared), LIMIT) == body


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("declared", [False, True])
async def test_one_byte_over_the_limit_is_refused(encoding: str, declared: bool):
    sent = ENCODINGS[encoding](b"x" * (LIMIT + 1))

    with pytest.raises(BodyTooLargeError):
        await read_body(arriving(sent, encoding, declared=declared), LIMIT)


async def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read():
    never_read = httpx.Response(200, headers={"content-length": str(LIMIT + 1)}, stream=Chunks())

    with pytest.raises(BodyTooLargeError):
        await read_body(never_read, LIMIT)


@pytest.mark.parametrize(("size", "too_large"), [(LIMIT, False), (LIMIT + 1, True)])
async def test_a_body_already_in_memory_is_held_to_the_same_limit(size: int, too_large: bool):
    in_memory = httpx.Response(200, content=b"x" * size)

    if too_large:
        with pytest.raises(BodyTooLargeError):
            await read_body(in_memory, LIMIT)
    else:
        assert len(await read_body(in_memory, LIMIT)) == size


@pytest.mark.parametrize(("size", "too_large"), [(LIMIT, False), (LIMIT + 1, True)])
def test_the_decoder_produces_at_most_the_limit_from_one_small_chunk(size: int, too_large: bool):
    decoder = BoundedDecoder(LIMIT)
    bomb = gzip.compress(b"\0" * size)

    if too_large:
        with pytest.raises(BodyTooLargeError):
            decoder.feed(bomb)
    else:
        assert decoder.feed(bomb) == b"\0" * size
        assert decoder.finish() == b""


def peak_memory_while_refused(decoder: BoundedDecoder, chunk: bytes) -> int:
    """The most memory allocated while `decoder` refuses `chunk` as too large."""
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLargeError):
            decoder.feed(chunk)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_after_exactly_the_limit_a_bomb_in_the_next_chunk_is_refused_without_expanding_it():
    """zlib reads a max_length of 0 as "no limit": once the limit is reached, the next chunk must still be
    decoded with a bound, or 10 MB come out of 10 KB before anything is checked."""
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    first = compressor.compress(b"\0" * LIMIT) + compressor.flush(zlib.Z_SYNC_FLUSH)
    bomb = compressor.compress(b"\0" * 10_000_000) + compressor.flush()
    decoder = BoundedDecoder(LIMIT)
    assert len(decoder.feed(first)) == LIMIT

    peak = peak_memory_while_refused(decoder, bomb)

    assert len(bomb) < 20_000
    assert peak < 1_000_000


async def test_an_empty_body_marked_compressed_is_empty_not_broken():
    """A 204, or a HEAD-like answer, says gzip and sends nothing: there is nothing that could end early."""
    assert await read_body(arriving(b"", "gzip"), LIMIT) == b""


def test_the_decoder_counts_what_every_chunk_produced_not_just_the_last():
    compressor = zlib.compressobj()
    first = compressor.compress(b"a" * 600) + compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(b"b" * 600) + compressor.flush()
    decoder = BoundedDecoder(LIMIT)
    assert len(decoder.feed(first)) == 600

    with pytest.raises(BodyTooLargeError):
        decoder.feed(second)


def test_the_second_chunk_is_decoded_only_up_to_what_is_left_of_the_limit():
    """Not up to the limit again: half the limit in, a bomb may bring out at most the other half (and a byte)."""
    limit = 4_000_000
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    first = compressor.compress(b"\0" * (limit // 2)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    bomb = compressor.compress(b"\0" * (4 * limit)) + compressor.flush()
    decoder = BoundedDecoder(limit)
    assert len(decoder.feed(first)) == limit // 2

    peak = peak_memory_while_refused(decoder, bomb)

    assert peak < limit * 3 // 2  # the other half, in zlib's buffer and in ours; "the limit again" needs 2x
