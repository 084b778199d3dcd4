from __future__ import annotations

import json

import httpx
import pytest

from hostup_mcp.hostup.problems import excerpt, load_json, not_a_problem, parse_error_body, parse_problem

DOCUMENTED_404 = (
    b'{"type":"https://developer.hostup.se/errors/not_found","title":"Not found","status":404,'
    b'"detail":"The requested resource could not be found.","code":"not_found","instance":"/api/v2/resource",'
    b'"requestId":"req_01hxa3b4c5d6e7f8g9h0j1k2m3","timestamp":"2026-04-27T12:34:56.000Z"}'
)


def test_a_documented_problem_is_kept_as_sent_with_retry_after_added():
    response = httpx.Response(404, headers={"content-type": "application/json"})

    problem = parse_error_body(response, DOCUMENTED_404, retry_after=3)

    assert problem is not None
    assert problem.to_structured() == {
        "type": "https://developer.hostup.se/errors/not_found",
        "title": "Not found",
        "status": 404,
        "detail": "The requested resource could not be found.",
        "code": "not_found",
        "instance": "/api/v2/resource",
        "requestId": "req_01hxa3b4c5d6e7f8g9h0j1k2m3",
        "timestamp": "2026-04-27T12:34:56.000Z",
        "retryAfterSeconds": 3,
    }


def test_extension_fields_of_a_problem_are_kept():
    body = b'{"status":403,"code":"forbidden","title":"Forbidden","blockerReasons":["not_verified"]}'

    problem = parse_problem(body, "application/problem+json")

    assert problem is not None and problem.to_structured()["blockerReasons"] == ["not_verified"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><title>Bad gateway</title></html>", "text/html"),
        (b"not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"message": "nope"}', "application/json"),
        (b'{"status": "four hundred"}', "application/json"),
        (b"", ""),
    ],
)
def test_bodies_that_are_not_problem_documents_are_not_taken_for_one(body: bytes, content_type: str):
    assert parse_problem(body, content_type) is None


def test_a_non_problem_error_body_becomes_a_synthesized_problem_with_the_http_status():
    response = httpx.Response(503, headers={"content-type": "text/plain"})

    body = b"upstream connect error or disconnect/reset before headers"

    problem = not_a_problem(response, body)

    assert parse_error_body(response, body, None) is None
    assert (problem.status, problem.code) == (503, "invalid_error_body")
    assert "upstream connect error" in (problem.detail or "")


def test_an_html_excerpt_is_the_title_not_the_page():
    page = (
        b"<html><head><title>Cloudflare: 522 &amp; more</title></head><body>" + b"<p>x</p>" * 5000 + b"</body></html>"
    )

    assert excerpt(page, "text/html") == "'Cloudflare: 522 & more'"


def test_an_excerpt_is_one_short_line():
    text = excerpt(b"line one\nline two\t" + b"z" * 1000, "text/plain")

    assert "\n" not in text and len(text) < 200


def test_the_status_is_the_one_received_and_a_different_body_status_is_kept_aside():
    response = httpx.Response(500, headers={"content-type": "application/problem+json"})
    body = b'{"status": 429, "code": "rate_limit_exceeded", "title": "Too many requests"}'

    problem = parse_error_body(response, body, None)

    assert problem is not None
    assert problem.status == 500
    assert problem.to_structured()["bodyStatus"] == 429


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"displayName": "Ubuntu \\ud800"}', {"displayName": "Ubuntu \ufffd"}),
        (b'{"a\\udfff": ["x\\udbff", "ok \\ud83d\\ude00"]}', {"a\ufffd": ["x\ufffd", "ok \U0001f600"]}),
        (b'{"raw": "\xed\xa0\x80"}', {"raw": "\ufffd"}),  # CESU-8 bytes, which json decodes with surrogatepass
    ],
)
def test_lone_surrogates_become_replacement_characters_and_pairs_stay(body: bytes, expected: dict):
    document = load_json(body)

    assert document == expected
    json.dumps(document, ensure_ascii=False).encode("utf-8")  # sendable as UTF-8
