"""Rows packed against a dictionary of reference results: about 1.5 KB of answers and result
per realistic assessment, read back exactly as they were made; the dictionary made once per
database and never changed; rows of earlier forms still read, then packed in place."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, migrated_to
from troubleshoot.assess import assess
from troubleshoot.assess.reference import dictionary_key, reference_dictionary
from troubleshoot.errors import StoreError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh.packing import pack_with
from troubleshoot.store import Store
from troubleshoot.store.migrations import MIGRATIONS

sys.path.insert(0, str(ROOT / "benchmarks"))
from paths import heavy


@pytest.fixture(scope="module")
def reference(kb: KnowledgeBase) -> bytes:
    return reference_dictionary(kb)


def _packed_store(url: str, kb: KnowledgeBase, reference: bytes) -> Store:
    store = Store.open(url)
    store.pack_against(dictionary_key(kb), lambda: reference)
    return store


def _column_bytes(store: Store) -> float:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT answers, answers_z, result, result_z FROM assessments")
        ).all()
    return sum(
        len(r.answers) + len(r.answers_z or b"") + len(r.result) + len(r.result_z or b"")
        for r in rows
    ) / len(rows)


def test_realistic_assessments_pack_small_and_read_back_exactly(
    database_url: str, kb: KnowledgeBase, reference: bytes
) -> None:
    store = _packed_store(database_url, kb, reference)
    rnd = random.Random(3)
    made = []
    for _ in range(30):
        answers = heavy(rnd)  # 0-11 symptoms, workstation answers, some "not sure"
        result = assess(kb, answers).to_dict()
        made.append((store.save(answers, result, respondent="p"), answers, result))
    for assessment_id, answers, result in made:
        stored = store.get(assessment_id)
        assert stored.result == result and stored.answers == answers
    assert _column_bytes(store) < 2500  # ~12 KB of zlib before; 10-60 KB of JSON
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM assessments WHERE answers <> ''")) == 0
    assert store.unpacked_count() == 0


def test_the_dictionary_is_made_once_per_database(
    tmp_path: Path, kb: KnowledgeBase, reference: bytes
) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return reference

    first, second = Store.open(url), Store.open(url)
    first.pack_against("k", make)
    second.pack_against("k", make)
    assert made == [1]
    assert first.packing is not None and second.packing is not None
    assert first.packing.id == second.packing.id


def test_two_processes_making_the_dictionary_at_once_share_the_first_one(
    tmp_path: Path, kb: KnowledgeBase, reference: bytes
) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    late, early = Store.open(url), Store.open(url)

    def make_while_another_stores_it() -> bytes:
        early.pack_against("k", lambda: reference)  # gets there first
        return reference + b" "

    late.pack_against("k", make_while_another_stores_it)
    assert late.packing is not None and early.packing is not None
    assert late.packing.id == early.packing.id
    with late.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM packing_dictionaries")) == 1


@pytest.mark.parametrize(
    "statement", ["UPDATE packing_dictionaries SET key = 'x'", "DELETE FROM packing_dictionaries"]
)
def test_a_dictionary_is_never_changed_or_deleted(
    database_url: str, kb: KnowledgeBase, reference: bytes, statement: str
) -> None:
    store = _packed_store(database_url, kb, reference)
    with (
        pytest.raises(sa.exc.DatabaseError, match="never changed or deleted"),
        store.engine.begin() as conn,
    ):
        conn.execute(sa.text(statement))


def _schema_8_database(url: str, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """A database as schema 8 left it: one row with its result as JSON text (stored before
    schema 8 and not yet packed), the others zlib-packed."""
    store = Store.open(url, migrate=False)
    with store.engine.begin() as conn:
        migrated_to(conn, 8)
        from troubleshoot.store.packing import pack

        for number, (answers, result) in enumerate(rows):
            conn.execute(
                sa.text(
                    "INSERT INTO assessments (created_at, respondent, answers, result, result_z, "
                    "kb_version, tool_version, program, risk_level, red_flags) VALUES "
                    "('2026-02-03 10:00:00', 'p', :a, :r, :z, 'v', 't', 'open', 'low', false)"
                ),
                {
                    "a": json.dumps(answers, sort_keys=True),
                    "r": json.dumps(result) if number == 0 else "",
                    "z": None if number == 0 else pack(result),
                },
            )
    store.close()


def test_an_upgraded_database_reads_its_rows_then_packs_them_in_place(
    tmp_path: Path, kb: KnowledgeBase, reference: bytes
) -> None:
    rnd = random.Random(8)
    rows = []
    for _ in range(5):
        answers = heavy(rnd)
        rows.append((answers, assess(kb, answers).to_dict()))
    url = f"sqlite:///{tmp_path / 'v8.db'}"
    _schema_8_database(url, rows)
    store = Store.open(url)
    assert store.schema_version() == MIGRATIONS[-1][0]
    assert [(s.answers, s.result) for s in store.find()] == rows  # the earlier forms, as read
    assert store.unpacked_count() == 5
    with pytest.raises(StoreError, match="no packing dictionary"):
        store.repack()
    store.pack_against(dictionary_key(kb), lambda: reference)
    seen: list[int] = []
    assert store.repack(seen.append) == (5, ()) and seen == [5]
    assert store.unpacked_count() == 0
    assert [(s.answers, s.result) for s in Store.open(url).find()] == rows
    assert store.repack() == (0, ())  # nothing left to pack


def test_the_pack_command_packs_rows_of_earlier_forms(
    tmp_path: Path, kb: KnowledgeBase, runner, clear_screen: dict[str, str]
) -> None:
    from troubleshoot.cli import app

    answers = {**clear_screen, "symptoms": ["neck_pain"]}
    result = assess(kb, answers).to_dict()
    url = f"sqlite:///{tmp_path / 'v8.db'}"
    _schema_8_database(url, [(answers, result), (answers, result)])
    done = runner.invoke(app, ["pack", "--db", url])
    assert done.exit_code == 0, done.output
    assert "Packed 2 stored assessment(s)" in done.stdout
    store = Store.open(url)
    assert store.unpacked_count() == 0 and store.find()[0].result == result
    again = runner.invoke(app, ["pack", "--db", url])
    assert again.exit_code == 0 and "Nothing to pack" in again.stdout


def test_a_batch_stores_packed_rows(
    tmp_path: Path, kb: KnowledgeBase, runner, clear_screen: dict[str, str]
) -> None:
    from troubleshoot.cli import app

    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"respondent": f"p{i}", **clear_screen, "symptoms": ["neck_pain"]}) + "\n"
            for i in range(3)
        )
    )
    url = f"sqlite:///{tmp_path / 'b.db'}"
    done = runner.invoke(app, ["batch", str(rows), "--db", url])
    assert done.exit_code == 0, done.output
    store = Store.open(url)
    assert store.unpacked_count() == 0 and len(store.find()) == 3
    pack_with(store, kb)  # the same knowledge base and tool: the batch's dictionary
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM packing_dictionaries")) == 1


def test_an_upgrade_keeps_the_counted_values_by_number(database_url: str) -> None:
    """Migration 10 on a schema-9 database: the values and their departments counted as
    before, each value named once."""
    from troubleshoot.store import CohortQuery

    store = Store.open(database_url, migrate=False)
    with store.engine.begin() as conn:
        migrated_to(conn, 9)
        for number, department in enumerate(["IT", "IT", "Sales"], start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO assessments (id, created_at, answers, result, kb_version, "
                    "tool_version, program, risk_level, red_flags, department) VALUES "
                    "(:i, '2026-02-03 10:00:00', '{}', '{}', 'v', 't', 'open', 'low', false, :d)"
                ),
                {"i": number, "d": department},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO cohort_entries (assessment_id, month, department, risk_level) "
                    "VALUES (:i, '2026-02', :d, 'low')"
                ),
                {"i": number, "d": department},
            )
            for field, value in [("symptoms", "neck_pain"), ("stress_band", "low")][:number]:
                conn.execute(
                    sa.text("INSERT INTO summary_values VALUES (:i, :f, :v, :d)"),
                    # Not the department counted: after the upgrade it is cohort_entries'.
                    {"i": number, "f": field, "v": value, "d": f"old {department}"},
                )
    store.close()
    store = Store.open(database_url)
    values = sorted(
        (v.field, v.value, v.department, v.n) for v in store.cohort_tally(CohortQuery()).values
    )
    assert values == [
        ("stress_band", "low", "IT", 1),
        ("stress_band", "low", "Sales", 1),
        ("symptoms", "neck_pain", "IT", 2),
        ("symptoms", "neck_pain", "Sales", 1),
    ]
    with store.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM summary_terms")) == 2


def _damaged(
    tmp_path: Path, kb: KnowledgeBase, reference: bytes, column: str, damage: Callable[[bytes], Any]
) -> tuple[str, int]:
    """A packed database of three assessments, the second one's `column` damaged."""
    url = f"sqlite:///{tmp_path / 'damaged.db'}"
    store = _packed_store(url, kb, reference)
    result = assess(kb, {"symptoms": ["none"]}).to_dict()
    ids = [store.save({"symptoms": ["none"]}, result) or 0 for _ in range(3)]
    with store.engine.begin() as conn:
        kept = conn.scalar(
            sa.text(f"SELECT {column} FROM assessments WHERE id = :i"), {"i": ids[1]}
        )
        conn.execute(
            sa.text(f"UPDATE assessments SET {column} = :v WHERE id = :i"),
            {"v": damage(bytes(kept)), "i": ids[1]},
        )
    store.close()
    return url, ids[1]


