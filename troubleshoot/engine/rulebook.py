"""Turn the knowledge base into declarative rules: answers -> red flags / symptoms / checks /
factors -> evidence -> causes -> solutions, stretches, techniques, habits, advice.

Rules are data (RuleSpec); the adapter compiles them into a durable_rules ruleset. A rule
marked `final` waits until every answer is in: rules that conclude from the *absence* of facts
("possible" causes, an incomplete red-flag screen) can only be decided then. Negation is
stratified: no final rule produces a fact that another rule tests for absence.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from troubleshoot.conditions import AllOf, AnswerTest, AnyOf, FactTest, disjuncts
from troubleshoot.engine.rules import (
    GATE_KINDS,
    PROGRAM,
    URGENCIES,
    Conclusion,
    RuleSpec,
    from_condition,
    with_unless,
)
from troubleshoot.engine.safety import gate_rules
from troubleshoot.engine.safety import held_back as held_back_when
from troubleshoot.errors import KnowledgeBaseError
from troubleshoot.kb import KnowledgeBase, Symptom

__all__ = ["GATE_KINDS", "PROGRAM", "URGENCIES", "Conclusion", "RuleSpec", "build_rulebook"]


@lru_cache(maxsize=8)
def build_rulebook(kb: KnowledgeBase) -> tuple[RuleSpec, ...]:
    rules: list[RuleSpec] = []
    rules += gate_rules(kb)

    # Symptoms, desk checks and factors (only once the program is open).
    for symptom in kb.symptoms:
        rules.append(
            RuleSpec(
                f"symptom:{symptom.id}",
                (PROGRAM, AnswerTest("symptoms", "is", symptom.id)),
                Conclusion("symptom", symptom.id),
            )
        )
    for check in kb.checks:
        for status, condition in (("failed", check.failed_when), ("passed", check.passed_when)):
            rules += from_condition(
                f"check:{check.id}:{status}",
                condition,
                Conclusion("check", check.id, status),
                (PROGRAM,),
            )
    for factor in kb.factors:
        rules += from_condition(
            f"factor:{factor.id}", factor.present_when, Conclusion("factor", factor.id), (PROGRAM,)
        )

    # Stretches held back (pain rated 9 or 10 in their region), concluded from the answers
    # alone so that other rules can wait on their absence without multiplying out the
    # condition.
    held_back: dict[str, FactTest] = {}
    for stretch_id, condition in held_back_when(kb).items():
        rules += from_condition(
            f"held:{stretch_id}", condition, Conclusion("held_stretch", stretch_id)
        )
        held_back[stretch_id] = FactTest("held_stretch", (stretch_id,))

    # Causes: evidence from answers, then likely / dropped / possible. These rules belong to
    # their symptom's part (its own ruleset, see engine.partitions).
    for symptom in kb.symptoms:
        rules += _symptom_rules(kb, symptom, held_back)

    # The rest of the program: techniques, habits, breaks, posture. A technique an advice holds
    # back (stress techniques with chest pain) is concluded as held back instead, by that advice.
    for technique in kb.techniques:
        holding = [a for a in kb.advice if technique.id in a.holds_back_techniques]
        # The advice's own condition (answers only, checked on load), concluded on its own:
        # advice facts as a whole are decided late, and a rule may not wait on the absence of
        # a late fact.
        parts = (
            *((technique.unless,) if technique.unless is not None else ()),
            *(FactTest("holding_advice", (a.id,)) for a in holding),
        )
        unless = None if not parts else parts[0] if len(parts) == 1 else AnyOf(parts)
        for rule in from_condition(
            f"technique:{technique.id}",
            technique.offered_when,
            Conclusion("technique", technique.id),
            (PROGRAM,),
        ):
            rules += with_unless(rule, unless)
        for advice in holding:
            for rule in from_condition(
                f"held_back:{technique.id}:{advice.id}",
                AllOf((technique.offered_when, FactTest("advice", (advice.id,)))),
                Conclusion("held_back", technique.id, advice.id),
                (PROGRAM,),
            ):
                rules += with_unless(rule, technique.unless)
    for habit in kb.habits:
        # A habit shown only to some (weight tips for those who asked) needs `offered_when` for
        # every one of its conclusions.
        offered = habit.offered_when
        for status, when in (("focus", habit.focus_when), ("keep_up", habit.keep_up_when)):
            if when is not None:
                rules += from_condition(
                    f"habit:{habit.id}:{status}",
                    when if offered is None else AllOf((offered, when)),
                    Conclusion("habit", habit.id, status),
                    (PROGRAM,),
                )
        not_yet = (
            FactTest("habit", (habit.id,), "focus"),
            FactTest("habit", (habit.id,), "keep_up"),
        )
        general = Conclusion("habit", habit.id, "general")
        if offered is None:
            rules.append(
                RuleSpec(f"habit:{habit.id}:general", (PROGRAM,), general, not_yet, final=True)
            )
        else:
            rules += [
                RuleSpec(rule.id, rule.when, general, (*rule.unless, *not_yet), final=True)
                for rule in from_condition(
                    f"habit:{habit.id}:general", offered, general, (PROGRAM,)
                )
            ]
    rules.append(RuleSpec("break_plan", (PROGRAM,), Conclusion("break_plan", kb.break_plan.id)))
    for posture in kb.posture:
        rules.append(
            RuleSpec(f"posture:{posture.id}", (PROGRAM,), Conclusion("posture", posture.id))
        )

    for advice in kb.advice:
        if advice.holds_back_techniques:
            rules += from_condition(
                f"holding:{advice.id}", advice.when, Conclusion("holding_advice", advice.id)
            )

    # Clinical advice: safety advice is drawn in every report, program advice only with it.
    for advice in kb.advice:
        gate = (PROGRAM,) if advice.scope == "program" else ()
        for rule in from_condition(
            f"advice:{advice.id}", advice.when, Conclusion("advice", advice.id), gate
        ):
            rules += with_unless(rule, advice.unless)

    # Risk level: every level whose condition holds is concluded; the result takes the first.
    for level in kb.risk_levels:
        rules += from_condition(f"risk:{level.id}", level.when, Conclusion("risk", level.id))

    # Fires on the phase in every assessment: "every answer is in". It also makes sure an
    # action has started in every session before it is deleted (see the adapter).
    rules.append(
        RuleSpec("assessment:complete", (), Conclusion("assessment", "complete"), final=True)
    )

    _check_stratified(rules)
    return tuple(rules)


def _symptom_rules(
    kb: KnowledgeBase, symptom: Symptom, held_back: dict[str, FactTest]
) -> list[RuleSpec]:
    """One symptom's causes, fixes and stretches, in that symptom's part."""
    rules: list[RuleSpec] = []
    reported = FactTest("symptom", (symptom.id,))

    for cause in symptom.causes:
        for effect, condition in (
            ("confirms", cause.confirmed_when),
            ("rules_out", cause.ruled_out_when),
        ):
            rules += from_condition(
                f"cause:{cause.id}:{effect}",
                condition,
                Conclusion("evidence", cause.id, effect, symptom.id),
                (reported,),
            )
        evidence = FactTest("evidence", (cause.id,))
        confirms = FactTest("evidence", (cause.id,), "confirms")
        rules_out = FactTest("evidence", (cause.id,), "rules_out")
        # Evidence both ways leaves the cause possible (and the report shows both answers).
        rules.append(
            RuleSpec(
                f"cause:{cause.id}:likely",
                (confirms,),
                Conclusion("cause", cause.id, "likely", symptom.id),
                unless=(rules_out,),
                final=True,
            )
        )
        rules.append(
            RuleSpec(
                f"cause:{cause.id}:possible:both_ways",
                (confirms, rules_out),
                Conclusion("cause", cause.id, "possible", symptom.id),
            )
        )
        rules.append(
            RuleSpec(
                f"cause:{cause.id}:dropped",
                (rules_out,),
                Conclusion("cause", cause.id, "dropped", symptom.id),
                unless=(confirms,),
                final=True,
            )
        )
        rules.append(
            RuleSpec(
                f"cause:{cause.id}:possible",
                (reported,),
                Conclusion("cause", cause.id, "possible", symptom.id),
                unless=(evidence,),
                final=True,
            )
        )
    for solution in symptom.solutions:
        then = Conclusion("solution", solution.id, "", symptom.id)
        unless = solution.unless
        if solution.stretches and all(s in held_back for s in solution.stretches):
            # A fix that is only stretching waits while all of its stretches are held back.
            stretching = AllOf(tuple(held_back[s] for s in solution.stretches))
            unless = stretching if unless is None else AnyOf((unless, stretching))
        # A `when` (answer tests only, checked on load) adds its tests: one rule per way.
        ways = disjuncts(solution.when) if solution.when is not None else [()]
        for n, way in enumerate(ways, start=1):
            suffix = f"#{n}" if len(ways) > 1 else ""
            extra = tuple(a for a in way if isinstance(a, AnswerTest))
            if not solution.addresses:
                rules += with_unless(
                    RuleSpec(f"solution:{solution.id}{suffix}", (reported, *extra), then),
                    unless,
                )
            for cause_id in solution.addresses:
                for status in solution.offered_for:
                    rules += with_unless(
                        RuleSpec(
                            f"solution:{solution.id}:via:{cause_id}:{status}{suffix}",
                            (FactTest("cause", (cause_id,), status), *extra),
                            then,
                        ),
                        unless,
                    )
        for stretch_id in solution.stretches:
            rules += with_unless(
                RuleSpec(
                    f"stretch:{stretch_id}:via:{solution.id}",
                    (FactTest("solution", (solution.id,)),),
                    Conclusion("stretch", stretch_id),
                ),
                held_back.get(stretch_id),
            )
    for stretch in kb.stretches:
        if set(stretch.regions) & set(symptom.regions):
            rules += with_unless(
                RuleSpec(
                    f"stretch:{stretch.id}:for:{symptom.id}",
                    (reported,),
                    Conclusion("stretch", stretch.id),
                ),
                held_back.get(stretch.id),
            )
    return [replace(rule, part=symptom.id) for rule in rules]


def _matches(atom: FactTest, kind: str, status: str) -> bool:
    return atom.kind == kind and atom.status in (None, status)


def late_conclusions(rules: list[RuleSpec]) -> set[tuple[str, str]]:
    """(kind, status) of conclusions that can appear only after all answers are in: those of
    final rules, and, transitively, of any rule that builds on one of them."""
    late = {(r.then.kind, r.then.status) for r in rules if r.final}
    grew = True
    while grew:
        grew = False
        for rule in rules:
            produced = (rule.then.kind, rule.then.status)
            if produced in late:
                continue
            if any(
                isinstance(a, FactTest) and any(_matches(a, *x) for x in late) for a in rule.when
            ):
                late.add(produced)
                grew = True
    return late


def _check_stratified(rules: list[RuleSpec]) -> None:
    """A rule may only test for the absence of facts that are all known before the final
    phase; otherwise it could fire on an absence that a later fact contradicts."""
    late = late_conclusions(rules)
    for rule in rules:
        for negated in rule.unless:
            if isinstance(negated, FactTest) and any(_matches(negated, *x) for x in late):
                raise KnowledgeBaseError(
                    [
                        f"rule '{rule.id}' tests for the absence of {negated.kind} facts that are "
                        "only decided after all answers are in; restructure the condition"
                    ]
                )


def same_fact_groups(
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
