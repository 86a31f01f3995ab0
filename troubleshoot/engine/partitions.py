"""Which ruleset each rule lives in, and which facts each ruleset takes (plain data, no engine
here; the adapter compiles one durable_rules ruleset per part).

The core holds the rules every assessment needs; each symptom has a part of its own holding the
rules that can fire only once that symptom is reported (its causes, fixes and stretches). An
assessment opens a session only in the core and in the parts of the symptoms it reports, so its
cost follows its facts, not the size of the knowledge base, and no ruleset grows with the number
of symptoms: durable_rules caps the links of a join node, and with all rules in one ruleset the
one phase fact ran out of them at 36 symptoms.

A rule stays in its symptom's part only if it is anchored there: one of its tests can only be met
by that symptom's own fact or by facts that only rules of the same part conclude. Anything else
moves to the core, so a part never needs to be open before its symptom is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from troubleshoot.conditions import UNSURE, AnswerMissing, AnswerTest, FactTest
from troubleshoot.engine.rulebook import Conclusion, RuleSpec, same_fact_groups

CORE = ""
FactKey = tuple[str, str, str]  # kind, id, status


def _produces(atom: FactTest, then: Conclusion) -> bool:
    return (
        atom.kind == then.kind
        and (not atom.ids or then.id in atom.ids)
        and (atom.status in (None, then.status))
    )


def _anchored(rule: RuleSpec, by_kind: dict[str, list[RuleSpec]]) -> bool:
    """Whether `rule` can only fire once its part's symptom is reported (see the module)."""
    for atom in rule.when:
        if not isinstance(atom, FactTest):
            continue
        if atom.kind == "symptom" and atom.ids == (rule.part,):
            return True
        producers = [other for other in by_kind.get(atom.kind, ()) if _produces(atom, other.then)]
        if producers and all(other.part == rule.part for other in producers):
            return True
    return False


def anchor(rules: tuple[RuleSpec, ...]) -> tuple[RuleSpec, ...]:
    """The rules, each rule of a symptom's part that is not anchored there moved to the core
    (repeated: a move can take away another rule's anchor)."""
    current = list(rules)
    moved = True
    while moved:
        moved = False
        by_kind: dict[str, list[RuleSpec]] = {}
        for rule in current:
            by_kind.setdefault(rule.then.kind, []).append(rule)
        for n, rule in enumerate(current):
            if rule.part != CORE and not _anchored(rule, by_kind):
                current[n] = replace(rule, part=CORE)
                moved = True
    return tuple(current)


class Intake:
    """Which facts the rules of one part can use: answers by the tests they would meet (as the
    compiled tests group them), derived and input facts by (kind, id, status)."""

    def __init__(self, rules: Iterable[RuleSpec], single_valued: set[str]) -> None:
        self.consumed: set[FactKey] = set()
        self._any_value: set[str] = set()
        self._matchers: dict[str, list[tuple[AnswerTest, ...]]] = {}
        for rule in rules:
            for atom in (*rule.when, *rule.unless):
                if isinstance(atom, FactTest):
                    for fact_id in atom.ids or ("*",):
                        self.consumed.add((atom.kind, fact_id, atom.status or ""))
            groups = same_fact_groups(rule.when, single_valued)
            groups += [(atom,) for atom in rule.unless if not isinstance(atom, AnswerMissing)]
            for group in groups:
                if all(isinstance(atom, AnswerTest) for atom in group):
                    tests = tuple(a for a in group if isinstance(a, AnswerTest))
                    self._matchers.setdefault(tests[0].question, []).append(tests)
            self._any_value |= {a.question for a in rule.unless if isinstance(a, AnswerMissing)}

    def takes(self, kind: str, fact_id: str, status: str) -> bool:
        consumed = self.consumed
        return (
            (kind, fact_id, status) in consumed
            or (kind, fact_id, "") in consumed
            or (kind, "*", status) in consumed
            or (kind, "*", "") in consumed
        )

    def takes_answer(self, fact: dict[str, Any]) -> bool:
        """Whether any rule of the part could use this answer. Others would only be refused by
        the engine (MessageNotHandled), which costs a round trip and an exception each."""
        question, value, about = fact["q"], fact["v"], fact.get("ab", "")
        if question in self._any_value and value != UNSURE:  # "not sure" is still missing
            return True
        return any(
            all(test.accepts(value) and (not test.about or about in test.about) for test in t)
            for t in self._matchers.get(question, ())
        )


@dataclass(frozen=True)
class Part:
    """One ruleset: the core (`name` "") or one symptom's rules, opened by that symptom's fact."""

    name: str
    rules: tuple[RuleSpec, ...]
    intake: Intake

    @property
    def trigger(self) -> FactKey | None:
        return None if self.name == CORE else ("symptom", self.name, "")


def partition(rules: tuple[RuleSpec, ...], single_valued: set[str]) -> tuple[Part, ...]:
    """The core first, then one part per symptom that keeps any rule."""
    grouped: dict[str, list[RuleSpec]] = {CORE: []}
    for rule in anchor(rules):
        grouped.setdefault(rule.part, []).append(rule)
    return tuple(
        Part(name, tuple(members), Intake(members, single_valued))
        for name, members in grouped.items()
    )
