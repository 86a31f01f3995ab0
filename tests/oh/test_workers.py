"""Evaluating and storing a batch's rows, chunk by chunk (troubleshoot/oh/workers.py)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from troubleshoot.assess import assess
from troubleshoot.errors import StoreError
from troubleshoot.oh import workers
from troubleshoot.oh.batch_input import Mapping, Row
from troubleshoot.store import Store


def test_a_record_the_database_refuses_is_rejected_alone(tmp_path: Path, kb, clear_screen) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'refuse.db'}")
    result = assess(kb, clear_screen).to_dict()
    good = [
        workers._Evaluated(
            workers.Row(n, n + 1, f"c:{n}", {}), clear_screen, result, "x" * (n * 100), None
        )
        for n in range(1, 4)
    ]
    fates = workers._save(store, good)
    assert [fates[n].stored for n in (1, 2, 3)] == [True, True, False]
    assert "201" not in (fates[3].error or "") and "300 characters" in (fates[3].error or "")
    assert len(store.find()) == 2


def _chunks(clear_screen: dict[str, str], count: int) -> Iterator[tuple[list[Row], Mapping, str]]:
    for number in range(count):
        row = Row(number + 1, number + 2, f"c:{number}", {**clear_screen, "symptoms": "none"})
        yield [row], Mapping(), "survey.csv"


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """A test that would wait for ever fails instead."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _broken_start(settings: workers.Settings, owns_process: bool) -> None:
    raise StoreError("the database is not there")


def test_a_worker_that_cannot_start_stops_the_batch_with_its_reason(
    tmp_path: Path, clear_screen: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "_init_worker", _broken_start)  # the forked workers inherit it
    settings = workers.Settings(db=f"sqlite:///{tmp_path / 'w.db'}")
    with _deadline(60):
        got = list(workers.outcomes(_chunks(clear_screen, 20), 2, settings))
    assert len(got) == 1 and isinstance(got[0], StoreError)
    assert str(got[0]) == "a worker could not start: the database is not there"


def _killed(rows: list[Row], mapping: Mapping, origin: str) -> list[workers.Outcome]:
    os._exit(9)  # as if killed mid-chunk: no word to the parent


def test_a_worker_gone_mid_batch_stops_it_instead_of_waiting_for_ever(
    tmp_path: Path, clear_screen: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open(f"sqlite:///{tmp_path / 'w.db'}").close()
    monkeypatch.setattr(workers, "_evaluate_chunk", _killed)
    settings = workers.Settings(db=f"sqlite:///{tmp_path / 'w.db'}")
    with _deadline(60):
        got = list(workers.outcomes(_chunks(clear_screen, 20), 2, settings))
    assert isinstance(got[-1], StoreError)
    assert str(got[-1]) == "a worker process stopped (exit code 9)"


def test_only_a_batch_that_owns_its_process_freezes_what_it_loaded(
    tmp_path: Path, clear_screen
) -> None:
    import gc
    import json

    from troubleshoot.oh import batch

    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({**clear_screen, "symptoms": ["none"]}) + "\n")
    gc.unfreeze()
    try:
        seen: list[batch.Outcome] = []
        # A program that calls the library keeps its garbage collector as it was.
        batch.run(rows, batch.Mapping(), 1, batch.Settings(), None, seen.append)
        assert gc.get_freeze_count() == 0 and len(seen) == 1
        # The command line has the process to itself.
        owner = batch.Settings(owns_process=True)
        batch.run(rows, batch.Mapping(), 1, owner, None, seen.append)
        assert gc.get_freeze_count() > 0 and len(seen) == 2
    finally:
        gc.unfreeze()
