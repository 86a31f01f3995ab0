"""Turn the knowledge base into declarative rules: answers -> red flags / symptoms / checks /
factors -> evidence -> causes -> solutions, stretches, techniques, habits, advice.

Rules are data (RuleSpec); the adapter compiles them into a durable_rules ruleset. A rule
marked `final` waits until every answer is in: rules that conclude from the *absence* of facts
("possible" causes, an incomplete red-flag screen) can only be decided then. Negation is
stratified: no final rule produces a fact that another rule tests for absence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from troubleshoot.conditions import AnswerMissing, AnswerTest, Atom, Condition, FactTest, disjuncts
from troubleshoot.errors import KnowledgeBaseError
from troubleshoot.kb import KnowledgeBase

PROGRAM = FactTest("program", ("open",))
# Kinds of conclusion that are gates rather than reasons: left out of "because you said".
GATE_KINDS = frozenset({"program"})


@dataclass(frozen=True)
class Conclusion:
    kind: str
    id: str
    status: str = ""
    symptom: str = ""


@dataclass(frozen=True)
class RuleSpec:
    id: str
    when: tuple[AnswerTest | FactTest, ...]
    then: Conclusion
    unless: tuple[AnswerMissing | AnswerTest | FactTest, ...] = ()
    final: bool = False


def _split(
    conj: tuple[Atom, ...],
) -> tuple[tuple[AnswerTest | FactTest, ...], tuple[AnswerMissing, ...]]:
    positive = tuple(a for a in conj if isinstance(a, AnswerTest | FactTest))
    missing = tuple(a for a in conj if isinstance(a, AnswerMissing))
    return positive, missing


def _from_condition(
    rule_id: str, condition: Condition, then: Conclusion, prefix: tuple[FactTest, ...] = ()
) -> list[RuleSpec]:
    """One rule per disjunct; `answer_missing` atoms become final negations."""
    conjunctions = disjuncts(condition)
    rules = []
    for number, conj in enumerate(conjunctions, start=1):
        positive, missing = _split(conj)
        suffix = f"#{number}" if len(conjunctions) > 1 else ""
        rules.append(
            RuleSpec(f"{rule_id}{suffix}", (*prefix, *positive), then, missing, final=bool(missing))
        )
    return rules


def _negations(condition: Condition | None) -> list[tuple[AnswerTest | FactTest, ...]]:
    """Ways for `condition` to be false: not (c1 or c2 ...) is, for every conjunction, one of
    its atoms absent; each returned tuple is one such choice (all of its atoms absent)."""
    if condition is None:
        return [()]
    choices = []
    for conj in disjuncts(condition):
        atoms_ = tuple(a for a in conj if isinstance(a, AnswerTest | FactTest))
        if len(atoms_) != len(conj):
            raise KnowledgeBaseError([f"`unless` cannot use answer_missing: {condition}"])
        choices.append(atoms_)
    return [tuple(dict.fromkeys(combo)) for combo in product(*choices)]


def _with_unless(rule: RuleSpec, condition: Condition | None) -> list[RuleSpec]:
    if condition is None:
        return [rule]
    ways = _negations(condition)
    return [
        RuleSpec(
            f"{rule.id}/unless{n}" if len(ways) > 1 else rule.id,
            rule.when,
            rule.then,
            (*rule.unless, *way),
            final=True,
        )
        for n, way in enumerate(ways, start=1)
    ]


@lru_cache(maxsize=8)
def build_rulebook(kb: KnowledgeBase) -> tuple[RuleSpec, ...]:
    rules: list[RuleSpec] = []
    flag_ids = tuple(flag.id for flag in kb.red_flags)
    any_flag = FactTest("red_flag", flag_ids)

    # Red flags and the gate to the self-help program.
    for flag in kb.red_flags:
        rules.append(
            RuleSpec(
                f"red_flag:{flag.id}",
                (AnswerTest(flag.id, "is", "yes"),),
                Conclusion("red_flag", flag.id),
            )
        )
    rules.append(
        RuleSpec(
            "program:screen_clear",
            tuple(AnswerTest(f, "is", "no") for f in flag_ids),
            Conclusion("program", "open", "screen_clear"),
        )
    )
    # A doctor's clearance opens the program only once the whole screen has been answered.
    screen_answered = tuple(AnswerTest(f, "in", ("yes", "no")) for f in flag_ids)
    rules.append(
        RuleSpec(
            "program:cleared_by_doctor",
            (*screen_answered, any_flag, AnswerTest("cleared_by_doctor", "is", "yes")),
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
            rules += _from_condition(
                f"check:{check.id}:{status}",
                condition,
                Conclusion("check", check.id, status),
                (PROGRAM,),
            )
    for factor in kb.factors:
        rules += _from_condition(
            f"factor:{factor.id}", factor.present_when, Conclusion("factor", factor.id), (PROGRAM,)
        )

    # Causes: evidence from answers, then likely / dropped / possible.
    for symptom in kb.symptoms:
        reported = FactTest("symptom", (symptom.id,))
        for cause in symptom.causes:
            for effect, condition in (
                ("confirms", cause.confirmed_when),
                ("rules_out", cause.ruled_out_when),
            ):
                rules += _from_condition(
                    f"cause:{cause.id}:{effect}",
                    condition,
                    Conclusion("evidence", cause.id, effect, symptom.id),
                    (reported,),
                )
            evidence = FactTest("evidence", (cause.id,))
            rules.append(
                RuleSpec(
                    f"cause:{cause.id}:likely",
                    (FactTest("evidence", (cause.id,), "confirms"),),
                    Conclusion("cause", cause.id, "likely", symptom.id),
                )
            )
            rules.append(
                RuleSpec(
                    f"cause:{cause.id}:dropped",
                    (FactTest("evidence", (cause.id,), "rules_out"),),
                    Conclusion("cause", cause.id, "dropped", symptom.id),
                    unless=(FactTest("evidence", (cause.id,), "confirms"),),
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
            if not solution.addresses:
                rules += _with_unless(
                    RuleSpec(f"solution:{solution.id}", (reported,), then), solution.unless
                )
            for cause_id in solution.addresses:
                for status in ("likely", "possible"):
                    rules += _with_unless(
                        RuleSpec(
                            f"solution:{solution.id}:via:{cause_id}:{status}",
                            (FactTest("cause", (cause_id,), status),),
                            then,
                        ),
                        solution.unless,
                    )
            for stretch_id in solution.stretches:
                rules.append(
                    RuleSpec(
                        f"stretch:{stretch_id}:via:{solution.id}",
                        (FactTest("solution", (solution.id,)),),
                        Conclusion("stretch", stretch_id),
                    )
                )
        for stretch in kb.stretches:
            if set(stretch.regions) & set(symptom.regions):
                rules.append(
                    RuleSpec(
                        f"stretch:{stretch.id}:for:{symptom.id}",
                        (reported,),
                        Conclusion("stretch", stretch.id),
                    )
                )

    # The rest of the program: techniques, habits, breaks, posture.
    for technique in kb.techniques:
        for rule in _from_condition(
            f"technique:{technique.id}",
            technique.offered_when,
            Conclusion("technique", technique.id),
            (PROGRAM,),
        ):
            rules += _with_unless(rule, technique.unless)
    for habit in kb.habits:
        rules += _from_condition(
            f"habit:{habit.id}:focus",
            habit.focus_when,
            Conclusion("habit", habit.id, "focus"),
            (PROGRAM,),
        )
        if habit.keep_up_when is not None:
            rules += _from_condition(
                f"habit:{habit.id}:keep_up",
                habit.keep_up_when,
                Conclusion("habit", habit.id, "keep_up"),
                (PROGRAM,),
            )
        rules.append(
            RuleSpec(
                f"habit:{habit.id}:general",
                (PROGRAM,),
                Conclusion("habit", habit.id, "general"),
                unless=(
                    FactTest("habit", (habit.id,), "focus"),
                    FactTest("habit", (habit.id,), "keep_up"),
                ),
                final=True,
            )
        )
    rules.append(RuleSpec("break_plan", (PROGRAM,), Conclusion("break_plan", kb.break_plan.id)))
    for posture in kb.posture:
        rules.append(
            RuleSpec(f"posture:{posture.id}", (PROGRAM,), Conclusion("posture", posture.id))
        )

    # Clinical advice: safety advice is drawn in every report, program advice only with it.
    for advice in kb.advice:
        gate = (PROGRAM,) if advice.scope == "program" else ()
        rules += _from_condition(
            f"advice:{advice.id}", advice.when, Conclusion("advice", advice.id), gate
        )

    # Risk level: every level whose condition holds is concluded; the result takes the first.
    for level in kb.risk_levels:
        rules += _from_condition(f"risk:{level.id}", level.when, Conclusion("risk", level.id))

    _check_stratified(rules)
    return tuple(rules)


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
