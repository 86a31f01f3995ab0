"""Run an assessment on durable_rules. The only module that imports durable_rules.

Hazards handled here (see the project's durable_rules field notes): one fixed session id per
engine, its state deleted in `finally`; exceptions inside actions are swallowed by the library,
so the session state is checked after every assessment; rule definitions are deep-copied
because registering mutates them; facts are asserted one by one; a conclusion is asserted only
once, however many rules (or subsets of a match) conclude it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from durable import engine as durable_engine

from troubleshoot.conditions import UNSURE, AnswerMissing, Answers, AnswerTest, FactTest
from troubleshoot.errors import EngineError
from troubleshoot.model import KnowledgeBase
from troubleshoot.rulebook import GATE_KINDS, Conclusion, RuleSpec, build_rulebook

RULESET = "troubleshoot"
SESSION = "assessment"

Key = tuple[str, str, str, str]  # kind, id, status, about


@dataclass(frozen=True, order=True)
class AnswerRef:
    """One answer a conclusion rests on."""

    question: str
    value: str | int | float
    about: str = ""


@dataclass
class Derived:
    """A conclusion, the rules that drew it and what it rests on."""

    kind: str
    id: str
    status: str
    symptom: str
    about: str
    rules: list[str] = field(default_factory=list)
    supports: set[AnswerRef | Key] = field(default_factory=set)

    @property
    def key(self) -> Key:
        return (self.kind, self.id, self.status, self.about)


@dataclass(frozen=True)
class Firing:
    rule: str
    concluded: Key
    facts: tuple[dict[str, Any], ...]  # the matched facts
    new: bool

    @property
    def used(self) -> tuple[str, ...]:
        """Readable descriptions of the matched facts (made only when asked for)."""
        return tuple(_describe(fact) for fact in self.facts)


@dataclass
class Evaluation:
    conclusions: dict[Key, Derived]
    trace: list[Firing]

    def of_kind(self, kind: str) -> list[Derived]:
        return [d for d in self.conclusions.values() if d.kind == kind]

    def because(self, key: Key) -> list[AnswerRef]:
        """The answers a conclusion rests on, following derived facts back to answers."""
        seen: set[Key] = set()
        found: set[AnswerRef] = set()
        stack = [key]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.conclusions:
                continue
            seen.add(current)
            for support in self.conclusions[current].supports:
                if isinstance(support, AnswerRef):
                    found.add(support)
                else:
                    stack.append(support)
        return sorted(found, key=lambda ref: (ref.question, ref.about, str(ref.value)))

    @property
    def rules_fired(self) -> list[str]:
        return list(dict.fromkeys(firing.rule for firing in self.trace))


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A Host without the timer threads the default one starts (no timers are used)."""

    def _run(self) -> None:
        return None


def answer_facts(answers: Answers) -> Iterator[dict[str, Any]]:
    """One fact per answer value; "not sure" and empty answers give no fact (unknown)."""
    for question, raw in answers.items():
        items = raw.items() if isinstance(raw, dict) else [("", raw)]
        for about, value in items:
            for single in value if isinstance(value, list) else [value]:
                if single is None or single == UNSURE:
                    continue
                fact: dict[str, Any] = {"t": "answer", "q": question, "v": single}
                if about:
                    fact["ab"] = about
                yield fact


def _one_of(field_name: str, values: tuple[Any, ...]) -> dict[str, Any]:
    if len(values) == 1:
        return {field_name: values[0]}
    return {"$or": [{field_name: value} for value in values]}


def _value_test(atom: AnswerTest) -> dict[str, Any]:
    if atom.op == "is":
        return {"v": atom.value}
    if atom.op == "in":
        return _one_of("v", atom.value)
    return {f"${atom.op}": {"v": atom.value}}


