"""Interrupted questionnaires: the draft is kept after every answer, private, and resumed at the
same question with every earlier answer kept; a finished assessment removes it."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from troubleshoot.cli import app

from ..conftest import NECK_PAIN_REPLIES


def _draft() -> Path:
    return Path(os.environ["TROUBLESHOOT_DRAFT"])


def test_stop_and_resume_at_the_same_question(runner: CliRunner) -> None:
    first = runner.invoke(app, ["assess", "-f", "md"], input="y\n" + "n\n" * 12 + "2\n8\n")
    assert first.exit_code == 130
    assert str(_draft()) in first.stderr and "troubleshoot assess --resume" in first.stderr
    assert stat.S_IMODE(os.stat(_draft()).st_mode) == 0o600
    saved = json.loads(_draft().read_text())
    assert saved["answers"]["symptoms"] == ["neck_pain"]
    assert saved["answers"]["severity"] == {"neck_pain": 8}

    # The next question was the duration of neck pain: resuming asks exactly that first.
    replies = ["2", "b", "3"]  # answer it, step back (history survives the resume), answer again
    replies += ["n"]  # no pain down an arm
    replies += ["1", "2", "n", "1", "2", "1", "1", "2", "2", "1", "1", "1"]  # desk and time items
    replies += ["1", "3", "1", "1", "7", "2", ""]  # stress, mood, habits
    second = runner.invoke(app, ["assess", "--resume", "-f", "md"], input="\n".join(replies) + "\n")
    assert second.exit_code == 0, second.stdout + second.stderr
    out = second.stdout
    assert "Resuming the draft of 14 answer(s), saved " in out
    first_prompt = out[out.index("Resuming") :].split("[", 2)[1]
    assert "Neck pain: how long have you had it?" in first_prompt
    assert "**Neck pain** (Neck), strength 8/10, for 4 to 12 weeks" in out
    assert not _draft().exists()


def test_going_back_is_saved_too(runner: CliRunner) -> None:
    runner.invoke(app, ["assess"], input="y\n" + "n\n" * 12 + "2\nb\n")
    assert "symptoms" not in json.loads(_draft().read_text())["answers"]


def test_resume_without_a_draft(runner: CliRunner) -> None:
    result = runner.invoke(app, ["assess", "--resume"])
    assert result.exit_code == 2 and "there is no saved draft to resume" in result.stderr


def test_a_broken_draft_is_a_clear_error(runner: CliRunner) -> None:
    _draft().write_text("{not json")
    result = runner.invoke(app, ["assess", "--resume"])
    assert result.exit_code == 2 and "the draft cannot be read" in result.stderr


# The neck-pain walk up to and including the private mood question (stress 1, mood "none").
UP_TO_MOOD = NECK_PAIN_REPLIES[: len(NECK_PAIN_REPLIES) - 5]


def test_a_private_answer_is_never_kept_in_a_draft(runner: CliRunner) -> None:
    first = runner.invoke(app, ["assess"], input="\n".join(UP_TO_MOOD) + "\n")
    assert first.exit_code == 130
    saved = json.loads(_draft().read_text())
    assert saved["answers"]["stress_level"] == 1
    assert "mood" not in saved["answers"]
    assert "mood" not in {step[0] for step in saved["history"]}
    # Resuming asks the private question again before going on.
    second = runner.invoke(app, ["assess", "--resume", "-f", "md"], input="3\n1\n1\n7\n2\n\n")
    assert second.exit_code == 0, second.output
    resumed = second.stdout[second.stdout.index("Resuming") :]
    assert "have you often felt any of these?" in resumed.split("[", 2)[1]


def test_a_resume_says_whose_draft_it_is(runner: CliRunner) -> None:
    runner.invoke(app, ["assess", "--respondent", "p-117"], input="y\n" + "n\n" * 3)
    again = runner.invoke(app, ["assess"], input="q\n")
    assert "There is a saved draft: 3 answer(s) for p-117, saved " in again.stdout
    anonymous = _draft().read_text().replace('"respondent": "p-117"', '"respondent": null')
    _draft().write_text(anonymous)
    resumed = runner.invoke(app, ["assess", "--resume"], input="")
    assert "Resuming the draft of 3 answer(s), saved " in resumed.stdout


def test_an_old_draft_is_deleted_before_anything_else(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner.invoke(app, ["assess"], input="y\n" + "n\n" * 3)
    saved = json.loads(_draft().read_text())
    saved["saved_at"] = (datetime.now(UTC) - timedelta(hours=25)).isoformat(timespec="seconds")
    _draft().write_text(json.dumps(saved))
    result = runner.invoke(app, ["assess"], input="")
    assert "was older than 24 hours, so it was deleted" in result.stdout
    assert "There is a saved draft" not in result.stdout
    # The organisation may keep drafts longer (or shorter).
    runner.invoke(app, ["assess"], input="y\n" + "n\n" * 3)
    saved = json.loads(_draft().read_text())
    saved["saved_at"] = (datetime.now(UTC) - timedelta(hours=25)).isoformat(timespec="seconds")
    _draft().write_text(json.dumps(saved))
    monkeypatch.setenv("TROUBLESHOOT_DRAFT_HOURS", "48")
    kept = runner.invoke(app, ["assess"], input="q\n")
    assert "There is a saved draft" in kept.stdout


def test_a_resumed_draft_keeps_the_workstation_it_is_about(runner: CliRunner) -> None:
    from troubleshoot.store import Store

    runner.invoke(app, ["assess", "--location", "home"], input="y\n" + "n\n" * 3)
    assert json.loads(_draft().read_text())["location"] == "home"
    replies = "\n".join(NECK_PAIN_REPLIES[4:]) + "\n"
    done = runner.invoke(app, ["assess", "--resume", "-f", "md"], input=replies)
    assert done.exit_code == 0, done.output
    assert Store.open().find()[0].workstation == "home"


def test_a_draft_of_the_previous_version_still_resumes(runner: CliRunner) -> None:
    runner.invoke(app, ["assess"], input="y\n" + "n\n" * 3)
    saved = json.loads(_draft().read_text())
    saved["version"] = 3
    del saved["location"]
    _draft().write_text(json.dumps(saved))
    resumed = runner.invoke(app, ["assess", "--resume"], input="")
    assert "Resuming the draft of 3 answer(s)" in resumed.stdout
