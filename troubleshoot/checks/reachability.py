"""`troubleshoot rules check`: beyond loading, prove every conclusion can actually be reached.

For each cause, solution, stretch, technique, habit and advice item, build a set of answers
that should conclude it (a witness, derived from its conditions) and run the real engine on
it. Every risk level must be some assessment's level (the first level that holds), checked by
running whole assessments. Also flags questions that no rule uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from troubleshoot.assess import assess, engine_for
from troubleshoot.checks.privacy import privacy_problems
from troubleshoot.checks.safety import safety_problems
from troubleshoot.checks.witness import Answers, Conflict, Witness, merge
from troubleshoot.conditions import AnswerMissing, AnswerTest, Condition, FactTest
from troubleshoot.engine import Key, build_rulebook
from troubleshoot.kb import KnowledgeBase

STRUCTURAL = {"symptoms", "cleared_by_doctor"}


@dataclass(frozen=True)
class Target:
    label: str
    key: Key
    condition: Condition | None
    extra: tuple[Answers, ...] = ()


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
    for sign in kb.signs:
        yield Target(
            f"warning sign '{sign.id}' referral",
            ("referral", "required", "", ""),
            None,
            ({sign.id: "yes"},),
        )
        yield Target(
            f"warning sign '{sign.id}' urgency ({sign.urgency})",
            ("urgency", sign.urgency, f"sign:{sign.id}", ""),
            None,
            ({sign.id: "yes"},),
        )
    for advice in kb.advice:
        if advice.urgency in kb.urgency:
            yield Target(
                f"advice '{advice.id}' urgency ({advice.urgency})",
                ("urgency", advice.urgency, f"advice:{advice.id}", ""),
                advice.when,
            )


def check_reachability(kb: KnowledgeBase) -> list[str]:
    """Problems found; an empty list means every conclusion can be reached."""
    witness = Witness(kb)
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
            # The clear screen is a default: a condition on a warning sign answers it itself.
            answers: Answers = {k: v for k, v in witness.base.items() if k not in partial}
            try:
                merge(answers, partial)
                for extra in target.extra:
                    answers.update(extra) if "symptoms" not in extra else merge(answers, extra)
            except Conflict:
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
    return (
        problems
        + _unreachable_risk_levels(kb, witness)
        + _unused_questions(kb)
        + safety_problems(kb, witness)
        + privacy_problems(kb, witness)
    )


def _unreachable_risk_levels(kb: KnowledgeBase, witness: Witness) -> list[str]:
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
    used = {sign.id for sign in kb.signs} | STRUCTURAL | (kb.rosa.questions() if kb.rosa else set())
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
