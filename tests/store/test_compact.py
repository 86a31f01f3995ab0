"""A compact store: results packed (a few KB each), read back exactly as they were made, rows of
earlier versions still readable and packed by the upgrade."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import ROOT
from troubleshoot.assess import assess
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store
from troubleshoot.store.migration_cases import pack_rows

sys.path.insert(0, str(ROOT / "benchmarks"))
from run import realistic


def _bytes_per_assessment(store: Store) -> float:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT answers, result, result_z FROM assessments")).all()
    return sum(len(r.answers) + len(r.result) + len(r.result_z or b"") for r in rows) / len(rows)


def test_results_are_packed_and_read_back_exactly(database_url, kb: KnowledgeBase) -> None:
    store = Store.open(database_url)
    rnd = random.Random(11)
    made = []
    for _ in range(40):
        answers = realistic(rnd)
        result = assess(kb, answers).to_dict()
        made.append((store.save(answers, result), result))
    for assessment_id, result in made:
        assert store.get(assessment_id).result == result  # `show` renders what was concluded
    assert _bytes_per_assessment(store) < 5000


def test_rows_of_earlier_versions_are_read_then_packed(tmp_path: Path, kb, clear_screen) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    answers = {**clear_screen, "symptoms": ["neck_pain"]}
    result = assess(kb, answers).to_dict()
    saved = store.save(answers, result)
    with store.engine.begin() as conn:  # as a version-7 database kept it
        conn.execute(
            sa.text("UPDATE assessments SET result = :r, result_z = NULL WHERE id = :i"),
            {"r": json.dumps(result), "i": saved},
        )
    assert store.get(saved).result == result
    with store.engine.begin() as conn:
        pack_rows(conn)
        row = conn.execute(sa.text("SELECT result, result_z FROM assessments")).one()
    assert row.result == "" and row.result_z
    assert store.get(saved).result == result
