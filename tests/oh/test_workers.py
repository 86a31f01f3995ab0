"""Evaluating and storing a batch's rows, chunk by chunk (troubleshoot/oh/workers.py)."""

from __future__ import annotations

from pathlib import Path

from troubleshoot.assess import assess
from troubleshoot.oh import workers
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
