"""Making strings from HostUp safe to put in front of a model.

Names, reasons and details are data, not instructions: control, bidirectional-override and zero-width
characters are shown as escapes, and each field is bounded, so a hostile ISO name cannot restyle or
flood the text. Structured content keeps the exact values.
"""

from __future__ import annotations

import json
import re
import unicodedata

from pydantic import BaseModel

MAX_FIELD_CHARS = 200
MAX_TEXT_CHARS = 60_000  # a whole result's text: ~15k tokens; the structured content has the rest
MAX_DETAIL_CHARS = 600
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp", "Cn"})
NEEDS_QUOTES = re.compile(r'[\s"=,;()]')
ABSENT = "-"  # a null in a column; the column headers say so


def clean(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """One field as inert, single-line text of bounded length."""
    if value is None:
        return "null"
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + f"…(+{len(text) - limit} chars)"
    return escaped(text)


def verbatim(value: object) -> str:
    """A value the model must pass back exactly (a cursor, an id, a job id, a poll URL): escaped like
    `clean`, never shortened, since a shortened value is a different value."""
    return escaped(str(value))


def escaped(text: str) -> str:
    if text.isprintable():  # the common case, checked in C: no Cc/Cf/Cs/Co/Cn/Zl/Zp character at all
        return text
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in UNSAFE_CATEGORIES else char for char in text)


def quoted(value: str | None, *, exact: bool = False) -> str:
    """A column value that may contain spaces, quoted only when it must be, so list columns stay readable.

    An absent value (null) is ABSENT; a string that reads like ABSENT is quoted, so the two never mix.
    `exact` values (ones the model passes back) are never shortened.
    """
    if value is None:
        return ABSENT
    text = verbatim(value) if exact else clean(value)
    if not text or text == ABSENT or NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def number(value: float) -> str:
    """A number with every digit HostUp sent (`:g` would round 1234.5678 to 1234.57); 6.0 reads 6."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def extras(model: BaseModel) -> str:
    """Fields HostUp sent beyond the documented ones, so the text still carries every value."""
    return more(model.model_extra or {})


def more(members: dict[str, object]) -> str:
    """Members shown as compact JSON after a `+`, or nothing when there are none."""
    if not members:
        return ""
    return " +" + clean(json.dumps(members, ensure_ascii=False, separators=(",", ":")), MAX_DETAIL_CHARS)


def bounded(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """A result's text of at most about `limit` characters, cut in the middle.

    The first line (what the columns are) and the last lines (the gates, the next cursor, the next
    step) are kept whole; lines in between (long lists of ISOs or VPS) give way first.
    """
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    tail: list[str] = []
    tail_size = 0
    for line in reversed(lines[1:]):
        if tail_size + len(line) + 1 > limit // 4:
            break
        tail.insert(0, line)
        tail_size += len(line) + 1
    room = limit - tail_size - 120  # 120: the marker line
    head: list[str] = []
    head_size = 0
    for line in lines[: len(lines) - len(tail)]:
        if head_size + len(line) + 1 > room:
            break
        head.append(line)
        head_size += len(line) + 1
    hidden = len(lines) - len(head) - len(tail)
    what = f"{hidden} more lines"
    if not head:  # one enormous first line
        head = [lines[0][:room] + "…"]
        hidden -= 1
        what = "the rest of the first line" + (f" and {hidden} more lines" if hidden else "")
    marker = f"…({what} not shown here; every value is in the structured content)"
    return "\n".join([*head, marker, *tail])
