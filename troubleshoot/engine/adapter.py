"""Run an assessment on durable_rules. The only module that imports durable_rules.

Hazards handled here (see the project's durable_rules field notes): one fixed session per
engine, deleted after every assessment (never emptied by retracting facts: see
_clear_session), always after an action has started in it; rule definitions are deep-copied
because registering mutates
them; the library's Python host swallows action errors, so actions are run here, over the C
engine's own calls, and an error stops the assessment; facts are asserted one by one (a batch
the engine refuses part-way leaves the session unsafe to delete) and every action started is
completed; a conclusion is asserted only once, however many rules (or subsets of a match)
conclude it.

The same facts and the same action messages recur from one assessment to the next, so their
JSON encodings and what each message means are worked out once and kept (bounded memos).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

import durable_rules_engine as durable_core  # the C engine under durable.engine
from durable import engine as durable_engine

from troubleshoot.conditions import UNSURE, AnswerMissing, Answers, AnswerTest, FactTest
from troubleshoot.engine.evaluation import Evaluation, Key, Match, Run, describe_fact
from troubleshoot.engine.facts import PHASE, answer_fact, answer_values, conclusion_fact, fact_test
from troubleshoot.engine.rulebook import (
    GATE_KINDS,
    Conclusion,
    RuleSpec,
    build_rulebook,
    same_fact_groups,
)
from troubleshoot.errors import EngineError
from troubleshoot.kb import KnowledgeBase

RULESET = "troubleshoot"
SESSION = "assessment"
# Result codes of the C engine's assert calls.
_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2
# Entries kept per memo (answers, encoded facts, parsed action messages): a few MB at most.
_MEMO_SIZE = 4096


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A Host without the timer threads the default one starts (no timers are used)."""

    def _run(self) -> None:
        return None


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
        self._parsed: dict[str, Match] = {}  # memo of _parse
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
        self._run: Run | None = None
        self._state_handle: int | None = None  # the session's place in the C engine
        self._action_open = False  # an action started and not yet completed
        self._phase = self._encode(PHASE)

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
            {f"f{n}": fact_test(tests[0], *tests[1:])}  # type: ignore[arg-type]
            for n, tests in enumerate(groups)
        ]
        if rule.final:
            facts.append({"phase": {"t": "phase"}})
        facts += [{f"n{n}$not": fact_test(atom)} for n, atom in enumerate(rule.unless)]
        return {"all": facts, "run": _not_dispatched_by_the_host}

    def evaluate(self, answers: Answers, facts: Iterable[dict[str, Any]] = ()) -> Evaluation:
        """Run one assessment: the answers plus other input facts (e.g. the workstation score)."""
        with self._lock:
            if self._state_handle is not None:  # an earlier clearing was interrupted (Ctrl-C)
                self._clear_session()
            run = Run()
            self._run = run
            try:
                # Facts no rule accepts are skipped: the engine would only refuse them, at the
                # cost of a round trip and an exception each (measured in benchmarks/).
                # The answers go in first and their actions then run together (the order of
                # actions does not change what is concluded), sparing the C engine a scan of
                # every rule after each answer; the phase comes once they have all run.
                for encoded in self._inputs(answers, facts):
                    self._assert(encoded, input_fact=True)
                self._run_actions()
                self._assert(self._phase)
                self._run_actions()
            except durable_core.error as error:
                raise EngineError(f"durable_rules failed: {error}") from error
            finally:
                self._run = None
                self._clear_session()
        return run.evaluation()

    def _clear_session(self) -> None:
        """Leave no session for the next assessment, finished or failed: an interrupted action
        is given up, any action still queued is completed unrun, then the session is deleted.

        Deleted, not emptied by retracting its facts: durable_rules 2.0.28 leaves the frames
        of completed actions in its facts' location lists, so retracting a fact that took part
        in a fired rule touches a freed frame, and one of many facts (a doctor's clearance
        over every warning sign) overruns that frame's message array and corrupts memory."""
        if self._state_handle is None:
            return
        try:
            if self._action_open:
                # An action interrupted before it was completed (Ctrl-C) holds a lease that
                # hides every queued action for a minute: give it up.
                durable_core.abandon_action(self._handle, self._state_handle)
                self._action_open = False
        except durable_core.error:
            pass
        self._delete_session()

    def _delete_session(self) -> None:
        """Delete the session, once no action is left open in it (that can crash the C
        engine later). Every session has started an action by then (the rulebook's
        `assessment:complete` rule fires on the phase), so its action context is set."""
        try:
            self._complete_pending()
        finally:
            self._host.delete_state(RULESET, SESSION)
            # Only once it is gone: interrupted before, the next assessment clears it again.
            self._state_handle = None
            self._action_open = False

    def _complete_pending(self) -> bool:
        """Complete, unrun, any action the session has queued; whether there was one."""
        if self._state_handle is None:
            return False
        started = durable_core.start_action_for_state(self._handle, self._state_handle)
        if started is None:
            return False
        self._action_open = True
        message = started[1]
        while message:
            message = durable_core.complete_and_start_action(self._handle, self._state_handle)
        self._action_open = False
        return True

    def _inputs(self, answers: Answers, facts: Iterable[dict[str, Any]]) -> list[str]:
        """The input facts some rule can use, each once, encoded."""
        unique: dict[str, None] = {}
        memo = self._answer_texts
        for question, value, about in answer_values(answers):
            # The type is part of the key: 1, 1.0 and True are equal as dict keys (and a
            # float by its text: 0.0 and -0.0 are equal too).
            key = (question, repr(value) if type(value) is float else value, type(value), about)
            if key in memo:
                text = memo[key]
            else:
                fact = answer_fact(question, value, about)
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
        if question in self._any_value and value != UNSURE:  # "not sure" is still missing
            return True
        return any(
            all(test.accepts(value) and (not test.about or about in test.about) for test in t)
            for t in self._matchers.get(question, ())
        )

    def _assert(self, encoded: str, input_fact: bool = False) -> None:
        """Assert one (encoded) fact; the actions it queues run in `_run_actions`. Only an
        input fact may be one no rule takes (e.g. a low severity): nothing follows from it."""
        code, self._state_handle = durable_core.assert_fact(self._handle, encoded)
        if code == _HANDLED:
            return
        if code == _NOT_HANDLED and input_fact:
            return
        fact = describe_fact(json.loads(encoded))
        if code == _NOT_HANDLED:
            raise EngineError(f"no rule takes the fact {fact}")
        if code == _OBSERVED:
            raise EngineError(f"the fact {fact} was asserted twice")
        raise EngineError(f"durable_rules did not take the fact {fact} (code {code})")

    def _encode(self, fact: dict[str, Any]) -> str:
        """The fact as the C engine takes it (JSON, with the session id). The same facts recur
        from one assessment to the next, so their encodings are kept (bounded)."""
        # Each value's type and text are the key: 1, 1.0, -0.0 and True compare equal.
        key = tuple((name, type(value), repr(value)) for name, value in fact.items())
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
    def _run_actions(self) -> None:
        """Run every queued action, and those they queue, to the end."""
        if self._state_handle is None:
            return
        started = durable_core.start_action_for_state(self._handle, self._state_handle)
        if started is None:
            return
        self._action_open = True
        message = started[1]  # (session state, first action); actions leave the state alone
        failure: BaseException | None = None
        while message:
            if failure is None:
                try:
                    self._fire(message)
                except BaseException as error:  # Ctrl-C too: the actions are completed first
                    failure = error
            # Every started action is completed, even after a failure: deleting a session
            # with actions left open can crash the C engine later. No `update_state`: the
            # actions never change the session state, so writing it back is wasted work.
            message = durable_core.complete_and_start_action(self._handle, self._state_handle)
        self._action_open = False
        if isinstance(failure, EngineError) or (
            failure is not None and not isinstance(failure, Exception)
        ):
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
        self._run.fire(match, self._assert)  # derived facts, from inside the action

    def _parse(self, message: str) -> Match:
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
            derived_facts.append(self._encode(conclusion_fact(*key)))
        return Match(
            rules,
            facts,
            concludes,
            frozenset(answers),
            frozenset(derived_from),
            tuple(derived_facts),
        )


def _not_dispatched_by_the_host(context: Any) -> None:
    """durable_rules wants a `run` per rule; the engine runs actions itself (see _run_actions)."""
    raise EngineError("a rule action was dispatched by durable_rules' own host")
