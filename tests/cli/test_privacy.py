"""Telling people and letting them choose: the notice before the first question, the storage
setting (ask, always, never) and the flags that may or may not override it, the report's last
line, the settings commands, purges with their log, and who acted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from troubleshoot.cli import app
from troubleshoot.interview.notice import CONSENT_QUESTION
from troubleshoot.store import Store

from ..conftest import NECK_PAIN_REPLIES

PLAIN = {"red_flags": [], "warning_signs": [], "symptoms": ["neck_pain"]}


def _answers(tmp_path: Path, answers: dict[str, object] = PLAIN) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers))
    return path


def _replies(consent: str | None) -> str:
    replies = NECK_PAIN_REPLIES[1:] if consent is None else [consent, *NECK_PAIN_REPLIES[1:]]
    return "\n".join(replies) + "\n"


def _stored(runner: CliRunner) -> int:
    return len(Store.open().find())


def _last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def _set(runner: CliRunner, name: str, value: str) -> None:
    done = runner.invoke(app, ["settings", "set", name, value, "--by", "nurse.jones"])
    assert done.exit_code == 0, done.output


def test_the_notice_comes_before_the_first_question(runner: CliRunner) -> None:
    result = runner.invoke(app, ["assess", "-f", "md"], input=_replies("y"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    notice = out.index("About your answers")
    assert notice < out.index(CONSENT_QUESTION) < out.index("Safety check")
    told = out[notice : out.index("Safety check")]
    assert "stored for your occupational-health team" in told
    assert "groups of at least 5 people" in told
    assert "Kept for 2 years" in told and "delete what is stored about you" in told
    assert len([line for line in told.splitlines() if line.startswith("- ")]) in (4, 5)


def test_declining_still_gives_the_full_report_and_stores_nothing(runner: CliRunner) -> None:
    declined = runner.invoke(app, ["assess", "-f", "md"], input=_replies("n"))
    agreed = runner.invoke(app, ["assess", "-f", "md", "--no-save"], input=_replies(None))
    assert declined.exit_code == 0, declined.output
    assert _stored(runner) == 0
    assert _last_line(declined.stdout) == "Not stored: you chose not to store it."
    # The same report as anyone gets, but for its last line.
    body = declined.stdout[declined.stdout.index("# Your ergonomic") :]
    other = agreed.stdout[agreed.stdout.index("# Your ergonomic") :]
    assert body.rsplit("\n", 2)[0] == other.rsplit("\n", 2)[0]
    assert "Neck pain" in body and "Stretches" in body


def test_agreeing_stores_it_and_the_report_says_where(runner: CliRunner) -> None:
    result = runner.invoke(app, ["assess", "-f", "md"], input=_replies("y"))
    assert result.exit_code == 0, result.output
    assert _stored(runner) == 1
    last = _last_line(result.stdout)
    assert last.startswith("Stored for your occupational-health team as assessment 1 (in ")
    assert "assessments.db" in last


def test_storage_always_stores_without_asking(runner: CliRunner) -> None:
    _set(runner, "storage", "always")
    result = runner.invoke(app, ["assess", "-f", "md"], input=_replies(None))
    assert result.exit_code == 0, result.output
    assert CONSENT_QUESTION not in result.stdout
    assert "Your answers and your report are stored" in result.stdout
    assert _stored(runner) == 1


def test_storage_never_cannot_be_overridden(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set(runner, "storage", "never")
    path = _answers(tmp_path)
    refused = runner.invoke(app, ["assess", "-a", str(path), "--save"])
    assert refused.exit_code == 2
    assert "storage" in refused.stderr and "never" in refused.stderr
    monkeypatch.setenv("TROUBLESHOOT_STORAGE", "always")
    result = runner.invoke(app, ["assess", "-a", str(path), "-f", "md"])
    assert result.exit_code == 0, result.output
    assert _last_line(result.stdout).startswith("Not stored (")
    interactive = runner.invoke(app, ["assess", "-f", "md"], input=_replies(None))
    assert interactive.exit_code == 0, interactive.output
    assert "Nothing you answer is stored" in interactive.stdout
    assert CONSENT_QUESTION not in interactive.stdout
    assert _stored(runner) == 0


def test_save_with_no_save_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", "-a", str(_answers(tmp_path)), "--save", "--no-save"])
    assert result.exit_code == 2
    assert "--save and --no-save" in result.stderr
    assert _stored(runner) == 0


def test_no_save_is_honoured_even_when_the_organisation_always_stores(
    runner: CliRunner, tmp_path: Path
) -> None:
    _set(runner, "storage", "always")
    result = runner.invoke(app, ["assess", "-a", str(_answers(tmp_path)), "-f", "md", "--no-save"])
    assert result.exit_code == 0, result.output
    assert _last_line(result.stdout) == "Not stored (--no-save)."
    assert _stored(runner) == 0


def test_an_answers_file_is_stored_unless_storage_is_never(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["assess", "-a", str(_answers(tmp_path)), "-f", "md"])
    assert result.exit_code == 0, result.output
    assert _stored(runner) == 1
    assert _last_line(result.stdout).startswith("Stored for your occupational-health team")


def test_batch_stores_unless_storage_is_never(runner: CliRunner, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"respondent": "e1", **PLAIN}) + "\n")
    assert runner.invoke(app, ["batch", str(rows)]).exit_code == 0
    assert _stored(runner) == 1
    _set(runner, "storage", "never")
    refused = runner.invoke(app, ["batch", str(rows)])
    assert refused.exit_code == 2 and "never" in refused.stderr
    out = tmp_path / "results.jsonl"
    written = runner.invoke(app, ["batch", str(rows), "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text().splitlines()[0])["respondent"] == "e1"
    assert _stored(runner) == 1


def test_settings_show_every_value_and_where_it_comes_from(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = runner.invoke(app, ["settings", "show"])
    assert shown.exit_code == 0, shown.output
    for name in (
        "storage",
        "retention",
        "min_group",
        "emergency_number",
        "support_contact",
        "privacy_contact",
        "draft_hours",
    ):
        assert f"\n{name} " in "\n" + shown.stdout
    assert "storage           ask  (default)" in shown.stdout
    _set(runner, "min_group", "10")
    monkeypatch.setenv("TROUBLESHOOT_EMERGENCY_NUMBER", "112")
    again = runner.invoke(app, ["settings", "show"]).stdout
    assert "min_group         10  (database)" in again
    assert "emergency_number  112  (environment (TROUBLESHOOT_EMERGENCY_NUMBER))" in again


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("storage", "sometimes", "storage: 'sometimes' is not one of: ask, always, never"),
        ("min_group", "2", "min_group: '2' is not a whole number from 3 to 1000"),
        ("retention", "forever", "retention: 'forever' is not a period such as 24m"),
        ("emergency_number", "call us", "emergency_number: 'call us' is not a phone number"),
        ("colour", "blue", "'colour' is not a setting"),
    ],
)
def test_a_bad_setting_is_one_clear_line(
    runner: CliRunner, name: str, value: str, expected: str
) -> None:
    result = runner.invoke(app, ["settings", "set", name, value])
    assert result.exit_code == 2
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_emergency_number_setting_reaches_the_report(runner: CliRunner, tmp_path) -> None:
    _set(runner, "emergency_number", "112")
    result = runner.invoke(app, ["assess", "-a", str(_answers(tmp_path)), "-f", "md"])
    assert "call 112" in result.stdout and "call 911" not in result.stdout


def _store_three(runner: CliRunner, tmp_path: Path) -> None:
    flagged = {"red_flags": ["cancer_or_weight_loss"], "warning_signs": []}
    for who, answers in (("alice", flagged), ("alice", PLAIN), ("bob", PLAIN)):
        done = runner.invoke(
            app,
            ["assess", "-a", str(_answers(tmp_path, answers)), "-f", "json", "--respondent", who],
        )
        assert done.exit_code == 0, done.output


def test_a_request_to_be_forgotten_asks_first_and_leaves_one_log_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    _store_three(runner, tmp_path)
    declined = runner.invoke(app, ["purge", "--respondent", "alice"], input="n\n")
    assert declined.exit_code == 1 and _stored(runner) == 3
    assert "Delete 2 assessment(s) and 1 follow-up(s)" in declined.stdout
    done = runner.invoke(app, ["purge", "--respondent", "alice", "--by", "dpo"], input="y\n")
    assert done.exit_code == 0, done.output
    assert [s.respondent for s in Store.open().find()] == ["bob"]
    log = runner.invoke(app, ["purge", "--log"])
    assert log.exit_code == 0
    lines = log.stdout.splitlines()
    assert len(lines) == 1
    assert "by dpo: one respondent's data" in lines[0] and "2 assessment(s)" in lines[0]
    assert "alice" not in log.stdout


def test_purge_by_retention_period(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    _store_three(runner, tmp_path)
    nothing = runner.invoke(app, ["purge", "--older-than", "24m", "--yes"])
    assert nothing.exit_code == 0 and "Nothing to delete." in nothing.stdout
    _set(runner, "retention", "1m")
    # A month from now, everything stored today is past a one-month retention.
    import troubleshoot.store as store_package
    from troubleshoot.store import utc_now

    later = utc_now().replace(year=utc_now().year + 1)
    monkeypatch.setattr(store_package, "utc_now", lambda: later)
    monkeypatch.setenv("TROUBLESHOOT_USER", "records.officer")
    done = runner.invoke(app, ["purge", "--retention", "--yes"])
    assert done.exit_code == 0, done.output
    assert "Deleted 3 assessment(s)" in done.stdout and _stored(runner) == 0
    log = runner.invoke(app, ["purge", "--log"]).stdout
    assert "by records.officer: made older than 1m (the retention setting)" in log


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--before", "2020-01-01", "--respondent", "x"],
        ["--older-than", "soon"],
        ["--log", "--retention"],
    ],
)
def test_a_purge_needs_exactly_one_rule(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, ["purge", *args, "--yes"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_change_says_who_made_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_three(runner, tmp_path)
    case = Store.open().cases()[0].id
    by_flag = runner.invoke(
        app, ["followup", "note", str(case), "--note", "Called", "--by", "nurse.jones"]
    )
    assert by_flag.exit_code == 0, by_flag.output
    monkeypatch.setenv("TROUBLESHOOT_USER", "dr.smith")
    assert (
        runner.invoke(
            app, ["followup", "close", str(case), "--note", "Seen GP", "--outcome", "no_action"]
        ).exit_code
        == 0
    )
    monkeypatch.delenv("TROUBLESHOOT_USER")
    monkeypatch.setenv("USER", "os.user")
    monkeypatch.setenv("LOGNAME", "os.user")
    assert runner.invoke(app, ["followup", "reopen", str(case), "--note", "Back"]).exit_code == 0
    trail = runner.invoke(app, ["followup", "show", str(case)]).stdout
    assert "opened by troubleshoot" in trail
    assert "note by nurse.jones: Called" in trail
    assert "closed by dr.smith: Seen GP" in trail
    assert "reopened by os.user: Back" in trail


def test_a_person_can_have_everything_stored_about_them(runner: CliRunner, tmp_path) -> None:
    _store_three(runner, tmp_path)
    case = Store.open().cases()[0].id
    runner.invoke(app, ["followup", "note", str(case), "--note", "Phoned", "--by", "nurse.jones"])
    out = tmp_path / "alice.json"
    result = runner.invoke(app, ["export", "--respondent", "alice", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    data = json.loads(out.read_text())
    assert data["respondent"] == "alice" and "private" in data["about"]
    assessments = data["assessments"]
    assert len(assessments) == 2 and assessments[0]["risk_level"] == "referral"
    first = assessments[0]
    assert first["answers"]["cancer_or_weight_loss"] == "yes"
    assert first["result"]["program"] == "referral"
    assert assessments[1]["answers"]["symptoms"] == ["neck_pain"]
    trail = first["followups"][0]["trail"]
    assert [(t["action"], t["by"]) for t in trail] == [
        ("opened", "troubleshoot"),
        ("resolved", "troubleshoot"),  # the second assessment no longer showed it
    ]
    (whole,) = data["cases"]
    assert [(t["action"], t["by"], t["note"]) for t in whole["trail"]][-1] == (
        "note",
        "nurse.jones",
        "Phoned",
    )
    assert first["group_report_figures"]["risk_level"] == "referral"
    assert "bob" not in out.read_text()
    nobody = runner.invoke(app, ["export", "--respondent", "carol", "-f", "json"])
    assert nobody.exit_code == 0 and json.loads(nobody.stdout)["assessments"] == []
    assert "Nothing is stored about respondent carol." in nobody.stderr


def test_a_rerun_says_what_private_answers_led_to_cannot_be_rechecked(
    runner: CliRunner, tmp_path: Path
) -> None:
    _store_three(runner, tmp_path)
    result = runner.invoke(app, ["show", "1", "--rerun"])
    assert result.exit_code == 0, result.output
    assert "Answers marked private are never stored" in result.stdout
    assert "cannot be re-checked" in result.stdout
