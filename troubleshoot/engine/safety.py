"""The safety rules: the warning signs (the red flags and the further signs), the gate to the
self-help program, how urgent care is, and the stretches held back while pain is very bad."""

from __future__ import annotations

from itertools import product

from troubleshoot.conditions import (
    UNSURE,
    AllOf,
    AnswerTest,
    AnyOf,
    Condition,
    FactTest,
    disjuncts,
)
from troubleshoot.engine.rules import PROGRAM, URGENCIES, Conclusion, RuleSpec, with_unless
from troubleshoot.kb import KnowledgeBase


def gate_rules(kb: KnowledgeBase) -> list[RuleSpec]:
    """Each warning sign, the program opened by a clear screen or a doctor's clearance (once
    every sign is answered), and the referral while it stays closed."""
    rules: list[RuleSpec] = []
    flag_ids = tuple(sign.id for sign in kb.signs)
    any_flag = FactTest("red_flag", flag_ids)

    # Warning signs (the red flags and the further signs) and the gate to the program.
    for sign in kb.signs:
        rules.append(
            RuleSpec(
                f"red_flag:{sign.id}",
                (AnswerTest(sign.id, "is", "yes"),),
                Conclusion("red_flag", sign.id),
            )
        )
    rules.append(
        RuleSpec(
            "program:screen_clear",
            tuple(AnswerTest(f, "is", "no") for f in flag_ids),
            Conclusion("program", "open", "screen_clear"),
        )
    )
    # A doctor's clearance opens the program only once the whole screen has been answered, and
    # a sign with `cleared_only_when` counts as cleared only when that holds too: one rule per
    # way for every such sign to be either absent or clearable.
    screen_answered = tuple(AnswerTest(f, "in", ("yes", "no")) for f in flag_ids)
    ways = list(
        product(
            *(
                [(AnswerTest(sign.id, "is", "no"),), *_conjunctions(sign.cleared_only_when)]
                for sign in kb.signs
                if sign.cleared_only_when is not None
            )
        )
    )
    for number, way in enumerate(ways, start=1):
        rules.append(
            RuleSpec(
                "program:cleared_by_doctor" + (f"#{number}" if len(ways) > 1 else ""),
                (
                    *screen_answered,
                    any_flag,
                    AnswerTest("cleared_by_doctor", "is", "yes"),
                    *(atom for conj in way for atom in conj),
                ),
                Conclusion("program", "open", "cleared_by_doctor"),
            )
        )
    rules.append(
        RuleSpec(
            "referral:required",
            (any_flag,),
            Conclusion("referral", "required"),
            unless=(PROGRAM,),
            final=True,
        )
    )
    rules.append(
        RuleSpec(
            "referral:screen_incomplete",
            (),
            Conclusion("referral", "screen_incomplete"),
            unless=(any_flag, PROGRAM),
            final=True,
        )
    )

    return rules + urgency_rules(kb)


def _conjunctions(condition: Condition) -> list[tuple[AnswerTest, ...]]:
    """The condition's ways to hold, each a conjunction of answer tests (checked on load)."""
    return [tuple(a for a in conj if isinstance(a, AnswerTest)) for conj in disjuncts(condition)]


def urgency_rules(kb: KnowledgeBase) -> list[RuleSpec]:
    """How urgent the care is, one conclusion per reason (its status names the reason): a
    warning sign answered yes (an emergency sign even after a doctor's clearance, as a new or
    worse sign needs care now; any other sign only until a clearance covers it), a sign the
    person is not sure of (the `when_unsure` level of its urgency, or its own), and each piece
    of medical advice."""
    rules = []
    cleared = AnswerTest("cleared_by_doctor", "is", "yes")
    for sign in kb.signs:
        rule = RuleSpec(
            f"urgency:sign:{sign.id}",
            (AnswerTest(sign.id, "is", "yes"),),
            Conclusion("urgency", sign.urgency, f"sign:{sign.id}"),
        )
        if sign.urgency == "emergency":
            rules.append(rule)
        else:
            # Seen by a doctor about it (and, for chest pain, not happening now): no urgency
            # left, even while another sign's answer still holds the program back.
            clearance: Condition = (
                cleared
                if sign.cleared_only_when is None
                else AllOf((cleared, sign.cleared_only_when))
            )
            rules += with_unless(rule, clearance)
        unsure = sign.when_unsure or (
            kb.urgency[sign.urgency].when_unsure if sign.urgency in kb.urgency else "soon"
        )
        rules.append(
            RuleSpec(
                f"urgency:unsure:{sign.id}",
                (AnswerTest(sign.id, "is", UNSURE),),
                Conclusion("urgency", unsure, f"unsure:{sign.id}"),
            )
        )
    for advice in kb.advice:
        if advice.urgency in URGENCIES:
            rules.append(
                RuleSpec(
                    f"urgency:advice:{advice.id}",
                    (FactTest("advice", (advice.id,)),),
                    Conclusion("urgency", advice.urgency, f"advice:{advice.id}"),
                )
            )
    return rules


def held_back(kb: KnowledgeBase) -> dict[str, Condition]:
    """Per stretch, when it is held back: an advice that holds back stretches (pain rated 9 or
    10) drawn for a reported symptom in one of the stretch's regions."""
    found: dict[str, list[Condition]] = {}
    for advice in kb.advice:
        if not advice.holds_back_stretches:
            continue
        for symptom in kb.symptoms:
            condition = _about(advice.when, symptom.id)
            for stretch in kb.stretches:
                if set(stretch.regions) & set(symptom.regions):
                    found.setdefault(stretch.id, []).append(condition)
    return {stretch: AnyOf(tuple(parts)) for stretch, parts in found.items()}


def _about(condition: Condition, symptom: str) -> Condition:
    """The condition with every per-symptom answer test narrowed to one symptom."""
    if isinstance(condition, AllOf | AnyOf):
        return type(condition)(tuple(_about(part, symptom) for part in condition.parts))
    if isinstance(condition, AnswerTest):
        return AnswerTest(condition.question, condition.op, condition.value, (symptom,))
    return condition