@pytest.mark.parametrize(
    "column, damage, reason",
    [
        ("answers_z", lambda kept: None, "packed answers or result are missing"),
        # One flipped bit inside the frame: its checksum finds it.
        ("result_z", lambda kept: kept[:40] + bytes([kept[40] ^ 1]) + kept[41:], "cannot be read"),
        ("result_z", lambda kept: b"\x00", "cannot be read"),
        ("result_z", lambda kept: bytes.fromhex("28b52ffd00"), "cannot be read"),  # cut short
    ],
    ids=["packed-form-missing", "flipped-bit", "not-a-frame", "truncated-frame"],
)
def test_a_damaged_packed_row_is_a_clean_error_naming_it(
    tmp_path: Path,
    kb: KnowledgeBase,
    reference: bytes,
    runner,
    column: str,
    damage: Callable[[bytes], Any],
    reason: str,
) -> None:
    from troubleshoot.cli import app

    url, broken = _damaged(tmp_path, kb, reference, column, damage)
    with pytest.raises(StoreError, match=f"stored assessment {broken} cannot be read: .*{reason}"):
        Store.open(url).get(broken)
    shown = runner.invoke(app, ["show", str(broken), "--db", url, "-f", "json"])
    assert shown.exit_code != 0
    assert shown.stderr.startswith(f"Error: stored assessment {broken} cannot be read")
    assert shown.stderr.count("\n") == 1
    assert runner.invoke(app, ["show", str(broken - 1), "--db", url, "-f", "json"]).exit_code == 0


