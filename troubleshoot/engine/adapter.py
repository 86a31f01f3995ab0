"""Run an assessment on durable_rules. The only module that imports durable_rules.

One ruleset per part of the rulebook (see engine.partitions), so an assessment opens sessions
only where its facts lead. Hazards handled here (see the project's durable_rules field notes):
one fixed session per ruleset, deleted after every assessment (never emptied by retracting
facts: see _Session.clear), always after an action has started in it; rule definitions are
deep-copied because registering mutates them; the library's Python host swallows action errors,
so actions are run here, over the C engine's own calls, and an error stops the assessment;
facts are asserted one by one (a batch the engine refuses part-way leaves the session unsafe to
delete) and every action started is completed; a conclusion is asserted only once, however many
rules (or subsets of a match) conclude it.

Facts are encoded and action messages read by engine.messages (memoized there).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import durable_rules_engine as durable_core  # the C engine under durable.engine
from durable import engine as durable_engine

from troubleshoot.conditions import Answers
from troubleshoot.engine.evaluation import Evaluation, Run, describe_fact
from troubleshoot.engine.facts import PHASE, answer_fact, answer_values, fact_test
from troubleshoot.engine.messages import MEMO_SIZE, SESSION, Messages
from troubleshoot.engine.partitions import CORE, partition
from troubleshoot.engine.rulebook import (
    RuleSpec,
    build_rulebook,
    same_fact_groups,
)
from troubleshoot.errors import EngineError
from troubleshoot.kb import KnowledgeBase

RULESET = "troubleshoot"  # the core's ruleset; a symptom's part is "troubleshoot:<symptom>"
# A rule in each symptom's ruleset that fires on the phase and concludes nothing: every
# session then starts an action before it is deleted (see _Session._complete_pending).
_PHASE_RULE = "~phase"
# Result codes of the C engine's assert calls.
_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2
# Entries kept per memo (answers, routes; see engine.messages): a few MB at most.
_MEMO_SIZE = MEMO_SIZE


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A Host without the timer threads the default one starts (no timers are used)."""

    def _run(self) -> None:
        return None


class _Session:
    """The one session of one ruleset in the C engine, and the hazards of its life cycle."""

    def __init__(self, host: _QuietHost, ruleset: str) -> None:
        self.ruleset = ruleset
        self.handle = host.get_ruleset(ruleset)._handle
        self.state: int | None = None  # the session's place in the C engine
        self.action_open = False  # an action started and not yet completed

    def assert_fact(self, encoded: str) -> int:
        code, self.state = durable_core.assert_fact(self.handle, encoded)
        return int(code)

    # The library's Python host runs each action through a Closure, a Promise and a JSON
    # round trip of the session state, and swallows action errors. The engine talks to the
    # C engine directly instead: same calls in the same order, a fraction of the overhead
    # (measured in benchmarks/), and an action error stops the assessment at once.
    def run_actions(self, fire: Callable[[str], None]) -> bool:
        """Run every queued action, and those they queue, to the end; whether any ran."""
        if self.state is None:
            return False
        started = durable_core.start_action_for_state(self.handle, self.state)
        if started is None:
            return False
        self.action_open = True
        message = started[1]  # (session state, first action); actions leave the state alone
        failure: BaseException | None = None
        while message:
            if failure is None:
                try:
                    fire(message)
                except BaseException as error:  # Ctrl-C too: the actions are completed first
                    failure = error
            # Every started action is completed, even after a failure: deleting a session
            # with actions left open can crash the C engine later. No `update_state`: the
            # actions never change the session state, so writing it back is wasted work.
            message = durable_core.complete_and_start_action(self.handle, self.state)
        self.action_open = False
        if isinstance(failure, EngineError) or (
            failure is not None and not isinstance(failure, Exception)
        ):
            raise failure
        if failure is not None:
            reason = f"{type(failure).__name__}: {failure}"
            raise EngineError(f"a rule action failed: {reason}") from failure
        return True

    def clear(self) -> None:
        """Leave no session for the next assessment, finished or failed: an interrupted action
        is given up, any action still queued is completed unrun, then the session is deleted.

        Deleted, not emptied by retracting its facts: durable_rules 2.0.28 leaves the frames
        of completed actions in its facts' location lists, so retracting a fact that took part
        in a fired rule touches a freed frame, and one of many facts (a doctor's clearance
        over every warning sign) overruns that frame's message array and corrupts memory."""
        if self.state is None:
            return
        try:
            if self.action_open:
                # An action interrupted before it was completed (Ctrl-C) holds a lease that
                # hides every queued action for a minute: give it up.
                durable_core.abandon_action(self.handle, self.state)
                self.action_open = False
        except durable_core.error:
            pass
        try:
            self._complete_pending()
        finally:
            durable_core.delete_state(self.handle, SESSION)
            # Only once it is gone: interrupted before, the next assessment clears it again.
            self.state = None
            self.action_open = False

    def _complete_pending(self) -> None:
        """Complete, unrun, any action the session has queued. Deleting a session with an
        action left open can crash the C engine later; every session has started an action
        by then (each ruleset has a rule that fires on the phase), so its action context is
        set."""
        self.run_actions(_unrun)


