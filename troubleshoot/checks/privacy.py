"""`troubleshoot rules check`: proofs that a private answer reaches no staff-facing field.

- No question that is not private is asked only because of a private answer: its mere answer,
  stored, would tell staff what the private one was.
- A private choice sits in a multiple-choice question: leaving a single-choice answer out
  would itself show that the private choice was picked.
- For every private question and every private choice, an assessment that holds it and one
  that does not are stored alike: the same answers, result, cohort figures and follow-ups.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from troubleshoot.assess import assess
from troubleshoot.assess.privacy import for_storage
from troubleshoot.checks.witness import Answers, Conflict, Witness, merge
from troubleshoot.conditions import AnswerMissing, AnswerTest, Condition, FactTest, atoms
from troubleshoot.kb import KnowledgeBase, Question


def privacy_problems(kb: KnowledgeBase, witness: Witness) -> list[str]:
    return _asked_because_private(kb) + _single_choice(kb) + _stored_alike(kb, witness)


def _tests_behind(kb: KnowledgeBase, condition: Condition) -> Iterator[AnswerTest | AnswerMissing]:
    """Every answer test a condition depends on, following checks and factors."""
    for atom in atoms(condition):
        if isinstance(atom, AnswerTest | AnswerMissing):
            yield atom
        elif isinstance(atom, FactTest) and atom.kind == "check":
            for check_id in atom.ids:
                yield from _tests_behind(kb, kb.check[check_id].failed_when)
                yield from _tests_behind(kb, kb.check[check_id].passed_when)
        elif isinstance(atom, FactTest) and atom.kind == "factor":
            for factor_id in atom.ids:
                yield from _tests_behind(kb, kb.factor[factor_id].present_when)


def _reveals(kb: KnowledgeBase, test: AnswerTest | AnswerMissing) -> bool:
    question = kb.question.get(test.question)
    if question is None:
        return False
    if question.private:
        return True
    if not question.private_choices or isinstance(test, AnswerMissing):
        return False
    named = {test.value} if test.op == "is" else set(test.value) if test.op == "in" else set()
    return bool(named & question.private_choices)


def _asked_because_private(kb: KnowledgeBase) -> list[str]:
    return [
        f"question '{q.id}' is asked only because of a private answer, so storing it would "
        "show that answer: mark it private too"
        for q in kb.questions
        if not q.private
        and q.when is not None
        and any(_reveals(kb, test) for test in _tests_behind(kb, q.when))
    ]


def _single_choice(kb: KnowledgeBase) -> list[str]:
    return [
        f"question '{q.id}' has a private choice but takes one answer: leaving it out would "
        "show it was picked, so mark the whole question private"
        for q in kb.questions
        if q.private_choices and not q.private and q.type != "multi"
    ]


def private_answers(question: Question) -> Iterator[tuple[str, Any]]:
    """(what it is, an answer holding it) for the private parts of one question."""
    if question.private:
        values: list[Any] = [c.id for c in question.choices]
        if question.type == "multi":
            values = [[c.id] for c in question.choices]
        elif question.type == "yes_no":
            values = ["yes", "no"]
        elif not values:
            values = [question.minimum if question.minimum is not None else 1]
        for value in values:
            yield f"private question '{question.id}'", value
        return
    for choice in sorted(question.private_choices):
        yield f"private choice '{choice}' of '{question.id}'", [choice]


def _staff_view(kb: KnowledgeBase, answers: Answers) -> str:
    """Everything stored of an assessment (the cohort figures and follow-ups are drawn from
    these two alone)."""
    full = assess(kb, answers, explain=True)
    public, stored = for_storage(kb, answers, full, explain=True)
    return json.dumps({"answers": public, "result": stored.to_dict()}, sort_keys=True)


def _stored_alike(kb: KnowledgeBase, witness: Witness) -> list[str]:
    problems = []
    for question in kb.questions:
        if not (question.private or question.private_choices):
            continue
        try:
            asked = witness.first(question.when) if question.when is not None else {}
        except Conflict:
            continue  # never asked: the reachability proof reports it
        for what, value in private_answers(question):
            answers: Answers = {k: v for k, v in witness.base.items() if k not in asked}
            merge(answers, asked)
            without = _staff_view(kb, answers)
            held = dict(answers)
            try:
                merge(held, {question.id: value})
            except Conflict:
                continue
            if _staff_view(kb, held) != without:
                problems.append(f"{what} changes what is stored or shown to staff")
    return problems
