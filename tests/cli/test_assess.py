"""The command line: help everywhere, clean errors, interactive and file-driven assessments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from troubleshoot.cli import app


def _answers_file(tmp_path: Path, answers: dict, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(answers) if name.endswith(".yaml") else json.dumps(answers))
    return path


def test_assess_from_an_answers_file_to_json(runner, tmp_path) -> None:
    path = _answers_file(
        tmp_path,
        {
            "red_flags": [],
            "warning_signs": [],
            "symptoms": ["neck_pain"],
            "monitor_height": "too_low",
        },
        "answers.json",
    )
    result = runner.invoke(app, ["assess", "--answers", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["findings"][0]["causes"][0]["status"] == "likely"


def test_report_written_to_a_file_takes_its_format_from_the_name(runner, tmp_path) -> None:
    path = _answers_file(
        tmp_path, {"red_flags": [], "warning_signs": [], "symptoms": ["eye_strain"]}
    )
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["assess", "-a", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text().startswith("<!doctype html>")


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            "symptoms: [neck_hurts]\n",
            "symptoms: 'neck_hurts' is not a valid answer (allowed: neck_ache_one_side",
        ),
        (
            "monitor_hieght: too_low\n",
            "monitor_hieght: unknown question (did you mean 'monitor_height'?)",
        ),
        (
            "stress_level: 12\n",
            "stress_level: 12 is not a valid answer (allowed: a whole number from 0 to 10",
        ),
        (
            "red_flags: [flu]\n",
            "red_flags: unknown red flag 'flu' (allowed: leg_pain_weakness_tingling",
        ),
        ("symptoms: [neck_pain\n", "not valid YAML or JSON at line 2"),
        ("- just a list\n", "must be a mapping of question id -> answer"),
        (
            "severity: {eye_strain: 3}\n",
            "severity.eye_strain: 'eye_strain' is not listed under `symptoms`",
        ),
    ],
)
def test_bad_answers_file_gives_one_clear_line(runner, tmp_path, content, expected) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = runner.invoke(app, ["assess", "-a", str(path), "-f", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {path}: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_answers_file(runner, tmp_path) -> None:
    result = runner.invoke(app, ["assess", "-a", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "cannot read the answers file" in result.stderr and result.stdout == ""


def test_unknown_format(runner, tmp_path) -> None:
    path = _answers_file(tmp_path, {"red_flags": [], "warning_signs": []})
    result = runner.invoke(app, ["assess", "-a", str(path), "-f", "docx"])
    assert result.exit_code == 2
    assert "unknown format 'docx'" in result.stderr


def test_interactive_assessment(runner) -> None:
    replies = ["y"] + ["n"] * 12  # store it; the safety check
    replies += ["?", "2", "b", "2", "12", "8", "2"]  # "?", neck pain, back, 8/10, 1-4 weeks
    replies += ["n"]  # no pain down an arm
    replies += ["1", "x", "2", "n"]  # screen ahead; height: an invalid reply, too low; no laptop
    replies += [
        "1",
        "2",
        "1",
        "1",
        "2",
        "2",
        "1",
        "1",
        "1",
    ]  # phone, glare, distance, papers, times, phone items
    replies += ["1", "3", "1", "1", "7", "2", ""]  # stress, mood, habits (weight is optional)
    typed = "\n".join(replies) + "\n"
    result = runner.invoke(app, ["assess", "--format", "md"], input=typed)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Why we ask:" in out and "(back one question)" in out
    assert "Sorry, '12' is not a valid answer" in out and "Sorry, 'x' is not a valid answer" in out
    report = out[out.index("# Your ergonomic troubleshooting report") :]
    assert "**Likely:** A neck that often sits too far forward" in report
    assert "because you said: Screen height: Below my eyes" in report


def test_interactive_referral(runner) -> None:
    # Leg symptoms no, both legs no, bladder yes, the other signs no, not cleared, no symptoms,
    # stress 2 and no mood problem (asked even on a referral).
    typed = "y\nn\nn\ny\n" + "n\n" * 9 + "n\n12\n2\n3\n"
    result = runner.invoke(app, ["assess", "-f", "text"], input=typed)
    assert result.exit_code == 0
    report = result.stdout[result.stdout.index("YOUR ERGONOMIC") :]
    assert "SEE YOUR DOCTOR FIRST" in report
    assert "STRETCHES" not in report and "STRESS PLAN" not in report
    assert "call 911" in report.lower()
    assert "!! EMERGENCY: GET HELP NOW !!" in result.stdout[: result.stdout.index("YOUR ERGONOMIC")]


def test_end_of_input_stops_cleanly(runner) -> None:
    result = runner.invoke(app, ["assess"], input="n\nn\n")
    assert result.exit_code == 130
    assert "no report was made" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_stopping_after_a_red_flag_still_refers(runner) -> None:
    result = runner.invoke(app, ["assess"], input="y\n1\n2\n2\n2\n")
    assert result.exit_code == 130
    assert "Contact a doctor today" in result.stderr  # how urgent, even when stopped early
    assert "Talk to your doctor before starting this program" in result.stderr
    assert "call 911" in result.stderr.lower()


@pytest.mark.parametrize("number", ["", "   ", "call me", "1" * 30])
def test_emergency_number_must_be_a_number(runner, tmp_path, number) -> None:
    path = _answers_file(tmp_path, {"red_flags": [], "warning_signs": []})
    result = runner.invoke(app, ["assess", "-a", str(path), "--emergency-number", number])
    assert result.exit_code == 2 and "--emergency-number" in result.stderr


@pytest.mark.parametrize("target", [".", "/"])
def test_report_target_must_be_a_file(runner, tmp_path, target) -> None:
    path = _answers_file(tmp_path, {"red_flags": [], "warning_signs": []})
    result = runner.invoke(app, ["assess", "-a", str(path), "-o", target, "-f", "md"])
    assert result.exit_code == 5 and "not a file name" in result.stderr


def test_typed_odd_digits_are_re_prompted(runner) -> None:
    result = runner.invoke(app, ["assess"], input="y\n\u00b2\n" + "9" * 5000 + "\n")
    assert result.exit_code == 130
    assert result.stdout.count("is not a valid answer here") == 2


def test_an_urgent_report_says_whether_the_oh_team_was_told(runner, tmp_path) -> None:
    path = _answers_file(tmp_path, {"red_flags": [], "warning_signs": ["saddle_numbness"]})
    stored = runner.invoke(app, ["assess", "-a", str(path), "-f", "md"])
    assert stored.exit_code == 0, stored.stderr
    head = stored.stdout.split("**Risk level")[0]
    assert head.startswith("# Your ergonomic troubleshooting report\n\n## Emergency: get help now")
    assert "Call 911 or go to the nearest emergency department now" in head
    assert "Your occupational-health team has been told" in head
    unstored = runner.invoke(app, ["assess", "-a", str(path), "-f", "md", "--no-save"])
    assert "has not been told: please tell them yourself" in unstored.stdout


def test_the_support_contact_is_named_in_the_advice(runner, tmp_path) -> None:
    answers = {"red_flags": [], "warning_signs": [], "symptoms": ["none"], "stress_level": 9}
    path = _answers_file(tmp_path, answers)
    result = runner.invoke(
        app,
        ["assess", "-a", str(path), "-f", "json", "--no-save"],
        env={"TROUBLESHOOT_SUPPORT_CONTACT": "Dana in OH on 0123 4567"},
    )
    assert result.exit_code == 0, result.stderr
    support = next(a for a in json.loads(result.stdout)["advice"] if a["id"] == "get_support")
    assert "Dana in OH on 0123 4567" in support["text"] and "call 911 now" in support["text"]
    bad = runner.invoke(app, ["assess", "-a", str(path), "--support-contact", " "])
    assert bad.exit_code == 2 and "--support-contact" in bad.stderr
