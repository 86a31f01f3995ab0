"""Reading a survey for `batch`, as strictly as answers files are read.

- CSV: the header names question ids (or the survey's own names, through a mapping); a
  repeated column, or two columns that map to one question, is an error for the whole file. A
  row with a quoting error (a stray or unterminated quote) is rejected with its line number and
  reading goes on at the next line; a quoted field may span lines (survey free text does) only
  when the record then closes with the header's number of cells. A line that is not UTF-8 is
  a rejected row.
- JSON Lines: one answers mapping per line; a repeated key, deep nesting or a huge number is a
  rejected row.

Every row has a key that says what it is, not where it came from: a survey's response id
(a column mapped to `response_id`) where there is one; otherwise a hash of the row's content
chained with every row before it, so the same file imported again, or a later export of the
same survey with rows appended, matches row by row, while two identical anonymous rows (or the
same answers in another survey) stay two people.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from troubleshoot.assess import read_strict_yaml
from troubleshoot.errors import AnswersError, TroubleshootError
from troubleshoot.text import quoted

META = ("respondent", "department", "response_id", "location")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
MAX_SPAN = 200  # physical lines one quoted CSV field may span
MAX_LINE = 1_000_000  # bytes of one line or record; longer is a rejected row
MAX_DEPTH = 20  # nesting of a JSON Lines row


class BatchInputError(TroubleshootError):
    """The survey file (or its mapping) cannot be read at all."""


@dataclass(frozen=True)
class Mapping:
    """Survey column -> question id (or `question.symptom`, or respondent / department /
    response_id), and per question, survey answer label -> choice id."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()  # survey columns that are no answer (a timestamp)


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row (the header is not counted)
    line: int  # the line a spreadsheet shows it on (the header is line 1)
    key: str
    raw: dict[str, Any]
    error: str | None = None  # the row could not even be read
    legacy_key: str = ""  # the key an earlier version gave the same row


def read_mapping(path: Path) -> Mapping:
    try:
        data = read_strict_yaml(path, "the mapping")
    except AnswersError as error:
        raise BatchInputError(str(error)) from error
    data = data or {}
    shape = (
        f"{path}: a mapping has `columns: {{survey column: question id}}`, "
        "`values: {question id: {survey label: choice id}}` and `ignore: [survey column]`"
    )
    if not isinstance(data, dict) or set(data) - {"columns", "values", "ignore"}:
        raise BatchInputError(shape)
    columns, values = data.get("columns") or {}, data.get("values") or {}
    ignore = data.get("ignore") or []
    if not isinstance(columns, dict) or not isinstance(values, dict):
        raise BatchInputError(shape)
    if not isinstance(ignore, list) or not all(isinstance(c, str | int) for c in ignore):
        raise BatchInputError(shape)
    if len(set(map(str, ignore))) != len(ignore):
        raise BatchInputError(f"{path}: ignore: a column is listed twice")
    if both := sorted(set(map(str, ignore)) & {str(c) for c in columns}):
        raise BatchInputError(
            f"{path}: {quoted(both[0])} is both mapped (columns) and ignored: which is it?"
        )
    if not all(isinstance(k, str | int) and isinstance(v, str) for k, v in columns.items()):
        raise BatchInputError(shape)
    for question, labels in values.items():
        if not isinstance(labels, dict) or not all(
            isinstance(k, str | int) and isinstance(v, str) for k, v in labels.items()
        ):
            raise BatchInputError(f"{shape} (see values for {quoted(question)})")
    targets: dict[str, str] = {}
    for column, target in columns.items():
        if target in targets:
            raise BatchInputError(
                f"{path}: columns {quoted(targets[target])} and {quoted(column)} both map to "
                f"{quoted(target)}"
            )
        targets[target] = str(column)
    return Mapping(
        {str(k): v for k, v in columns.items()},
        {str(q): {str(k): v for k, v in m.items()} for q, m in values.items()},
        frozenset(map(str, ignore)),
    )


