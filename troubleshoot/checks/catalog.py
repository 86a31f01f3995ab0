"""Plain-text views of the knowledge base: question table, answers template, KB listing."""

from __future__ import annotations

from troubleshoot.assess import allowed_values
from troubleshoot.conditions import AllOf, AnswerMissing, AnyOf, Condition, FactTest
from troubleshoot.engine import build_rulebook
from troubleshoot.kb import KnowledgeBase, Question

SYMBOLS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def describe(condition: Condition) -> str:
    """A condition in words, for listings."""
    if isinstance(condition, AllOf | AnyOf):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        return "(" + joiner.join(describe(part) for part in condition.parts) + ")"
    if isinstance(condition, AnswerMissing):
        return f"{condition.question} unanswered"
    if isinstance(condition, FactTest):
        status = f" {condition.status}" if condition.status else ""
        return f"{condition.kind} {' or '.join(condition.ids)}{status}"
    about = f"[{'/'.join(condition.about)}]" if condition.about else ""
    if condition.op == "is":
        return f"{condition.question}{about} = {condition.value}"
    if condition.op == "in":
        return f"{condition.question}{about} in {'/'.join(map(str, condition.value))}"
    return f"{condition.question}{about} {SYMBOLS[condition.op]} {condition.value}"


def when_asked(kb: KnowledgeBase, question: Question) -> str:
    parts = []
    if question.section == "follow_up":
        symptoms = [s for s, used in kb.questions_for_symptom.items() if question.id in used]
        parts.append("if you report " + " or ".join(symptoms) if symptoms else "with --workstation")
    elif question.section != "screening":
        asked = {s.id for s in kb.sections if s.asked_on_referral}
        parts.append(
            "after the safety check, even while a warning sign holds the program back"
            if question.section in asked
            else "after the safety check is clear (or a doctor has cleared you)"
        )
    else:
        parts.append("first, in the safety check")
    if question.for_each:
        parts.append("once per reported symptom")
    if question.when is not None:
        parts.append("when " + describe(question.when).strip("()"))
    return "; ".join(parts)


def question_table(kb: KnowledgeBase) -> str:
    lines = []
    for question in kb.questions:
        lines.append(
            f"{question.id}  [{question.type}{', optional' if question.optional else ''}]"
            f"  section: {question.section}"
        )
        lines.append(f"    {question.prompt}")
        lines.append(f"    answers: {', '.join(allowed_values(question))}")
        lines.append(f"    asked: {when_asked(kb, question)}")
    return "\n".join(lines) + "\n"


def answers_template(kb: KnowledgeBase) -> str:
    """A YAML answers file to fill in: every question, blank (blank = unknown)."""
    flags = ", ".join(flag.id for flag in kb.red_flags)
    signs = ", ".join(sign.id for sign in kb.warning_signs)
    lines = [
        "# troubleshoot answers file. Fill in what applies; leave a question blank if you do not",
        "# know - it then stays unknown and nothing is concluded from it.",
        "# Warning signs: either answer each one below with yes/no, or list the ones that apply",
        "# (the others of each list then count as no):",
        f"#   red_flags: []        # any of: {flags}",
        f"#   warning_signs: []    # any of: {signs}",
        "",
    ]
    for question in kb.questions:
        lines.append(f"# {question.prompt.replace('{item}', '<symptom>')}")
        lines.append(f"#   answers: {', '.join(allowed_values(question))}")
        lines.append(f"#   asked: {when_asked(kb, question)}")
        if question.for_each:
            lines.append(f"#   per symptom, e.g. {question.id}: {{{kb.symptoms[0].id}: ...}}")
            lines.append(f"{question.id}: {{}}")
        elif question.type == "multi":
            lines.append(f"{question.id}: []")
        else:
            lines.append(f"{question.id}:")
        lines.append("")
    return "\n".join(lines)


def summary(kb: KnowledgeBase) -> str:
    causes = sum(len(s.causes) for s in kb.symptoms)
    solutions = sum(len(s.solutions) for s in kb.symptoms)
    return (
        f"{len(kb.questions)} questions, {len(kb.red_flags)} red flags, "
        f"{len(kb.warning_signs)} further warning signs, "
        f"{len(kb.symptoms)} symptoms, "
        f"{causes} causes, {solutions} solutions, {len(kb.checks)} desk checks, "
        f"{len(kb.stretches)} stretches, {len(kb.techniques)} techniques, {len(kb.habits)} habits, "
        f"{len(kb.advice)} advice rules; {len(build_rulebook(kb))} compiled rules "
        f"(version {kb.version})"
    )


def _policy(item: object) -> str:
    """The project-policy mark of an item that goes beyond the source documents."""
    policy = getattr(item, "policy", None)
    return f"  [project policy: {policy.why} Reference: {policy.cited}]" if policy else ""


def knowledge_listing(kb: KnowledgeBase) -> str:
    out = [f"Knowledge base {kb.version}: {summary(kb)}", ""]
    out += ["URGENCY LEVELS (every warning sign and piece of medical advice names one)"]
    out += [f"  {u.id}: {u.title}. {u.text}{_policy(u)}" for u in kb.urgency_levels]
    out += ["", "WARNING SIGNS (any one -> referral until a doctor has cleared the person)"]
    for sign in kb.signs:
        out.append(f"  {sign.id} [{sign.urgency}]: {sign.text}  [{sign.source}]{_policy(sign)}")
    out += ["", "SYMPTOMS -> POSSIBLE CAUSES -> SOLUTIONS"]
    for symptom in kb.symptoms:
        regions = ", ".join(kb.region[r].name for r in symptom.regions)
        out.append(f"  {symptom.id}: {symptom.name} ({regions})")
        for cause in symptom.causes:
            out.append(f"    cause {cause.id}: {cause.text}")
            out.append(f"      likely if {describe(cause.confirmed_when)}")
            out.append(f"      ruled out if {describe(cause.ruled_out_when)}")
        for solution in symptom.solutions:
            target = ", ".join(solution.addresses) or "any cause"
            out.append(f"    solution {solution.id} ({target}): {solution.text}{_policy(solution)}")
    out += ["", "DESK SET-UP CHECKS"]
    for check in kb.checks:
        out.append(f"  {check.id} [{check.area}]: {check.guidance}{_policy(check)}")
        out.append(
            f"    failed if {describe(check.failed_when)}; passed if {describe(check.passed_when)}"
        )
    out += ["", "CLINICAL ADVICE"]
    out += [
        f"  {a.id} [{a.urgency}, {a.scope}] when {describe(a.when)}{_policy(a)}" for a in kb.advice
    ]
    out += ["", "QUESTIONS BEYOND THE SOURCE DOCUMENTS"]
    out += [f"  {q.id}: {q.label}{_policy(q)}" for q in kb.questions if q.policy]
    out += ["", "STRETCHES"]
    out += [f"  {s.id}: {s.name} ({', '.join(s.regions)}){_policy(s)}" for s in kb.stretches]
    out += ["", "STRESS TECHNIQUES"]
    out += [
        f"  {t.id}: {t.name} when {describe(t.offered_when)}"
        + (f", unless {describe(t.unless)}" if t.unless is not None else "")
        + _policy(t)
        for t in kb.techniques
    ]
    out += ["", "HEALTHY HABITS"]
    out += [f"  {h.id}: {h.name} (focus when {describe(h.focus_when)})" for h in kb.habits]
    out += ["", "REFERENCES (public guidance behind the project-policy items)"]
    out += [f"  {r.id}: {r}{'  ' + r.url if r.url else ''}" for r in kb.references]
    return "\n".join(out) + "\n"