def _test(atom: AnswerTest | AnswerMissing | FactTest, *more: AnswerTest) -> dict[str, Any]:
    """A durable_rules test matching one fact; `more` adds tests on the same answer."""
    if isinstance(atom, FactTest):
        tests = [{"t": atom.kind}]
        if atom.ids:
            tests.append(_one_of("n", atom.ids))
        if atom.status:
            tests.append({"st": atom.status})
        return {"$and": tests}
    tests = [{"t": "answer"}, {"q": atom.question}]
    if isinstance(atom, AnswerTest):
        tests += [_value_test(test) for test in (atom, *more)]
        if atom.about:
            tests.append(_one_of("ab", atom.about))
    return {"$and": tests}


def _group_by_answer(
    atoms: tuple[AnswerTest | FactTest, ...], single_valued: set[str]
) -> list[tuple[AnswerTest | FactTest, ...]]:
    """Tests on one single-valued answer must match the same fact, so they form one test
    (separate entries of a durable_rules `all` are separate facts)."""
    groups: dict[object, list[AnswerTest | FactTest]] = {}
    for n, atom in enumerate(atoms):
        if isinstance(atom, AnswerTest) and atom.question in single_valued:
            groups.setdefault((atom.question, atom.about), []).append(atom)
        else:
            groups[n] = [atom]
    return [tuple(group) for group in groups.values()]


def _describe(fact: dict[str, Any]) -> str:
    if fact.get("t") == "answer":
        about = f"[{fact['ab']}]" if "ab" in fact else ""
        return f"answer {fact['q']}{about} = {fact['v']}"
    status = f" ({fact['st']})" if fact.get("st") else ""
    return f"{fact.get('t')} {fact.get('n', '')}{status}".strip()