class _Chain:
    """Row keys: the response id where the survey gives one, else the content chained with
    every row before it."""

    def __init__(self, path: Path, id_column: str | None) -> None:
        self.path = path
        self.id_column = id_column
        self.state = hashlib.sha256(b"troubleshoot batch rows").digest()
        self.seen_ids: dict[str, int] = {}

    def key(self, number: int, raw: dict[str, Any]) -> tuple[str, str | None]:
        """The row's key, and an error if its response id repeats an earlier row's."""
        content = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
        self.state = hashlib.sha256(self.state + content.encode("utf-8", "replace")).digest()
        if self.id_column is not None:
            value = raw.get(self.id_column)
            if isinstance(value, str | int) and str(value).strip():
                response = str(value).strip()
                digest = hashlib.sha256(response.encode("utf-8", "replace")).hexdigest()
                if response in self.seen_ids:
                    return f"r:{digest[:30]}", (
                        f"response id {quoted(response)} already used by row "
                        f"{self.seen_ids[response]}"
                    )
                self.seen_ids[response] = number
                return f"r:{digest[:30]}", None
        return f"c:{self.state.hex()[:30]}", None

    def legacy(self, number: int, raw: dict[str, Any]) -> str:
        content = json.dumps(raw, sort_keys=True, default=str)
        text = f"{self.path.name}\0{number}\0{content}"
        return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def read_rows(
    path: Path, mapping: Mapping | None = None, known: Callable[[str], bool] | None = None
) -> Iterator[Row]:
    """Rows as read, before any checking of answers (a row that cannot be read carries its
    `error`), streamed: memory stays flat whatever the file's size. With `known` (is this a
    question id?), a CSV column that is no question, and is not mapped or ignored, stops the
    file at its header rather than rejecting every row."""
    mapping = mapping or Mapping()
    id_column = next((c for c, t in mapping.columns.items() if t == "response_id"), None)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise BatchInputError(f"{path}: cannot read: {error.strerror or error}") from error
    with handle:
        if path.suffix.lower() in JSON_SUFFIXES:
            yield from _json_rows(handle, _Chain(path, id_column or "response_id"))
        else:
            yield from _csv_rows(path, handle, mapping, id_column, known)


def _json_rows(handle: BinaryIO, chain: _Chain) -> Iterator[Row]:
    number = 0
    line_number = 0
    while line := handle.readline(MAX_LINE + 1):
        line_number += 1
        if not line.strip():
            continue
        if len(line) > MAX_LINE:  # skip the rest of a line too long to be a row
            while line and not line.endswith(b"\n"):
                line = handle.readline(MAX_LINE + 1)
            line = b"\x00" * (MAX_LINE + 1)
        number += 1
        raw, error = _json_row(line)
        key, key_error = chain.key(number, raw)
        yield Row(number, line_number, key, raw, error or key_error, chain.legacy(number, raw))


def _json_row(line: bytes) -> tuple[dict[str, Any], str | None]:
    if len(line) > MAX_LINE:
        return {"_line": "(too long)"}, "the line is far too long"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return {"_line": line[:200].decode("utf-8", "replace")}, "not UTF-8 text"
    try:
        raw = json.loads(text, object_pairs_hook=_no_repeated_keys)
    except RecursionError:
        return {"_line": text[:200]}, "nested too deeply"
    except ValueError as error:
        reason = str(error).split(":")[0] if "repeated" in str(error) else "not valid JSON"
        if "digits" in str(error):
            reason = "a number far too long to be an answer"
        return {"_line": text[:200]}, reason
    if not isinstance(raw, dict):
        return {"_line": text[:200]}, "a row must be a JSON object"
    if _depth(raw) > MAX_DEPTH:
        return {"_line": text[:200]}, "nested too deeply"
    return raw, None


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {quoted(key)} is repeated: the row says two things")
        found[key] = value
    return found


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _csv_rows(
    path: Path,
    handle: BinaryIO,
    mapping: Mapping,
    id_column: str | None,
    known: Callable[[str], bool] | None,
) -> Iterator[Row]:
    lines = _Lines(handle)
    header = lines.header(path)
    if id_column is None and "response_id" in header:
        id_column = "response_id"  # the column named so, with no mapping
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if name in seen:
            raise BatchInputError(
                f"{path}: the column {quoted(name)} appears twice in the header (columns "
                f"{seen[name] + 1} and {position + 1}): a row would say two things"
            )
        seen[name] = position
    targets: dict[str, str] = {}
    answered = [name for name in header if name not in mapping.ignore]
    if known is not None:
        unknown = [
            name
            for name in answered
            if (target := mapping.columns.get(name, name)) not in META
            and not known(target.partition(".")[0])
        ]
        if unknown:
            names = ", ".join(quoted(name) for name in unknown[:5])
            raise BatchInputError(
                f"{path}: the column(s) {names} name no question: map them to one with --map "
                "(`columns:`), or list them under `ignore:` there"
            )
    for name in answered:
        target = mapping.columns.get(name, name)
        if target in targets:
            raise BatchInputError(
                f"{path}: the columns {quoted(targets[target])} and {quoted(name)} both give "
                f"{quoted(target)}: a row would say two things"
            )
        targets[target] = name
    chain = _Chain(path, id_column)
    for number, (start, record, error) in enumerate(_records(lines, len(header)), start=1):
        raw = dict(zip(header, record, strict=False)) if record is not None else {}
        if error and not raw:
            raw = {"_line": lines.text(start)[:200]}
        key, key_error = chain.key(number, raw)
        yield Row(number, start, key, raw, error or key_error, chain.legacy(number, raw))


