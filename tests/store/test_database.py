"""The store, on SQLite and on PostgreSQL: migrations, round trip, filters, follow-ups, purge."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from troubleshoot.assess import assess
from troubleshoot.errors import NotFoundError, OptionError, StoreError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import MIGRATIONS, Filters, Store, tally_of

T0 = datetime(2026, 1, 10, 9, 0)


def _result(kb: KnowledgeBase, clear_screen: dict, **answers: object) -> tuple[dict, dict]:
    given = {**clear_screen, **answers}
    return given, assess(kb, given).to_dict()


def test_only_the_store_package_talks_sql() -> None:
    found = subprocess.run(
        ["grep", "-rlE", r"^\s*(from|import) sqlalchemy", str(ROOT / "troubleshoot")],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert found and {Path(p).parent.name for p in found} == {"store"}


def test_migrations_run_in_order_once(database_url: str) -> None:
    store = Store.open(database_url, migrate=False)
    assert store.migrate() == [version for version, _, _ in MIGRATIONS]
    assert store.migrate() == []
    assert store.schema_version() == MIGRATIONS[-1][0]
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"schema_migrations", "assessments", "followups", "audit"} <= tables


def test_round_trip_keeps_answers_result_and_versions(database_url, kb, clear_screen) -> None:
    store = Store.open(database_url)
    answers, result = _result(
        kb,
        clear_screen,
        symptoms=["neck_pain"],
        monitor_height="too_low",
        severity={"neck_pain": 8},
    )
    saved = store.save(answers, result, respondent="p-1", department="Finance", created_at=T0)
    stored = store.get(saved)
    assert stored.answers == answers and stored.result == result
    assert (stored.respondent, stored.department, stored.created_at) == ("p-1", "Finance", T0)
    assert stored.kb_version == kb.version and stored.risk_level == "high"
    with pytest.raises(NotFoundError, match="no stored assessment with id 999"):
        store.get(999)


def test_filters(database_url, kb, clear_screen) -> None:
    store = Store.open(database_url)
    low = _result(kb, clear_screen, symptoms=["none"])
    flag = _result(kb, {**clear_screen, "cancer_or_weight_loss": "yes"})
    fever = _result(kb, {**clear_screen, "fever_nausea_vomiting": "yes"})
    store.save(*low, department="A", created_at=T0)
    store.save(*flag, department="B", created_at=T0 + timedelta(days=2))
    store.save(*low, department="B", created_at=T0 + timedelta(days=5))
    store.save(*fever, department="C", created_at=T0 + timedelta(days=6))

    def ids(**filters: object) -> list[str]:
        return [s.department for s in store.find(Filters(**filters))]  # type: ignore[misc]

    assert ids() == ["A", "B", "B", "C"]
    assert ids(since=T0 + timedelta(days=1)) == ["B", "B", "C"]
    assert ids(until=T0 + timedelta(days=2)) == ["A"]
    assert ids(department="B") == ["B", "B"]
    assert ids(risk="referral") == ["B"] and ids(red_flags_only=True) == ["B", "C"]
    assert ids(risk="urgent") == ["C"]  # a fever with back pain: a doctor today
    assert [s.id for s in store.iterate()] == [s.id for s in store.find()]


def test_urgent_advice_referrals_high_risk_and_failed_checks_open_follow_ups(
    database_url, kb, clear_screen
) -> None:
    store = Store.open(database_url)
    referral = store.save(*_result(kb, {**clear_screen, "cancer_or_weight_loss": "yes"}))
    urgent = store.save(*_result(kb, {**clear_screen, "leg_pain_weakness_tingling": "yes"}))
    high = store.save(
        *_result(
            kb,
            clear_screen,
            symptoms=["neck_pain"],
            monitor_height="too_low",
            severity={"neck_pain": 8},
        )
    )
    severe = store.save(
        *_result(kb, clear_screen, symptoms=["eye_strain"], severity={"eye_strain": 10})
    )
    opened = {(f.assessment_id, f.kind, f.item) for f in store.followups()}
    assert opened == {
        (referral, "referral", "cancer_or_weight_loss"),
        (urgent, "urgent", "same_day: leg_pain_weakness_tingling"),
        (urgent, "referral", "leg_pain_weakness_tingling"),
        (high, "high_risk", "high"),
        (high, "desk_check", "monitor_at_eye_level"),
        (severe, "urgent", "same_day: very_severe_symptom"),
    }


def test_the_audit_trail_only_grows(database_url, kb, clear_screen) -> None:
    store = Store.open(database_url)
    store.save(*_result(kb, {**clear_screen, "bladder_bowel_control": "yes"}))
    followup = store.followups()[0]
    store.record(followup.id, "note", "Left a voicemail")
    closed = store.record(followup.id, "close", "Seen by GP, cleared")
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(NotFoundError, match="already closed"):
        store.record(followup.id, "close", "again")
    reopened = store.record(followup.id, "reopen", "Symptoms came back")
    assert [a for _, a, _ in reopened.trail] == ["opened", "note", "closed", "reopened"]
    assert [n for _, _, n in reopened.trail][1:] == [
        "Left a voicemail",
        "Seen by GP, cleared",
        "Symptoms came back",
    ]
    assert store.followups() == [f for f in store.followups(status=None) if f.status == "open"]
    with pytest.raises(NotFoundError, match="no follow-up with id 99"):
        store.record(99, "note", "x")


def test_purge_removes_old_assessments_with_their_follow_ups(
    database_url, kb, clear_screen
) -> None:
    store = Store.open(database_url)
    flagged = _result(kb, {**clear_screen, "cancer_or_weight_loss": "yes"}, stress_level=5)
    old = store.save(*flagged, created_at=T0)
    new = store.save(*flagged, created_at=T0 + timedelta(days=30))
    store.record(store.followups(assessment_id=old)[0].id, "note", "x")
    assert store.purge(T0 + timedelta(days=1)) == 1
    assert [s.id for s in store.find()] == [new]
    assert {f.assessment_id for f in store.followups(status=None)} == {new}
    counted = store.iterate_summaries().tally().values  # a referral's summary: its stress only
    assert [(v.field, v.value, v.first_id) for v in counted] == [("stress_level", "5", new)]


def _sorted(tally) -> tuple:
    return tuple(sorted(part, key=repr) for part in (tally.groups, tally.months, tally.values))


def test_an_upgrade_counts_the_assessments_stored_before_it(database_url, kb, clear_screen) -> None:
    """Migration 4 fills in the summary values of what a version-3 database already holds."""
    store = Store.open(database_url)
    for n, extra in enumerate(
        [
            {"symptoms": ["neck_pain"], "monitor_height": "too_low", "stress_level": 8},
            {"symptoms": ["eye_strain", "wrist_pain"], "screen_glare": "yes"},
            {"symptoms": ["none"], "stress_level": 2},
        ]
    ):
        store.save(*_result(kb, clear_screen, **extra), department=[None, "A", "A"][n])
    counted = _sorted(store.iterate_summaries().tally())
    assert counted == _sorted(tally_of(store.iterate_summaries()))
    with store.engine.begin() as conn:  # back to version 3
        conn.execute(sa.text("DROP INDEX ix_assessments_cohort"))
        conn.execute(sa.text("DROP TABLE summary_values"))
        conn.execute(sa.text("DROP TABLE imports"))
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE version >= 4"))
    store.close()
    upgraded = Store.open(database_url, migrate=False)
    assert upgraded.migrate() == [version for version, _, _ in MIGRATIONS if version >= 4]
    assert _sorted(upgraded.iterate_summaries().tally()) == counted


def test_sqlite_file_is_private_and_tuned(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "store.db"
    store = Store.open(f"sqlite:///{path}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the database"):
        Store.open(f"sqlite:///{tmp_path}")  # a folder, not a file
    with pytest.raises(OptionError, match="is not a database URL"):
        Store.open("not a url")


def test_a_refused_record_is_a_clean_store_error(database_url: str, kb, clear_screen) -> None:
    from troubleshoot.errors import RecordRefusedError

    store = Store.open(database_url)
    given, result = _result(kb, clear_screen)
    first = store.save(given, result, source_key="same")
    assert store.save(given, result, source_key="same") is None  # already stored, not twice
    with pytest.raises(RecordRefusedError, match=r"refused.*201 characters"):
        store.save(given, result, respondent="x" * 201)
    assert [stored.id for stored in store.find()] == [first]
