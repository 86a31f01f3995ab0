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
    urgency: set[tuple[str, str]]  # (level, reason) pairs
    held_techniques: set[tuple[str, str]]  # (technique, advice) pairs


def evaluate(kb: KnowledgeBase, answers: dict[str, Any]) -> Outcome:
    flags = [sign.id for sign in kb.signs]
    raised = [f for f in flags if answers.get(f) == "yes"]
    screened = all(answers.get(f) in ("yes", "no") for f in flags)
    # A clearance counts only for signs whose `cleared_only_when` (if any) holds.
    clearable = all(
        sign.cleared_only_when is None or holds(sign.cleared_only_when, answers, frozenset())
        for sign in kb.signs
        if sign.id in raised
    )
    program_open = (screened and not raised) or (
        screened and bool(raised) and answers.get("cleared_by_doctor") == "yes" and clearable
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
            # Evidence both ways leaves a cause possible.
            causes[cause.id] = (
                "likely"
                if confirmed and not ruled_out
                else "dropped"
                if ruled_out and not confirmed
                else "possible"
            )
            facts.add(("cause", cause.id, causes[cause.id]))

    # A stretch is held back while pain in one of its regions is rated 9 or 10 (an advice that
    # holds stretches back, drawn for a symptom there).
    held = {
        stretch.id
        for stretch in kb.stretches
        for advice in kb.advice
        if advice.holds_back_stretches
        for s in reported
        if set(stretch.regions) & set(kb.symptom[s].regions)
        and holds(
            advice.when, {**answers, "severity": _only(answers.get("severity"), s)}, frozenset()
        )
    }
    solutions: set[str] = set()
    for symptom in kb.symptoms:
        if symptom.id not in reported:
            continue
        for solution in symptom.solutions:
            applies = not solution.addresses or any(
                causes.get(c) in solution.offered_for for c in solution.addresses
            )
            # A fix that is only stretching waits while all of its stretches are held back.
            stretching_held = bool(solution.stretches) and set(solution.stretches) <= held
            if (
                applies
                and (solution.when is None or true(solution.when))
                and not stretching_held
                and not (solution.unless is not None and true(solution.unless))
            ):
                solutions.add(solution.id)
    facts |= {("solution", s, "") for s in solutions}

    stretches = {
        stretch.id
        for stretch in kb.stretches
        if any(set(stretch.regions) & set(kb.symptom[s].regions) for s in reported)
        or any(stretch.id in kb.solution[x].stretches for x in solutions)
    } - held

    # Advice can build on advice: repeat until nothing changes.
    advice: set[str] = set()
    while True:
        found = {
            a.id
            for a in kb.advice
            if (a.scope == "safety" or program_open)
            and true(a.when)
            and not (a.unless is not None and true(a.unless))
        }
        if found == advice:
            break
        advice = found
        facts |= {("advice", a, "") for a in advice}

    # How urgent: each sign answered yes (an emergency one even when cleared; another only
    # until a clearance covers it), each sign the person is not sure of, each piece of advice.
    urgency: set[tuple[str, str]] = set()
    for sign in kb.signs:
        covered = answers.get("cleared_by_doctor") == "yes" and (
            sign.cleared_only_when is None or holds(sign.cleared_only_when, answers, frozenset())
        )
        if answers.get(sign.id) == "yes" and (sign.urgency == "emergency" or not covered):
            urgency.add((sign.urgency, f"sign:{sign.id}"))
        if answers.get(sign.id) == "not_sure":
            level = sign.when_unsure or kb.urgency[sign.urgency].when_unsure
            urgency.add((level, f"unsure:{sign.id}"))
    for item in kb.advice:
        if item.id in advice and item.urgency != "info":
            urgency.add((item.urgency, f"advice:{item.id}"))

    techniques = set()
    held_techniques: set[tuple[str, str]] = set()  # (technique, the advice holding it back)
    if program_open:
        for t in kb.techniques:
            if not true(t.offered_when) or (t.unless is not None and true(t.unless)):
                continue
            holding = {
                a.id for a in kb.advice if a.id in advice and t.id in a.holds_back_techniques
            }
            held_techniques |= {(t.id, a) for a in holding}
            if not holding:
                techniques.add(t.id)
    habits: dict[str, str] = {}
    if program_open:
        for habit in kb.habits:
            if habit.offered_when is not None and not true(habit.offered_when):
                continue
            habits[habit.id] = (
                "focus"
                if true(habit.focus_when)
                else "keep_up"
                if habit.keep_up_when is not None and true(habit.keep_up_when)
                else "general"
            )
    return Outcome(
        program,
        causes,
        solutions,
        stretches,
        techniques,
        advice,
        habits,
        checks,
        urgency,
        held_techniques,
    )


def _only(per_symptom: Any, symptom: str) -> dict[str, Any]:
    """One symptom's part of a per-symptom answer."""
    return (
        {symptom: per_symptom[symptom]}
        if isinstance(per_symptom, dict) and symptom in per_symptom
        else {}
    )


def engine_outcome(evaluation: Any) -> Outcome:
    """The engine's Evaluation in the oracle's terms, to compare the two (the differential test
    and the benchmark's agreement check). Reads conclusions only: no evaluation here."""

    def ids(kind: str) -> set[str]:
        return {d.id for d in evaluation.of_kind(kind)}

    program = (
        "open"
        if evaluation.of_kind("program")
        else "referral"
        if evaluation.of_kind("red_flag")
        else "screen_incomplete"
    )
    checks: dict[str, str] = {}
    for derived in evaluation.of_kind("check"):
        if derived.status == "failed" or derived.id not in checks:
            checks[derived.id] = derived.status
    return Outcome(
        program=program,
        causes={d.id: d.status for d in evaluation.of_kind("cause")},
        solutions=ids("solution"),
        stretches=ids("stretch"),
        techniques=ids("technique"),
        advice=ids("advice"),
        habits={d.id: d.status for d in evaluation.of_kind("habit")},
        checks=checks,
        urgency={(d.id, d.status) for d in evaluation.of_kind("urgency")},
        held_techniques={(d.id, d.status) for d in evaluation.of_kind("held_back")},
    )
