"""How answers and conclusions are written as facts for the rule engine, and how a rule's
conditions test them (durable_rules' JSON condition format; plain data, no engine here).

An answer is {"t": "answer", "q": question, "v": value, "ab": item}, one fact per value ("not
sure" included, as the value not_sure); a
conclusion is {"t": kind, "n": id, "st": status, "ab": item}; the phase fact comes after the
answers, and the rules that test an absence wait for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from troubleshoot.conditions import UNSURE, AnswerMissing, Answers, AnswerTest, FactTest

PHASE: dict[str, Any] = {"t": "phase"}


def answer_values(answers: Answers) -> Iterator[tuple[str, Any, str]]:
    """(question, value, item) per answer value; empty answers give none. "Not sure" is a value
    too: only a rule that names it (a warning sign someone is unsure of) takes it, and for every
    other test it counts as unknown (see `fact_test`)."""
    for question, raw in answers.items():
        items = raw.items() if isinstance(raw, dict) else [("", raw)]
        for about, value in items:
            for single in value if isinstance(value, list) else [value]:
                if single is not None:
                    yield question, single, about


def answer_fact(question: str, value: Any, about: str) -> dict[str, Any]:
    fact: dict[str, Any] = {"t": "answer", "q": question, "v": value}
    if about:
        fact["ab"] = about
    return fact


def answer_facts(answers: Answers) -> Iterator[dict[str, Any]]:
    """One fact per answer value ("not sure" included; empty answers give no fact)."""
    for question, value, about in answer_values(answers):
        yield answer_fact(question, value, about)


def conclusion_fact(kind: str, id: str, status: str, about: str) -> dict[str, Any]:
    # Not "id": durable_rules takes an `id` field as the fact's identity.
    fact: dict[str, Any] = {"t": kind, "n": id}
    if status:
        fact["st"] = status
    if about:
        fact["ab"] = about
    return fact


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


def fact_test(atom: AnswerTest | AnswerMissing | FactTest, *more: AnswerTest) -> dict[str, Any]:
    """A durable_rules test matching one fact; `more` adds tests on the same answer."""
    tests: list[dict[str, Any]]
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
    else:  # an answer is missing while its only values are "not sure"
        tests.append({"$neq": {"v": UNSURE}})
    return {"$and": tests}