class Engine:
    """Evaluates answers against the knowledge base's rules. One assessment at a time.

    One ruleset per part of the rulebook (engine.partitions): the core's session is opened for
    every assessment, a symptom's only once that symptom is concluded. Facts a rule of another
    part tests are passed on to it, and parts opened later receive the answers and the facts
    concluded so far that they take. The phase goes to every open part once no action is left
    anywhere, so each part decides absences over everything concluded before it."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.rules = build_rulebook(kb)
        self._single_valued = {q.id for q in kb.questions if q.type != "multi"}
        self.parts = partition(self.rules, self._single_valued)
        # Memo: answer value -> its encoded fact and the parts that take it, or None.
        self._answer_texts: dict[tuple[str, Any, type, str], tuple[str, tuple[int, ...]] | None]
        self._answer_texts = {}
        self._routes: dict[str, tuple[tuple[int, ...], int | None]] = {}  # memo of _route
        self._opened_by = {part.trigger: n for n, part in enumerate(self.parts) if part.trigger}
        # Rules whose conclusion some rule tests: only these assert a derived fact.
        self._feeds = {
            rule.id
            for rule in self.rules
            if self._parts_taking(rule.then.kind, rule.then.id, rule.then.status)
        }
        # Rules of one part with the same conditions share one durable_rules rule whose action
        # draws all their conclusions: one firing instead of several (the trace names each).
        # durable_rules rule name (its first rule's id) -> the rules its action concludes for.
        self._actions: dict[str, tuple[RuleSpec, ...]] = {}
        definitions: dict[str, dict[str, Any]] = {}
        for part in self.parts:
            same_conditions: dict[tuple[object, ...], list[RuleSpec]] = {}
            for rule in part.rules:
                same_conditions.setdefault((rule.when, rule.unless, rule.final), []).append(rule)
            compiled = {}
            for rules in same_conditions.values():
                self._actions[rules[0].id] = tuple(rules)
                compiled[rules[0].id] = self._compile(rules[0])
            if part.name != CORE:  # the core's own `assessment:complete` fires on the phase
                compiled[_PHASE_RULE] = {"all": [{"phase": PHASE}], "run": _not_dispatched}
            definitions[_ruleset_name(part.name)] = compiled
        self._host = _QuietHost()
        try:
            self._host.register_rulesets(copy.deepcopy(definitions))
        except Exception as error:  # the C engine reports invalid rules as a bare error
            raise EngineError(f"the rules could not be compiled: {error}") from error
        self._sessions = tuple(_Session(self._host, name) for name in definitions)
        self._messages = Messages(self._actions, self._feeds, silent=_PHASE_RULE)
        self._lock = threading.Lock()
        self._phase = self._messages.encode(PHASE)
        # One assessment's state: its run, the parts open (in the order they opened), the
        # input facts each part takes, and per part not open yet the derived facts it takes
        # so far (None once open).
        self._run: Run | None = None
        self._open: list[int] = []
        self._phased: set[int] = set()
        # Per part: a fact went in since its actions last ran (only such a part can have any).
        self._fed: list[bool] = []
        self._inputs_of: list[list[str]] = []
        self._waiting: list[list[str] | None] = []

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
        return {"all": facts, "run": _not_dispatched}

    def evaluate(self, answers: Answers, facts: Iterable[dict[str, Any]] = ()) -> Evaluation:
        """Run one assessment: the answers plus other input facts (e.g. the workstation score)."""
        with self._lock:
            self._clear_sessions()  # in case an earlier clearing was interrupted (Ctrl-C)
            run = Run()
            self._run = run
            self._open, self._phased = [], set()
            self._waiting = [[] for _ in self._sessions]
            self._fed = [False] * len(self._sessions)
            try:
                # Facts no rule accepts are skipped: the engine would only refuse them, at the
                # cost of a round trip and an exception each (measured in benchmarks/).
                self._inputs_of = self._inputs(answers, facts)
                self._open_part(0)
                self._settle()
            except durable_core.error as error:
                raise EngineError(f"durable_rules failed: {error}") from error
            finally:
                self._run = None
                self._inputs_of, self._waiting = [], []
                self._clear_sessions()
        return run.evaluation()

    def _clear_sessions(self) -> None:
        for session in self._sessions:
            session.clear()

    def _settle(self) -> None:
        """Run the open parts' actions until none is left; then the phase, in every open part
        that has not had it, and again, until no part is waiting for it. The input facts go in
        first and their actions then run together (the order of actions does not change what
        is concluded), sparing the C engine a scan of every rule after each fact."""
        while True:
            ran = False
            n = 0
            fed = self._fed
            while n < len(self._open):  # parts opened meanwhile run in the same sweep
                part = self._open[n]
                if fed[part]:
                    fed[part] = False  # before: facts its own actions assert feed it again
                    ran = self._sessions[part].run_actions(self._fire) or ran
                n += 1
            if ran:
                continue
            waiting = [part for part in self._open if part not in self._phased]
            if not waiting:
                return
            for part in waiting:
                self._phased.add(part)
                self._assert(part, self._phase)

    def _open_part(self, part: int) -> None:
        """Open a part's session with the answers and the facts so far that it takes."""
        self._open.append(part)
        self._fed[part] = True
        derived, self._waiting[part] = self._waiting[part] or [], None
        session = self._sessions[part]
        for text in self._inputs_of[part]:
            code = session.assert_fact(text)
            # Only an input fact may be one no rule takes (e.g. a low severity): nothing
            # follows from it.
            if code != _HANDLED and code != _NOT_HANDLED:
                _refused(text, code)
        for text in derived:
            code = session.assert_fact(text)
            if code != _HANDLED:
                _refused(text, code)

    def _route(self, text: str) -> None:
        """A new derived fact: to every open part that takes it; a symptom's part opens on it."""
        route = self._routes.get(text)
        if route is None:
            fact = json.loads(text)
            key = (fact["t"], fact["n"], fact.get("st", ""))
            if len(self._routes) >= _MEMO_SIZE:
                self._routes.clear()
            route = self._routes[text] = (self._parts_taking(*key), self._opened_by.get(key))
        takers, opens = route
        waiting = self._waiting
        for part in takers:
            held = waiting[part]
            if held is not None:  # not open yet: it takes the fact when it opens
                held.append(text)
                continue
            self._fed[part] = True
            code = self._sessions[part].assert_fact(text)
            if code != _HANDLED:
                _refused(text, code)
        if opens is not None and waiting[opens] is not None:
            self._open_part(opens)

    def _inputs(self, answers: Answers, facts: Iterable[dict[str, Any]]) -> list[list[str]]:
        """Per part, the input facts its rules can use, each once, encoded."""
        unique: dict[str, tuple[int, ...]] = {}
        memo = self._answer_texts
        for question, value, about in answer_values(answers):
            # The type is part of the key: 1, 1.0 and True are equal as dict keys (and a
            # float by its text: 0.0 and -0.0 are equal too).
            key = (question, repr(value) if type(value) is float else value, type(value), about)
            if key in memo:
                known = memo[key]
            else:
                fact = answer_fact(question, value, about)
                takers = self._takers(fact)
                known = (self._messages.encode(fact), takers) if takers else None
                if len(memo) >= _MEMO_SIZE:  # free text or numbers vary: keep it bounded
                    memo.clear()
                memo[key] = known
            if known is not None:
                unique[known[0]] = known[1]
        for fact in facts:
            takers = self._parts_taking(fact["t"], fact.get("n", ""), fact.get("st", ""))
            unique[self._messages.encode(fact)] = takers or (0,)
        per_part: list[list[str]] = [[] for _ in self._sessions]
        for text, parts in unique.items():
            for part in parts:
                per_part[part].append(text)
        return per_part

    def _takers(self, fact: dict[str, Any]) -> tuple[int, ...]:
        """The parts with a rule that could use this answer."""
        return tuple(n for n, part in enumerate(self.parts) if part.intake.takes_answer(fact))

    def _parts_taking(self, kind: str, fact_id: str, status: str) -> tuple[int, ...]:
        """The parts with a rule that tests a derived or input fact of this kind, id, status."""
        return tuple(
            n for n, part in enumerate(self.parts) if part.intake.takes(kind, fact_id, status)
        )

    def _assert(self, part: int, encoded: str) -> None:
        """Assert one (encoded) derived fact or the phase in one part; the actions it queues run
        in `_settle`."""
        self._fed[part] = True
        code = self._sessions[part].assert_fact(encoded)
        if code != _HANDLED:
            _refused(encoded, code)

    def _fire(self, message: str) -> None:
        if self._run is None:
            raise EngineError("a rule fired outside an assessment")
        match = self._messages.match(message)
        if match is not None:  # None: a part's phase rule, which concludes nothing
            self._run.fire(match, self._route)  # derived facts, from inside the action


def _refused(encoded: str, code: int) -> None:
    fact = describe_fact(json.loads(encoded))
    if code == _NOT_HANDLED:
        raise EngineError(f"no rule takes the fact {fact}")
    if code == _OBSERVED:
        raise EngineError(f"the fact {fact} was asserted twice")
    raise EngineError(f"durable_rules did not take the fact {fact} (code {code})")


def _ruleset_name(part: str) -> str:
    return RULESET if part == CORE else f"{RULESET}:{part}"


def _unrun(message: str) -> None:
    """An action completed without being run (see _Session._complete_pending)."""


def _not_dispatched(context: Any) -> None:
    """durable_rules wants a `run` per rule; the engine runs actions itself (see
    _Session.run_actions)."""
    raise EngineError("a rule action was dispatched by durable_rules' own host")
