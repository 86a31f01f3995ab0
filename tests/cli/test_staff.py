"""Occupational-health commands through the CLI: saving, list, show, export, purge, follow-up."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from troubleshoot.cli import app

COMMANDS = [
    ["list"],
    ["show"],
    ["export"],
    ["purge"],
    ["followup"],
    ["followup", "list"],
    ["followup", "close"],
    ["followup", "note"],
    ["followup", "reopen"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_staff_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def _assess(runner: CliRunner, tmp_path: Path, answers: dict, *options: str) -> int:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers))
    result = runner.invoke(app, ["assess", "-a", str(path), "-f", "json", *options])
    assert result.exit_code == 0, result.stderr
    return int(result.stderr.split("Saved as assessment ")[1].split(".")[0])


def test_assess_saves_by_default_and_not_with_no_save(runner, tmp_path) -> None:
    first = _assess(
        runner,
        tmp_path,
        {"red_flags": [], "warning_signs": [], "symptoms": ["eye_strain"]},
        "--department",
        "Finance",
        "--respondent",
        "p-1",
    )
    path = tmp_path / "answers.yaml"
    unsaved = runner.invoke(app, ["assess", "-a", str(path), "-f", "json", "--no-save"])
    assert unsaved.exit_code == 0 and "Saved" not in unsaved.stderr
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0
    assert f"{first}  " in listed.stdout and "Finance" in listed.stdout
    assert "1 assessment(s)." in listed.stdout


def test_show_re_renders_the_stored_report(runner, tmp_path) -> None:
    answers = {
        "red_flags": [],
        "warning_signs": [],
        "symptoms": ["neck_pain"],
        "monitor_height": "too_low",
    }
    saved = _assess(runner, tmp_path, answers)
    shown = runner.invoke(app, ["show", str(saved), "-f", "json"])
    assert shown.exit_code == 0
    original = runner.invoke(
        app, ["assess", "-a", str(tmp_path / "answers.yaml"), "-f", "json", "--no-save"]
    )
    assert json.loads(shown.stdout) == json.loads(original.stdout)
    rerun = runner.invoke(app, ["show", str(saved), "--rerun"])
    assert rerun.exit_code == 0 and "No change in any conclusion." in rerun.stdout
    missing = runner.invoke(app, ["show", "999"])
    assert missing.exit_code == 2 and "no stored assessment with id 999" in missing.stderr


def test_rerun_shows_what_a_knowledge_base_change_does(runner, tmp_path, rules_copy) -> None:
    saved = _assess(
        runner,
        tmp_path,
        {"red_flags": [], "warning_signs": [], "symptoms": ["eye_strain"], "screen_glare": "yes"},
    )
    path = rules_copy / "symptoms.yaml"
    path.write_text(
        path.read_text().replace("      - id: blink_often\n", "      - id: blink_more\n")
    )
    rerun = runner.invoke(app, ["show", str(saved), "--rerun", "--rules", str(rules_copy)])
    assert rerun.exit_code == 0, rerun.stderr
    assert "- solution blink_often: possible" in rerun.stdout
    assert "+ solution blink_more: possible" in rerun.stdout


def test_export_csv_and_jsonl(runner, tmp_path) -> None:
    _assess(
        runner,
        tmp_path,
        {
            "red_flags": [],
            "warning_signs": [],
            "symptoms": ["wrist_pain"],
            "wrist_posture": ["bent_up"],
            "severity": {"wrist_pain": 4},
        },
    )
    flagged = {"red_flags": ["cancer_or_weight_loss"], "warning_signs": []}
    _assess(runner, tmp_path, flagged, "--department", "Sales")
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["export"]).stdout)))
    assert [r["risk_level"] for r in rows] == ["medium", "referral"]
    assert rows[0]["likely_causes"] == "improper_wrist_position"
    assert (
        rows[0]["answer.severity.wrist_pain"] == "4"
        and rows[0]["answer.wrist_posture"] == "bent_up"
    )
    assert rows[1]["red_flags"] == "cancer_or_weight_loss" and rows[1]["department"] == "Sales"
    lines = runner.invoke(app, ["export", "-f", "jsonl", "--risk", "referral"]).stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["program"] == "referral"


def test_purge_asks_first(runner, tmp_path) -> None:
    _assess(runner, tmp_path, {"red_flags": [], "warning_signs": []})
    declined = runner.invoke(app, ["purge", "--before", "2999-01-01"], input="n\n")
    assert declined.exit_code == 1 and "Nothing deleted." in declined.stdout
    done = runner.invoke(app, ["purge", "--before", "2999-01-01"], input="y\n")
    assert done.exit_code == 0 and "Deleted 1 assessment(s) and 0 follow-up(s)." in done.stdout
    assert "No stored assessments match." in runner.invoke(app, ["list"]).stdout
    bad = runner.invoke(app, ["purge", "--before", "yesterday"])
    assert bad.exit_code == 2


def test_follow_up_with_audit_trail(runner, tmp_path) -> None:
    flagged = {"red_flags": ["cancer_or_weight_loss"], "warning_signs": []}
    saved = _assess(runner, tmp_path, flagged)
    listed = runner.invoke(app, ["followup", "list"])
    assert "referral" in listed.stdout and "history of cancer" in listed.stdout
    assert "cancer_or_weight_loss" not in listed.stdout  # words, never ids
    no_note = runner.invoke(app, ["followup", "close", "1", "--note", " "])
    assert no_note.exit_code == 2 and "the trail needs it" in no_note.stderr
    no_outcome = runner.invoke(app, ["followup", "close", "1", "--note", "GP cleared"])
    assert no_outcome.exit_code == 2 and "--outcome" in no_outcome.stderr
    closed = runner.invoke(
        app,
        ["followup", "close", "1", "--note", "GP cleared", "--outcome", "referred_to_doctor",
         "--by", "nurse-7"],
    )  # fmt: skip
    assert closed.exit_code == 0 and "closed by nurse-7: GP cleared" in closed.stdout
    assert "No follow-ups match." in runner.invoke(app, ["followup", "list"]).stdout
    trail = runner.invoke(app, ["followup", "list", "--all", "--trail", "--assessment", str(saved)])
    assert "opened" in trail.stdout and "closed by nurse-7: GP cleared" in trail.stdout


def test_an_unusable_database_is_a_clean_error(runner, tmp_path) -> None:
    result = runner.invoke(app, ["list", "--db", f"sqlite:///{tmp_path}"])
    assert result.exit_code == 4 and "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_compare_before_and_after(runner, tmp_path) -> None:
    _assess(
        runner,
        tmp_path,
        {
            "red_flags": [],
            "warning_signs": [],
            "symptoms": ["neck_pain", "eye_strain"],
            "severity": {"neck_pain": 8, "eye_strain": 5},
            "monitor_height": "too_low",
        },
        "--respondent",
        "p-9",
    )
    _assess(
        runner,
        tmp_path,
        {
            "red_flags": [],
            "warning_signs": [],
            "symptoms": ["neck_pain", "wrist_pain"],
            "severity": {"neck_pain": 3},
            "monitor_height": "eye_level",
        },
        "--respondent",
        "p-9",
    )
    result = runner.invoke(app, ["compare", "--respondent", "p-9"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Risk level: High -> Low" in out
    assert "  Neck pain: 8/10 -> 3/10" in out
    assert "Resolved: Eye strain" in out and "New: Wrist pain or discomfort" in out
    assert "Likely causes no longer found: A neck that often sits too far forward" in out
    # The whole history first (every assessment), then first against latest.
    assert out.startswith("Every assessment of p-9:")
    assert out.endswith(runner.invoke(app, ["compare", "1", "2"]).stdout)
    page = tmp_path / "history.html"
    drawn = runner.invoke(app, ["compare", "--respondent", "p-9", "-o", str(page)])
    assert drawn.exit_code == 0, drawn.stderr
    assert "<polyline" in page.read_text() and "Neck pain" in page.read_text()
    lonely = runner.invoke(app, ["compare", "--respondent", "nobody"])
    assert lonely.exit_code == 2 and "has 0 stored assessment(s)" in lonely.stderr
    assert runner.invoke(app, ["compare"]).exit_code == 2
