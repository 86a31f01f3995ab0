"""Evaluate a survey's rows in one go (the rows are read by batch_input). A bad row never stops
the batch: it is reported with its row and line number and the reason. A row already stored
(the same key, from an earlier import of the survey or from another batch running at the same
time) is skipped, never stored twice and never reported as rejected.

The rows stream through: they are read, checked against the store and handed to the workers
a chunk at a time, so memory stays flat whatever the file's size. With `jobs` > 1 each worker
process has its own rule engine and database connection and stores its own chunks; only small
outcomes come back, in row order. A worker whose parent has gone (killed) exits quietly.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from troubleshoot.assess import UNSURE_WORDS, normalize_answers
from troubleshoot.errors import RecordRefusedError, StoreError, TroubleshootError
from troubleshoot.files import StreamedFile
from troubleshoot.oh.batch_input import META, Mapping, Row, read_mapping, read_rows
from troubleshoot.text import spreadsheet_safe, visible

__all__ = [
    "BatchRun",
    "Mapping",
    "Outcome",
    "Row",
    "Settings",
    "read_mapping",
    "read_rows",
    "run",
    "run_batch",
]

LIST_SEPARATOR = ";"
CHUNK = 50  # rows per task: a worker stores each chunk in one transaction
INTERRUPTED = (
    "Interrupted. The rows stored so far stay stored; run the same command again to go on "
    "(rows already stored are skipped)."
)
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class Outcome:
    """What became of one row: rejected (`error`), stored in the database (`stored`), already
    stored by another import running at the same time (`known`), or evaluated into a JSON
    Lines record (`line`) when writing to a file instead."""

    row: Row
    error: str | None = None
    stored: bool = False
    known: bool = False
    line: str | None = None


@dataclass(frozen=True)
class Settings:
    """What every worker needs: the knowledge base, the emergency number, the support contact,
    and the database to store good rows in (None: give back JSON Lines records instead)."""

    rules: str | None = None
    emergency_number: str = "911"
    db: str | None = None
    support_contact: str = "your occupational-health team"


@dataclass
class BatchRun:
    """What a batch did."""

    read: int = 0
    evaluated: int = 0
    stored: int = 0
    known: int = 0  # stored before (an earlier import), or meanwhile by another batch
    rejected: int = 0
    matched_by: str = "content"  # response_id | content
    stopped: str | None = None  # why the batch stopped early (a database error)
    fingerprint: str = ""


@dataclass(frozen=True)
class _Evaluated:
    row: Row
    answers: dict[str, Any]
    result: dict[str, Any]
    respondent: str | None
    department: str | None


def _translate(
    raw: dict[str, Any], mapping: Mapping, kb: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """Survey columns and labels -> an answers mapping, plus the meta columns."""
    from troubleshoot.store import label_problem

    answers: dict[str, Any] = {}
    meta: dict[str, str] = {}
    for column, value in raw.items():
        target = mapping.columns.get(column, column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty cell is an unanswered question
        if target in META:
            text = str(value).strip()
            problem = label_problem(text)
            if problem and target != "response_id":
                raise TroubleshootError(f"{target}: the value {problem}")
            meta[target] = text
            continue
        question_id, _, item = target.partition(".")
        question = kb.question.get(question_id)
        labels = mapping.values.get(question_id, {})
        converted: Any = value
        if isinstance(value, str):
            text = value.strip()
            is_list = question_id in ("red_flags", "warning_signs") or (
                question is not None and question.type == "multi"
            )
            if is_list and text.lower() not in UNSURE_WORDS:  # "not sure" stays one answer
                parts = [p.strip() for p in text.split(LIST_SEPARATOR)]
                converted = [labels.get(p, p) for p in parts if p]
            else:
                converted = labels.get(text, text)
        if item:
            per_item = answers.setdefault(question_id, {})
            if isinstance(per_item, dict):
                per_item[item] = converted
        else:
            answers[target] = converted
    return answers, meta


def _init_worker(settings: Settings) -> None:
    from troubleshoot.kb import load_knowledge_base

    if _WORKER.get("settings") == settings:  # the same batch set-up again, in this process
        return
    _WORKER["settings"] = settings
    _WORKER["kb"] = load_knowledge_base(Path(settings.rules) if settings.rules else None)
    if settings.db:
        from troubleshoot.store import Store

        # Each worker has its own connection; the parent has already migrated the database.
        _WORKER["store"] = Store.open(settings.db, migrate=False)
    else:
        _WORKER["store"] = None


def _evaluate(row: Row, mapping: Mapping, origin: str) -> _Evaluated | Outcome:
    from troubleshoot.assess import assess

    if row.error is not None:
        return Outcome(row, error=row.error)
    kb = _WORKER["kb"]
    settings: Settings = _WORKER["settings"]
    try:
        raw, meta = _translate(row.raw, mapping, kb)
        answers = normalize_answers(raw, kb, f"{origin} row {row.number}")
        result = assess(
            kb,
            answers,
            emergency_number=settings.emergency_number,
            support_contact=settings.support_contact,
        ).to_dict()
    except (TroubleshootError, RecursionError) as error:
        message = str(error) if isinstance(error, TroubleshootError) else "nested too deeply"
        prefix = f"{origin} row {row.number}: "
        return Outcome(row, error=message[len(prefix) :] if message.startswith(prefix) else message)
    return _Evaluated(row, answers, result, meta.get("respondent"), meta.get("department"))


def _evaluate_chunk(rows: list[Row], mapping: Mapping, origin: str) -> list[Outcome]:
    """Evaluate a chunk of rows and store the good ones (or turn them into JSON Lines records)
    here, in the worker: only small outcomes travel back to the parent."""
    evaluated = [_evaluate(row, mapping, origin) for row in rows]
    store = _WORKER["store"]
    if store is None:
        return [
            item if isinstance(item, Outcome) else Outcome(item.row, line=_json_line(item))
            for item in evaluated
        ]
    good = [item for item in evaluated if isinstance(item, _Evaluated)]
    fates = _save(store, good)
    return [item if isinstance(item, Outcome) else fates[item.row.number] for item in evaluated]


def _save(store: Any, good: list[_Evaluated]) -> dict[int, Outcome]:
    """Store the rows in one transaction; if the database refuses one, store them one by one
    so only the refused rows are left out, and a row another batch stored meanwhile counts as
    already stored. A database that fails altogether (full, gone) stops the batch."""
    records = [_record(item) for item in good]
    try:
        store.bulk_save(records)
        return {item.row.number: Outcome(item.row, stored=True) for item in good}
    except RecordRefusedError:
        pass
    fates = {}
    for item, record in zip(good, records, strict=True):
        try:
            saved = store.save(**record)
        except RecordRefusedError as error:
            fates[item.row.number] = Outcome(item.row, error=f"not stored: {error}")
        else:
            fates[item.row.number] = Outcome(
                item.row, stored=saved is not None, known=saved is None
            )
    return fates


def _record(item: _Evaluated) -> dict[str, Any]:
    return {
        "answers": item.answers,
        "result": item.result,
        "respondent": item.respondent,
        "department": item.department,
        "source_key": item.row.key,
    }


def _json_line(item: _Evaluated) -> str:
    record = {
        "row": item.row.number,
        "respondent": item.respondent,
        "department": item.department,
        "answers": item.answers,
        "result": item.result,
    }
    return json.dumps(record) + "\n"


# -- worker processes ---------------------------------------------------------------------------
def _worker_main(settings: Settings, tasks: Any, results: Any, parent: int) -> None:
    """A worker: evaluate and store chunks until told to stop, or until the parent is gone
    (killed), then exit quietly: no traceback ever reaches the terminal from here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        _init_worker(settings)
    except BaseException as error:
        _quietly(results.put, ("failed", -1, str(error)))
        os._exit(0)
    while True:
        if os.getppid() != parent:
            os._exit(0)
        try:
            task = tasks.get(timeout=1)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            break
        index, rows, mapping, origin = task
        try:
            outcomes = _evaluate_chunk(rows, mapping, origin)
        except StoreError as error:
            _quietly(results.put, ("failed", index, str(error)))
            continue
        except BaseException as error:
            _quietly(results.put, ("failed", index, f"{type(error).__name__}: {error}"))
            continue
        _quietly(results.put, ("done", index, outcomes))
    os._exit(0)


