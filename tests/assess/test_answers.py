"""Answers files: every malformed file is one clean error, and nothing is silently guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from troubleshoot.assess import read_answers_file
from troubleshoot.errors import AnswersError
from troubleshoot.kb import KnowledgeBase


def _read(tmp_path: Path, kb: KnowledgeBase, text: str, name: str = "a.yaml") -> dict:
    path = tmp_path / name
    path.write_text(text)
    return read_answers_file(path, kb)


def _error(tmp_path: Path, kb: KnowledgeBase, text: str, name: str = "a.yaml") -> str:
    with pytest.raises(AnswersError) as caught:
        _read(tmp_path, kb, text, name)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    return message


@pytest.mark.parametrize(
    "text, name",
    [
        ("leg_pain_weakness_tingling: yes\nleg_pain_weakness_tingling: no\n", "a.yaml"),
        ('{"red_flags": ["leg_pain_weakness_tingling"], "red_flags": []}', "a.json"),
    ],
)
def test_a_repeated_key_is_an_error_not_a_silent_overwrite(tmp_path, kb, text, name) -> None:
    assert "duplicate or invalid key" in _error(tmp_path, kb, text, name)


def test_aliases_and_anchors_are_refused(tmp_path, kb) -> None:
    bomb = "a: &a [1, 1, 1]\nb: &b [*a, *a, *a]\nsleep_hours: [*b, *b, *b]\n"
    assert "anchors (&name) are not allowed" in _error(tmp_path, kb, bomb)
    assert "aliases (*name) are not allowed" in _error(tmp_path, kb, "sleep_hours: *x\n")


def test_numbers_are_read_as_written(tmp_path, kb) -> None:
    answers = _read(tmp_path, kb, "symptoms: [neck_pain]\nseverity: {neck_pain: 010}\n")
    assert answers["severity"] == {"neck_pain": 10}
    assert "'7:30' is not a valid answer" in _error(tmp_path, kb, "sleep_hours: 7:30\n")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sleep_hours: " + "9" * 400 + "\n", "a number far too long to be an answer"),
        ("sleep_hours: " + "9" * 5000 + "\n", "a number far too long to be an answer"),
        ("red_flags: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("sleep_hours: .nan\n", "is not a valid answer"),
        ("stress_level: true\n", "is not a valid answer"),
        ("symptoms: [[neck_pain]]\n", "is not a valid answer"),
        ("? [a, b]\n: 1\n", "duplicate or invalid key"),
    ],
)
def test_odd_values_give_clean_errors(tmp_path, kb, text, expected) -> None:
    assert expected in _error(tmp_path, kb, text)


def test_long_values_are_shortened_in_messages(tmp_path, kb) -> None:
    message = _error(tmp_path, kb, "monitor_height: " + "x" * 5000 + "\n")
    assert "..." in message and len(message) < 300


def test_yes_no_accepts_yaml_booleans(tmp_path, kb) -> None:
    answers = _read(tmp_path, kb, "screen_glare: yes\nlumbar_support: false\nleg_room: 'No'\n")
    assert answers == {"screen_glare": "yes", "lumbar_support": "no", "leg_room": "no"}


def test_not_sure_and_blank_stay_unknown(tmp_path, kb) -> None:
    answers = _read(tmp_path, kb, "screen_glare: not sure\nmonitor_height:\nsymptoms: []\n")
    assert answers == {"screen_glare": "not_sure", "symptoms": []}
