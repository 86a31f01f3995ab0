"""Packing is an economy, never a condition of storing: where the knowledge base's dictionary
cannot be made, an assessment is stored in the plain form and reads back the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.errors import StoreError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh import packing
from troubleshoot.oh.packing import pack_with
from troubleshoot.store import Store


def _unmakeable(kb: KnowledgeBase) -> bytes:
    raise RuntimeError("no reference results for this knowledge base")


def test_storing_goes_on_in_the_plain_form_when_the_dictionary_cannot_be_made(
    tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packing, "reference_dictionary", _unmakeable)
    store = pack_with(Store.open(f"sqlite:///{tmp_path / 'a.db'}"), kb)
    assert store.packing is None
    answers = {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    result = assess(kb, answers).to_dict()
    stored = store.get(store.save(answers, result, respondent="p1") or 0)
    assert stored.answers == answers and stored.result == result
    assert store.unpacked_count() == 1  # `troubleshoot pack` can pack it later
    with pytest.raises(StoreError, match="could not be made: no reference results"):
        pack_with(store, kb, required=True)
    store.close()


def test_a_knowledge_base_at_the_schema_edges_stores_from_assess_and_batch(
    runner: CliRunner, tmp_path: Path, unusual_rules: Path, clear_screen: dict[str, str]
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**clear_screen, "symptoms": ["eye_strain"], "sleep_hours": 40}))
    rules = ["--rules", str(unusual_rules)]
    saved = runner.invoke(app, ["assess", "-a", str(answers), "-f", "json", *rules])
    assert saved.exit_code == 0, saved.stderr
    survey = tmp_path / "survey.jsonl"
    survey.write_text(
        "".join(
            json.dumps({"respondent": f"e{n}", **clear_screen, "symptoms": ["neck_pain"]}) + "\n"
            for n in range(3)
        )
    )
    batch = runner.invoke(app, ["batch", str(survey), *rules])
    assert batch.exit_code == 0, batch.stderr
    store = Store.open()  # the test's own database (conftest)
    assert len(store.find()) == 4 and store.packing is None
    assert store.unpacked_count() == 0  # packed against the unusual knowledge base's dictionary
    store.close()


def test_batch_and_assess_say_in_one_line_when_results_are_stored_unpacked(
    runner: CliRunner,
    tmp_path: Path,
    clear_screen: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(packing, "reference_dictionary", _unmakeable)
    survey = tmp_path / "survey.jsonl"
    survey.write_text(
        "".join(
            json.dumps({"respondent": f"e{n}", **clear_screen, "symptoms": ["neck_pain"]}) + "\n"
            for n in range(2)
        )
    )
    batch = runner.invoke(app, ["batch", str(survey), "--jobs", "1"])
    assert batch.exit_code == 0, batch.stderr
    notes = [line for line in batch.stderr.splitlines() if "stored unpacked" in line]
    assert len(notes) == 1 and "no reference results for this knowledge base" in notes[0]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**clear_screen, "symptoms": ["eye_strain"]}))
    saved = runner.invoke(app, ["assess", "-a", str(answers), "-f", "json"])
    assert saved.exit_code == 0, saved.stderr
    assert "stored unpacked" in saved.stderr and "stored unpacked" not in saved.stdout
    store = Store.open()  # the test's own database (conftest)
    assert len(store.find()) == 3 and store.unpacked_count() == 3
    store.close()


def test_no_note_when_the_results_are_packed(
    runner: CliRunner, tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    survey = tmp_path / "survey.jsonl"
    survey.write_text(json.dumps({"respondent": "e1", **clear_screen, "symptoms": ["none"]}) + "\n")
    batch = runner.invoke(app, ["batch", str(survey)])
    assert batch.exit_code == 0, batch.stderr
    assert "unpacked" not in batch.stderr
