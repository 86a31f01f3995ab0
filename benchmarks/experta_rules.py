"""The knowledge base's rules on experta, the peer engine the benchmark compares against.

The same RuleSpecs as troubleshoot/engine.py (`build_rulebook(kb)`), compiled from data into
one dynamically built experta KnowledgeEngine, with the same meaning:
- one `answer` fact per usable answer value (t, q, v and `ab` for per-item answers; "not sure"
  and empty answers give no fact);
- tests on one single-valued answer match one fact; every other `when` atom is its own fact;
- `unless` atoms are experta NOTs; a `final` rule also needs the `phase` fact, declared only
  once the first run has reached quiescence (as the engine asserts it after all inputs);
- a conclusion is keyed (kind, id, status, about), `about` from the first matched answer that
  has one; a derived fact (t, n, st, ab) is declared once, and only if some rule tests it;
- rules with the same conditions share one experta rule that draws all their conclusions.

Only the benchmark imports this module, and only where experta is installed (it is not a
project dependency: benchmarks/experta_bench.py runs it through `uv run --with experta`).
"""

from __future__ import annotations

import collections
import collections.abc
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from troubleshoot.conditions import AnswerMissing, AnswerTest, FactTest
from troubleshoot.engine import Conclusion, RuleSpec, answer_facts, build_rulebook, same_fact_groups
from troubleshoot.kb import KnowledgeBase

# experta 1.9.4 (2019) and its pinned frozendict 1.2 use collections.Mapping, removed in 3.10.
if not hasattr(collections, "Mapping"):
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
# Imported by name: experta ships no type information, so its objects are typed Any here.
experta: Any = importlib.import_module("experta")

Key = tuple[str, str, str, str]  # kind, id, status, about
Conclusions = dict[Key, list[str]]  # conclusion -> ids of the rules that drew it


def _one_of(values: tuple[Any, ...]) -> Any:
    """A field constraint: the literal itself, or a predicate for several values."""
    if len(values) == 1:
        return values[0]
    allowed = frozenset(values)
    return experta.P(lambda value: value in allowed)


def _value_constraint(tests: tuple[AnswerTest, ...]) -> Any:
    if len(tests) == 1 and tests[0].op == "is":
        return tests[0].value
    return experta.P(lambda value: all(test.accepts(value) for test in tests))


def _pattern(group: tuple[AnswerTest | AnswerMissing | FactTest, ...]) -> Any:
    """An experta pattern matching one fact; a group holds tests on the same answer."""
    atom = group[0]
    fields: dict[str, Any]
    if isinstance(atom, FactTest):
        fields = {"t": atom.kind}
        if atom.ids:
            fields["n"] = _one_of(atom.ids)
        if atom.status:
            fields["st"] = atom.status
        return experta.Fact(**fields)
    fields = {"t": "answer", "q": atom.question}
    if isinstance(atom, AnswerTest):
        fields["v"] = _value_constraint(tuple(a for a in group if isinstance(a, AnswerTest)))
        if atom.about:
            fields["ab"] = _one_of(atom.about)
    return experta.Fact(**fields)


class ExpertaEvaluator:
    """Evaluates answers on experta with the knowledge base's rules. One assessment at a time."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.rules = build_rulebook(kb)
        self._single_valued = {q.id for q in kb.questions if q.type != "multi"}
        consumed = {
            (atom.kind, fact_id, atom.status or "")
            for rule in self.rules
            for atom in (*rule.when, *rule.unless)
            if isinstance(atom, FactTest)
            for fact_id in (atom.ids or ("*",))
        }
        self._feeds = {
            rule.id
            for rule in self.rules
            if any(
                key in consumed
                for key in (
                    (rule.then.kind, rule.then.id, rule.then.status),
                    (rule.then.kind, rule.then.id, ""),
                    (rule.then.kind, "*", rule.then.status),
                    (rule.then.kind, "*", ""),
                )
            )
        }
        groups: dict[tuple[object, ...], list[RuleSpec]] = {}
        for rule in self.rules:
            groups.setdefault((rule.when, rule.unless, rule.final), []).append(rule)
        members = {f"rule_{n}": self._rule(tuple(group)) for n, group in enumerate(groups.values())}
        engine_class = type("TroubleshootRules", (experta.KnowledgeEngine,), members)
        self.engine: Any = engine_class()  # builds the Rete network once
        self.experta_rules = len(members)
        self._conclusions: Conclusions = {}

    def _rule(self, group: tuple[RuleSpec, ...]) -> Any:
        spec = group[0]
        positive = same_fact_groups(spec.when, self._single_valued)
        patterns = [f"f{n}" << _pattern(atoms) for n, atoms in enumerate(positive)]
        if spec.final:
            patterns.append(experta.Fact(t="phase"))
        patterns += [experta.NOT(_pattern((atom,))) for atom in spec.unless]
        return experta.Rule(*patterns)(self._action(group, len(positive)))

    def _action(self, group: tuple[RuleSpec, ...], count: int) -> Callable[..., None]:
        def action(engine: Any, **matched: Any) -> None:
            facts = [matched[f"f{n}"] for n in range(count)]
            self._fire(engine, group, facts)

        action.__name__ = group[0].id
        return action

    def _fire(self, engine: Any, group: tuple[RuleSpec, ...], facts: list[Any]) -> None:
        about = ""
        for fact in facts:
            if fact["t"] == "answer" and "ab" in fact:
                about = fact["ab"]
                break
        for rule in group:
            then: Conclusion = rule.then
            key: Key = (then.kind, then.id, then.status, about)
            drawn = self._conclusions.get(key)
            if drawn is None:
                self._conclusions[key] = [rule.id]
                if rule.id in self._feeds:
                    derived: dict[str, Any] = {"t": then.kind, "n": then.id}
                    if then.status:
                        derived["st"] = then.status
                    if about:
                        derived["ab"] = about
                    engine.declare(experta.Fact(**derived))
            elif rule.id not in drawn:
                drawn.append(rule.id)

    def evaluate(self, answers: Mapping[str, Any]) -> Conclusions:
        """Run one assessment; return its conclusions."""
        conclusions: Conclusions = {}
        self._conclusions = conclusions
        engine = self.engine
        engine.reset()
        engine.declare(*(experta.Fact(**fact) for fact in answer_facts(answers)))
        engine.run()
        engine.declare(experta.Fact(t="phase"))
        engine.run()
        self._conclusions = {}
        return conclusions


def summary(conclusions: Conclusions) -> dict[str, Any]:
    """What the oracle decides, read from conclusions (as tests/engine/test_oracle.py does)."""

    def of_kind(kind: str) -> list[Key]:
        return [key for key in conclusions if key[0] == kind]

    checks: dict[str, str] = {}
    for _, check_id, status, _ in of_kind("check"):
        if status == "failed" or check_id not in checks:
            checks[check_id] = status
    return {
        "program": "open"
        if of_kind("program")
        else "referral"
        if of_kind("red_flag")
        else "screen_incomplete",
        "referral": sorted({key[1] for key in of_kind("referral")}),
        "causes": {key[1]: key[2] for key in of_kind("cause")},
        "solutions": sorted({key[1] for key in of_kind("solution")}),
        "stretches": sorted({key[1] for key in of_kind("stretch")}),
        "techniques": sorted({key[1] for key in of_kind("technique")}),
        "advice": sorted({key[1] for key in of_kind("advice")}),
        "habits": {key[1]: key[2] for key in of_kind("habit")},
        "checks": checks,
    }
