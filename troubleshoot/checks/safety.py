"""`troubleshoot rules check`: proofs of the safety structure.

- Every warning sign and every piece of medical advice names an urgency level.
- Every question that can lead to emergency or same-day advice is asked of every person it can
  apply to: in a part of the questionnaire asked even while a warning sign holds the program
  back, behind no gate but other such questions (the symptom reported, the sign's own
  question).
- Every cause that can be likely can show a fix of its own in its finding: for every witness
  that makes it likely, some solution addressing it is offered whatever the unknown answers
  turn out to be (its `unless` cannot hold alongside the witness).
"""

from __future__ import annotations

import copy
import itertools

from troubleshoot.assess import assess
from troubleshoot.checks.witness import Answers, Conflict, Witness, merge
from troubleshoot.conditions import questions_used
from troubleshoot.kb import KnowledgeBase, Solution

URGENT = ("emergency", "same_day")


def safety_problems(kb: KnowledgeBase, witness: Witness) -> list[str]:
    return _urgencies(kb) + _gates(kb) + _fixes(kb, witness)


def _urgencies(kb: KnowledgeBase) -> list[str]:
    problems = []
    for sign in kb.signs:
        if sign.urgency not in kb.urgency:
            problems.append(f"warning sign '{sign.id}' has no urgency level")
    for advice in kb.advice:
        if advice.urgency not in (*kb.urgency, "info"):
            problems.append(f"advice '{advice.id}' has no urgency level")
    return problems


def urgent_questions(kb: KnowledgeBase) -> dict[str, str]:
    """Question -> the emergency or same-day advice it can lead to."""
    found: dict[str, str] = {}
    for sign in kb.signs:
        levels = {sign.urgency, kb.urgency[sign.urgency].when_unsure}
        if levels & set(URGENT):
            found.setdefault(sign.id, f"warning sign '{sign.id}' ({sign.urgency})")
    for advice in kb.advice:
        if advice.urgency in URGENT:
            for question in sorted(kb.questions_behind(advice.when)):
                found.setdefault(question, f"{advice.urgency} advice '{advice.id}'")
    return found


def _gates(kb: KnowledgeBase) -> list[str]:
    on_referral = {s.id for s in kb.sections if s.asked_on_referral}
    always = {q.id for q in kb.questions if q.section in on_referral}
    problems = []
    for question_id, leads_to in sorted(urgent_questions(kb).items()):
        question = kb.question[question_id]
        if question_id not in always:
            problems.append(
                f"question '{question_id}' can lead to {leads_to} but is asked only in section "
                f"'{question.section}', not of everyone (a warning sign stops the questionnaire "
                "before it)"
            )
            continue
        gate = sorted(questions_used(question.when) - always) if question.when else []
        if gate:
            problems.append(
                f"question '{question_id}' can lead to {leads_to} but is asked only after "
                f"unrelated answers: {', '.join(gate)}"
            )
    return problems


def _fixes(kb: KnowledgeBase, witness: Witness) -> list[str]:
    problems = []
    for symptom in kb.symptoms:
        for cause in symptom.causes:
            fixes = [s for s in symptom.solutions if cause.id in s.addresses]
            for partial in witness.answers_for(cause.confirmed_when):
                withheld = _withheld_all(kb, witness, symptom.id, cause.id, partial, fixes)
                if withheld is not None:
                    problems.append(
                        f"cause '{cause.id}' can be likely with no fix of its own in its "
                        f"finding (for example with {_shown(withheld, witness)}): every "
                        "solution addressing it can be withheld by its `unless`"
                    )
                    break
    return problems


def _withheld_all(
    kb: KnowledgeBase,
    witness: Witness,
    symptom: str,
    cause: str,
    partial: Answers,
    fixes: list[Solution],
) -> Answers | None:
    """Answers under which the cause is likely and every fix is withheld, if any: the witness
    with, for each fix, answers that make its `unless` hold (tried in combination)."""
    unless = [fix.unless for fix in fixes]
    if any(condition is None for condition in unless):
        return None  # always offered
    options = [list(itertools.islice(witness.answers_for(c), 6)) for c in unless if c]
    for combination in itertools.islice(itertools.product(*options), 200):
        answers: Answers = {**witness.base, "symptoms": [symptom]}
        try:
            for part in (partial, *combination):
                merge(answers, copy.deepcopy(part))
        except Conflict:
            continue
        finding = next((f for f in assess(kb, answers).findings if f.symptom == symptom), None)
        if finding is None or not any(
            c.id == cause and c.status == "likely" for c in finding.causes
        ):
            continue
        if not any(cause in s.for_causes for s in finding.solutions):
            return answers
    return None


def _shown(answers: Answers, witness: Witness) -> str:
    shown = [
        f"{k}={v}"
        for k, v in sorted(answers.items())
        if k != "symptoms" and witness.base.get(k) != v
    ]
    return ", ".join(shown) or "-"
