"""Evaluating a batch's rows: each row's survey columns turned into answers, assessed, and
stored (or turned into a JSON Lines record), a chunk at a time, in this process or in worker
processes. Each worker has its own rule engine and database connection and stores its own
chunks in one transaction each; only small outcomes travel back, in row order. A worker whose
parent has gone (killed) exits quietly: no traceback reaches the terminal from one.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from troubleshoot.assess import UNSURE_WORDS, normalize_answers, public_answers
from troubleshoot.errors import RecordRefusedError, StoreError, TroubleshootError
from troubleshoot.oh.batch_input import META, Mapping, Row
from troubleshoot.store import checked_location
from troubleshoot.text import label_problem

LIST_SEPARATOR = ";"
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
    # The batch has the process to itself (the CLI): what it loads may be frozen out of the
    # garbage collector's passes (see _init_worker). Worker processes always do.
    owns_process: bool = False


@dataclass(frozen=True)
class _Evaluated:
    row: Row
    answers: dict[str, Any]
    result: dict[str, Any]
    respondent: str | None
    department: str | None
    location: str | None = None


def translate(
    raw: dict[str, Any], mapping: Mapping, kb: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """Survey columns and labels -> an answers mapping, plus the meta columns."""
    answers: dict[str, Any] = {}
    meta: dict[str, str] = {}
    for column, value in raw.items():
        if column in mapping.ignore:
            continue
        target = mapping.columns.get(column, column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty cell is an unanswered question
        if target in META:
            text = " ".join(str(value).split())  # survey free text may break lines
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


def _init_worker(settings: Settings, owns_process: bool) -> None:
    from troubleshoot.kb import load_knowledge_base

    if _WORKER.get("settings") == settings:  # the same batch set-up again, in this process
        return
    _WORKER["settings"] = settings
    _WORKER["kb"] = load_knowledge_base(Path(settings.rules) if settings.rules else None)
    if settings.db:
        from troubleshoot.oh.packing import pack_with
        from troubleshoot.store import Store

        # Each worker has its own connection; the parent has already migrated the database.
        _WORKER["store"] = pack_with(Store.open(settings.db, migrate=False), _WORKER["kb"])
    else:
        _WORKER["store"] = None
    from troubleshoot.assess.assessment import engine_for

    engine_for(_WORKER["kb"])  # compiled now, so that it is among the objects frozen below
    if owns_process:
        # What is loaded now (the knowledge base, its compiled rules, the packing dictionary)
        # lives as long as the process: kept out of the garbage collector's full passes, which
        # would otherwise walk those ~100,000 objects again and again while rows are evaluated.
        # Process-wide, so only where the batch has the process to itself.
        gc.freeze()


def _evaluate(row: Row, mapping: Mapping, origin: str) -> _Evaluated | Outcome:
    from troubleshoot.assess import assess

    if row.error is not None:
        return Outcome(row, error=row.error)
    kb = _WORKER["kb"]
    settings: Settings = _WORKER["settings"]
    try:
        raw, meta = translate(row.raw, mapping, kb)
        # No one sees a batch row's report: the private answers have nothing to shape, and
        # are never stored, counted or written to --out.
        answers = public_answers(kb, normalize_answers(raw, kb, f"{origin} row {row.number}"))
        result = assess(
            kb,
            answers,
            emergency_number=settings.emergency_number,
            support_contact=settings.support_contact,
        ).to_dict()
        location = checked_location(meta.get("location"))
    except (TroubleshootError, RecursionError) as error:
        message = str(error) if isinstance(error, TroubleshootError) else "nested too deeply"
        prefix = f"{origin} row {row.number}: "
        return Outcome(row, error=message[len(prefix) :] if message.startswith(prefix) else message)
    return _Evaluated(
        row, answers, result, meta.get("respondent"), meta.get("department"), location
    )


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
        "workstation": item.location,
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
        _init_worker(settings, owns_process=True)
    except BaseException as error:
        _quietly(results.put, ("failed", -1, f"a worker could not start: {error}"))
        _exit_sent(results)
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
    _exit_sent(results)


def _quietly(call: Callable[..., Any], *args: Any) -> None:
    try:
        call(*args)
    except BaseException:
        os._exit(0)


def _exit_sent(results: Any) -> None:
    """Exit once what was put on `results` has reached the pipe: a queue sends from a thread,
    which os._exit would otherwise stop mid-message (the parent would wait for it forever)."""
    _quietly(results.close)
    _quietly(results.join_thread)
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
        self.broken = False  # a worker failed to start or died: the others are stopped too

    def map(
        self, chunks: Iterator[tuple[list[Row], Mapping, str]]
    ) -> Iterator[list[Outcome] | StoreError]:
        """Each chunk's outcomes in order, or the StoreError that stopped a worker on it; the
        chunks still in flight come back too, so what they stored is counted."""
        sent = 0
        ready: dict[int, list[Outcome] | StoreError] = {}
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
            kind, index, payload = self._next_result()
            if kind == "failed" and index < 0:  # a worker could not start, or died
                self.broken = True
                yield StoreError(payload)
                return
            ready[index] = StoreError(payload) if kind == "failed" else payload
            while emitted in ready:
                yield ready.pop(emitted)
                emitted += 1

    def _next_result(self) -> tuple[str, int, Any]:
        """The next worker message; a worker gone while chunks are out (killed, crashed) is
        a failure of the batch, never a wait without end for the chunks it held."""
        while True:
            try:
                return self.results.get(timeout=0.5)  # type: ignore[no-any-return]
            except queue.Empty:
                pass
            gone = [process.exitcode for process in self.processes if process.exitcode is not None]
            if gone:
                try:  # its last word, if it said one
                    return self.results.get(timeout=1)  # type: ignore[no-any-return]
                except queue.Empty:
                    return ("failed", -1, f"a worker process stopped (exit code {gone[0]})")

    def close(self, terminate: bool = False) -> None:
        for process in self.processes:
            if not process.is_alive():
                continue
            if terminate or self.broken:
                process.terminate()
            else:
                try:
                    self.tasks.put(None, timeout=5)
                except (queue.Full, OSError, ValueError):
                    process.terminate()
        try:
            for process in self.processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
                    process.join(timeout=10)
        finally:  # a second Ctrl-C while waiting must not bring the hang back
            # Every worker is gone: a chunk still in the queue's buffer will never be read,
            # and its feeder thread, blocked on the full pipe, would keep the batch from
            # exiting (Ctrl-C with a chunk being sent hung the parent). Its rows are not
            # stored; a re-run does them.
            self.tasks.cancel_join_thread()
            self.tasks.close()


def outcomes(
    chunks: Iterator[tuple[list[Row], Mapping, str]], jobs: int, settings: Settings
) -> Iterable[list[Outcome] | StoreError]:
    if jobs <= 1:
        _init_worker(settings, owns_process=settings.owns_process)
        for rows, mapping, origin in chunks:
            try:
                yield _evaluate_chunk(rows, mapping, origin)
            except StoreError as error:
                yield error
        return
    workers = _Workers(jobs, settings)
    try:
        yield from workers.map(chunks)
    except BaseException:
        workers.close(terminate=True)
        raise
    workers.close()
