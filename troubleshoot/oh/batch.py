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

import bisect
import contextlib
import csv
import hashlib
import io
import json
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from troubleshoot.errors import OutputError, StoreError
from troubleshoot.files import StreamedFile
from troubleshoot.oh.batch_input import Mapping, Row, read_mapping, read_rows
from troubleshoot.oh.workers import Outcome, Settings, outcomes
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

CHUNK = 100  # rows per task: a worker stores each chunk in one transaction (fewer commits)
INTERRUPTED = (
    "Interrupted. The rows stored so far stay stored; run the same command again to go on "
    "(rows already stored are skipped)."
)


@dataclass
class BatchRun:
    """What a batch did."""

    read: int = 0
    evaluated: int = 0
    stored: int = 0
    known: int = 0  # stored before (an earlier import), or meanwhile by another batch
    rejected: int = 0
    matched_by: str = "content"  # response_id | content
    stopped: str | None = None  # why the batch stopped early (the database, or a full disk)
    stop_code: int = 0  # the exit code that says why: 4 the database, 5 an output file
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)  # one line each, for the person running it


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

    from troubleshoot.kb import load_knowledge_base

    kb = load_knowledge_base(Path(settings.rules) if settings.rules else None)
    if store is not None and settings.db:
        from troubleshoot.oh.packing import pack_with

        # The dictionary made once, here, before any worker needs it.
        pack_with(store, kb, on_fallback=done.notes.append)

    def is_question(name: str) -> bool:
        return name in kb.question or name in ("red_flags", "warning_signs")

    stopping: list[StoreError | OutputError] = []  # why the batch stops early, once known

    def chunks() -> Iterator[tuple[list[Row], Mapping, str]]:
        rows = read_rows(path, mapping, is_question)
        while not stopping:
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
        # Counted first: a chunk's rows are stored (or not) whatever happens to the outputs.
        if outcome.error is not None:
            done.rejected += 1
        elif outcome.known:
            done.known += 1
        else:
            done.evaluated += 1
            done.stored += outcome.stored
        advance()
        if not stopping:
            try:
                on_outcome(outcome)
            except OutputError as error:  # a full disk: stop feeding, count what comes back
                stopping.append(error)

    try:
        for chunk in outcomes(chunks(), jobs, settings):
            if isinstance(chunk, StoreError):
                stopping.append(chunk)
                continue
            for outcome in chunk:
                record(outcome)
    except (StoreError, OutputError) as error:
        stopping.append(error)
    if stopping:
        # Every chunk is stored in its own transaction: what was stored stays stored.
        done.stopped, done.stop_code = str(stopping[0]), stopping[0].exit_code
    done.fingerprint = fingerprint(path)
    return done


class UntoldBefore:
    """The cases no one has told of urgent advice before a batch, held as 8 bytes each (the
    sets of ids were ~70 bytes each, twice: 20 MB at 200,000 rows), to count the new ones."""

    def __init__(self, store: Any | None) -> None:
        self.ids = array("q", store.untold_ids() if store is not None else ())

    def new_since(self, store: Any | None) -> int:
        """How many untold cases there are now that were not untold before."""
        if store is None:
            return 0
        ids, count = self.ids, 0
        for case_id in store.untold_ids():
            place = bisect.bisect_left(ids, case_id)
            count += place == len(ids) or ids[place] != case_id
        return count


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
        f"rejected: {done.rejected}"
        + (f" (see {visible(str(errors))})" if done.rejected and errors else "")
    )
    text = "; ".join(parts) + "."
    text += (
        " Rows were matched by their response id."
        if done.matched_by == "response_id"
        else " Rows were matched by their content and place in the file (no response id"
        " column): an export with rows appended stores only the new rows."
    )
    if done.stopped:
        kept = (
            f"The {done.stored} row(s) stored before it stopped stay stored"
            if done.stored or done.known
            else "Nothing was stored"
        )
        text += (
            f"\nStopped early: {visible(done.stopped)}. {kept}; run the same command again to "
            "go on (rows already stored are skipped)."
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
        try:
            if results is not None and not done.stopped:  # half a result file is not one
                results.commit()
            if rejected:  # the rejected rows found so far, even when the batch stopped
                rejected[0].commit()
        except OutputError as error:
            done.stopped = done.stopped or str(error)
            done.stop_code = done.stop_code or error.exit_code
    return done
