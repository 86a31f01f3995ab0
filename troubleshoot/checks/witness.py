"""Witnesses: sets of answers built from a condition that should make it hold, so that a
conclusion can be proved reachable by running the real engine on them (see reachability and
safety)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from troubleshoot.conditions import AnswerMissing, AnswerTest, Atom, Condition, disjuncts
from troubleshoot.kb import KnowledgeBase, Question
from troubleshoot.rosa import score

Answers = dict[str, Any]


class Conflict(Exception):
    """Two parts of a witness need different answers to one question."""


def merge(into: Answers, more: Answers) -> None:
    for question, value in more.items():
        if question not in into:
            into[question] = value
        elif isinstance(value, list) and isinstance(into[question], list):
            into[question] = list(dict.fromkeys([*into[question], *value]))
        elif isinstance(value, dict) and isinstance(into[question], dict):
            for item, v in value.items():
                if item in into[question] and into[question][item] != v:
                    raise Conflict
                into[question][item] = v
        elif into[question] != value:
            raise Conflict


class Witness:
    """Answers that make conditions hold, on top of a clear safety check (`base`)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.base: Answers = {sign.id: "no" for sign in kb.signs}

    def answers_for(self, condition: Condition) -> Iterator[Answers]:
        for conj in disjuncts(condition):
            try:
                answers: Answers = {}
                for atom in conj:
                    merge(answers, self.atom(atom))
            except Conflict:
                continue
            yield answers

    def first(self, condition: Condition) -> Answers:
        for answers in self.answers_for(condition):
            return answers
        raise Conflict

    def atom(self, atom: Atom) -> Answers:
        if isinstance(atom, AnswerMissing):
            return {}
        if isinstance(atom, AnswerTest):
            return self.answer(atom)
        if atom.kind == "program":
            return {}  # the base answers clear the screen
        if atom.kind == "referral":
            # The least urgent sign: a referral, not also an urgent case.
            flag = max(self.kb.signs, key=lambda s: self.kb.urgency[s.urgency].rank).id
            # None: the question left unanswered (the base's "no" is overridden).
            return {flag: "yes"} if "required" in atom.ids else {flag: None}
        if atom.kind == "rosa":
            return self.workstation()
        if atom.kind == "urgency":
            for sign in self.kb.signs:
                if not atom.ids or sign.urgency in atom.ids:
                    return {sign.id: "yes"}
            for advice in self.kb.advice:
                if not atom.ids or advice.urgency in atom.ids:
                    return self.first(advice.when)
            raise Conflict
        if atom.kind == "cause":
            for symptom in self.kb.symptoms:
                for cause in symptom.causes:
                    if not atom.ids or cause.id in atom.ids:
                        answers: Answers = {"symptoms": [symptom.id]}
                        merge(answers, self.first(cause.confirmed_when))
                        return answers
            raise Conflict
        fact_id = atom.ids[0]
        if atom.kind == "symptom":
            return {"symptoms": [fact_id]}
        if atom.kind == "check":
            check = self.kb.check[fact_id]
            return self.first(check.failed_when if atom.status == "failed" else check.passed_when)
        if atom.kind == "factor":
            return self.first(self.kb.factor[fact_id].present_when)
        if atom.kind == "advice":
            return self.first(self.kb.advice_item[fact_id].when)
        if atom.kind != "solution":
            raise Conflict  # no witness is built from this kind of fact
        solution = self.kb.solution[fact_id]
        answers = {"symptoms": [solution.symptom]}
        if solution.addresses:
            merge(answers, self.first(self.kb.cause[solution.addresses[0]].confirmed_when))
        if solution.when is not None:
            merge(answers, self.first(solution.when))
        return answers

    def workstation(self) -> Answers:
        """The workstation answers that score highest, chosen one question at a time."""
        rosa = self.kb.rosa
        if rosa is None:
            raise Conflict
        answers: Answers = {}
        for question_id in sorted(rosa.questions()):
            question = self.kb.question[question_id]
            values: list[Any] = [c.id for c in question.choices] or (
                ["yes", "no"] if question.type == "yes_no" else [question.maximum]
            )
            # The highest score still possible first (the range's top), then the surest.
            answers[question_id] = max(
                values,
                key=lambda v: score(rosa, {**answers, question_id: v}).final_range[::-1],
            )
        if not score(rosa, answers).action_level_reached:
            raise Conflict  # the knowledge base's workstation score cannot reach it
        return answers

    def answer(self, test: AnswerTest) -> Answers:
        question = self.kb.question[test.question]
        value = self.value(question, test)
        if question.type == "multi":
            value = [value]
        if question.for_each:
            item = test.about[0] if test.about else self.kb.symptoms[0].id
            return {"symptoms": [item], question.id: {item: value}}
        return {question.id: value}

    @staticmethod
    def value(question: Question, test: AnswerTest) -> Any:
        if test.op == "is":
            return test.value
        if test.op == "in":
            return test.value[0]
        return {"gte": test.value, "lte": test.value, "gt": test.value + 1, "lt": test.value - 1}[
            test.op
        ]
