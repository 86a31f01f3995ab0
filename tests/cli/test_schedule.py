"""Who is due: the roster import (strict, with --map, leavers archived), triggers, re-checks
after desk changes were agreed, the reassessment interval, people never assessed, per
workstation; the cohort's coverage by department, suppressed below K; purge of a person."""

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
from troubleshoot.store import Store, utc_now

HEADER = "respondent,department,site,manager,start_date,leaving_date\n"


def _roster(tmp_path: Path, rows: list[str], name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def _due(runner: CliRunner, *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["due", "-f", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_roster_import_adds_updates_and_archives_leavers(runner, tmp_path) -> None:
    first = _roster(
        tmp_path,
        [
            "a1,IT,HQ,Lee,2024-01-01,",
            "a2,Sales,HQ,Kim,2024-02-01,",
            "a3,IT,HQ,Lee,2020-01-01,2025-06-30",
        ],
    )
    done = runner.invoke(app, ["roster", "import", str(first)])
    assert done.exit_code == 0, done.output
    assert "added 2, updated 0, archived (left) 1, unchanged 0" in done.stdout
    again = _roster(tmp_path, ["a1,Finance,HQ,Lee,2024-01-01,", "a2,Sales,HQ,Kim,2024-02-01,"])
    assert (
        "added 0, updated 1, archived (left) 0, unchanged 1"
        in runner.invoke(app, ["roster", "import", str(again)]).stdout
    )
    people = {p.respondent: p for p in Store.open().roster(archived=True)}
    assert people["a1"].department == "Finance" and people["a3"].archived


@pytest.mark.parametrize(
    "rows, expected",
    [
        (["a1,IT,,,,", "a1,Sales,,,,"], "'a1' is listed twice (line 2 too)"),
        (["a1,IT,,,31 Feb,"], "'31 Feb' is not a date"),
        ([",IT,,,,"], "no respondent"),
    ],
)
def test_a_bad_roster_stores_nothing(runner, tmp_path, rows: list[str], expected: str) -> None:
    result = runner.invoke(app, ["roster", "import", str(_roster(tmp_path, rows))])
    assert result.exit_code == 2 and expected in result.stderr
    assert "the roster was not imported" in result.stderr
    assert Store.open().roster(archived=True) == []


def test_a_roster_with_its_own_column_names(runner, tmp_path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("Employee ID,Dept,Joined\nE-1,IT,2025-03-01\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns: {Employee ID: respondent, Dept: department, Joined: start_date}\n")
    done = runner.invoke(app, ["roster", "import", str(path), "--map", str(mapping)])
    assert done.exit_code == 0, done.output
    (person,) = Store.open().roster()
    assert (person.respondent, person.department, str(person.start_date)) == (
        "E-1",
        "IT",
        "2025-03-01",
    )
    unknown = tmp_path / "bad.csv"
    unknown.write_text("respondent,shoe size\nE-2,9\n")
    refused = runner.invoke(app, ["roster", "import", str(unknown)])
    assert refused.exit_code == 2 and "shoe size" in refused.stderr


def _assessed(
    kb: KnowledgeBase, screen: dict[str, str], who: str, days_ago: int, **more: Any
) -> int:
    store = Store.open()
    answers = {
        **screen,
        "symptoms": ["none"],
        "monitor_height": "too_low",
        **more.pop("answers", {}),
    }
    saved = store.save(
        answers,
        assess(kb, answers).to_dict(),
        who,
        "IT",
        created_at=utc_now() - timedelta(days=days_ago),
        **more,
    )
    assert saved is not None
    return saved


def test_who_is_due_and_why(runner, kb, clear_screen, tmp_path) -> None:
    runner.invoke(
        app,
        [
            "roster",
            "import",
            str(
                _roster(
                    tmp_path,
                    [
                        "never,IT,,,2026-01-05,",
                        "recent,IT,,,,",
                        "old,IT,,,,",
                        "left,IT,,,,2020-01-01",
                    ],
                )
            ),
        ],
    )
    _assessed(kb, clear_screen, "recent", 10)
    _assessed(kb, clear_screen, "old", 400)
    _assessed(kb, clear_screen, "left", 900)
    found = {d["respondent"]: d for d in _due(runner)}
    assert set(found) == {"never", "old"}  # a leaver is never listed
    assert found["never"]["reasons"] == ["never assessed (on the roster since 2026-01-05)"]
    assert (
        found["old"]["reasons"][0].startswith("last assessed ")
        and "every 12 months" in found["old"]["reasons"][0]
    )
    # A trigger makes a person due at once, with its reason.
    trig = runner.invoke(
        app,
        [
            "trigger",
            "--respondent",
            "recent",
            "--reason",
            "return_to_work",
            "--note",
            "after surgery",
            "--by",
            "nurse A",
        ],
    )
    assert trig.exit_code == 0, trig.output
    found = {d["respondent"]: d for d in _due(runner)}
    assert found["recent"]["reasons"][0].startswith("return to work: after surgery")
    bad = runner.invoke(app, ["trigger", "--respondent", "recent", "--reason", "holiday"])
    assert bad.exit_code == 2 and "new_workstation" in bad.stderr
    mail = list(csv.DictReader(io.StringIO(runner.invoke(app, ["due", "-f", "csv"]).stdout)))
    assert {row["respondent"] for row in mail} == {"never", "old", "recent"}


def test_agreed_desk_changes_bring_a_recheck(runner, kb, clear_screen) -> None:
    _assessed(kb, clear_screen, "p1", 2)
    case = Store.open().cases()[0]
    item = case.active[0].id
    assert runner.invoke(app, ["followup", "item", str(item), "--status", "agreed"]).exit_code == 0
    assert _due(runner) == []  # six weeks from now
    (soon,) = _due(runner, "--within", "60")
    assert soon["reasons"][0].startswith(
        "re-check the workstation (re-score it): desk changes agreed on"
    )


def test_due_dates_are_per_workstation(runner, kb, clear_screen) -> None:
    _assessed(kb, clear_screen, "p1", 400, workstation="office")
    _assessed(kb, clear_screen, "p1", 5, workstation="home")
    (due,) = _due(runner)
    assert due["location"] == "office"  # the home check does not make the office one recent


def test_the_cohort_shows_coverage_by_department_suppressed_below_k(
    runner, kb, clear_screen, tmp_path
) -> None:
    rows = [f"it{n},IT,,,," for n in range(12)] + [f"hr{n},HR,,,," for n in range(2)]
    runner.invoke(app, ["roster", "import", str(_roster(tmp_path, rows))])
    last_month = utc_now().replace(day=1) - timedelta(days=5)
    store = Store.open()
    for n in range(7):  # 7 of the 12 in IT assessed last month
        answers = {**clear_screen, "symptoms": ["none"]}
        store.save(answers, assess(kb, answers).to_dict(), f"it{n}", "IT", created_at=last_month)
    report = json.loads(runner.invoke(app, ["cohort", "-f", "json"]).stdout)
    coverage = {row["department"]: row for row in report["coverage"]}
    assert (
        coverage["IT"]["on_roster"] == 10 and coverage["IT"]["assessed"] == 5
    )  # 12 and 7, rounded
    assert "HR" not in coverage  # 2 people: folded in with the other small departments
    (other,) = [row for name, row in coverage.items() if name.startswith("Other")]
    assert other["on_roster"] is None and other["why"] == "small"


def test_a_request_to_be_forgotten_takes_the_roster_entry_triggers_and_cases(
    runner, kb, clear_screen, tmp_path
) -> None:
    runner.invoke(app, ["roster", "import", str(_roster(tmp_path, ["p1,IT,,,,", "p2,IT,,,,"]))])
    _assessed(kb, clear_screen, "p1", 3)
    runner.invoke(app, ["trigger", "--respondent", "p1", "--reason", "pregnancy"])
    done = runner.invoke(app, ["purge", "--respondent", "p1", "--yes"])
    assert done.exit_code == 0, done.output
    store = Store.open()
    assert [p.respondent for p in store.roster()] == ["p2"]
    assert store.triggers() == [] and store.cases(status=None) == []
