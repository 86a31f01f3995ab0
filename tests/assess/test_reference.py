"""The reference results the store packs against: made from the knowledge base alone, the same
every time, from valid public answers, and covering what real reports hold."""

from __future__ import annotations

from pathlib import Path

from troubleshoot.assess import assess
from troubleshoot.assess.answers import normalize_answers
from troubleshoot.assess.privacy import has_private
from troubleshoot.assess.reference import reference_answers, reference_dictionary
from troubleshoot.kb import KnowledgeBase, load_knowledge_base


def test_reference_answers_are_valid_public_answers(kb: KnowledgeBase) -> None:
    for number, answers in enumerate(reference_answers(kb)):
        assert normalize_answers(answers, kb, f"reference set {number}") == answers
        assert not has_private(kb, answers)


def test_the_reference_covers_every_symptom_a_referral_and_no_symptom(kb: KnowledgeBase) -> None:
    sets = list(reference_answers(kb))
    reported = {s for answers in sets for s in answers["symptoms"]}
    assert reported >= {s.id for s in kb.symptoms}
    assert ["none"] in [answers["symptoms"] for answers in sets]
    programs = {assess(kb, answers).program for answers in sets}
    assert len(programs) > 1  # a referral as well as the self-help program


def test_the_dictionary_is_the_same_every_time(kb: KnowledgeBase) -> None:
    made = reference_dictionary(kb, sets=6)
    assert made == reference_dictionary(kb, sets=6)
    assert b"possible" in made and len(made) > 100_000


def test_reference_answers_keep_to_unusual_bounds_and_public_choices(unusual_rules: Path) -> None:
    kb = load_knowledge_base(unusual_rules)
    sets = list(reference_answers(kb))
    for number, answers in enumerate(sets):
        assert normalize_answers(answers, kb, f"reference set {number}") == answers
        assert not has_private(kb, answers)
    hours = [a["sleep_hours"] for a in sets if a.get("sleep_hours") not in (None, "not_sure")]
    assert hours and min(hours) >= 30
    signs = [a["stress_symptoms"] for a in sets if "stress_symptoms" in a]
    assert signs and all(chosen in (["none"], "not_sure") for chosen in signs)
    assert b"possible" in reference_dictionary(kb, sets=4)
