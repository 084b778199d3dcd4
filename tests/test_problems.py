from __future__ import annotations

import json
import ssl

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from hostup_mcp.hostup.problems import (
    connection_failed,
    connection_lost,
    excerpt,
    invalid_body,
    is_json_content_type,
    load_json,
    missing_api_key,
    not_a_problem,
    parse_error_body,
    parse_problem,
    redirected,
    timed_out,
    too_large,
    undecodable,
    unexpected_shape,
)

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


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_may_nest_32_levels_and_no_more():
    assert load_json(nested(32)) is not None
    with pytest.raises(ValueError, match="nested deeper than 32 levels"):
        load_json(nested(33))
    with pytest.raises(ValueError, match="nested too deeply"):
        load_json(nested(100_000))


@pytest.mark.parametrize(
    ("body", "message"), [(b"NaN", "NaN is not valid JSON"), (b"[1e400]", "out of range"), (b"1e400", "out of range")]
)
def test_numbers_no_client_can_read_are_refused(body: bytes, message: str):
    with pytest.raises(ValueError, match=message):
        load_json(body)


def test_finite_numbers_pass():
    assert load_json(b"[1.5, -2, 1e300]") == [1.5, -2, 1e300]
    assert load_json(b"2.5") == 2.5


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/Problem+JSON",
        "application/problem+json; charset=utf-8; profile=x",
        " application/json ",
    ],
)
def test_json_content_types(content_type: str):
    assert is_json_content_type(content_type)


@pytest.mark.parametrize("content_type", ["text/html", "text/plain; note=application/json", "application/jsonp", ""])
def test_other_content_types(content_type: str):
    assert not is_json_content_type(content_type)


@pytest.mark.parametrize(
    ("body", "content_type", "shown"),
    [
        (
            b"<!doctype html><TITLE>Gateway\nTimeout</TITLE><p>nginx</p>",
            "",
            "'Gateway Timeout'",
        ),  # any case, several lines
        (b"<p>no title</p>", "text/html", "'no title'"),
        (b"<p>html body, no type</p>", "", "'html body, no type'"),
        (b"Bad &amp; <b>gateway</b>", "TEXT/HTML", "'Bad & gateway'"),
        (b"not <b>html</b>", "text/plain", "'not <b>html</b>'"),
        ("ölfat".encode(), "text/plain", "'ölfat'"),
        (b"", "text/plain", "(empty body)"),
        (b"x" * 160, "text/plain", repr("x" * 160)),
        (b"x" * 161, "text/plain", repr("x" * 160 + "…")),
    ],
)
def test_excerpts(body: bytes, content_type: str, shown: str):
    assert excerpt(body, content_type) == shown


class Shape(BaseModel):
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int


def shape_error(count: int) -> ValidationError:
    try:
        Shape.model_validate({name: "x" for name in "abcdef"[:count]} | {name: 1 for name in "abcdef"[count:]})
    except ValidationError as exc:
        return exc
    raise AssertionError("no error")


def test_an_unexpected_shape_lists_five_issues_and_counts_the_rest():
    five = unexpected_shape(200, {"a": "x"}, shape_error(5)).detail or ""
    six = unexpected_shape(200, {"a": "x"}, shape_error(6)).detail or ""

    assert five.count("Input should be a valid integer") == 5 and "more" not in five
    assert six.count("Input should be a valid integer") == 5 and six.endswith(" (and 1 more)")
    assert "errors.pydantic.dev" not in six and "'x'" not in six  # no library URL, no echoed input


SYNTHESIZED = [
    (lambda: missing_api_key(), "missing_api_key", "No HostUp API key configured", None),
    (lambda: timed_out(3), "timeout", "HostUp did not answer in time", None),
    (lambda: too_large(2048, 200), "response_too_large", "HostUp's response is too large", 200),
    (lambda: undecodable(200, "bad"), "invalid_response_body", "HostUp's response could not be read", 200),
    (lambda: invalid_body(201, b"x", "", "why"), "invalid_response_body", "HostUp's response could not be read", 201),
    (
        lambda: unexpected_shape(200, {}, shape_error(1)),
        "unexpected_response_shape",
        "HostUp's response does not match the documented shape",
        200,
    ),
    (lambda: redirected(httpx.Response(302)), "redirect_not_followed", "HostUp answered with a redirect", 302),
    (
        lambda: not_a_problem(httpx.Response(502), b"<html/>"),
        "invalid_error_body",
        "HostUp answered with an error that is not a problem document",
        502,
    ),
    (
        lambda: connection_lost(httpx.ReadError("x"), "https://h"),
        "connection_lost",
        "The connection to HostUp broke",
        None,
    ),
    (
        lambda: connection_failed(httpx.ConnectError("x"), "https://h"),
        "connection_failed",
        "Could not reach HostUp",
        None,
    ),
]


@pytest.mark.parametrize(("make", "code", "title", "status"), SYNTHESIZED)
def test_our_own_problems(make, code: str, title: str, status: int | None):
    problem = make()

    assert (problem.type, problem.code, problem.title, problem.status) == (
        f"urn:hostup-mcp:{code}",
        code,
        title,
        status,
    )
    assert problem.detail


def test_a_redirect_names_where_it_went_only_when_it_said():
    to_elsewhere = redirected(httpx.Response(301, headers={"location": "https://elsewhere.example/x"}))

    assert "redirect to elsewhere.example was not followed" in (to_elsewhere.detail or "")
    assert "HTTP 302 redirect was not followed" in (redirected(httpx.Response(302)).detail or "")


def test_a_certificate_that_is_not_trusted_says_how_to_trust_it():
    cause = ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate")
    error = httpx.ConnectError("tls")
    error.__cause__ = cause

    problem = connection_failed(error, "https://cloud.hostup.se")

    assert (problem.code, problem.title) == (
        "certificate_not_trusted",
        "HostUp's TLS certificate could not be verified",
    )
    assert "SSL_CERT_FILE" in (problem.detail or "") and "self-signed" in (problem.detail or "")
