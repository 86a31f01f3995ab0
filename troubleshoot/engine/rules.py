"""The vocabulary of the rulebook: a rule (RuleSpec) concludes a fact (Conclusion) from tests on
answers and on other conclusions; a knowledge-base condition becomes one rule per disjunct, and
`unless` becomes negations (decided once every answer is in)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from troubleshoot.conditions import AnswerMissing, AnswerTest, Atom, Condition, FactTest, disjuncts
from troubleshoot.errors import KnowledgeBaseError

PROGRAM = FactTest("program", ("open",))
URGENCIES = ("emergency", "same_day", "soon")
# Kinds of conclusion that are gates rather than reasons: left out of "because you said".
GATE_KINDS = frozenset({"program"})


@dataclass(frozen=True)
class Conclusion:
    kind: str
    id: str
    status: str = ""
    symptom: str = ""


@dataclass(frozen=True)
class RuleSpec:
    id: str
    when: tuple[AnswerTest | FactTest, ...]
    then: Conclusion
    unless: tuple[AnswerMissing | AnswerTest | FactTest, ...] = ()
    final: bool = False
    # The symptom whose ruleset holds the rule ("" for the core; see engine.partitions).
    part: str = ""


def split(
    conj: tuple[Atom, ...],
) -> tuple[tuple[AnswerTest | FactTest, ...], tuple[AnswerMissing, ...]]:
    positive = tuple(a for a in conj if isinstance(a, AnswerTest | FactTest))
    missing = tuple(a for a in conj if isinstance(a, AnswerMissing))
    return positive, missing


def from_condition(
    rule_id: str, condition: Condition, then: Conclusion, prefix: tuple[FactTest, ...] = ()
) -> list[RuleSpec]:
    """One rule per disjunct; `answer_missing` atoms become final negations."""
    conjunctions = disjuncts(condition)
    rules = []
    for number, conj in enumerate(conjunctions, start=1):
        positive, missing = split(conj)
        suffix = f"#{number}" if len(conjunctions) > 1 else ""
        rules.append(
            RuleSpec(f"{rule_id}{suffix}", (*prefix, *positive), then, missing, final=bool(missing))
        )
    return rules


def negations(condition: Condition | None) -> list[tuple[AnswerTest | FactTest, ...]]:
    """Ways for `condition` to be false: not (c1 or c2 ...) is, for every conjunction, one of
    its atoms absent; each returned tuple is one such choice (all of its atoms absent)."""
    if condition is None:
        return [()]
    choices = []
    for conj in disjuncts(condition):
        atoms_ = tuple(a for a in conj if isinstance(a, AnswerTest | FactTest))
        if len(atoms_) != len(conj):
            raise KnowledgeBaseError([f"`unless` cannot use answer_missing: {condition}"])
        choices.append(atoms_)
    return [tuple(dict.fromkeys(combo)) for combo in product(*choices)]


def with_unless(rule: RuleSpec, condition: Condition | None) -> list[RuleSpec]:
    if condition is None:
        return [rule]
    ways = negations(condition)
    return [
        RuleSpec(
            f"{rule.id}/unless{n}" if len(ways) > 1 else rule.id,
            rule.when,
            rule.then,
            (*rule.unless, *way),
            final=True,
            part=rule.part,
        )
        for n, way in enumerate(ways, start=1)
    ]
