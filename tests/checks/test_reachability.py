"""`rules check` proves every conclusion and every risk level can be reached."""

from __future__ import annotations

from troubleshoot.assess import assess
from troubleshoot.checks.reachability import check_reachability
from troubleshoot.checks.witness import Witness
from troubleshoot.kb import KnowledgeBase
from troubleshoot.rosa import score


def test_the_real_knowledge_base_has_nothing_unreachable(kb: KnowledgeBase) -> None:
    assert check_reachability(kb) == []


def test_the_workstation_witness_reaches_the_action_level(kb: KnowledgeBase, clear_screen) -> None:
    assert kb.rosa is not None
    answers = Witness(kb).workstation()
    assert score(kb.rosa, answers).action_level_reached is True
    # Through a whole assessment it makes the risk high, with no symptom at all.
    assert assess(kb, {**clear_screen, "symptoms": ["none"], **answers}).risk["level"] == "high"
