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
    if text.isprintable():  # the common case, checked in C: no Cc/Cf/Cs/Co/Cn/Zl/Zp character at all
        return text
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in UNSAFE_CATEGORIES else char for char in text)


def quoted(value: str | None) -> str:
    """A column value that may contain spaces, quoted only when it must be, so list columns stay readable.

    An absent value (null) is ABSENT; a string that reads like ABSENT is quoted, so the two never mix.
    """
    if value is None:
        return ABSENT
    text = clean(value)
    if not text or text == ABSENT or NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def extras(model: BaseModel) -> str:
    """Fields HostUp sent beyond the documented ones, so the text still carries every value."""
    if not model.model_extra:
        return ""
    return " +" + clean(json.dumps(model.model_extra, ensure_ascii=False, separators=(",", ":")), MAX_DETAIL_CHARS)
