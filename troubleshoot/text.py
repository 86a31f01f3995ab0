"""Free text on its way out: shown in a terminal, quoted in an error message, written to a
spreadsheet or to Markdown. Text people typed (a department, a respondent, a note, a survey
cell) must never turn into an escape sequence, a formula, a link or a forged line."""

from __future__ import annotations

import unicodedata

SHORT = 60  # characters of a bad value an error message repeats
# Cells a spreadsheet would run as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN = set("\\`*_{}[]()<>#+-.!|~")


def visible(text: str) -> str:
    """One line of text with control and format characters made visible (\\x1b, \\n, ...) and
    anything that is not valid Unicode text replaced: safe to print to a terminal."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        elif category == "Cs":  # a lone surrogate: bytes that were not UTF-8
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def quoted(value: object, limit: int = SHORT) -> str:
    """A bad value as an error message may repeat it: its repr, visible, and cut short."""
    text = visible(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet shows as text, never runs: text starting like a formula gets a
    leading apostrophe. Numbers are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def markdown(text: str) -> str:
    """Free text as Markdown shows it literally: no markup, links, images or raw HTML."""
    escaped = "".join(f"\\{ch}" if ch in _MARKDOWN else ch for ch in visible(text))
    return escaped.replace("&", "&amp;")


LABEL_LIMIT = 200  # characters of a respondent or department that are kept
_JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: part of how many names are written


def label_problem(value: str) -> str | None:
    """Why a respondent or department cannot be kept as given, if it cannot: too long, not
    valid Unicode text, or holding control characters (a NUL PostgreSQL refuses, escapes that
    would rewrite a terminal)."""
    if len(value) > LABEL_LIMIT:
        return f"is {len(value)} characters long; at most {LABEL_LIMIT} are kept"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text (bytes that are not UTF-8?)"
    if any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in _JOINERS
        for ch in value
    ):
        return "holds control or unassigned characters"
    return None