class _Lines:
    """Physical lines of a CSV file, numbered as a spreadsheet shows them (from 1), with the
    UTF-8 byte-order mark of the first line removed; a line can be read again after a failed
    multi-line record."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.number = 0
        self.buffer: list[tuple[int, bytes]] = []
        self.seen: dict[int, bytes] = {}  # the current record's lines only: memory stays flat

    def next(self) -> tuple[int, bytes] | None:
        if self.buffer:
            return self.buffer.pop(0)
        line = self.handle.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE and not line.endswith(b"\n"):  # skip the rest of a huge line
            rest = line
            while rest and not rest.endswith(b"\n"):
                rest = self.handle.readline(MAX_LINE + 1)
        self.number += 1
        if self.number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        return self.number, line

    def push_back(self, lines: list[tuple[int, bytes]]) -> None:
        self.buffer = lines + self.buffer

    def text(self, number: int) -> str:
        return self.seen.get(number, b"").decode("utf-8", "replace").rstrip("\r\n")

    def header(self, path: Path) -> list[str]:
        first = self.next()
        while first is not None and not first[1].strip():
            first = self.next()
        if first is None:
            raise BatchInputError(f"{path}: the file is empty (no header row)")
        try:
            fields = _parse(first[1].decode("utf-8"))
        except (UnicodeDecodeError, csv.Error) as error:
            raise BatchInputError(f"{path}: the header row cannot be read: {error}") from error
        if fields is None:
            raise BatchInputError(f"{path}: the header row cannot be read as CSV")
        return [name.strip() for name in fields]


def _records(lines: _Lines, width: int) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line, cells, error) per record; a record whose quotes do not close into one row of
    `width` cells is rejected at its first line, and reading goes on at the next line."""
    while (first := lines.next()) is not None:
        start, data = first
        lines.seen.clear()  # the record before has been dealt with (its error line written)
        lines.seen[start] = data
        if not data.strip():
            continue
        if len(data) > MAX_LINE:
            yield start, None, "the line is far too long"
            continue
        taken = [first]
        while data.count(b'"') % 2 and len(taken) < MAX_SPAN:  # a quoted field goes on
            more = lines.next()
            if more is None:
                break
            lines.seen[more[0]] = more[1]
            taken.append(more)
            data += more[1]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            lines.push_back(taken[1:])
            yield start, None, "the line is not UTF-8 text"
            continue
        cells = _parse(text) if data.count(b'"') % 2 == 0 else None
        if cells is not None and len(taken) == 1:
            # One line: missing cells at the end are unanswered questions, and empty cells
            # past the header's width hold nothing to lose.
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            elif len(cells) > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]
        if cells is not None and len(taken) > 2 and _swallows_a_row(taken[1:-1], width):
            cells = None  # the quote would swallow whole rows: a quoting error, not free text
        if cells is not None and len(cells) == width:
            yield start, cells, None
            continue
        lines.push_back(taken[1:])  # read on from the line after this one
        if cells is None:
            reason = (
                "a quote opened on this line is never closed"
                if len(taken) > 1 or data.count(b'"') % 2
                else "a quote in the middle of a cell (quoting error)"
            )
        else:
            reason = f"the row has {len(cells)} cells; the header has {width}"
        yield start, None, reason


def _swallows_a_row(inner: list[tuple[int, bytes]], width: int) -> bool:
    """Whether a line inside a multi-line record reads, on its own, as a whole row: then the
    record is a stray quote swallowing rows, not a cell of free text."""
    for _, data in inner:
        try:
            cells = _parse(data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        if cells is not None and len(cells) == width and b'"' not in data:
            return True
    return False


def _parse(text: str) -> list[str] | None:
    """One CSV record, strictly; None when it is not exactly one well-quoted record."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    return records[0] if len(records) == 1 else None
