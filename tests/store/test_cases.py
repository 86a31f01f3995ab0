"""Cases on SQLite and PostgreSQL: one per person and workstation, items inside, a newer
assessment resolving what it no longer shows, the review steps and their trail, untold survey
rows, and the upgrade that turns earlier follow-ups into cases with the same ids."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from troubleshoot.assess import assess
from troubleshoot.errors import NotFoundError, OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import MIGRATIONS, Store

T0 = datetime(2026, 10, 1, 9, 0)


def _save(store: Store, kb: KnowledgeBase, answers: dict[str, Any], **options: Any) -> int:
    saved = store.save(answers, assess(kb, answers).to_dict(), **options)
    assert saved is not None
    return saved


@pytest.fixture
def screen(clear_screen: dict[str, str]) -> dict[str, str]:
    return dict(clear_screen)


def test_one_case_per_person_holds_every_item(database_url, kb, screen) -> None:
    store = Store.open(database_url)
    answers = {
        **screen,
        "symptoms": ["neck_pain"],
        "severity": {"neck_pain": 8},
        "monitor_height": "too_low",
    }
    first = _save(store, kb, answers, respondent="p1", department="IT", created_at=T0)
    (case,) = store.cases()
    assert case.id == min(i.id for i in case.items)  # the first item's id names the case
    assert {i.kind for i in case.items} == {"high_risk", "desk_check"}
    assert case.priority == "high" and case.status == "new" and case.assessment_id == first
    assert case.told  # the person saw the report
    anonymous = _save(store, kb, answers, created_at=T0)
    assert len(store.cases()) == 2  # an anonymous assessment is its own case
    assert store.case(anonymous and store.cases()[1].id).respondent is None


def test_a_newer_assessment_resolves_what_it_no_longer_shows(database_url, kb, screen) -> None:
    store = Store.open(database_url)
    before = {
        **screen,
        "symptoms": ["neck_pain"],
        "severity": {"neck_pain": 8},
        "monitor_height": "too_low",
    }
    _save(store, kb, before, respondent="p1", created_at=T0)
    after = {
        **screen,
        "symptoms": ["neck_pain"],
        "severity": {"neck_pain": 3},
        "monitor_height": "too_low",
    }
    later = _save(store, kb, after, respondent="p1", created_at=T0 + timedelta(days=40))
    (case,) = store.cases()
    assert case.assessment_id == later
    states = {i.kind: (i.status, i.resolved_by) for i in case.items}
    assert states == {"high_risk": ("resolved", later), "desk_check": ("open", None)}
    assert case.priority == "desk"
    resolved = next(i for i in case.items if i.kind == "high_risk")
    assert resolved.trail[-1][1:3] == ("resolved", f"not shown by assessment {later}")
    assert case.trail[-1][1] == "reassessed"
    # Reopenable, with its own trail line.
    reopened = store.set_item(resolved.id, "open", "pain back up", "nurse A")
    assert reopened.status == "open" and reopened.resolved_by is None


def test_a_home_check_never_closes_office_items(database_url, kb, screen) -> None:
    store = Store.open(database_url)
    office = {**screen, "symptoms": ["none"], "monitor_height": "too_low"}
    home = {**screen, "symptoms": ["none"], "monitor_height": "eye_level"}
    _save(store, kb, office, respondent="p1", workstation="office", created_at=T0)
    _save(store, kb, home, respondent="p1", workstation="home", created_at=T0 + timedelta(1))
    (case,) = store.cases()
    assert case.workstation == "office" and case.active[0].item == "monitor_at_eye_level"


def test_review_close_with_an_outcome_and_reopen(database_url, kb, screen) -> None:
    store = Store.open(database_url)
    _save(store, kb, {**screen, "cancer_or_weight_loss": "yes"}, respondent="p1")
    case = store.cases()[0]
    assert store.act(case.id, "review", "nurse A").status == "in_review"
    with pytest.raises(NotFoundError, match="not new"):
        store.act(case.id, "review", "nurse A")
    with pytest.raises(OptionError, match="--outcome"):
        store.act(case.id, "close", "nurse A", "seen")
    closed = store.act(case.id, "close", "nurse A", "GP saw them", outcome="referred_to_doctor")
    assert (closed.status, closed.outcome) == ("closed", "referred_to_doctor")
    assert closed.trail[-1][1:] == (
        "closed",
        "GP saw them [outcome: referred_to_doctor]",
        "nurse A",
    )
    again = store.act(case.id, "reopen", "nurse B", "came back")
    assert (again.status, again.outcome) == ("in_review", None)
    assigned = store.act(case.id, "assign", "lead", assignee="nurse C", due=T0.date())
    assert (assigned.assignee, assigned.due) == ("nurse C", T0.date())
    # An item id names its case too, so the follow-up ids of earlier versions still work.
    assert store.case(case.items[0].id).id == case.id


def test_a_survey_row_with_urgent_advice_is_untold_until_contacted(
    database_url, kb, screen
) -> None:
    store = Store.open(database_url)
    urgent = {**screen, "bladder_bowel_control": "yes"}
    store.save(urgent, assess(kb, urgent).to_dict(), "p1", source_key="row-1")
    store.save({**screen}, assess(kb, {**screen}).to_dict(), "p2", source_key="row-2")
    (case,) = store.cases()
    assert not case.told and store.untold() == {case.id}
    store.act(case.id, "contacted", "nurse A", "phoned: going to A&E")
    assert store.untold() == set() and store.case(case.id).told


def test_staff_items_track_equipment(database_url, kb, screen) -> None:
    store = Store.open(database_url)
    _save(store, kb, {**screen, "symptoms": ["none"], "monitor_height": "too_low"}, respondent="p")
    case = store.add_item(store.cases()[0].id, "equipment", "Monitor riser", "nurse A", "")
    riser = next(i for i in case.items if i.kind == "equipment")
    assert store.set_item(riser.id, "ordered", "PO 1234", "nurse A").status == "ordered"
    assert store.set_item(riser.id, "delivered", "", "nurse A").status == "delivered"
    # A newer assessment never resolves what staff track.
    _save(
        store, kb, {**screen, "symptoms": ["none"], "monitor_height": "eye_level"}, respondent="p"
    )
    assert {i.kind: i.status for i in store.case(case.id).items} == {
        "desk_check": "resolved",
        "equipment": "delivered",
    }


def test_an_upgrade_turns_follow_ups_into_cases_with_the_same_ids(
    tmp_path: Path, kb, screen
) -> None:
    url = f"sqlite:///{tmp_path / 'v6.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a database as version 6 left it
        from troubleshoot.store.schema import schema_migrations

        schema_migrations.create(conn)
        for version, description, step in MIGRATIONS[:6]:
            step(conn)
            conn.execute(
                schema_migrations.insert().values(
                    version=version, description=description, applied_at=T0
                )
            )
        for n, respondent in enumerate(["p1", "p1", None]):
            result = assess(kb, {**screen, "cancer_or_weight_loss": "yes"}).to_dict()
            conn.execute(
                sa.text(
                    "INSERT INTO assessments (created_at, respondent, answers, result, kb_version,"
                    " tool_version, program, risk_level, red_flags) VALUES (:t, :r, '{}', :res,"
                    " 'x', 'x', 'referral', 'referral', 1)"
                ),
                {"t": T0 + timedelta(days=n), "r": respondent, "res": json.dumps(result)},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO followups (assessment_id, kind, item, status, opened_at) "
                    "VALUES (:a, 'referral', 'cancer_or_weight_loss', 'open', :t)"
                ),
                {"a": n + 1, "t": T0 + timedelta(days=n)},
            )
    engine.dispose()
    store = Store.open(url)
    found = store.cases()
    assert [(c.id, c.respondent, len(c.items)) for c in found] == [(1, "p1", 2), (3, None, 1)]
    assert all(c.trail[0][1] == "opened" for c in found)
    assert store.case(2).id == 1  # item 2 names its case


def _cases_view(store: Store) -> list[tuple[Any, ...]]:
    """The cases without their ids (a group and single saves number them differently)."""
    return sorted(
        (
            case.respondent or "",
            case.status,
            case.told,
            tuple(sorted((i.kind, i.item, i.status) for i in case.items)),
            tuple(sorted(action for _, action, _, _ in case.trail)),
        )
        for case in store.cases()
    )


def test_a_group_files_cases_as_single_saves_do(database_url, kb, screen, tmp_path) -> None:
    """New people's cases are opened in one go for a whole group; a person twice in the group,
    or with a case already open, is filed in order. Same cases either way."""
    hurting = {**screen, "symptoms": ["neck_pain"], "severity": {"neck_pain": 8}}
    desk = {**hurting, "monitor_height": "too_low"}
    fine = {**screen, "symptoms": ["none"]}
    urgent = {**screen, "chest_pain_now": "yes", "symptoms": ["neck_pain"]}
    earlier = [("p3", desk)]
    group = [
        ("p1", desk),
        ("p2", urgent),
        ("p1", hurting),  # the same person again: the desk item is resolved
        (None, desk),
        ("p3", hurting),  # already has an open case
        ("p4", fine),  # nothing to follow up
        ("p5", desk),
    ]

    def records(rows: list[tuple[str | None, dict[str, Any]]], start: int) -> list[dict[str, Any]]:
        return [
            {
                "answers": answers,
                "result": assess(kb, answers).to_dict(),
                "respondent": who,
                "source_key": f"row{start + n}",
                "created_at": T0 + timedelta(minutes=start + n),
            }
            for n, (who, answers) in enumerate(rows)
        ]

    grouped, single = Store.open(database_url), Store.open(f"sqlite:///{tmp_path / 'one.db'}")
    for store in (grouped, single):
        store.bulk_save(records(earlier, 0))
    grouped.bulk_save(records(group, 10))
    for record in records(group, 10):
        single.bulk_save([record])
    view = _cases_view(grouped)
    assert view == _cases_view(single)
    assert [case[0] for case in view] == ["", "p1", "p2", "p3", "p5"]
    assert not next(case for case in view if case[0] == "p2")[2]  # urgent survey row: untold
