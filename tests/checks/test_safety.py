"""`rules check` proves the safety structure, and the loader refuses a knowledge base whose
safety items are incomplete: each broken on purpose in a copy of the knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from troubleshoot.checks import check_reachability, knowledge_listing
from troubleshoot.errors import KnowledgeBaseError
from troubleshoot.kb import KnowledgeBase, load_knowledge_base


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _check(rules_dir: Path) -> str:
    return "\n".join(check_reachability(load_knowledge_base(rules_dir)))


def _load_problems(rules_dir: Path) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(rules_dir)
    return "\n".join(caught.value.problems)


def test_an_urgent_question_behind_an_unrelated_gate_is_found(rules_copy: Path) -> None:
    _edit(
        rules_copy / "questions.yaml",
        'when: {answer: chest_pain, in: ["yes", not_sure]}',
        'when: {all: [{answer: chest_pain, is: "yes"}, {answer: stress_level, gte: 4}]}',
    )
    found = _check(rules_copy)
    assert "question 'chest_pain_now' can lead to emergency advice 'chest_pain_now'" in found
    assert "asked only after unrelated answers: stress_level" in found


def test_an_urgent_question_asked_only_with_the_program_is_found(rules_copy: Path) -> None:
    # Emergency advice drawn from a desk question, which a referral never reaches.
    _edit(
        rules_copy / "clinical.yaml",
        'when: {answer: chest_pain_now, is: "yes"}',
        'when: {all: [{answer: chest_pain_now, is: "yes"}, {answer: laptop_only, is: "yes"}]}',
    )
    found = _check(rules_copy)
    assert "question 'laptop_only' can lead to emergency advice 'chest_pain_now'" in found
    assert "asked only in section 'follow_up'" in found


def test_a_likely_cause_without_a_fix_of_its_own_is_found(rules_copy: Path) -> None:
    # Before the fix: a monitor too low made the generic neck cause likely while its only fix
    # (placing the screen in front) was withheld for a screen already straight ahead.
    path = rules_copy / "symptoms.yaml"
    text = path.read_text()
    start = text.index("      - id: screen_top_at_eye_level_neck")
    end = text.index("      - id: neck_stretch_breaks")
    path.write_text(text[:start] + text[end:])  # the screen-height and laptop fixes gone
    _edit(
        path,
        "addresses: [head_turned_to_side]",
        "addresses: [head_turned_to_side, workstation_setup_neck]",
    )
    found = _check(rules_copy)
    assert "cause 'workstation_setup_neck' can be likely with no fix of its own" in found


def test_a_warning_sign_needs_an_urgency(rules_copy: Path) -> None:
    _edit(rules_copy / "warning_signs.yaml", "    urgency: soon\n", "")
    found = _load_problems(rules_copy)
    assert "rules/warning_signs.yaml:" in found and "'urgency' is a required property" in found


def test_a_policy_item_needs_a_known_reference(rules_copy: Path) -> None:
    _edit(rules_copy / "warning_signs.yaml", "reference: girft_ces", "reference: nowhere")
    assert "reference: unknown reference 'nowhere'" in _load_problems(rules_copy)
    _edit(rules_copy / "warning_signs.yaml", "    reference: nowhere\n", "")
    assert "'reference' is a dependency of 'policy'" in _load_problems(rules_copy)


def test_the_clearance_question_must_follow_every_warning_sign(rules_copy: Path) -> None:
    _edit(rules_copy / "questions.yaml", '        - {answer: chest_pain, is: "yes"}\n', "")
    found = _load_problems(rules_copy)
    assert "questions 'cleared_by_doctor'" in found and "every warning sign answered yes" in found


def test_not_sure_can_be_asked_for_only_where_it_is_allowed(rules_copy: Path) -> None:
    _edit(
        rules_copy / "clinical.yaml",
        'when: {answer: leg_symptoms_without_back_pain, in: ["yes", not_sure]}',
        "when: {answer: chair_armrests, is: not_sure}",
    )
    assert "'not_sure' is not an answer of question 'chair_armrests'" in _load_problems(rules_copy)


def test_rules_list_marks_every_project_policy_item(kb: KnowledgeBase) -> None:
    listing = knowledge_listing(kb)
    assert kb.policy_items
    for _, item_id, _, policy in kb.policy_items:
        marked = f"[project policy: {policy.why} Reference: {policy.cited}]"
        assert any(item_id in line and marked in line for line in listing.splitlines()), item_id
    # Items of the source documents carry no such mark.
    assert "project policy" not in next(
        line for line in listing.splitlines() if "bladder_bowel_control [" in line
    )