class Engine:
    """Evaluates answers against the knowledge base's rules. One assessment at a time."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.rules = build_rulebook(kb)
        # Derived facts some rule tests, as (kind, id, status or ""): only these are asserted.
        self._consumed = {
            (atom.kind, fact_id, atom.status or "")
            for rule in self.rules
            for atom in (*rule.when, *rule.unless)
            if isinstance(atom, FactTest)
            for fact_id in (atom.ids or ("*",))
        }
        self._single_valued = {q.id for q in kb.questions if q.type != "multi"}
        # Which answers any rule can match: exact values, or any value of a question that a
        # rule compares or tests for absence.
        # Which answer facts some rule's test accepts, mirroring the compiled tests exactly
        # (tests on one single-valued answer are grouped into one fact test).
        self._any_value: set[str] = set()
        self._matchers: dict[str, list[tuple[AnswerTest, ...]]] = {}
        for rule in self.rules:
            groups = _group_by_answer(rule.when, self._single_valued)
            groups += [(atom,) for atom in rule.unless if not isinstance(atom, AnswerMissing)]
            for group in groups:
                if all(isinstance(atom, AnswerTest) for atom in group):
                    tests = tuple(a for a in group if isinstance(a, AnswerTest))
                    self._matchers.setdefault(tests[0].question, []).append(tests)
            self._any_value |= {a.question for a in rule.unless if isinstance(a, AnswerMissing)}
        self._host = _QuietHost()
        definitions = {rule.id: self._compile(rule) for rule in self.rules}
        try:
            self._host.register_rulesets({RULESET: copy.deepcopy(definitions)})
        except Exception as error:  # the C engine reports invalid rules as a bare error
            raise EngineError(f"the rules could not be compiled: {error}") from error
        self._lock = threading.Lock()
        self._run: _Run | None = None

    def _compile(self, rule: RuleSpec) -> dict[str, Any]:
        groups = _group_by_answer(rule.when, self._single_valued)
        facts: list[dict[str, Any]] = [
            {f"f{n}": _test(group[0], *group[1:])}  # type: ignore[arg-type]
            for n, group in enumerate(groups)
        ]
        if rule.final:
            facts.append({"phase": {"t": "phase"}})
        facts += [{f"n{n}$not": _test(atom)} for n, atom in enumerate(rule.unless)]
        return {"all": facts, "run": self._action(rule)}

    def _action(self, rule: RuleSpec) -> Callable[[Any], None]:
        def run(context: Any) -> None:
            if self._run is None:
                raise EngineError("a rule fired outside an assessment")
            # The matched facts by alias; durable_rules keeps them in the closure's `_m`.
            matched = {k: v for k, v in context._m.items() if not k.startswith("n")}
            self._run.fire(rule, matched, context, self._consumed)

        return run

    def evaluate(self, answers: Answers, facts: Iterable[dict[str, Any]] = ()) -> Evaluation:
        """Run one assessment: the answers plus other input facts (e.g. the workstation score)."""
        with self._lock:
            run = _Run()
            self._run = run
            try:
                # Facts no rule accepts are skipped: the engine would only refuse them, at the
                # cost of a round trip and an exception each (measured in benchmarks/).
                for fact in (*answer_facts(answers), *facts):
                    if self._could_match(fact):
                        self._assert(fact, input_fact=True)
                self._assert({"t": "phase"}, input_fact=False)
                state = self._host.get_state(RULESET, SESSION)
                if state and "exception" in state:
                    raise EngineError(f"a rule action failed: {state['exception']}")
                if run.error is not None:
                    raise run.error
            finally:
                self._run = None
                self._host.delete_state(RULESET, SESSION)
        return Evaluation(run.conclusions, run.trace)

    def _could_match(self, fact: dict[str, Any]) -> bool:
        """Whether any rule could use this answer. Others would only be refused by the engine
        (MessageNotHandled), which costs a round trip and an exception each."""
        if fact.get("t") != "answer":
            return True
        question, value, about = fact["q"], fact["v"], fact.get("ab", "")
        if question in self._any_value:
            return True
        return any(
            all(test.accepts(value) and (not test.about or about in test.about) for test in tests)
            for tests in self._matchers.get(question, ())
        )

    def _assert(self, fact: dict[str, Any], input_fact: bool) -> None:
        try:
            self._host.assert_fact(RULESET, {**fact, "sid": SESSION})
        except durable_engine.MessageNotHandledException:
            if not input_fact:
                raise EngineError(f"no rule takes the fact {_describe(fact)}") from None
            # An answer no rule tests (e.g. a low severity): nothing to conclude from it.
        except durable_engine.MessageObservedException:
            raise EngineError(f"the fact {_describe(fact)} was asserted twice") from None


class _Run:
    """The conclusions and the trace of one assessment."""

    def __init__(self) -> None:
        self.conclusions: dict[Key, Derived] = {}
        self.trace: list[Firing] = []
        self.error: EngineError | None = None

    def fire(
        self,
        rule: RuleSpec,
        matched: dict[str, Any],
        context: Any,
        consumed: set[tuple[str, str, str]],
    ) -> None:
        facts = tuple(fact for fact in matched.values() if isinstance(fact, dict))
        about = next((f["ab"] for f in facts if f.get("t") == "answer" and "ab" in f), "")
        then: Conclusion = rule.then
        key: Key = (then.kind, then.id, then.status, about)
        derived = self.conclusions.get(key)
        new = derived is None
        if derived is None:
            derived = Derived(then.kind, then.id, then.status, then.symptom, about)
            self.conclusions[key] = derived
        if rule.id not in derived.rules:
            derived.rules.append(rule.id)
        for fact in facts:
            if fact.get("t") == "answer":
                derived.supports.add(AnswerRef(fact["q"], fact["v"], fact.get("ab", "")))
            elif fact.get("t") not in GATE_KINDS and fact.get("t") != "phase":
                derived.supports.add((fact["t"], fact["n"], fact.get("st", ""), fact.get("ab", "")))
        self.trace.append(Firing(rule.id, key, facts, new))
        if new and (
            (then.kind, then.id, then.status) in consumed
            or (then.kind, then.id, "") in consumed
            or (then.kind, "*", then.status) in consumed
            or (then.kind, "*", "") in consumed
        ):
            # Not "id": durable_rules takes an `id` field as the fact's identity.
            derived_fact: dict[str, Any] = {"t": then.kind, "n": then.id}
            if then.status:
                derived_fact["st"] = then.status
            if about:
                derived_fact["ab"] = about
            try:
                context.assert_fact(derived_fact)
            except Exception as error:  # keep the library from swallowing it
                self.error = EngineError(
                    f"could not assert {_describe(derived_fact)}: {type(error).__name__} {error}"
                )
