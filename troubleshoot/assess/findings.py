"""A result's findings: each symptom concluded, with its possible causes (the likely ones
first, the dropped ones apart, and what is still unanswered for a possible one) and its fixes,
ordered by the causes they address, each with the answers it rests on. Built through the result
being built (sections.Explains), like the other sections."""

from __future__ import annotations

from functools import lru_cache

from troubleshoot.assess.result import CauseItem, Finding, SolutionItem
from troubleshoot.assess.sections import Explains, in_kb_order, source
from troubleshoot.conditions import UNSURE, holds, questions_used
from troubleshoot.engine import Derived
from troubleshoot.kb import KnowledgeBase

STATUS_ORDER = {"likely": 0, "possible": 1, "general": 2}


def findings(built: Explains) -> tuple[Finding, ...]:
    """One finding per symptom concluded, in the knowledge base's order."""
    statuses: dict[str, dict[str, Derived]] = {}  # symptom -> cause id -> its conclusion
    for derived in built.ev.of_kind("cause"):
        statuses.setdefault(derived.symptom, {})[derived.id] = derived
    concluded = in_kb_order(built.ev, "symptom", built.kb.symptom)
    return tuple(_finding(built, d.id, statuses.get(d.id, {})) for d in concluded)


def _finding(built: Explains, symptom_id: str, statuses: dict[str, Derived]) -> Finding:
    symptom = built.kb.symptom[symptom_id]
    causes = [_cause(built, statuses[c.id]) for c in symptom.causes if c.id in statuses]
    kept = sorted(
        (c for c in causes if c.status != "dropped"), key=lambda c: STATUS_ORDER[c.status]
    )
    solutions = []
    for position, solution in enumerate(symptom.solutions):
        derived = built.ev.conclusions.get(("solution", solution.id, "", ""))
        if derived is None:
            continue
        for_causes = tuple(c.id for c in kept if c.id in solution.addresses)
        priority = min(
            (statuses[c].status for c in for_causes),
            key=STATUS_ORDER.__getitem__,
            default="general",
        )
        solutions.append(
            (
                STATUS_ORDER[priority],
                position,
                SolutionItem(
                    solution.id,
                    solution.text,
                    priority,
                    for_causes,
                    built.because(derived.key),
                    solution.stretches,
                    source(solution.source),
                    tuple(derived.rules),
                ),
            )
        )
    return Finding(
        symptom.id,
        symptom.name,
        symptom.regions,
        tuple(kept),
        tuple(c for c in causes if c.status == "dropped"),
        tuple(item for _, _, item in sorted(solutions, key=lambda s: (s[0], s[1]))),
        source(symptom.source),
    )


def _cause(built: Explains, derived: Derived) -> CauseItem:
    kb, answers = built.kb, built.answers
    cause = kb.cause[derived.id]
    unanswered: tuple[str, ...] = ()
    both_ways = f"cause:{cause.id}:possible:both_ways" in derived.rules
    if derived.status == "possible" and not both_ways:
        unanswered = tuple(
            sorted(
                kb.question[q].label
                for q in _questions_of_cause(kb, cause.id)
                if answers.get(q) in (None, UNSURE) and _askable(built, q)
            )
        )
    return CauseItem(
        cause.id,
        cause.text,
        derived.status,
        built.because(derived.key),
        unanswered,
        source(cause.source),
        tuple(derived.rules),
        both_ways,
    )


def _askable(built: Explains, question_id: str) -> bool:
    """Whether a question could still be asked, given the other answers."""
    when = built.kb.question[question_id].when
    answers = built.answers
    return (
        when is None
        or holds(when, answers, frozenset())
        or any(answers.get(q) in (None, UNSURE) for q in asked_after(built.kb, question_id))
    )


# Kept by id: a frozen condition hashes every one of its parts at each cache lookup.
@lru_cache(maxsize=4096)
def asked_after(kb: KnowledgeBase, question_id: str) -> frozenset[str]:
    """The questions a follow-up question's `when` looks at."""
    when = kb.question[question_id].when
    return frozenset() if when is None else questions_used(when)


@lru_cache(maxsize=4096)
def _questions_of_cause(kb: KnowledgeBase, cause_id: str) -> frozenset[str]:
    """The questions whose answers could confirm or rule out a cause."""
    cause = kb.cause[cause_id]
    return kb.questions_behind(cause.confirmed_when) | kb.questions_behind(cause.ruled_out_when)
