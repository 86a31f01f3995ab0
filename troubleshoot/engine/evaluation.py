"""What an assessment concluded and why: the conclusions, what each rests on, and the trace
of rule firings. Built by the engine as its rules fire; nothing here knows durable_rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from troubleshoot.engine.rulebook import RuleSpec

Key = tuple[str, str, str, str]  # kind, id, status, about


@dataclass(frozen=True, order=True)
class AnswerRef:
    """One answer a conclusion rests on."""

    question: str
    value: str | int | float
    about: str = ""


@dataclass(slots=True)
class Derived:
    """A conclusion, the rules that drew it and what it rests on."""

    kind: str
    id: str
    status: str
    symptom: str
    about: str
    rules: list[str] = field(default_factory=list)
    # What it rests on: answers as (question, value, about), derived facts as keys. Frozen:
    # a conclusion drawn once (most are) shares its match's sets instead of copying them.
    answers: frozenset[tuple[str, Any, str]] = frozenset()
    derived_from: frozenset[Key] = frozenset()

    @property
    def key(self) -> Key:
        return (self.kind, self.id, self.status, self.about)


class Firing(NamedTuple):
    rule: str
    concluded: Key
    facts: tuple[Mapping[str, Any], ...]  # the matched facts (read-only: shared between runs)
    new: bool

    @property
    def used(self) -> tuple[str, ...]:
        """Readable descriptions of the matched facts (made only when asked for)."""
        return tuple(describe_fact(fact) for fact in self.facts)


class _Step(NamedTuple):
    """What a match concludes for one of its rules, laid out for Run.fire."""

    key: Key
    symptom: str
    rule: str
    derived_fact: str | None
    first: Firing  # the trace's entry when the conclusion is new
    again: Firing  # and when it was drawn before


@dataclass(frozen=True, slots=True)
class Match:
    """One rule match, worked out once (see engine.messages): the rules it concludes for, the
    matched facts, and what the conclusions rest on. The same match recurs from one assessment
    to the next, so what firing it takes is laid out once, in `steps`."""

    rules: tuple[RuleSpec, ...]
    facts: tuple[Mapping[str, Any], ...]
    concludes: tuple[Key, ...]  # one per rule
    answers: frozenset[tuple[str, Any, str]]
    derived_from: frozenset[Key]
    derived_facts: tuple[str | None, ...]  # encoded fact to assert if new, one per rule
    steps: tuple[_Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        steps = tuple(
            _Step(
                key,
                rule.then.symptom,
                rule.id,
                derived_fact,
                Firing(rule.id, key, self.facts, True),
                Firing(rule.id, key, self.facts, False),
            )
            for rule, key, derived_fact in zip(
                self.rules, self.concludes, self.derived_facts, strict=True
            )
        )
        object.__setattr__(self, "steps", steps)  # frozen: set once, here


@dataclass
class Evaluation:
    conclusions: dict[Key, Derived]
    trace: list[Firing]
    # Each conclusion's answers, once walked (a result asks for the same ones many times), and
    # the conclusions by kind (the conclusions do not change once the run is over).
    _answers: dict[Key, tuple[tuple[str, Any, str], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _kinds: dict[str, list[Derived]] | None = field(default=None, repr=False, compare=False)

    def of_kind(self, kind: str) -> list[Derived]:
        if self._kinds is None:
            self._kinds = {}
            for derived in self.conclusions.values():
                self._kinds.setdefault(derived.kind, []).append(derived)
        return list(self._kinds.get(kind, ()))

    def because(self, key: Key) -> list[AnswerRef]:
        """The answers a conclusion rests on, following derived facts back to answers."""
        return [
            AnswerRef(*answer) if type(answer[1]) is float else _answer_ref(*answer)
            for answer in self.answers_of(key)
        ]

    def answers_of(self, key: Key) -> tuple[tuple[str, Any, str], ...]:
        """The same answers as plain (question, value, about) triples, in the same order: what
        a result is built from, without an object per answer."""
        known = self._answers.get(key)
        if known is not None:
            return known
        conclusions, walked = self.conclusions, self._answers
        derived = conclusions.get(key)
        found: set[tuple[str, Any, str]] = set()
        if derived is not None:
            found.update(derived.answers)
            # Every conclusion it rests on, each once (the derivations may meet in a cycle);
            # one already walked brings all of its answers at once.
            seen = {key}
            waiting = list(derived.derived_from)
            while waiting:
                parent = waiting.pop()
                if parent in seen:
                    continue
                seen.add(parent)
                done = walked.get(parent)
                if done is not None:
                    found.update(done)
                elif (behind := conclusions.get(parent)) is not None:
                    found.update(behind.answers)
                    waiting.extend(behind.derived_from)
        ordered = tuple(found) if len(found) < 2 else tuple(sorted(found, key=answer_order))
        walked[key] = ordered
        return ordered

    @property
    def rules_fired(self) -> list[str]:
        return list(dict.fromkeys(firing.rule for firing in self.trace))


# The same answers recur from one assessment to the next. Typed: 1 and True are equal keys
# (floats are not kept: 0.0 and -0.0 are equal too).
@lru_cache(maxsize=8192, typed=True)
def _answer_ref(question: str, value: Any, about: str) -> AnswerRef:
    return AnswerRef(question, value, about)


def answer_order(answer: tuple[str, Any, str]) -> tuple[str, str, str]:
    """The order reasons are told in: by question, then symptom, then value."""
    return (answer[0], answer[2], str(answer[1]))


def describe_fact(fact: Mapping[str, Any]) -> str:
    """A matched fact, readable."""
    if fact.get("t") == "answer":
        about = f"[{fact['ab']}]" if "ab" in fact else ""
        return f"answer {fact['q']}{about} = {fact['v']}"
    status = f" ({fact['st']})" if fact.get("st") else ""
    return f"{fact.get('t')} {fact.get('n', '')}{status}".strip()


class Run:
    """The conclusions and the trace of one assessment."""

    def __init__(self) -> None:
        self.conclusions: dict[Key, Derived] = {}
        self.trace: list[Firing] = []

    def evaluation(self) -> Evaluation:
        return Evaluation(self.conclusions, self.trace)

    def fire(self, match: Match, assert_fact: Callable[[str], None]) -> None:
        """Record the conclusions of the rules that matched; assert the new ones that other
        rules test."""
        answers, derived_from = match.answers, match.derived_from
        conclusions, trace = self.conclusions, self.trace
        for key, symptom, rule_id, derived_fact, first, again in match.steps:
            derived = conclusions.get(key)
            if derived is None:
                kind, id_, status, about = key
                conclusions[key] = Derived(
                    kind, id_, status, symptom, about, [rule_id], answers, derived_from
                )
                trace.append(first)
                if derived_fact is not None:
                    assert_fact(derived_fact)
                continue
            if rule_id not in derived.rules:
                derived.rules.append(rule_id)
            if not answers <= derived.answers:
                derived.answers |= answers
            if not derived_from <= derived.derived_from:
                derived.derived_from |= derived_from
            trace.append(again)
