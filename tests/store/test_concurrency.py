"""Several people submitting at the same moment: 8 processes each store 500 assessments in one
database; every row arrives exactly once and no "database is locked" reaches anyone."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from troubleshoot.assess import assess
from troubleshoot.kb import load_knowledge_base
from troubleshoot.store import Store

PROCESSES = 8
EACH = int(os.environ.get("CONCURRENCY_EACH", "500"))


def _writer(url: str, worker: int, each: int, result: dict, failures: list) -> None:
    try:
        store = Store.open(url)
        for n in range(each):
            store.save({"worker": worker, "n": n}, result, respondent=f"w{worker}-{n}")
        store.close()
    except Exception as error:  # reported to the parent, which fails the test
        failures.append(f"worker {worker}: {type(error).__name__}: {error}")


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(database_url: str, clear_screen) -> None:
    kb = load_knowledge_base()
    result = assess(kb, {**clear_screen, "symptoms": ["neck_pain"]}).to_dict()
    Store.open(database_url).close()  # migrate once, before the rush
    with multiprocessing.Manager() as manager:
        failures = manager.list()
        workers = [
            multiprocessing.get_context("fork").Process(
                target=_writer, args=(database_url, w, EACH, result, failures)
            )
            for w in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=600)
        assert list(failures) == []
    stored = Store.open(database_url).find()
    assert len(stored) == PROCESSES * EACH
    assert len({s.respondent for s in stored}) == PROCESSES * EACH  # none twice