def _quietly(call: Callable[..., Any], *args: Any) -> None:
    try:
        call(*args)
    except BaseException:
        os._exit(0)


class _Workers:
    """`jobs` worker processes fed a bounded number of chunks at a time, outcomes in order."""

    def __init__(self, jobs: int, settings: Settings) -> None:
        context = multiprocessing.get_context("fork")  # the C engine cannot be pickled
        self.tasks = context.Queue(maxsize=jobs * 2)
        self.results = context.Queue()
        self.processes = [
            context.Process(
                target=_worker_main,
                args=(settings, self.tasks, self.results, os.getpid()),
                daemon=True,
            )
            for _ in range(jobs)
        ]
        for process in self.processes:
            process.start()
        self.limit = jobs * 2

    def map(self, chunks: Iterator[tuple[list[Row], Mapping, str]]) -> Iterator[list[Outcome]]:
        sent = 0
        ready: dict[int, list[Outcome]] = {}
        emitted = 0
        exhausted = False
        while True:
            while not exhausted and sent - emitted < self.limit:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                self.tasks.put((sent, *chunk))
                sent += 1
            if exhausted and emitted == sent:
                return
            kind, index, payload = self.results.get()
            if kind == "failed":
                raise StoreError(payload)
            ready[index] = payload
            while emitted in ready:
                yield ready.pop(emitted)
                emitted += 1

    def close(self, terminate: bool = False) -> None:
        for process in self.processes:
            if terminate:
                process.terminate()
            else:
                try:
                    self.tasks.put(None, timeout=5)
                except (queue.Full, OSError, ValueError):
                    process.terminate()
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


