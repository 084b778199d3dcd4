"""The rules for caller-supplied values, at their boundaries."""

from __future__ import annotations

import pytest

from hostup_mcp.hostup.ids import (
    FILENAME_MAX_LENGTH,
    URL_MAX_LENGTH,
    download_url_problem,
    filename_problem,
    ip_problem,
    job_id_from,
    literal_address,
)

URL = "https://example.com/"


def test_a_url_may_be_exactly_the_maximum_length():
    at_limit = URL + "a" * (URL_MAX_LENGTH - len(URL))

    assert download_url_problem(at_limit) is None
    assert download_url_problem(at_limit + "a") == f"is longer than {URL_MAX_LENGTH} characters"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\x7f", " ", "\t", "\u2028", "\u00a0"])
def test_a_url_with_a_control_or_space_character_is_refused(char: str):
    assert download_url_problem(f"{URL}a{char}b.iso") == "contains spaces or control characters"


@pytest.mark.parametrize("char", ["\x80", "é", "~"])
def test_other_characters_are_left_to_the_url_parser(char: str):
    assert download_url_problem(f"{URL}a{char}b.iso") is None


@pytest.mark.parametrize("url", ["https://user@example.com/a.iso", "https://:secret@example.com/a.iso"])
def test_a_url_with_any_credential_is_refused(url: str):
    assert "user name or password" in (download_url_problem(url) or "")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1/x.iso", "is not a well-formed URL"),
        ("http://example.com:99999/x.iso", "is not a well-formed URL"),
        ("file:///etc/passwd", "is not an http:// or https:// URL"),
        ("http:///x.iso", "has no host name"),
        ("http://localhost./x.iso", "points at localhost"),
        ("http://a.b.localhost/x.iso", "points at localhost"),
        ("http://127.0.0.1/x.iso", "points at 127.0.0.1, which is not a public internet address"),
        ("http://[::ffff:10.0.0.1]/x.iso", "points at 10.0.0.1, which is not a public internet address"),
        ("http://239.1.2.3/x.iso", "points at 239.1.2.3, which is not a public internet address"),
        ("http://notlocalhost.example/x.iso", None),
        ("http://93.184.216.34/x.iso", None),
    ],
)
def test_each_refused_url_says_why(url: str, problem: str | None):
    assert download_url_problem(url) == problem


@pytest.mark.parametrize(("host", "address"), [("0x7f.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("example", None)])
def test_legacy_ipv4_spellings_are_read_as_addresses(host: str, address: str | None):
    found = literal_address(host)

    assert (str(found) if found else None) == address


def test_a_file_name_may_be_one_to_255_characters():
    assert filename_problem("a") is None
    assert filename_problem("a" * FILENAME_MAX_LENGTH) is None
    assert filename_problem("a" * (FILENAME_MAX_LENGTH + 1)) == f"must be 1 to {FILENAME_MAX_LENGTH} characters long"
    assert filename_problem("") == f"must be 1 to {FILENAME_MAX_LENGTH} characters long"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("fe80::1%eth0", "has a zone id (%…), which a VPS's primary IP never has"),
        ("192.0.2.1 ", "is not an IPv4 or IPv6 address"),
    ],
)
def test_ip_problems(value: str, problem: str):
    assert ip_problem(value) == problem


@pytest.mark.parametrize(
    ("value", "job_id"),
    [("job_1", "job_1"), ("/api/jobs/job_1", "job_1"), ("/api/jobs/", None), ("job 1", None), ("-job", None)],
)
def test_a_job_reference_is_an_id_or_a_poll_url(value: str, job_id: str | None):
    assert job_id_from(value) == job_id