def test_pack_leaves_an_unreadable_earlier_row_as_it_is_and_packs_the_rest(
    tmp_path: Path, kb: KnowledgeBase, runner, clear_screen: dict[str, str]
) -> None:
    from troubleshoot.cli import app

    answers = {**clear_screen, "symptoms": ["neck_pain"]}
    result = assess(kb, answers).to_dict()
    url = f"sqlite:///{tmp_path / 'v8.db'}"
    _schema_8_database(url, [(answers, result)] * 3)
    store = Store.open(url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE assessments SET answers = '{\"symptoms\": [' WHERE id = 2"))
    store.close()
    done = runner.invoke(app, ["pack", "--db", url])
    assert done.exit_code == 1
    assert "Packed 2 stored assessment(s)" in done.stdout
    assert "1 stored assessment(s) cannot be read and were left as they are: 2 " in done.stderr
    with Store.open(url).engine.connect() as conn:
        kept = conn.scalar(sa.text("SELECT answers FROM assessments WHERE id = 2"))
    assert kept == '{"symptoms": ['  # nothing lost, nothing guessed


def _read_back(data: bytes) -> Any:
    """The value as JSON text reads back, with the float signs and int/float kinds kept."""
    return json.loads(data, parse_float=lambda text: ("float", float(text), str(float(text))))


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1.5, -0.0, 1e16, 3e-7, 1e-5, True, None], "ü": "naïve - “q” \n\t\\ 日本"},
        {"nested": {"z": {"y": ("tuple", 2)}}, "emoji": "🦴", "control": "\x00\x1f\x7f\u2028"},
        {1: "a key that is not a string"},
        {"big": 2**70, "small": -(2**64)},
    ],
    ids=["text", "nested", "int-key", "big-int"],
)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_packed_json_reads_back_as_the_standard_encoders(
    value: dict[Any, Any], sort_keys: bool
) -> None:
    from troubleshoot.store.packing import _json

    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    made = _json(value, sort_keys)
    assert _read_back(made) == _read_back(expected.encode())
    assert list(json.loads(made)) == list(json.loads(expected))  # the keys' order too


def test_packed_json_of_realistic_results_is_the_standard_encoders_text(
    kb: KnowledgeBase,
) -> None:
    from troubleshoot.store.packing import _json

    rnd = random.Random(4)
    for _ in range(40):
        answers = heavy(rnd)
        result = assess(kb, answers).to_dict()
        for value, sort_keys in ((result, False), (answers, True)):
            expected = json.dumps(
                value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys
            )
            assert _json(value, sort_keys) == expected.encode()
