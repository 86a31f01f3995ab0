"""Deleted means gone: a person's request to be forgotten takes every row about them, the
SQLite file and its write-ahead log cannot give the rows back (even while another program has
the file open), and the purge log keeps what was done, by whom, never whose data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from troubleshoot.assess import assess
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import CohortQuery, PurgeRule, Store

NOTE = "Spoke to Zebedee-Quux about the referral"  # a note no other row can hold
FORGET = PurgeRule("one respondent's data (a request to be forgotten)", None, "zebedee.quux")


def _fill(store: Store, kb: KnowledgeBase, clear_screen: dict[str, str]) -> None:
    flagged = {**clear_screen, "cancer_or_weight_loss": "yes", "stress_level": 6}
    plain = {**clear_screen, "symptoms": ["neck_pain"]}
    for who, answers in (("zebedee.quux", flagged), ("zebedee.quux", plain), ("kept", plain)):
        store.save(answers, assess(kb, answers).to_dict(), who, "Finance")
    mine = store.followups(status=None, respondent="zebedee.quux")[0]
    store.record(mine.id, "note", NOTE, "nurse A")


def _rows(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


def test_a_request_to_be_forgotten_takes_every_row_about_the_person(
    database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = Store.open(database_url)
    _fill(store, kb, clear_screen)
    before = {t: _rows(store, t) for t in ("audit", "followups", "summary_values")}
    assert store.purge_count(FORGET) == (2, len(store.followups(None, respondent="zebedee.quux")))
    done = store.purge(FORGET, "dpo")
    assert done.assessments == 2
    assert [s.respondent for s in store.find()] == ["kept"]
    assert store.followups(status=None, respondent="zebedee.quux") == []
    assert _rows(store, "cohort_entries") == 1
    assert all(_rows(store, t) < n for t, n in before.items() if n)
    with store.engine.connect() as conn:
        assert conn.scalars(sa.text("SELECT respondent FROM people")).all() == ["kept"]
        notes = conn.scalars(sa.text("SELECT note FROM audit")).all()
    assert NOTE not in notes
    ((_, actor, rule, count, _),) = store.purge_log()
    assert (actor, count) == ("dpo", 2) and "zebedee" not in rule


def _sqlite_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_purged_rows_cannot_be_read_back_from_the_file_or_its_log(
    tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    path = tmp_path / "store.db"
    store = Store.open(f"sqlite:///{path}")
    _fill(store, kb, clear_screen)
    assert b"zebedee.quux" in _sqlite_bytes(path) and NOTE.encode() in _sqlite_bytes(path)
    other = sqlite3.connect(path)  # another program with the file open, idle
    try:
        assert other.execute("SELECT count(*) FROM assessments").fetchone() == (3,)
        done = store.purge(FORGET, "dpo")
        assert done.log_cleared
        raw = _sqlite_bytes(path)
        assert b"zebedee.quux" not in raw and NOTE.encode() not in raw
        assert not (tmp_path / "store.db-wal").exists() or (
            (tmp_path / "store.db-wal").stat().st_size == 0
        )
    finally:
        other.close()


def test_a_reader_in_the_middle_of_a_read_is_reported_and_vacuum_finishes_the_job(
    tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    path = tmp_path / "store.db"
    store = Store.open(f"sqlite:///{path}")
    _fill(store, kb, clear_screen)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM assessments").fetchone()  # holds a snapshot
    done = store.purge(FORGET, "dpo")
    assert not done.log_cleared  # the caller says so (exit code 4)
    reader.execute("COMMIT")
    reader.close()
    again = store.compact()
    assert again.log_cleared and again.vacuumed
    raw = _sqlite_bytes(path)
    assert b"zebedee.quux" not in raw and NOTE.encode() not in raw


def test_vacuum_on_postgresql_runs(
    postgres_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = Store.open(postgres_url)
    _fill(store, kb, clear_screen)
    done = store.purge(FORGET, "dpo", vacuum=True)
    assert done.vacuumed and done.assessments == 2


def _terms(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        return {
            (r.field, r.value)
            for r in conn.execute(sa.text("SELECT field, value FROM summary_terms"))
        }


def test_a_counted_value_only_the_purged_person_had_is_forgotten(
    database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = Store.open(database_url)
    _fill(store, kb, clear_screen)  # only zebedee.quux reported a stress level (moderate)
    moderate = {term for term in _terms(store) if "moderate" in term[1]}
    assert moderate
    store.purge(FORGET, "dpo")
    left = _terms(store)
    assert not moderate & left
    assert left and ("symptoms", "neck_pain") in left  # what the kept person has stays
    counted = store.cohort_tally(CohortQuery()).values
    assert {(v.field, v.value, v.n) for v in counted} == {(f, v, 1) for f, v in left}
