"""Run an assessment on durable_rules. The only module that imports durable_rules.

Hazards handled here (see the project's durable_rules field notes): one fixed session id per
engine, its state deleted in `finally`; rule definitions are deep-copied because registering
mutates them; the library's Python host swallows action errors, so actions are run here, over
the C engine's own calls, and an error stops the assessment; facts are asserted one by one
(a batch the engine refuses part-way leaves the session unsafe to delete) and every action
started is completed before the session is deleted; a conclusion is asserted only once,
however many rules (or subsets of a match) conclude it.

The same facts and the same action messages recur from one assessment to the next, so their
JSON encodings and what each message means are worked out once and kept (bounded memos).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import durable_rules_engine as durable_core  # the C engine under durable.engine
from durable import engine as durable_engine

from troubleshoot.conditions import UNSURE, AnswerMissing, Answers, AnswerTest, FactTest
from troubleshoot.errors import EngineError
from troubleshoot.model import KnowledgeBase
from troubleshoot.rulebook import (
    GATE_KINDS,
    Conclusion,
    RuleSpec,
    build_rulebook,
    same_fact_groups,
)

RULESET = "troubleshoot"
SESSION = "assessment"
# Result codes of the C engine's assert calls.
_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2
# Asserted after the answers: the rules marked final (those that test an absence) wait for it.
PHASE: dict[str, Any] = {"t": "phase"}
# Entries kept per memo (answers, encoded facts, parsed action messages): a few MB at most.
_MEMO_SIZE = 4096

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
    # What it rests on: answers as (question, value, about), derived facts as keys.
    answers: set[tuple[str, Any, str]] = field(default_factory=set)
    derived_from: set[Key] = field(default_factory=set)

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
        return tuple(_describe(fact) for fact in self.facts)


class _Match(NamedTuple):
    """One action message, worked out: see Engine._parse."""

    rules: tuple[RuleSpec, ...]
    facts: tuple[Mapping[str, Any], ...]
    concludes: tuple[Key, ...]  # one per rule
    answers: frozenset[tuple[str, Any, str]]
    derived_from: frozenset[Key]
    derived_facts: tuple[str | None, ...]  # encoded fact to assert if new, one per rule


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
            derived = self.conclusions[current]
            found |= {AnswerRef(*answer) for answer in derived.answers}
            stack.extend(derived.derived_from)
        return sorted(found, key=lambda ref: (ref.question, ref.about, str(ref.value)))

    @property
    def rules_fired(self) -> list[str]:
        return list(dict.fromkeys(firing.rule for firing in self.trace))


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A Host without the timer threads the default one starts (no timers are used)."""

    def _run(self) -> None:
        return None


def _answer_values(answers: Answers) -> Iterator[tuple[str, Any, str]]:
    """(question, value, item) per answer value; "not sure" and empty answers give none."""
    for question, raw in answers.items():
        items = raw.items() if isinstance(raw, dict) else [("", raw)]
        for about, value in items:
            for single in value if isinstance(value, list) else [value]:
                if single is not None and single != UNSURE:
                    yield question, single, about


def _answer_fact(question: str, value: Any, about: str) -> dict[str, Any]:
    fact: dict[str, Any] = {"t": "answer", "q": question, "v": value}
    if about:
        fact["ab"] = about
    return fact


def answer_facts(answers: Answers) -> Iterator[dict[str, Any]]:
    """One fact per answer value; "not sure" and empty answers give no fact (unknown)."""
    for question, value, about in _answer_values(answers):
        yield _answer_fact(question, value, about)


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


