"""Private answers (a question, or one choice of a question, marked `private: true` in the
knowledge base): they shape the person's own report at the time, and nothing else.

What is stored, exported or shown to staff is the assessment of the answers *without* the
private ones (`for_storage`): nothing drawn from a private answer, not even its absence, can
reach a staff view, a case or a cohort count. What the person saw only because of a private
answer is listed in their own report's `person_only` (advice, techniques, urgency reasons), so
the report can say that it is not stored. A rule trace never repeats a private answer, and a
draft never keeps one: a resumed questionnaire asks it again.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from troubleshoot.assess.result import Result
from troubleshoot.conditions import AnswerValue
from troubleshoot.kb import KnowledgeBase, Question

HIDDEN = "(private)"


def _private_value(question: Question, value: object) -> bool:
    if question.private:
        return True
    hidden = question.private_choices
    if isinstance(value, list):
        return bool(hidden & set(value))
    return isinstance(value, str) and value in hidden


def has_private(kb: KnowledgeBase, answers: dict[str, AnswerValue]) -> bool:
    return any(
        _private_value(kb.question[q], value) for q, value in answers.items() if q in kb.question
    )


def public_answers(kb: KnowledgeBase, answers: dict[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The answers without the private ones: a private question left out, a private choice
    taken out of a list (and the answer left out when nothing else was picked: unknown, never
    "none of these")."""
    kept: dict[str, AnswerValue] = {}
    for question_id, value in answers.items():
        question = kb.question.get(question_id)
        if question is None:
            kept[question_id] = value
            continue
        if question.private:
            continue
        hidden = question.private_choices
        if isinstance(value, list) and hidden:
            rest = [item for item in value if item not in hidden]
            if not rest:
                continue
            kept[question_id] = rest
        elif not (isinstance(value, str) and value in hidden):
            kept[question_id] = value
    return kept


def draft_answers(kb: KnowledgeBase, answers: dict[str, AnswerValue]) -> dict[str, AnswerValue]:
    """The answers a draft may keep: any answer that holds something private is left out
    whole, so a resumed questionnaire asks that question again."""
    return {
        question_id: value
        for question_id, value in answers.items()
        if question_id not in kb.question or not _private_value(kb.question[question_id], value)
    }


def for_storage(
    kb: KnowledgeBase, answers: dict[str, AnswerValue], full: Result, **options: Any
) -> tuple[dict[str, AnswerValue], Result]:
    """What may be stored: the public answers and their own assessment (the same as `full`
    when nothing private was answered). `options` are those `full` was made with."""
    from troubleshoot.assess.assessment import assess

    if not has_private(kb, answers):
        return answers, dataclasses.replace(full, trace=())
    public = public_answers(kb, answers)
    options.pop("explain", None)
    return public, assess(kb, public, **options)


def with_person_only(kb: KnowledgeBase, full: Result, stored: Result) -> Result:
    """The person's own result, marking what it holds only because of a private answer, and
    with every private answer masked in its rule trace."""
    shown = {
        *(f"advice:{a.id}" for a in full.advice),
        *(f"technique:{t.id}" for t in full.techniques),
        *(f"urgency:{r.id}" for r in (full.urgency.reasons if full.urgency else ())),
    }
    kept = {
        *(f"advice:{a.id}" for a in stored.advice),
        *(f"technique:{t.id}" for t in stored.techniques),
        *(f"urgency:{r.id}" for r in (stored.urgency.reasons if stored.urgency else ())),
    }
    only = tuple(sorted(shown - kept))
    return dataclasses.replace(full, person_only=only, trace=masked_trace(kb, full.trace))


def masked_trace(
    kb: KnowledgeBase, trace: tuple[dict[str, Any], ...]
) -> tuple[dict[str, Any], ...]:
    """A rule trace that never repeats a private answer ("answer q = (private)")."""
    if not trace:
        return trace
    private = {q.id: q for q in kb.questions if q.private or q.private_choices}

    def mask(used: str) -> str:
        found = re.match(r"answer (\w+)(\[\w+\])? = (.*)", used)
        if found is None or found.group(1) not in private:
            return used
        question = private[found.group(1)]
        value = found.group(3)
        if question.private or value in question.private_choices:
            return f"answer {found.group(1)}{found.group(2) or ''} = {HIDDEN}"
        return used

    return tuple({**step, "used": [mask(u) for u in step["used"]]} for step in trace)
