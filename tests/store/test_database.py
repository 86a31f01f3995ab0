"""The store, on SQLite and on PostgreSQL: migrations, round trip, filters, follow-ups, purge."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, migrated_to
from troubleshoot.assess import assess
from troubleshoot.errors import NotFoundError, OptionError, StoreError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import MIGRATIONS, CohortQuery, Filters, PurgeRule, Store

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
    store.record(followup.id, "note", "Left a voicemail", "nurse A")
    closed = store.record(followup.id, "close", "Seen by GP, cleared", "nurse B")
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(NotFoundError, match="already closed"):
        store.record(followup.id, "close", "again", "nurse A")
    reopened = store.record(followup.id, "reopen", "Symptoms came back", "nurse A")
    assert [a for _, a, _, _ in reopened.trail] == ["opened", "note", "closed", "reopened"]
    assert [n for _, _, n, _ in reopened.trail][1:] == [
        "Left a voicemail",
        "Seen by GP, cleared",
        "Symptoms came back",
    ]
    assert [who for _, _, _, who in reopened.trail] == [
        "troubleshoot",
        "nurse A",
        "nurse B",
        "nurse A",
    ]
    assert store.followups() == [f for f in store.followups(status=None) if f.status == "open"]
    with pytest.raises(NotFoundError, match="no follow-up with id 99"):
        store.record(99, "note", "x", "nurse A")


def test_the_database_refuses_to_change_or_delete_the_audit_trail(
    database_url, kb, clear_screen
) -> None:
    store = Store.open(database_url)
    store.save(*_result(kb, {**clear_screen, "bladder_bowel_control": "yes"}))
    for statement in ("UPDATE audit SET note = 'rewritten'", "DELETE FROM audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert all(len(f.trail) == 1 for f in store.followups())


def test_purge_removes_old_assessments_with_their_follow_ups(
    database_url, kb, clear_screen
) -> None:
    store = Store.open(database_url)
    flagged = _result(kb, {**clear_screen, "cancer_or_weight_loss": "yes"}, stress_level=5)
    old = store.save(*flagged, created_at=T0, respondent="p-1")
    new = store.save(*flagged, created_at=T0 + timedelta(days=30), respondent="p-2")
    store.record(store.followups(assessment_id=old)[0].id, "note", "x", "nurse A")
    rule = PurgeRule("made before 2026-01-11", T0 + timedelta(days=1))
    assert store.purge_count(rule) == (1, 1)
    done = store.purge(rule, "nurse A")
    assert (done.assessments, done.followups) == (1, 1)
    assert [s.id for s in store.find()] == [new]
    assert {f.assessment_id for f in store.followups(status=None)} == {new}
    counted = store.cohort_tally(CohortQuery()).values  # a referral's summary: its stress only
    assert [(v.field, v.value, v.n) for v in counted] == [("stress_band", "moderate", 1)]
    (entry,) = store.purge_log()
    assert entry[1:] == ("nurse A", "made before 2026-01-11", 1, 1)
    with store.engine.connect() as conn:  # the person with nothing left is forgotten too
        assert conn.scalars(sa.text("SELECT respondent FROM people")).all() == ["p-2"]


def test_an_upgrade_keeps_what_a_version_5_database_holds_and_takes_private_answers_out(
    tmp_path: Path, kb, clear_screen
) -> None:
    """Migration 6 on a database made before it: people, cohort entries and stress bands for
    the rows already there, and the answers now marked private taken out of them."""
    url = f"sqlite:///{tmp_path / 'v5.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        migrated_to(conn, 5)
        answers = {
            **clear_screen,
            "symptoms": ["neck_pain"],
            "stress_level": 5,
            "stress_symptoms": ["depression", "headaches"],
            "mindfulness_unsuitable": "yes",
        }
        result = assess(kb, answers).to_dict()
        conn.execute(
            sa.text(
                "INSERT INTO assessments (created_at, respondent, department, answers, result, "
                "kb_version, tool_version, program, risk_level, red_flags, summary) VALUES "
                "('2026-02-03 10:00:00', 'p-9', 'IT', :a, :r, 'v', 't', 'open', 'medium', 0, :s)"
            ),
            {
                "a": json.dumps(answers),
                "r": json.dumps(result),
                "s": json.dumps(
                    {
                        "regions": [],
                        "symptoms": [],
                        "likely_causes": [],
                        "failed_checks": [],
                        "stress_level": 5,
                    }
                ),
            },
        )
        conn.execute(sa.text("INSERT INTO summary_values VALUES (1, 'stress_level', '5', 'IT')"))
    engine.dispose()
    store = Store.open(url)
    (stored,) = store.find()
    assert "mindfulness_unsuitable" not in stored.answers
    assert stored.answers["stress_symptoms"] == ["headaches"]
    assert "depression" not in json.dumps(stored.result)
    tally = store.cohort_tally(CohortQuery())
    assert [(g.department, g.n) for g in tally.groups] == [("IT", 1)]
    assert [(v.field, v.value) for v in tally.values] == [("stress_band", "moderate")]


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