def _describe(fact: Mapping[str, Any]) -> str:
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
        # Rules whose conclusion some other rule tests: only these assert a derived fact.
        self._feeds = {rule.id for rule in self.rules if self._is_consumed(rule.then)}
        self._single_valued = {q.id for q in kb.questions if q.type != "multi"}
        # Which answer facts some rule's test accepts, mirroring the compiled tests exactly
        # (tests on one single-valued answer are grouped into one fact test).
        self._any_value: set[str] = set()
        self._matchers: dict[str, list[tuple[AnswerTest, ...]]] = {}
        # Memo: answer value -> its encoded fact, or None if no rule could use it.
        self._answer_texts: dict[tuple[str, Any, type, str], str | None] = {}
        self._encoded: dict[tuple[object, ...], str] = {}  # memo of _encode
        self._parsed: dict[str, _Match] = {}  # memo of _parse
        for rule in self.rules:
            groups = same_fact_groups(rule.when, self._single_valued)
            groups += [(atom,) for atom in rule.unless if not isinstance(atom, AnswerMissing)]
            for group in groups:
                if all(isinstance(atom, AnswerTest) for atom in group):
                    tests = tuple(a for a in group if isinstance(a, AnswerTest))
                    self._matchers.setdefault(tests[0].question, []).append(tests)
            self._any_value |= {a.question for a in rule.unless if isinstance(a, AnswerMissing)}
        # Rules with the same conditions share one durable_rules rule whose action draws all
        # their conclusions: one firing instead of several (the trace still names each rule).
        same_conditions: dict[tuple[object, ...], list[RuleSpec]] = {}
        for rule in self.rules:
            same_conditions.setdefault((rule.when, rule.unless, rule.final), []).append(rule)
        # durable_rules rule name (its first rule's id) -> the rules its action concludes for.
        self._actions = {rules[0].id: tuple(rules) for rules in same_conditions.values()}
        self._host = _QuietHost()
        definitions = {name: self._compile(rules[0]) for name, rules in self._actions.items()}
        try:
            self._host.register_rulesets({RULESET: copy.deepcopy(definitions)})
        except Exception as error:  # the C engine reports invalid rules as a bare error
            raise EngineError(f"the rules could not be compiled: {error}") from error
        self._handle = self._host.get_ruleset(RULESET)._handle
        self._lock = threading.Lock()
        self._run: _Run | None = None
        self._asserted: list[str] = []  # encoded facts the session holds, in assertion order
        self._state_handle: int | None = None  # the session's place in the C engine
        # Every rule that tests an absence waits for the phase fact (see rulebook), so the
        # session can be emptied by retracting the phase first (see _empty_session).
        self._retractable = all(rule.final for rule in self.rules if rule.unless)

    def _is_consumed(self, then: Conclusion) -> bool:
        return any(
            key in self._consumed
            for key in (
                (then.kind, then.id, then.status),
                (then.kind, then.id, ""),
                (then.kind, "*", then.status),
                (then.kind, "*", ""),
            )
        )

    def _compile(self, rule: RuleSpec) -> dict[str, Any]:
        """One durable_rules rule: a fact per test group, the phase for final rules, then the
        negations (their aliases start with "n")."""
        groups = same_fact_groups(rule.when, self._single_valued)
        facts: list[dict[str, Any]] = [
            {f"f{n}": _test(tests[0], *tests[1:])}  # type: ignore[arg-type]
            for n, tests in enumerate(groups)
        ]
        if rule.final:
            facts.append({"phase": {"t": "phase"}})
        facts += [{f"n{n}$not": _test(atom)} for n, atom in enumerate(rule.unless)]
        return {"all": facts, "run": _not_dispatched_by_the_host}

    def evaluate(self, answers: Answers, facts: Iterable[dict[str, Any]] = ()) -> Evaluation:
        """Run one assessment: the answers plus other input facts (e.g. the workstation score)."""
        with self._lock:
            run = _Run()
            self._run = run
            self._asserted = []
            try:
                # Facts no rule accepts are skipped: the engine would only refuse them, at the
                # cost of a round trip and an exception each (measured in benchmarks/).
                # The answers go in first and their actions then run together (the order of
                # actions does not change what is concluded), sparing the C engine a scan of
                # every rule after each answer; the phase comes once they have all run.
                for encoded in self._inputs(answers, facts):
                    self._assert(encoded, input_fact=True)
                self._run_actions()
                self._assert(self._encode(PHASE), input_fact=False)
                self._run_actions()
            except durable_core.error as error:
                raise EngineError(f"durable_rules failed: {error}") from error
            finally:
                self._run = None
                self._clear_session()
        return Evaluation(run.conclusions, run.trace)

    def _clear_session(self) -> None:
        """Leave the session empty for the next assessment, finished or failed: any action
        still queued is completed unrun, then every fact is retracted, the phase first. Where
        that is not safe or anything is unexpected, the session is deleted instead.
        Retracting is cheaper than deleting: durable_rules allocates and clears join memory
        for every rule when it creates a session."""
        try:
            self._complete_pending()  # left queued only by a failed assessment
            if self._retractable and self._retract_all():
                return
        except durable_core.error:
            pass
        self._delete_session()

    def _retract_all(self) -> bool:
        """Retract the session's facts; False if one is refused or an action gets queued."""
        phase = self._encode(PHASE)
        # Without the phase no rule that tests an absence can match (they are all final), so
        # no retraction can queue an action.
        first = [phase] if phase in self._asserted else []
        for text in [*first, *(text for text in reversed(self._asserted) if text != phase)]:
            code, _ = durable_core.retract_fact(self._handle, text)
            if code != _HANDLED:
                return False
        self._asserted = []
        # Checked once, at the end: an action queued by any retraction is still pending.
        return not self._complete_pending()

    def _delete_session(self) -> None:
        """Delete the session, once no action is left open in it (that can crash the C
        engine later)."""
        try:
            self._complete_pending()
        finally:
            self._state_handle = None
            self._asserted = []
            self._host.delete_state(RULESET, SESSION)

    def _complete_pending(self) -> bool:
        """Complete, unrun, any action the session has queued; whether there was one."""
        if self._state_handle is None:
            return False
        started = durable_core.start_action_for_state(self._handle, self._state_handle)
        if started is None:
            return False
        message = started[1]
        while message:
            message = durable_core.complete_and_start_action(self._handle, self._state_handle)
        return True

    def _inputs(self, answers: Answers, facts: Iterable[dict[str, Any]]) -> list[str]:
        """The input facts some rule can use, each once, encoded."""
        unique: dict[str, None] = {}
        memo = self._answer_texts
        for question, value, about in _answer_values(answers):
            # The type is part of the key: 1, 1.0 and True are equal as dict keys.
            key = (question, value, type(value), about)
            if key in memo:
                text = memo[key]
            else:
                fact = _answer_fact(question, value, about)
                text = self._encode(fact) if self._could_match(fact) else None
                if len(memo) >= _MEMO_SIZE:  # free text or numbers vary: keep it bounded
                    memo.clear()
                memo[key] = text
            if text is not None:
                unique[text] = None
        for fact in facts:
            unique[self._encode(fact)] = None
        return list(unique)

    def _could_match(self, fact: dict[str, Any]) -> bool:
        """Whether any rule could use this answer. Others would only be refused by the engine
        (MessageNotHandled), which costs a round trip and an exception each."""
        question, value, about = fact["q"], fact["v"], fact.get("ab", "")
        if question in self._any_value:
            return True
        return any(
            all(test.accepts(value) and (not test.about or about in test.about) for test in t)
            for t in self._matchers.get(question, ())
        )

    def _assert(self, encoded: str, input_fact: bool) -> None:
        try:
            self._post(encoded)
        except durable_engine.MessageNotHandledException:
            if not input_fact:
                raise EngineError(
                    f"no rule takes the fact {_describe(json.loads(encoded))}"
                ) from None
            # An answer no rule tests (e.g. a low severity): nothing to conclude from it.
        except durable_engine.MessageObservedException:
            raise EngineError(
                f"the fact {_describe(json.loads(encoded))} was asserted twice"
            ) from None

    def _encode(self, fact: dict[str, Any]) -> str:
        """The fact as the C engine takes it (JSON, with the session id). The same facts recur
        from one assessment to the next, so their encodings are kept (bounded)."""
        # The value's type is part of the key: 1, 1.0 and True are equal as dict keys.
        key = (*fact.items(), type(fact.get("v")))
        text = self._encoded.get(key)
        if text is None:
            text = json.dumps({**fact, "sid": SESSION}, sort_keys=True)  # one text per fact
            if len(self._encoded) >= _MEMO_SIZE:  # numeric answers vary: keep it bounded
                self._encoded.clear()
            self._encoded[key] = text
        return text

    # The library's Python host runs each action through a Closure, a Promise and a JSON
    # round trip of the session state, and swallows action errors. The engine talks to the
    # C engine directly instead: same calls in the same order, a fraction of the overhead
    # (measured in benchmarks/), and an action error stops the assessment at once.
    def _post(self, encoded: str) -> None:
        """Assert one (encoded) fact; the actions it queues run in `_run_actions`."""
        code, self._state_handle = durable_core.assert_fact(self._handle, encoded)
        if code == _HANDLED:
            self._asserted.append(encoded)
        elif code == _NOT_HANDLED:
            raise durable_engine.MessageNotHandledException(encoded)
        elif code == _OBSERVED:
            raise durable_engine.MessageObservedException(encoded)
        else:
            raise EngineError(f"durable_rules did not take the fact (code {code})")

    def _run_actions(self) -> None:
        """Run every queued action, and those they queue, to the end."""
        if self._state_handle is None:
            return
        started = durable_core.start_action_for_state(self._handle, self._state_handle)
        if started is None:
            return
        message = started[1]  # (session state, first action); actions leave the state alone
        failure: Exception | None = None
        while message:
            if failure is None:
                try:
                    self._fire(message)
                except Exception as error:
                    failure = error
            # Every started action is completed, even after a failure: deleting a session
            # with actions left open can crash the C engine later. No `update_state`: the
            # actions never change the session state, so writing it back is wasted work.
            message = durable_core.complete_and_start_action(self._handle, self._state_handle)
        if isinstance(failure, EngineError):
            raise failure
        if failure is not None:
            reason = f"{type(failure).__name__}: {failure}"
            raise EngineError(f"a rule action failed: {reason}") from failure

    def _fire(self, message: str) -> None:
        if self._run is None:
            raise EngineError("a rule fired outside an assessment")
        match = self._parsed.get(message)
        if match is None:
            match = self._parse(message)
            if len(self._parsed) >= _MEMO_SIZE:  # numeric answers vary: keep it bounded
                self._parsed.clear()
            self._parsed[message] = match
        self._run.fire(match, self._assert_derived)

    def _parse(self, message: str) -> _Match:
        """What one action message says: which rules matched which facts, what the conclusions
        rest on, and the derived facts to assert. The same messages recur from one assessment
        to the next, so this is worked out once per message."""
        # One rule's match per message: {rule name: {alias: matched fact}}.
        name, matched = next(iter(json.loads(message).items()))
        # Aliases n0, n1... are negations and match nothing.
        facts = tuple(
            MappingProxyType({k: v for k, v in fact.items() if k != "sid"})
            for alias, fact in matched.items()
            if not alias.startswith("n") and isinstance(fact, dict)
        )
        about = ""
        answers: list[tuple[str, Any, str]] = []
        derived_from: list[Key] = []
        for fact in facts:
            kind: str = fact["t"]
            if kind == "answer":
                answer_about = fact.get("ab", "")
                about = about or answer_about
                answers.append((fact["q"], fact["v"], answer_about))
            elif kind != "phase" and kind not in GATE_KINDS:
                derived_from.append((kind, fact["n"], fact.get("st", ""), fact.get("ab", "")))
        rules = self._actions[name]
        concludes = tuple(
            (then.kind, then.id, then.status, about) for then in (r.then for r in rules)
        )
        derived_facts: list[str | None] = []
        for rule, key in zip(rules, concludes, strict=True):
            if rule.id not in self._feeds:
                derived_facts.append(None)
                continue
            # Not "id": durable_rules takes an `id` field as the fact's identity.
            derived_fact: dict[str, Any] = {"t": key[0], "n": key[1]}
            if key[2]:
                derived_fact["st"] = key[2]
            if about:
                derived_fact["ab"] = about
            derived_facts.append(self._encode(derived_fact))
        return _Match(
            rules,
            facts,
            concludes,
            frozenset(answers),
            frozenset(derived_from),
            tuple(derived_facts),
        )

    def _assert_derived(self, encoded: str) -> None:
        """Assert a fact drawn by a rule, from inside its action: the C engine queues the
        actions it triggers, and `_post` runs them before it returns."""
        code, _ = durable_core.assert_fact(self._handle, encoded)
        if code == _HANDLED:
            self._asserted.append(encoded)
        if code == _OBSERVED:
            raise EngineError(f"the fact {_describe(json.loads(encoded))} was asserted twice")
        if code != _HANDLED:
            raise EngineError(
                f"no rule takes the fact {_describe(json.loads(encoded))} (code {code})"
            )


