"""Strings on their way to the model: escaped, bounded, never shortened where they must be passed back."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from hostup_mcp.tools.text import ABSENT, MAX_DETAIL_CHARS, bounded, clean, extras, number, quoted, verbatim


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ABSENT),
        ("", '""'),
        ("-", '"-"'),
        ("plain", "plain"),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a=b", '"a=b"'),
        ("null", "null"),  # a string, unambiguous now that null reads as -
    ],
)
def test_quoted_quotes_only_what_it_must(value: str | None, shown: str):
    assert quoted(value) == shown


def test_an_exact_value_is_never_shortened_but_is_escaped():
    long = "c" * 300 + "\u202e"

    assert quoted(long, exact=True) == "c" * 300 + "\\u202e"
    assert verbatim(long) == "c" * 300 + "\\u202e"
    assert quoted(long) == '"' + "c" * 200 + '…(+101 chars)"'  # a name is cut, and quoted as it has spaces now


@pytest.mark.parametrize(
    ("value", "shown"),
    [(5.9, "5.9"), (6.0, "6"), (1234.5678, "1234.5678"), (1e16, "1e+16"), (9e15, "9000000000000000"), (3, "3")],
)
def test_numbers_keep_every_digit(value: float, shown: str):
    assert number(value) == shown


def test_extras_show_fields_hostup_added_as_compact_json_with_their_own_characters():
    model = Open.model_validate({"storagePool": "lokal-lagring-å", "tags": ["a", "b"]})

    assert extras(model) == ' +{"storagePool":"lokal-lagring-å","tags":["a","b"]}'
    assert extras(Open()) == ""


def test_extras_are_bounded_by_the_detail_limit_not_the_field_limit():
    model = Open.model_validate({"note": "n" * 500})

    assert extras(model) == ' +{"note":"' + "n" * 500 + '"}'
    assert extras(Open.model_validate({"note": "n" * 1000})).endswith(f"…(+{1000 + 11 - MAX_DETAIL_CHARS} chars)")


def test_clean_escapes_what_could_restyle_the_text():
    assert clean("a\nb\u200bc\u202ed") == "a\\u000ab\\u200bc\\u202ed"
    assert clean("x" * 200) == "x" * 200
    assert clean("x" * 201) == "x" * 200 + "…(+1 chars)"


def test_a_text_under_the_limit_is_left_alone():
    text = "\n".join(f"line {n}" for n in range(10))

    assert bounded(text, limit=len(text)) == text


def test_a_long_text_keeps_its_first_line_and_its_last_lines():
    lines = ["header"] + [f"row {n:04d}" for n in range(2000)] + ["gates: allowed"]
    text = bounded("\n".join(lines), limit=2000)

    kept = text.split("\n")
    assert len(text) <= 2000
    assert kept[0] == "header" and kept[-1] == "gates: allowed"
    hidden = next(line for line in kept if line.startswith("…("))
    assert (
        hidden == f"…({len(lines) - len(kept) + 1} more lines not shown here; every value is in the structured content)"
    )
    assert kept[1] == "row 0000"  # the middle gives way, from its end


LINES = ["ISOs (id, name):"] + [f"iso_{n} " + "n" * (n * 7 % 23) for n in range(120)] + ["gates: ok", "Next step: x"]


@pytest.mark.parametrize("limit", range(400, 1400, 7))
def test_the_cut_keeps_as_many_whole_lines_as_fit_at_each_end(limit: int):
    """The tail is the most last lines that fit in a quarter of the limit; the head, the most first lines
    that fit in what is left but for the marker's 120 characters; both as whole lines."""
    kept = bounded("\n".join(LINES), limit).split("\n")
    cut = next(index for index, line in enumerate(kept) if line.startswith("…("))
    head, tail = kept[:cut], kept[cut + 1 :]

    def size(lines: list[str]) -> int:
        return sum(len(line) + 1 for line in lines)

    assert head == LINES[: len(head)] and tail == LINES[len(LINES) - len(tail) :]
    assert size(tail) <= limit // 4 < size(tail) + len(LINES[-len(tail) - 1]) + 1
    room = limit - size(tail) - 120
    assert size(head) <= room < size(head) + len(LINES[len(head)]) + 1
    assert (
        kept[cut]
        == f"…({len(LINES) - len(head) - len(tail)} more lines not shown here; every value is in the structured content)"
    )


@pytest.mark.parametrize(
    ("middle", "hidden"),
    [([], "the rest of the first line"), (["m" * 300] * 3, "the rest of the first line and 3 more lines")],
)
def test_under_an_enormous_first_line_the_last_lines_still_fit(middle: list[str], hidden: str):
    kept = bounded("\n".join(["x" * 1000, *middle, "a", "b"]), limit=400).split("\n")

    assert kept == [
        "x" * 276 + "…",  # 400, less the last lines (4) and the marker's 120
        f"…({hidden} not shown here; every value is in the structured content)",
        "a",
        "b",
    ]


def test_one_enormous_line_is_cut_too():
    text = bounded("x" * 10_000, limit=1000)

    assert len(text) < 1000 + 200
    assert text.startswith("x" * 500) and text.endswith("every value is in the structured content)")
