"""Tool choice without a model: hosts that defer tools (Claude Code's tool search, and others) find them by
ranking name, description and arguments against the user's words, with BM25 or a regex. Our tools must
come first for what users ask, in English and in Swedish (HostUp's customers are Swedish), and a request
to look must never rank a tool that changes something first."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import anyio
import pytest
from mcp import Client

from hostup_mcp.config import Config
from hostup_mcp.server import build_server

K1, B = 1.2, 0.75  # the usual Okapi BM25 constants
WRITES = {"mount_vps_iso", "unmount_vps_iso", "download_vps_iso", "delete_vps_iso"}

REQUESTS = {
    # English
    "which ISO is in the CD drive of my server?": "list_vps_iso_media",
    "what is mounted in the DVD slot of my VPS": "list_vps_iso_media",
    "show the boot order of my VPS": "list_vps_iso_media",
    "which installer images can my VPS boot from?": "list_vps_iso_media",
    "is uploading an ISO allowed right now?": "list_vps_iso_media",
    "which CD/DVD slots are free?": "list_vps_iso_media",
    "find the server with IP 192.0.2.10": "list_vps",
    "list all my servers": "list_vps",
    "what are the ids and IP addresses of my servers": "list_vps",
    "show the next page of my VPS list": "list_vps",
    "boot my VPS from the Debian installer": "mount_vps_iso",
    "insert the Ubuntu ISO into the DVD drive": "mount_vps_iso",
    "eject the ISO from the CD drive": "unmount_vps_iso",
    "unmount the disc from ide2": "unmount_vps_iso",
    "download the Ubuntu ISO from this URL into my library": "download_vps_iso",
    "fetch an ISO image from a public URL": "download_vps_iso",
    "permanently delete the old ISO image": "delete_vps_iso",
    "remove the Debian ISO from my ISO library": "delete_vps_iso",
    "is the ISO download finished yet?": "get_job",
    "check the progress of job job_01hxa3b4c5d6e7f8g9h0j1k2m3": "get_job",
    # Swedish
    "vilken ISO sitter i CD-enheten på min server?": "list_vps_iso_media",
    "vilka ISO-filer finns på min VPS?": "list_vps_iso_media",
    "visa startordningen för min VPS": "list_vps_iso_media",
    "får jag ladda upp en ISO just nu?": "list_vps_iso_media",
    "hitta servern med IP 192.0.2.10": "list_vps",
    "lista mina servrar": "list_vps",
    "starta min VPS från Debian-installationen": "mount_vps_iso",
    "montera Ubuntu-ISO:n i DVD-enheten": "mount_vps_iso",
    "mata ut skivan ur CD-enheten": "unmount_vps_iso",
    "ladda ner en ISO från en URL": "download_vps_iso",
    "ta bort den gamla ISO-filen": "delete_vps_iso",
    "radera ISO:n permanent": "delete_vps_iso",
    "är nedladdningen klar?": "get_job",
}
LOOKING = [request for request, tool in REQUESTS.items() if tool not in WRITES]


def words(text: str) -> list[str]:
    return re.findall(r"[0-9a-zåäöé]+", text.lower())


def document(tool: dict[str, Any]) -> list[str]:
    """What a host's search indexes: the name (split at `_`), title, description, argument names and their
    descriptions (wherever in the argument's schema they sit)."""
    schema = tool["inputSchema"]
    arguments = " ".join(f"{name} {prop}" for name, prop in schema.get("properties", {}).items())
    return words(" ".join([tool["name"].replace("_", " "), tool.get("title", ""), tool["description"], arguments]))


def bm25(documents: dict[str, list[str]], query: str) -> list[tuple[float, str]]:
    average = sum(map(len, documents.values())) / len(documents)
    frequency = Counter(term for terms in documents.values() for term in set(terms))
    ranked = []
    for name, terms in documents.items():
        counts = Counter(terms)
        score = 0.0
        for term in set(words(query)):
            if term not in counts:
                continue
            idf = math.log((len(documents) - frequency[term] + 0.5) / (frequency[term] + 0.5) + 1)
            tf = counts[term]
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(terms) / average))
        ranked.append((score, name))
    return sorted(ranked, reverse=True)


async def listed() -> list[dict[str, Any]]:
    async with Client(build_server(Config(api_key=None, enable_writes=True))) as client:
        tools = (await client.list_tools()).tools
    return [tool.model_dump(by_alias=True, mode="json") for tool in tools]


@pytest.fixture(scope="module")
def indexed() -> dict[str, list[str]]:
    return {tool["name"]: document(tool) for tool in anyio.run(listed)}


@pytest.mark.parametrize("request_text", list(REQUESTS))
def test_bm25_ranks_the_right_tool_first(indexed: dict[str, list[str]], request_text: str):
    ranking = bm25(indexed, request_text)

    assert ranking[0][1] == REQUESTS[request_text], ranking[:3]
    assert ranking[0][0] > ranking[1][0], f"a tie decides nothing: {ranking[:3]}"


@pytest.mark.parametrize("request_text", LOOKING)
def test_a_request_to_look_never_ranks_a_tool_that_changes_something_first(
    indexed: dict[str, list[str]], request_text: str
):
    assert bm25(indexed, request_text)[0][1] not in WRITES


def test_there_are_enough_requests_in_both_languages():
    swedish = [request for request in REQUESTS if re.search(r"[åäö]|\b(min|mina|en|den|ur|jag)\b", request)]
    assert len(REQUESTS) >= 30 and len(swedish) >= 10