def _not_dispatched_by_the_host(context: Any) -> None:
    """durable_rules wants a `run` per rule; the engine runs actions itself (see _post)."""
    raise EngineError("a rule action was dispatched by durable_rules' own host")


class _Run:
    """The conclusions and the trace of one assessment."""

    def __init__(self) -> None:
        self.conclusions: dict[Key, Derived] = {}
        self.trace: list[Firing] = []

    def fire(self, match: _Match, assert_fact: Callable[[str], None]) -> None:
        """Record the conclusions of the rules that matched; assert the new ones that other
        rules test."""
        rules, facts, concludes, answers, derived_from, derived_facts = match
        conclusions = self.conclusions
        for rule, key, derived_fact in zip(rules, concludes, derived_facts, strict=True):
            derived = conclusions.get(key)
            new = derived is None
            if derived is None:
                then = rule.then
                derived = Derived(then.kind, then.id, then.status, then.symptom, key[3])
                conclusions[key] = derived
                derived.rules.append(rule.id)
            elif rule.id not in derived.rules:
                derived.rules.append(rule.id)
            if answers:
                derived.answers |= answers
            if derived_from:
                derived.derived_from |= derived_from
            self.trace.append(Firing(rule.id, key, facts, new))
            if new and derived_fact is not None:
                assert_fact(derived_fact)
