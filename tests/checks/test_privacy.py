"""`rules check` proves that no private answer reaches what is stored or shown to staff: each
way of breaking that tried on purpose, in a copy of the knowledge base or of the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from troubleshoot.checks import check_reachability
from troubleshoot.checks import privacy as privacy_check
from troubleshoot.checks.witness import Witness
from troubleshoot.kb import KnowledgeBase, load_knowledge_base


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _problems(rules_dir: Path) -> str:
    return "\n".join(check_reachability(load_knowledge_base(rules_dir)))


def test_the_knowledge_base_keeps_every_private_answer_private(kb: KnowledgeBase) -> None:
    assert privacy_check.privacy_problems(kb, Witness(kb)) == []


def test_every_private_part_is_tried(kb: KnowledgeBase) -> None:
    tried = {
        what for question in kb.questions for what, _ in privacy_check.private_answers(question)
    }
    assert "private question 'mood'" in tried
    assert "private question 'mindfulness_unsuitable'" in tried
    assert "private choice 'difficult_childhood' of 'stress_sources'" in tried
    assert "private choice 'depression' of 'stress_symptoms'" in tried
    assert "private choice 'anxiety' of 'stress_symptoms'" in tried


def test_a_question_asked_only_because_of_a_private_answer_is_found(rules_copy: Path) -> None:
    _edit(
        rules_copy / "questions.yaml",
        "    when: {answer: stress_level, gte: 4}\n    asked_on_referral: true\n"
        "    source: {file: 000_14a28042c879d771.txt, section: Stress-Related Illness}",
        "    when: {answer: stress_sources, is: difficult_childhood}\n"
        "    asked_on_referral: true\n"
        "    source: {file: 000_14a28042c879d771.txt, section: Stress-Related Illness}",
    )
    assert "question 'stress_symptoms' is asked only because of a private answer" in _problems(
        rules_copy
    )


def test_a_private_choice_of_a_single_choice_question_is_found(rules_copy: Path) -> None:
    _edit(
        rules_copy / "questions.yaml",
        '      - {id: over_12_weeks, label: "More than 12 weeks"}',
        '      - {id: over_12_weeks, label: "More than 12 weeks", private: true}',
    )
    assert "question 'duration' has a private choice but takes one answer" in _problems(rules_copy)


def test_a_private_answer_that_reaches_the_stored_result_is_found(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Storage that forgets to leave private answers out: every private part is reported.
    def keeps_everything(
        kb: KnowledgeBase, answers: dict[str, Any], full: Any, **options: Any
    ) -> tuple[dict[str, Any], Any]:
        return answers, full

    monkeypatch.setattr(privacy_check, "for_storage", keeps_everything)
    found = "\n".join(privacy_check.privacy_problems(kb, Witness(kb)))
    assert "private question 'mood' changes what is stored or shown to staff" in found
    assert "private choice 'depression' of 'stress_symptoms' changes what is stored" in found
    assert "private question 'mindfulness_unsuitable' changes what is stored" in found
