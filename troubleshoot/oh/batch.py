"""Evaluate a survey's rows in one go: CSV (header = question ids, lists separated by `;`,
per-symptom answers as `severity.neck_pain`) or JSON Lines (one answers mapping per line).
A mapping file translates a survey tool's own column names and answer labels. A bad row never
stops the batch: it is reported with its row number and reason. Every row has a stable key
(file name, row number, content), so importing the same file again stores nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from troubleshoot.assess import normalize_answers
from troubleshoot.errors import RecordRefusedError, TroubleshootError

META = ("respondent", "department")
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Mapping:
    """Survey column -> question id (or `question.symptom`, or respondent/department), and per
    question, survey answer label -> choice id."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row (the header is not counted)
    key: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What became of one row: rejected (`error`), stored in the database (`stored`), or
    evaluated into a JSON Lines record (`line`) when writing to a file instead."""

    row: Row
    error: str | None = None
    stored: bool = False
    line: str | None = None


@dataclass(frozen=True)
class Settings:
    """What every worker needs: the knowledge base, the emergency number, and the database to
    store good rows in (None: give back JSON Lines records instead)."""

    rules: str | None = None
    emergency_number: str = "911"
    db: str | None = None
    support_contact: str = "your occupational-health team"


@dataclass(frozen=True)
class _Evaluated:
    row: Row
    answers: dict[str, Any]
    result: dict[str, Any]
    respondent: str | None
    department: str | None


def read_mapping(path: Path) -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TroubleshootError(f"{path}: cannot read the mapping: {error}") from error
    columns, values = data.get("columns", {}), data.get("values", {})
    if (
        not isinstance(columns, dict)
        or not isinstance(values, dict)
        or not all(isinstance(v, dict) for v in values.values())
    ):
        raise TroubleshootError(
            f"{path}: a mapping has `columns: {{survey column: question id}}` and "
            "`values: {question id: {survey label: choice id}}`"
        )
    return Mapping(
        {str(k): str(v) for k, v in columns.items()},
        {str(q): {str(k): str(v) for k, v in m.items()} for q, m in values.items()},
    )


def _key(path: Path, number: int, raw: dict[str, Any]) -> str:
    content = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(f"{path.name}\0{number}\0{content}".encode()).hexdigest()[:32]


def read_rows(path: Path) -> Iterator[Row]:
    """Rows as read, before any checking (a row that cannot even be parsed carries `_error`)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise TroubleshootError(f"{path}: cannot read: {error.strerror or error}") from error
    try:
        with handle:
            yield from _parse_rows(path, handle)
    except UnicodeDecodeError as error:
        raise TroubleshootError(f"{path}: not UTF-8 text: {error.reason}") from error


def _parse_rows(path: Path, handle: Any) -> Iterator[Row]:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError as error:
                raw = {"_error": f"not valid JSON: {error}", "_line": line[:200]}
            if not isinstance(raw, dict):
                raw = {"_error": "a row must be a JSON object", "_line": line[:200]}
            yield Row(number, _key(path, number, raw), raw)
    else:
        try:
            for number, record in enumerate(csv.DictReader(handle), start=1):
                raw = {k: v for k, v in record.items() if k is not None}
                if None in record:
                    raw["_error"] = "the row has more cells than the header"
                yield Row(number, _key(path, number, raw), raw)
        except csv.Error as error:
            raise TroubleshootError(f"{path}: cannot read as CSV: {error}") from error


