"""The knowledge base's condition language: parsed into frozen types, normalised, evaluated.

See docs/kb-format.md for the YAML forms. The engine compiles conditions into durable_rules
rules; the questionnaire evaluates question `when`s directly (they only test answers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import Any, TypeAlias

UNSURE = "not_sure"
COMPARISONS = ("gte", "gt", "lte", "lt")
ANSWER_OPS = ("is", "in", *COMPARISONS)
FACT_KINDS = (
    "symptom",
    "check",
    "factor",
    "solution",
    "advice",
    "cause",
    "referral",
    "rosa",
    "program",
    "urgency",
)
STATUSES = {"check": ("failed", "passed"), "cause": ("likely", "possible", "dropped")}

AnswerValue: TypeAlias = str | int | float | list[str] | dict[str, Any]
Answers: TypeAlias = Mapping[str, AnswerValue]


class ConditionSyntaxError(ValueError):
    """A condition does not follow the documented forms (the loader adds file and item)."""


@dataclass(frozen=True)
class AnswerTest:
    question: str
    op: str
    value: Any  # a str for `is`, a tuple for `in`, a number for comparisons
    about: tuple[str, ...] = ()

    def accepts(self, value: Any) -> bool:
        if value is None:
            return False
        if value == UNSURE:  # "not sure" matches only a test that asks for it by name
            return self.op in ("is", "in") and self.names_unsure
        if self.op == "is":
            return bool(value == self.value)
        if self.op == "in":
            return bool(value in self.value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        limit = float(self.value)
        results: dict[str, bool] = {
            "gte": value >= limit,
            "gt": value > limit,
            "lte": value <= limit,
            "lt": value < limit,
        }
        return results[self.op]

    @property
    def names_unsure(self) -> bool:
        """Whether the test asks for "not sure" itself (a warning sign someone is unsure of)."""
        return self.value == UNSURE if self.op == "is" else self.op == "in" and UNSURE in self.value


@dataclass(frozen=True)
class AnswerMissing:
    """True when a question has no usable answer (not asked, skipped, or "not sure")."""

    question: str


@dataclass(frozen=True)
class FactTest:
    kind: str
    ids: tuple[str, ...]
    status: str | None = None


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


Atom: TypeAlias = AnswerTest | AnswerMissing | FactTest
Condition: TypeAlias = AnswerTest | AnswerMissing | FactTest | AllOf | AnyOf


def _ids(raw: Any, what: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, str) for item in items):
        raise ConditionSyntaxError(f"{what} must be an id or a list of ids")
    return tuple(items)


def parse_condition(raw: Any) -> Condition:
    """Parse one YAML condition; raise ConditionSyntaxError saying what is wrong."""
    if not isinstance(raw, dict) or not raw:
        raise ConditionSyntaxError(f"a condition must be a mapping, got {raw!r}")
    keys = set(raw)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if combinator in keys:
            if keys != {combinator}:
                raise ConditionSyntaxError(f"'{combinator}' cannot be combined with {sorted(keys)}")
            parts = raw[combinator]
            if not isinstance(parts, list) or not parts:
                raise ConditionSyntaxError(f"'{combinator}' needs a non-empty list")
            return cls(tuple(parse_condition(part) for part in parts))
    if "answer" in keys:
        return _parse_answer_test(raw)
    if keys == {"answer_missing"}:
        if not isinstance(raw["answer_missing"], str):
            raise ConditionSyntaxError("'answer_missing' needs a question id")
        return AnswerMissing(raw["answer_missing"])
    kinds = keys & set(FACT_KINDS)
    if len(kinds) == 1:
        kind = kinds.pop()
        status = raw.get("is")
        if keys - {kind, "is"}:
            raise ConditionSyntaxError(f"unexpected keys {sorted(keys - {kind, 'is'})}")
        allowed = STATUSES.get(kind)
        if allowed and status not in allowed:
            raise ConditionSyntaxError(f"a {kind} test needs 'is:' one of {', '.join(allowed)}")
        if not allowed and status is not None:
            raise ConditionSyntaxError(f"a {kind} test takes no 'is'")
        ids = () if raw[kind] == "any" else _ids(raw[kind], kind)  # () matches any id
        return FactTest(kind, ids, status)
    raise ConditionSyntaxError(f"unknown condition {raw!r}")


def _parse_answer_test(raw: dict[str, Any]) -> AnswerTest:
    question = raw["answer"]
    if not isinstance(question, str):
        raise ConditionSyntaxError("'answer' needs a question id")
    ops = [key for key in raw if key in ANSWER_OPS]
    extra = set(raw) - {"answer", "about", *ANSWER_OPS}
    if len(ops) != 1 or extra:
        raise ConditionSyntaxError(
            f"an answer test needs exactly one of {', '.join(ANSWER_OPS)} (and optional 'about')"
        )
    op = ops[0]
    value = raw[op]
    if isinstance(value, bool):  # YAML 1.1 reads an unquoted yes/no as a boolean
        value = "yes" if value else "no"
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ConditionSyntaxError("'in' needs a non-empty list")
        value = tuple("yes" if v is True else "no" if v is False else v for v in value)
    elif op in COMPARISONS and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConditionSyntaxError(f"'{op}' needs a number")
    about = _ids(raw["about"], "about") if "about" in raw else ()
    return AnswerTest(question, op, value, about)


def atoms(condition: Condition) -> Iterator[Atom]:
    if isinstance(condition, AllOf | AnyOf):
        for part in condition.parts:
            yield from atoms(part)
    else:
        yield condition


@lru_cache(maxsize=8192)  # conditions are frozen and few; results are asked for per result
def questions_used(condition: Condition) -> frozenset[str]:
    return frozenset(
        atom.question for atom in atoms(condition) if isinstance(atom, AnswerTest | AnswerMissing)
    )


def disjuncts(condition: Condition) -> list[tuple[Atom, ...]]:
    """Disjunctive normal form: each tuple is one conjunction of atoms (one compiled rule)."""
    if isinstance(condition, AnyOf):
        return [conj for part in condition.parts for conj in disjuncts(part)]
    if isinstance(condition, AllOf):
        combos = product(*(disjuncts(part) for part in condition.parts))
        return [tuple(atom for conj in combo for atom in conj) for combo in combos]
    return [(condition,)]


def answer_values(answers: Answers, test: AnswerTest | AnswerMissing) -> list[Any]:
    """The values an answer test looks at (one per picked choice / per symptom); "not sure"
    is among them, and only a test that names it accepts it."""
    raw = answers.get(test.question)
    if raw is None:
        return []
    if isinstance(raw, dict):
        about = test.about if isinstance(test, AnswerTest) else ()
        picked = [value for item, value in raw.items() if not about or item in about]
        return [v for value in picked for v in (value if isinstance(value, list) else [value])]
    return raw if isinstance(raw, list) else [raw]


def holds(condition: Condition, answers: Answers, facts: frozenset[tuple[str, str, str]]) -> bool:
    """Evaluate directly in Python. `facts` holds (kind, id, status) of derived conclusions."""
    if isinstance(condition, AllOf):
        return all(holds(part, answers, facts) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, answers, facts) for part in condition.parts)
    if isinstance(condition, AnswerTest):
        return any(condition.accepts(value) for value in answer_values(answers, condition))
    if isinstance(condition, AnswerMissing):
        return not any(value != UNSURE for value in answer_values(answers, condition))
    return any(
        kind == condition.kind
        and (not condition.ids or fact_id in condition.ids)
        and (condition.status is None or status == condition.status)
        for kind, fact_id, status in facts
    )
