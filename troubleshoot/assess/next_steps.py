"""Your next steps: at most five actions for this person, most important first, each one line
with its reason. Drawn from what the result already holds, in this order: the fixes for likely
causes, the desk set-up checks that failed, one fix for a possible cause of each problem
that has no step yet, a movement break
for the pain, and a first stress technique. None while a warning sign holds the program back:
the referral is the step then."""

from __future__ import annotations

from dataclasses import dataclass

from troubleshoot.assess.result import Because, Result

MOST = 5


@dataclass(frozen=True)
class NextStep:
    kind: str  # solution | desk_check | break | technique
    id: str
    text: str
    because: str  # the reason in the person's own answers ("" when it is general)


def _said(because: tuple[Because, ...]) -> str:
    said = "; ".join(dict.fromkeys(b.text for b in because if b.text))
    return f"because you said: {said}" if said else ""


def plan(result: Result) -> tuple[NextStep, ...]:
    if result.program != "open":
        return ()
    steps: list[NextStep] = []
    covered: set[str] = set()  # the answers a step already answers to

    def add(step: NextStep, questions: set[str]) -> None:
        if len(steps) < MOST and all(s.id != step.id for s in steps):
            steps.append(step)
            covered.update(questions)

    fixed: set[str] = set()  # likely causes that have a step: one fix each, room for the rest
    for finding in result.findings:
        for solution in finding.solutions:
            asked = {b.question for b in solution.because}
            if (
                solution.priority == "likely"
                and not set(solution.for_causes) <= fixed
                and not (asked and asked <= covered)  # the same answers already have a step
            ):
                fixed.update(solution.for_causes)
                add(
                    NextStep("solution", solution.id, solution.text, _said(solution.because)),
                    {b.question for b in solution.because},
                )
    for check in result.desk_checks:
        questions = {b.question for b in check.because}
        if check.status == "failed" and not questions <= covered:
            add(NextStep("desk_check", check.id, check.guidance, _said(check.because)), questions)
    for finding in result.findings:  # one fix for a possible cause per problem, at most
        possible = [s for s in finding.solutions if s.priority == "possible"]
        if possible and not any(s.id in {p.id for p in steps} for s in finding.solutions):
            reason = _said(possible[0].because) or f"it may ease your {finding.name.lower()}"
            add(NextStep("solution", possible[0].id, possible[0].text, reason), set())
    if result.break_plan and result.reported:
        minutes = " to ".join(map(str, result.break_plan.get("move_every_minutes") or [20, 30]))
        names = " and ".join(r.name.lower() for r in result.reported[:2])
        add(
            NextStep(
                "break",
                "move",
                f"Get up or change position every {minutes} minutes, and stretch.",
                f"because you reported {names}",
            ),
            set(),
        )
    if result.techniques and result.stress:
        first = result.techniques[0]
        level = result.answers.get("stress_level")
        reason = f"because you rated your stress {level}/10" if isinstance(level, int) else ""
        add(
            NextStep(
                "technique", first.id, f"Try {first.name.lower()} (see your stress plan).", reason
            ),
            set(),
        )
    return tuple(steps)