def _translate(
    raw: dict[str, Any], mapping: Mapping, kb: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Survey columns and labels -> an answers mapping, plus the meta columns."""
    answers: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for column, value in raw.items():
        target = mapping.columns.get(column, column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty cell is an unanswered question
        if target in META:
            meta[target] = str(value).strip()[:200]
            continue
        question_id, _, item = target.partition(".")
        question = kb.question.get(question_id)
        labels = mapping.values.get(question_id, {})
        if isinstance(value, str):
            text = value.strip()
            is_list = question_id in ("red_flags", "warning_signs") or (
                question is not None and question.type == "multi"
            )
            parts = [p.strip() for p in text.split(LIST_SEPARATOR)] if is_list else [text]
            converted: Any = (
                [labels.get(p, p) for p in parts if p] if is_list else labels.get(text, text)
            )
        else:
            converted = value
        if item:
            answers.setdefault(question_id, {})
            if isinstance(answers[question_id], dict):
                answers[question_id][item] = converted
        else:
            answers[target] = converted
    return answers, meta


# -- evaluation (in worker processes with --jobs) --------------------------------------------------
CHUNK = 50  # rows per task: a worker stores each chunk in one transaction
INTERRUPTED = (
    "Interrupted. The rows stored so far stay stored; run the same command again to go on "
    "(rows already stored are skipped)."
)
_WORKER: dict[str, Any] = {}


def _init_worker(settings: Settings) -> None:
    from troubleshoot.kb import load_knowledge_base

    if _WORKER.get("settings") == settings:  # the same batch set-up again, in this process
        return
    _WORKER["settings"] = settings
    _WORKER["kb"] = load_knowledge_base(Path(settings.rules) if settings.rules else None)
    _WORKER["number"] = settings.emergency_number
    _WORKER["support"] = settings.support_contact
    if settings.db:
        from troubleshoot.store import Store

        # Each worker has its own connection; the parent has already migrated the database.
        _WORKER["store"] = Store.open(settings.db, migrate=False)
    else:
        _WORKER["store"] = None


def _init_pool_worker(settings: Settings) -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent alone handles it (and
    # stops the workers), so a worker never prints a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker(settings)


def _evaluate(row: Row, mapping: Mapping, origin: str) -> _Evaluated | Outcome:
    from troubleshoot.assess import assess

    if "_error" in row.raw:
        return Outcome(row, error=str(row.raw["_error"]))
    kb = _WORKER["kb"]
    try:
        raw, meta = _translate(row.raw, mapping, kb)
        answers = normalize_answers(raw, kb, f"{origin} row {row.number}")
        result = assess(
            kb,
            answers,
            emergency_number=_WORKER["number"],
            support_contact=_WORKER["support"],
        ).to_dict()
    except TroubleshootError as error:
        message = str(error)
        prefix = f"{origin} row {row.number}: "
        return Outcome(row, error=message[len(prefix) :] if message.startswith(prefix) else message)
    return _Evaluated(row, answers, result, meta.get("respondent"), meta.get("department"))


def _evaluate_chunk(job: tuple[list[Row], Mapping, str]) -> list[Outcome]:
    """Evaluate a chunk of rows and store the good ones (or turn them into JSON Lines records)
    here, in the worker: only small outcomes travel back to the parent."""
    rows, mapping, origin = job
    evaluated = [_evaluate(row, mapping, origin) for row in rows]
    store = _WORKER["store"]
    if store is None:
        return [
            item if isinstance(item, Outcome) else Outcome(item.row, line=_json_line(item))
            for item in evaluated
        ]
    refused = _save(store, [item for item in evaluated if isinstance(item, _Evaluated)])
    return [
        item
        if isinstance(item, Outcome)
        else Outcome(item.row, error=refused[item.row.number])
        if item.row.number in refused
        else Outcome(item.row, stored=True)
        for item in evaluated
    ]


def _save(store: Any, good: list[_Evaluated]) -> dict[int, str]:
    """Store the rows in one transaction; if the database refuses one, store them one by one
    so only the refused rows are left out. Returns the refused rows' reasons by row number."""
    records = [
        {
            "answers": item.answers,
            "result": item.result,
            "respondent": item.respondent,
            "department": item.department,
            "source_key": item.row.key,
        }
        for item in good
    ]
    try:
        store.bulk_save(records)
        return {}
    except RecordRefusedError:
        pass
    refused = {}
    for item, record in zip(good, records, strict=True):
        try:
            store.save(**record)
        except RecordRefusedError as error:
            refused[item.row.number] = f"not stored: {error}"
    return refused


def _json_line(item: _Evaluated) -> str:
    record = {
        "row": item.row.number,
        "respondent": item.respondent,
        "department": item.department,
        "answers": item.answers,
        "result": item.result,
    }
    return json.dumps(record) + "\n"


def evaluate_rows(
    rows: list[Row],
    mapping: Mapping,
    origin: str,
    jobs: int,
    settings: Settings,
    on_done: Callable[[Outcome], None],
) -> None:
    """Evaluate every row, in `jobs` worker processes (one engine and one database connection
    each), reporting each outcome in row order as its chunk completes."""
    work = [(rows[start : start + CHUNK], mapping, origin) for start in range(0, len(rows), CHUNK)]
    if jobs <= 1:
        _init_worker(settings)
        for job in work:
            for outcome in _evaluate_chunk(job):
                on_done(outcome)
        return
    context = multiprocessing.get_context("fork")  # the C engine cannot be pickled or shared
    with context.Pool(jobs, initializer=_init_pool_worker, initargs=(settings,)) as pool:
        for outcomes in pool.imap(_evaluate_chunk, work):
            for outcome in outcomes:
                on_done(outcome)


@dataclass
class BatchRun:
    """What a batch did: rows evaluated (and stored), rejected rows, JSON Lines records."""

    evaluated: int = 0
    stored: int = 0
    rejected: list[Outcome] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def run(
    rows: list[Row],
    mapping: Mapping,
    origin: str,
    jobs: int,
    settings: Settings,
    advance: Callable[[], None] = lambda: None,
) -> BatchRun:
    """Evaluate the rows (storing them when `settings.db` is set); `advance` is called once
    per row done, in row order."""
    done = BatchRun()

    def record(outcome: Outcome) -> None:
        if outcome.error is not None:
            done.rejected.append(outcome)
        else:
            done.evaluated += 1
            done.stored += outcome.stored
            if outcome.line is not None:
                done.lines.append(outcome.line)
        advance()

    evaluate_rows(rows, mapping, origin, jobs, settings, record)
    return done


def write_errors(path: Path, outcomes: list[Outcome]) -> None:
    import io

    from troubleshoot.files import write_file

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "reason", "data"])
    for outcome in outcomes:
        writer.writerow(
            [
                outcome.row.number,
                outcome.error,
                json.dumps(outcome.row.raw, ensure_ascii=False, default=str)[:1000],
            ]
        )
    write_file(buffer.getvalue(), path)


Sink = Callable[[Outcome], None]


def summary(
    read: int, evaluated: int, stored: int, skipped: int, rejected: int, errors: Path | None
) -> str:
    parts = [f"Rows read: {read}", f"evaluated: {evaluated}"]
    if stored or skipped:
        parts.append(f"stored: {stored}, already stored before: {skipped}")
    parts.append(f"rejected: {rejected}" + (f" (see {errors})" if rejected and errors else ""))
    return "; ".join(parts) + "."
