"""`troubleshoot questions` and `troubleshoot rules check|list`: the knowledge base, listed and
checked."""

from __future__ import annotations

import json

from troubleshoot.cli import app


def test_questions_lists_every_question(runner, kb) -> None:
    result = runner.invoke(app, ["questions"])
    assert result.exit_code == 0
    for question in kb.questions:
        assert f"{question.id}  [{question.type}" in result.stdout


def test_answers_template_round_trips(runner, tmp_path, kb) -> None:
    template = tmp_path / "answers.yaml"
    result = runner.invoke(app, ["questions", "--template", str(template)])
    assert result.exit_code == 0
    text = template.read_text().replace("\nsymptoms: []", "\nsymptoms: [neck_pain]")
    for sign in kb.signs:
        text = text.replace(f"\n{sign.id}:\n", f"\n{sign.id}: no\n")
    template.write_text(text)
    done = runner.invoke(app, ["assess", "-a", str(template), "-f", "json"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["program"] == "open"


def test_rules_check_passes_on_the_real_knowledge_base(runner) -> None:
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0, result.stderr
    assert "4 red flags, 7 further warning signs, 11 symptoms, 24 causes" in result.stdout


def test_rules_check_reports_a_broken_knowledge_base(runner, rules_copy) -> None:
    path = rules_copy / "symptoms.yaml"
    path.write_text(
        path.read_text().replace("addresses: [feet_not_supported]", "addresses: [feet]", 1)
    )
    result = runner.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1
    assert "rules/symptoms.yaml" in result.stderr and "unknown cause 'feet'" in result.stderr


def test_rules_check_finds_unreachable_conclusions(runner, rules_copy) -> None:
    path = rules_copy / "symptoms.yaml"
    # A cause that can only be confirmed by two contradictory answers can never be likely.
    path.write_text(
        path.read_text().replace(
            'confirmed_when: {answer: typing_force, is: "yes"}',
            "confirmed_when: {all: ["
            '{answer: typing_force, is: "yes"}, {answer: typing_force, is: "no"}]}',
            1,
        )
    )
    result = runner.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1
    assert "cause 'forceful_typing' as likely cannot be concluded" in result.stderr


def test_rules_list_shows_the_table(runner) -> None:
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0
    assert "cause median_nerve_pressure" in result.stdout
    assert "solution blink_often" in result.stdout


def test_rules_check_finds_risk_levels_no_assessment_can_have(runner, rules_copy) -> None:
    path = rules_copy / "risk.yaml"
    text = path.read_text()
    low = text[text.index("  - id: low") :]
    # "low" first: it holds whenever the program is open, so "high" and "medium" never count.
    text = text[: text.index("  - id: low")].replace("risk_levels:\n", "risk_levels:\n" + low, 1)
    path.write_text(text)
    result = runner.invoke(app, ["rules", "check", "--rules", str(rules_copy)])
    assert result.exit_code == 1
    assert "risk level 'high' is never an assessment's level" in result.stderr
    assert "risk level 'medium' is never an assessment's level" in result.stderr
    assert "'referral' is never" not in result.stderr and "'low' is never" not in result.stderr
