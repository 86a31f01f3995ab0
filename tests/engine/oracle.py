"""An obviously-correct evaluator of the knowledge base's meaning, in plain Python, for
differential testing of the durable_rules engine (tests/engine/test_oracle.py). It reads the same
frozen knowledge base and evaluates each condition directly; it shares no code with the
rulebook or the engine beyond `conditions.holds`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from troubleshoot.conditions import holds
from troubleshoot.kb import KnowledgeBase

Facts = set[tuple[str, str, str]]


@dataclass
class Outcome:
    program: str  # open | referral | screen_incomplete
    causes: dict[str, str]  # id -> likely | possible | dropped
    solutions: set[str]
    stretches: set[str]
    techniques: set[str]
    advice: set[str]
    habits: dict[str, str]
    checks: dict[str, str]


def evaluate(kb: KnowledgeBase, answers: dict[str, Any]) -> Outcome:
    flags = [flag.id for flag in kb.red_flags]
    raised = [f for f in flags if answers.get(f) == "yes"]
    screened = all(answers.get(f) in ("yes", "no") for f in flags)
    program_open = (screened and not raised) or (
        screened and bool(raised) and answers.get("cleared_by_doctor") == "yes"
    )
    program = "open" if program_open else "referral" if raised else "screen_incomplete"
    facts: Facts = set()
    if program_open:
        facts.add(("program", "open", ""))
    if program == "referral":
        facts.add(("referral", "required", ""))
    if program == "screen_incomplete":
        facts.add(("referral", "screen_incomplete", ""))

    def true(condition: Any) -> bool:
        return holds(condition, answers, frozenset(facts))

    reported: list[str] = []
    checks: dict[str, str] = {}
    if program_open:
        picked = answers.get("symptoms")
        reported = [s.id for s in kb.symptoms if isinstance(picked, list) and s.id in picked]
        facts |= {("symptom", s, "") for s in reported}
        for check in kb.checks:
            for status, condition in (("failed", check.failed_when), ("passed", check.passed_when)):
                if true(condition):
                    facts.add(("check", check.id, status))
            statuses = {s for k, i, s in facts if k == "check" and i == check.id}
            if statuses:
                checks[check.id] = "failed" if "failed" in statuses else "passed"
        facts |= {("factor", f.id, "") for f in kb.factors if true(f.present_when)}

    causes: dict[str, str] = {}
    for symptom in kb.symptoms:
        if symptom.id not in reported:
            continue
        for cause in symptom.causes:
            confirmed, ruled_out = true(cause.confirmed_when), true(cause.ruled_out_when)
            causes[cause.id] = "likely" if confirmed else "dropped" if ruled_out else "possible"
            facts.add(("cause", cause.id, causes[cause.id]))

    solutions: set[str] = set()
    for symptom in kb.symptoms:
        if symptom.id not in reported:
            continue
        for solution in symptom.solutions:
            applies = not solution.addresses or any(
                causes.get(c) in ("likely", "possible") for c in solution.addresses
            )
            if applies and not (solution.unless is not None and true(solution.unless)):
                solutions.add(solution.id)
    facts |= {("solution", s, "") for s in solutions}

    stretches = {
        stretch.id
        for stretch in kb.stretches
        if any(set(stretch.regions) & set(kb.symptom[s].regions) for s in reported)
        or any(stretch.id in kb.solution[x].stretches for x in solutions)
    }

    # Advice can build on advice: repeat until nothing changes.
    advice: set[str] = set()
    while True:
        found = {a.id for a in kb.advice if (a.scope == "safety" or program_open) and true(a.when)}
        if found == advice:
            break
        advice = found
        facts |= {("advice", a, "") for a in advice}

    techniques = set()
    if program_open:
        techniques = {
            t.id
            for t in kb.techniques
            if true(t.offered_when) and not (t.unless is not None and true(t.unless))
        }
    habits: dict[str, str] = {}
    if program_open:
        for habit in kb.habits:
            habits[habit.id] = (
                "focus"
                if true(habit.focus_when)
                else "keep_up"
                if habit.keep_up_when is not None and true(habit.keep_up_when)
                else "general"
            )
    return Outcome(program, causes, solutions, stretches, techniques, advice, habits, checks)
