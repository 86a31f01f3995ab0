"""The OH nurse's queue from the command line: one line per case, what cannot wait first, in
words; filters and formats; assign with default due dates; review and close with an outcome;
the assessor's view; survey rows nobody has told; items that track equipment."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import PRIORITIES, Store, utc_now


def _queue(kb: KnowledgeBase, screen: dict[str, str]) -> Store:
    """Five people: a desk problem only, a referral, high risk, urgent advice, and a
    workstation score at the action level; plus a second desk-only case, older."""
    store = Store.open()
    now = utc_now()
    people: list[tuple[str, str, dict[str, Any], int]] = [
        ("old.desk", "IT", {"symptoms": ["none"], "monitor_height": "too_low"}, 40),
        ("desk", "Sales", {"symptoms": ["none"], "monitor_height": "too_low"}, 1),
        ("referral", "sales", {"cancer_or_weight_loss": "yes"}, 2),
        ("high", "IT", {"symptoms": ["neck_pain"], "severity": {"neck_pain": 8}}, 3),
        ("urgent", "Finance", {"bladder_bowel_control": "yes"}, 1),
    ]
    for who, department, answers, days in people:
        given = {**screen, **answers}
        store.save(
            given,
            assess(kb, given).to_dict(),
            who,
            department,
            created_at=now.replace(microsecond=0) - timedelta(days=days),
        )
    return store


def _json(runner: CliRunner, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["followup", "list", "-f", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_one_line_per_case_urgent_first_in_words(runner, kb, clear_screen) -> None:
    _queue(kb, clear_screen)
    cases = _json(runner)
    assert [c["respondent"] for c in cases] == ["urgent", "referral", "high", "old.desk", "desk"]
    assert [c["priority"] for c in cases] == ["urgent", "referral", "high", "desk", "desk"]
    ranks = [PRIORITIES.index(c["priority"]) for c in cases]
    assert ranks == sorted(ranks)
    for key in (
        "id",
        "assessment",
        "priority",
        "status",
        "respondent",
        "department",
        "reasons",
        "assignee",
        "due",
        "items",
    ):
        assert key in cases[0]
    reasons = " ".join(r for c in cases for r in c["reasons"])
    assert "history of cancer" in reasons and "Screen height" in reasons
    assert "cancer_or_weight_loss" not in reasons and "monitor_at_eye_level" not in reasons
    table = runner.invoke(app, ["followup", "list"]).stdout.splitlines()
    assert len(table) == 2 + 5 + 1  # header, rule, one line per case, the count
    assert table[2].split()[1] == "urgent"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--priority", "desk"], ["old.desk", "desk"]),
        (["--department", "SALES"], ["referral", "desk"]),  # any case
        (["--respondent", "high"], ["high"]),
        (["--status", "in_review"], []),
        (["--overdue"], ["urgent", "old.desk"]),
    ],
)
def test_filters(runner, kb, clear_screen, args: list[str], expected: list[str]) -> None:
    _queue(kb, clear_screen)
    assert [c["respondent"] for c in _json(runner, *args)] == expected


def test_a_bad_filter_is_an_error(runner) -> None:
    for args in (["--priority", "soon"], ["--status", "done"], ["-f", "xml"]):
        result = runner.invoke(app, ["followup", "list", *args])
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_csv_for_a_spreadsheet(runner, kb, clear_screen) -> None:
    _queue(kb, clear_screen)
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["followup", "list", "-f", "csv"]).stdout))
    )
    assert [r["priority"] for r in rows][:2] == ["urgent", "referral"]


def test_default_due_dates_follow_priority_and_settings(runner, kb, clear_screen) -> None:
    _queue(kb, clear_screen)
    due = {c["respondent"]: c["due"] for c in _json(runner)}
    today = utc_now().date()
    assert due["urgent"] == (today - timedelta(days=1)).isoformat()  # the day it came in
    assert due["high"] == (today - timedelta(days=3) + timedelta(days=14)).isoformat()
    runner.invoke(app, ["settings", "set", "due_high", "1d"])
    assert {c["respondent"]: c["due"] for c in _json(runner)}["high"] < due["high"]


def test_assign_review_and_close_with_an_outcome(runner, kb, clear_screen) -> None:
    _queue(kb, clear_screen)
    case = _json(runner, "--respondent", "referral")[0]["id"]
    assigned = runner.invoke(
        app,
        [
            "followup",
            "assign",
            str(case),
            "--to",
            "Nurse Jones",
            "--due",
            "2030-01-31",
            "--by",
            "lead",
        ],
    )
    assert assigned.exit_code == 0, assigned.output
    assert "assigned by lead: to Nurse Jones, due 2030-01-31" in assigned.stdout
    (mine,) = _json(runner, "--assignee", "nurse jones")
    assert mine["due"] == "2030-01-31" and mine["assignee"] == "Nurse Jones"
    assert runner.invoke(app, ["followup", "review", str(case)]).exit_code == 0
    bad = runner.invoke(app, ["followup", "close", str(case), "--note", "x", "--outcome", "fine"])
    assert bad.exit_code == 2 and "self_help_ok" in bad.stderr
    closed = runner.invoke(
        app,
        [
            "followup",
            "close",
            str(case),
            "--note",
            "GP letter seen",
            "--outcome",
            "referred_to_doctor",
        ],
    )
    assert closed.exit_code == 0, closed.output
    assert _json(runner, "--respondent", "referral") == []
    (done,) = _json(runner, "--respondent", "referral", "--status", "closed")
    assert done["outcome"] == "referred_to_doctor"


def test_the_assessor_sees_why(runner, kb, clear_screen) -> None:
    _queue(kb, clear_screen)
    case = _json(runner, "--respondent", "high")[0]["id"]
    shown = runner.invoke(app, ["followup", "show", str(case)])
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    for part in (
        "Items",
        "Answers that matter",
        "Strength (Neck pain): 8/10",
        "Conclusions",
        "Rules that fired",
        "risk:high",
        "Trail",
        "opened by troubleshoot",
    ):
        assert part in out, part
    assert runner.invoke(app, ["followup", "show", "999"]).exit_code == 2


def test_survey_rows_nobody_has_told_come_first(runner, kb, clear_screen, tmp_path: Path) -> None:
    _queue(kb, clear_screen)
    rows = tmp_path / "survey.jsonl"
    rows.write_text(
        json.dumps({"respondent": "s1", **clear_screen, "bladder_bowel_control": "yes"}) + "\n"
    )
    done = runner.invoke(app, ["batch", str(rows)])
    assert done.exit_code == 0
    assert "1 case(s) with emergency or same-day advice that the person has not seen" in done.stderr
    cases = _json(runner)
    assert cases[0]["respondent"] == "s1" and cases[0]["reasons"][0] == "person not yet told"
    assert [c["respondent"] for c in _json(runner, "--untold")] == ["s1"]
    told = runner.invoke(app, ["followup", "contacted", str(cases[0]["id"]), "--note", "phoned"])
    assert told.exit_code == 0
    assert _json(runner, "--untold") == []


def test_equipment_is_an_item_with_its_own_status(runner, kb, clear_screen) -> None:
    _queue(kb, clear_screen)
    case = _json(runner, "--respondent", "desk")[0]["id"]
    added = runner.invoke(app, ["followup", "add", str(case), "--item", "Footrest"])
    assert added.exit_code == 0, added.output
    item = next(
        i for i in _json(runner, "--respondent", "desk")[0]["items"] if i["kind"] == "equipment"
    )
    assert item["label"] == "Equipment: Footrest" and item["status"] == "open"
    for status in ("ordered", "delivered"):
        moved = runner.invoke(app, ["followup", "item", str(item["id"]), "--status", status])
        assert moved.exit_code == 0 and f": {status}" in moved.stdout
    bad = runner.invoke(app, ["followup", "item", str(item["id"]), "--status", "lost"])
    assert bad.exit_code == 2
