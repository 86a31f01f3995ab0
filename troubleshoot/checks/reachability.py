"""`troubleshoot rules check`: beyond loading, prove every conclusion can actually be reached.

For each cause, solution, stretch, technique, habit and advice item, build a set of answers
that should conclude it (a witness, derived from its conditions) and run the real engine on
it. Every risk level must be some assessment's level (the first level that holds), checked by
running whole assessments. Also flags questions that no rule uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from troubleshoot.assess import assess, engine_for
from troubleshoot.conditions import AnswerMissing, AnswerTest, Atom, Condition, FactTest, disjuncts
from troubleshoot.engine import Key, build_rulebook
from troubleshoot.kb import KnowledgeBase, Question
from troubleshoot.rosa import score

Answers = dict[str, Any]
STRUCTURAL = {"symptoms", "cleared_by_doctor"}


class _Conflict(Exception):
    """Two parts of a witness need different answers to one question."""


@dataclass(frozen=True)
class Target:
    label: str
    key: Key
    condition: Condition | None
    extra: tuple[Answers, ...] = ()


def _merge(into: Answers, more: Answers) -> None:
    for question, value in more.items():
        if question not in into:
            into[question] = value
        elif isinstance(value, list) and isinstance(into[question], list):
            into[question] = list(dict.fromkeys([*into[question], *value]))
        elif isinstance(value, dict) and isinstance(into[question], dict):
            for item, v in value.items():
                if item in into[question] and into[question][item] != v:
                    raise _Conflict
                into[question][item] = v
        elif into[question] != value:
            raise _Conflict


class _Witness:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.base: Answers = {flag.id: "no" for flag in kb.red_flags}

    def answers_for(self, condition: Condition) -> Iterator[Answers]:
        for conj in disjuncts(condition):
            try:
                answers: Answers = {}
                for atom in conj:
                    _merge(answers, self.atom(atom))
            except _Conflict:
                continue
            yield answers

    def first(self, condition: Condition) -> Answers:
        for answers in self.answers_for(condition):
            return answers
        raise _Conflict

    def atom(self, atom: Atom) -> Answers:
        if isinstance(atom, AnswerMissing):
            return {}
        if isinstance(atom, AnswerTest):
            return self.answer(atom)
        if atom.kind == "program":
            return {}  # the base answers clear the screen
        if atom.kind == "referral":
            flag = self.kb.red_flags[0].id
            # None: the question left unanswered (the base's "no" is overridden).
            return {flag: "yes"} if "required" in atom.ids else {flag: None}
        if atom.kind == "rosa":
            return self.workstation()
        if atom.kind == "cause":
            for symptom in self.kb.symptoms:
                for cause in symptom.causes:
                    if not atom.ids or cause.id in atom.ids:
                        answers: Answers = {"symptoms": [symptom.id]}
                        _merge(answers, self.first(cause.confirmed_when))
                        return answers
            raise _Conflict
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
            raise _Conflict  # no witness is built from this kind of fact
        solution = self.kb.solution[fact_id]
        answers = {"symptoms": [solution.symptom]}
        if solution.addresses:
            _merge(answers, self.first(self.kb.cause[solution.addresses[0]].confirmed_when))
        return answers

    def workstation(self) -> Answers:
        """The workstation answers that score highest, chosen one question at a time."""
        rosa = self.kb.rosa
        if rosa is None:
            raise _Conflict
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
            raise _Conflict  # the knowledge base's workstation score cannot reach it
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


def _targets(kb: KnowledgeBase) -> Iterator[Target]:
    for symptom in kb.symptoms:
        reported = FactTest("symptom", (symptom.id,))
        for cause in symptom.causes:
            yield Target(
                f"cause '{cause.id}' as likely",
                ("cause", cause.id, "likely", ""),
                cause.confirmed_when,
                ({"symptoms": [symptom.id]},),
            )
            yield Target(
                f"cause '{cause.id}' as possible", ("cause", cause.id, "possible", ""), reported
            )
        for solution in symptom.solutions:
            yield Target(
                f"solution '{solution.id}'",
                ("solution", solution.id, "", ""),
                FactTest("solution", (solution.id,)),
            )
    for stretch in kb.stretches:
        symptoms = [s.id for s in kb.symptoms if set(s.regions) & set(stretch.regions)]
        linked = [x.id for s in kb.symptoms for x in s.solutions if stretch.id in x.stretches]
        condition: Condition | None = (
            FactTest("symptom", (symptoms[0],))
            if symptoms
            else FactTest("solution", (linked[0],))
            if linked
            else None
        )
        yield Target(f"stretch '{stretch.id}'", ("stretch", stretch.id, "", ""), condition)
    for technique in kb.techniques:
        yield Target(
            f"technique '{technique.id}'",
            ("technique", technique.id, "", ""),
            technique.offered_when,
        )
    for habit in kb.habits:
        yield Target(
            f"habit '{habit.id}' (focus)", ("habit", habit.id, "focus", ""), habit.focus_when
        )
    for advice in kb.advice:
        yield Target(f"advice '{advice.id}'", ("advice", advice.id, "", "*"), advice.when)
    for flag in kb.red_flags:
        yield Target(
            f"red flag '{flag.id}' referral",
            ("referral", "required", "", ""),
            None,
            ({flag.id: "yes"},),
        )


def check_reachability(kb: KnowledgeBase) -> list[str]:
    """Problems found; an empty list means every conclusion can be reached."""
    witness = _Witness(kb)
    engine = engine_for(kb)
    problems = []
    for target in _targets(kb):
        candidates: list[Answers] = []
        if target.condition is None and target.extra:
            candidates = [{}]
        elif target.condition is not None:
            candidates = list(witness.answers_for(target.condition))
        reached = False
        for partial in candidates:
            answers: Answers = dict(witness.base)
            try:
                _merge(answers, partial)
                for extra in target.extra:
                    answers.update(extra) if "symptoms" not in extra else _merge(answers, extra)
            except _Conflict:
                continue
            found = engine.evaluate(answers).conclusions
            kind, item, status, about = target.key
            if any(
                k[:3] == (kind, item, status) and (about == "*" or k[3] == about) for k in found
            ):
                reached = True
                break
        if not reached:
            problems.append(f"{target.label} cannot be concluded by any answers")
    return problems + _unreachable_risk_levels(kb, witness) + _unused_questions(kb)


def _unreachable_risk_levels(kb: KnowledgeBase, witness: _Witness) -> list[str]:
    """Levels that are never an assessment's level: the first level that holds counts, so a
    level listed after one that always holds with it is dead."""
    problems = []
    for level in kb.risk_levels:
        reached = False
        for partial in witness.answers_for(level.when):
            answers = {k: v for k, v in {**witness.base, **partial}.items() if v is not None}
            if assess(kb, answers).risk["level"] == level.id:
                reached = True
                break
        if not reached:
            problems.append(f"risk level '{level.id}' is never an assessment's level")
    return problems


def _unused_questions(kb: KnowledgeBase) -> list[str]:
    used = (
        {flag.id for flag in kb.red_flags}
        | STRUCTURAL
        | (kb.rosa.questions() if kb.rosa else set())
    )
    for rule in build_rulebook(kb):
        used |= {
            a.question
            for a in (*rule.when, *rule.unless)
            if isinstance(a, AnswerTest | AnswerMissing)
        }
    return [
        f"question '{q.id}' is asked but no rule uses its answer"
        for q in kb.questions
        if q.id not in used
    ]
