"""The engine's two wire formats, plain data: facts as the C engine takes them (JSON with the
session id) and the action messages it sends back, read as rule matches (Match).

The same facts and the same messages recur from one assessment to the next, so each encoding
and each reading is worked out once and kept (bounded memos: numeric answers vary)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from troubleshoot.engine.evaluation import Key, Match
from troubleshoot.engine.facts import conclusion_fact
from troubleshoot.engine.rulebook import GATE_KINDS, RuleSpec

SESSION = "assessment"  # one fixed session id per ruleset (ids are compared by a 32-bit hash)
# Entries kept per memo (encoded facts, read messages, routes): a few MB at most.
MEMO_SIZE = 4096


class Messages:
    """Encodes facts and reads action messages for one engine's rules."""

    def __init__(
        self, actions: Mapping[str, tuple[RuleSpec, ...]], feeds: set[str], silent: str
    ) -> None:
        self._actions = actions  # durable_rules rule name -> the rules it concludes for
        self._feeds = feeds  # rules whose conclusion some rule tests
        self._silent = silent  # a rule name whose messages conclude nothing
        self._encoded: dict[tuple[object, ...], str] = {}
        self._parsed: dict[str, Match | None] = {}

    def encode(self, fact: dict[str, Any]) -> str:
        """The fact as the C engine takes it (JSON, with the session id)."""
        # Each value's type and text are the key: 1, 1.0, -0.0 and True compare equal.
        key = tuple((name, type(value), repr(value)) for name, value in fact.items())
        text = self._encoded.get(key)
        if text is None:
            text = json.dumps({**fact, "sid": SESSION}, sort_keys=True)  # one text per fact
            if len(self._encoded) >= MEMO_SIZE:
                self._encoded.clear()
            self._encoded[key] = text
        return text

    def match(self, message: str) -> Match | None:
        """What one action message says (None for the silent rule)."""
        try:
            return self._parsed[message]
        except KeyError:
            match = self._read(message)
        if len(self._parsed) >= MEMO_SIZE:
            self._parsed.clear()
        self._parsed[message] = match
        return match

    def _read(self, message: str) -> Match | None:
        """Which rules matched which facts, what the conclusions rest on, and the derived facts
        to assert."""
        # One rule's match per message: {rule name: {alias: matched fact}}.
        name, matched = next(iter(json.loads(message).items()))
        if name == self._silent:
            return None
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
        derived_facts = tuple(
            self.encode(conclusion_fact(*key)) if rule.id in self._feeds else None
            for rule, key in zip(rules, concludes, strict=True)
        )
        return Match(
            rules, facts, concludes, frozenset(answers), frozenset(derived_from), derived_facts
        )
