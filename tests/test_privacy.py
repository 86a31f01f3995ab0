"""Private answers stay private, end to end: an assessment with every private answer given is
stored, imported, exported, shown, listed and counted, and none of what staff can reach holds
a private answer or anything drawn only from one; the person's own report still uses them.
Every file that holds personal data is created 0600."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from troubleshoot.cli import app
from troubleshoot.store import Store

PRIVATE = {
    "red_flags": [],
    "warning_signs": [],
    "symptoms": ["neck_pain"],
    "stress_level": 7,
    "stress_sources": ["heavy_workload", "difficult_childhood"],
    "stress_symptoms": ["headaches", "depression", "anxiety"],
    "mindfulness_unsuitable": "yes",
}
# Ids that only a private answer can put anywhere: the answers themselves and the advice
# drawn from them alone.
SECRETS = (
    "difficult_childhood",
    "mindfulness_unsuitable",
    "anxiety",
    "childhood_adversity_support",
    "mindfulness_not_suitable",
)


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert '"depression"' not in text and ";depression" not in text


def _public(answers: dict[str, Any]) -> None:
    assert "mindfulness_unsuitable" not in answers and "mood" not in answers
    assert answers["stress_sources"] == ["heavy_workload"]
    assert answers["stress_symptoms"] == ["headaches"]


@pytest.fixture
def stored(runner: CliRunner, tmp_path: Path) -> Path:
    """One private assessment made interactively-equivalent from a file, and one imported."""
    path = tmp_path / "private.yaml"
    path.write_text(yaml.safe_dump(PRIVATE))
    made = runner.invoke(
        app, ["assess", "-a", str(path), "-f", "json", "--respondent", "p1", "--explain"]
    )
    assert made.exit_code == 0, made.output
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"respondent": "p2", "department": "IT", **PRIVATE}) + "\n")
    imported = runner.invoke(app, ["batch", str(rows)])
    assert imported.exit_code == 0, imported.output
    return path


def test_the_persons_own_report_uses_private_answers_and_says_so(
    runner: CliRunner, stored: Path
) -> None:
    own = runner.invoke(app, ["assess", "-a", str(stored), "-f", "json", "--no-save", "--explain"])
    result = json.loads(own.stdout)
    assert "advice:childhood_adversity_support" in result["person_only"]
    assert "advice:mindfulness_not_suitable" in result["person_only"]
    # Its rule trace never repeats a private answer.
    used = [u for step in result["trace"] for u in step["used"]]
    assert "answer mindfulness_unsuitable = (private)" in used
    assert not any("= yes" in u and "mindfulness_unsuitable" in u for u in used)
    md = runner.invoke(app, ["assess", "-a", str(stored), "-f", "md", "--no-save"]).stdout
    assert "from an answer you marked private" in md


def test_stored_answers_and_results_hold_nothing_private(stored: Path) -> None:
    found = Store.open().find()
    assert [s.respondent for s in found] == ["p1", "p2"]
    for item in found:
        _public(item.answers)
        _no_secret(json.dumps(item.result))
        assert item.result.get("trace") in (None, [])
        assert not item.result.get("person_only")


def test_show_holds_nothing_private(runner: CliRunner, stored: Path) -> None:
    for fmt in ("json", "md", "text", "html"):
        shown = runner.invoke(app, ["show", "1", "-f", fmt])
        assert shown.exit_code == 0, shown.output
        _no_secret(shown.stdout)
    assert (
        "from an answer you marked private"
        not in runner.invoke(app, ["show", "1", "-f", "md"]).stdout
    )


def test_exports_hold_nothing_private(runner: CliRunner, stored: Path) -> None:
    text = runner.invoke(app, ["export"]).stdout
    _no_secret(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["answer.stress_symptoms"] for r in rows] == ["headaches", "headaches"]
    assert not any(key.startswith("answer.mood") for key in rows[0])
    _no_secret(runner.invoke(app, ["export", "-f", "jsonl"]).stdout)
    person = runner.invoke(app, ["export", "--respondent", "p1", "-f", "json"]).stdout
    _no_secret(person)
    _public(json.loads(person)["assessments"][0]["answers"])


def test_follow_ups_hold_nothing_private(runner: CliRunner, stored: Path) -> None:
    listed = runner.invoke(app, ["followup", "list", "--all", "--trail"])
    assert listed.exit_code == 0
    _no_secret(listed.stdout)
    for item in Store.open().followups(status=None):
        _no_secret(runner.invoke(app, ["followup", "show", str(item.id)]).stdout)


def test_batch_out_holds_nothing_private(runner: CliRunner, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"respondent": "p3", **PRIVATE}) + "\n")
    out = tmp_path / "results.jsonl"
    done = runner.invoke(app, ["batch", str(rows), "--out", str(out)])
    assert done.exit_code == 0, done.output
    _no_secret(out.read_text())
    _public(json.loads(out.read_text())["answers"])


def test_the_database_file_holds_nothing_private(stored: Path) -> None:
    database = Path(os.environ["TROUBLESHOOT_DB"].removeprefix("sqlite:///"))
    raw = b"".join(
        p.read_bytes() for p in database.parent.iterdir() if p.name.startswith(database.name)
    )
    for secret in SECRETS:
        assert secret.encode() not in raw, secret


def test_the_cohort_counts_no_private_answer(runner: CliRunner, stored: Path) -> None:
    report = runner.invoke(app, ["cohort", "-f", "json", "--min-group", "5"])
    assert report.exit_code == 0, report.output
    _no_secret(report.stdout)
    with Store.open().engine.connect() as conn:
        values = conn.exec_driver_sql(
            "SELECT t.field, t.value FROM summary_values v JOIN summary_terms t ON t.id = v.term_id"
        ).all()
    _no_secret(json.dumps([list(row) for row in values]))


@pytest.mark.parametrize("name", ["r.md", "r.html", "r.json", "r.txt", "r.pdf"])
def test_every_report_file_is_private(runner: CliRunner, stored: Path, name: str) -> None:
    out = stored.parent / name
    made = runner.invoke(app, ["assess", "-a", str(stored), "--no-save", "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = stored.parent / f"show-{name}"
    assert runner.invoke(app, ["show", "1", "-o", str(again)]).exit_code == 0
    assert stat.S_IMODE(again.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "args, name",
    [
        (["export", "-o"], "export.csv"),
        (["export", "-f", "jsonl", "-o"], "export.jsonl"),
        (["export", "--respondent", "p1", "-f", "json", "-o"], "p1.json"),
        (["cohort", "-o"], "cohort.html"),
        (["cohort", "-o"], "cohort.pdf"),
        (["cohort", "-f", "csv", "-o"], "cohort.csv"),
    ],
)
def test_every_staff_file_is_private(
    runner: CliRunner, stored: Path, args: list[str], name: str
) -> None:
    out = stored.parent / name
    made = runner.invoke(app, [*args, str(out)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_batch_files_are_private(runner: CliRunner, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        json.dumps({"respondent": "p4", **PRIVATE})
        + "\n"
        + '{"respondent": "p5", "stress_level": 99}\n'
    )
    out, errors = tmp_path / "out.jsonl", tmp_path / "errors.csv"
    done = runner.invoke(app, ["batch", str(rows), "--out", str(out), "--errors", str(errors)])
    assert done.exit_code == 1  # one row was rejected
    for path in (out, errors):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "p5" in errors.read_text()


def test_every_stored_field_is_listed_in_the_privacy_notes() -> None:
    """docs/privacy.md says what each table and field keeps and why: none may be missing."""
    from tests.conftest import ROOT
    from troubleshoot.store.schema import metadata

    notes = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}  # table -> the fields its own rows of the notes name
    table = ""
    for line in notes.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2:
            continue
        named = re.match(r"`(\w+)`", cells[0])
        if named:
            table = named.group(1)
        elif cells[0]:  # the header, its rule, or a table not named in backticks
            table = ""
        if table:
            listed.setdefault(table, set()).update(re.findall(r"`(\w+)`", cells[1]))
    missing = [
        f"{table.name}.{column.name}"
        for table in metadata.tables.values()
        for column in table.columns
        if column.name not in listed.get(table.name, set())
    ]
    assert missing == []