# -- one batch ----------------------------------------------------------------------------------
def run(
    path: Path,
    mapping: Mapping,
    jobs: int,
    settings: Settings,
    store: Any | None,
    on_outcome: Callable[[Outcome], None],
    advance: Callable[[], None] = lambda: None,
) -> BatchRun:
    """Read, check and evaluate every row of the survey (storing them when `settings.db` is
    set; `store` is the parent's connection, used to skip rows stored before), calling
    `on_outcome` for each row that was evaluated or rejected and `advance` for every row, in
    row order."""
    done = BatchRun()
    done.matched_by = "response_id" if "response_id" in mapping.columns.values() else "content"

    def chunks() -> Iterator[tuple[list[Row], Mapping, str]]:
        rows = read_rows(path, mapping)
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                return
            done.read += len(chunk)
            if any(row.key.startswith("r:") for row in chunk):
                done.matched_by = "response_id"
            if store is not None:
                known = store.known_keys([r.key for r in chunk] + [r.legacy_key for r in chunk])
                fresh = [r for r in chunk if r.key not in known and r.legacy_key not in known]
                done.known += len(chunk) - len(fresh)
                for _ in range(len(chunk) - len(fresh)):
                    advance()
                chunk = fresh
            if chunk:
                yield chunk, mapping, str(path)

    def record(outcome: Outcome) -> None:
        if outcome.error is not None:
            done.rejected += 1
        elif outcome.known:
            done.known += 1
        else:
            done.evaluated += 1
            done.stored += outcome.stored
        on_outcome(outcome)
        advance()

    try:
        for outcomes in _outcomes(chunks(), jobs, settings):
            for outcome in outcomes:
                record(outcome)
    except StoreError as error:
        done.stopped = str(error)
    done.fingerprint = fingerprint(path)
    return done


def _outcomes(
    chunks: Iterator[tuple[list[Row], Mapping, str]], jobs: int, settings: Settings
) -> Iterable[list[Outcome]]:
    if jobs <= 1:
        _init_worker(settings)
        for rows, mapping, origin in chunks:
            yield _evaluate_chunk(rows, mapping, origin)
        return
    workers = _Workers(jobs, settings)
    try:
        yield from workers.map(chunks)
    except BaseException:
        workers.close(terminate=True)
        raise
    workers.close()


def fingerprint(path: Path) -> str:
    """The file's sha256, recorded with the import."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


ERROR_COLUMNS = ["row", "line", "reason", "data"]


def error_line(outcome: Outcome) -> str:
    """One line of the errors file: the data row number, the line a spreadsheet shows it on
    (header = line 1), the reason and the row as read (cut short, never a formula)."""
    buffer = io.StringIO()
    data = json.dumps(outcome.row.raw, ensure_ascii=False, default=str)[:1000]
    csv.writer(buffer, lineterminator="\n").writerow(
        [
            outcome.row.number,
            outcome.row.line,
            spreadsheet_safe(visible(outcome.error or "")),
            spreadsheet_safe(visible(data)),
        ]
    )
    return buffer.getvalue()


def summary(done: BatchRun, errors: Path | None) -> str:
    parts = [f"Rows read: {done.read}", f"evaluated: {done.evaluated}"]
    if done.stored or done.known:
        parts.append(f"stored: {done.stored}, already stored before: {done.known}")
    parts.append(
        f"rejected: {done.rejected}" + (f" (see {errors})" if done.rejected and errors else "")
    )
    text = "; ".join(parts) + "."
    text += (
        " Rows were matched by their response id."
        if done.matched_by == "response_id"
        else " Rows were matched by their content and place in the file (no response id"
        " column): an export with rows appended stores only the new rows."
    )
    if done.stopped:
        text += (
            f"\nStopped early: {done.stopped}. The {done.stored} row(s) stored before it "
            "stopped stay stored; run the same command again to go on."
        )
    return text


def run_batch(
    path: Path,
    mapping: Mapping,
    jobs: int,
    settings: Settings,
    store: Any | None,
    out: Path | None,
    errors: Path,
    advance: Callable[[], None] = lambda: None,
) -> BatchRun:
    """`run`, writing the JSON Lines results to `out` (when not storing) and the rejected rows
    to `errors` as they come (both private files, in place only once complete). An
    interrupted batch writes neither."""
    with contextlib.ExitStack() as stack:
        results = stack.enter_context(StreamedFile(out)) if out is not None else None
        rejected: list[StreamedFile] = []

        def on_outcome(outcome: Outcome) -> None:
            if outcome.error is not None:
                if not rejected:
                    rejected.append(stack.enter_context(StreamedFile(errors)))
                    rejected[0].write(",".join(ERROR_COLUMNS) + "\n")
                rejected[0].write(error_line(outcome))
            elif outcome.line is not None and results is not None:
                results.write(outcome.line)

        done = run(path, mapping, jobs, settings, store, on_outcome, advance)
        if results is not None:
            results.commit()
        if rejected:
            rejected[0].commit()
    return done
