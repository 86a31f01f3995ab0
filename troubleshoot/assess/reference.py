"""Reference results: what the tool concludes for made-up answer sets (no one's answers), built
from the knowledge base alone. The store compresses each stored result against them (a zstd
dictionary): a result shares most of its words and structure with these, so it packs to well
under 1 KB instead of ~12 KB, and since the dictionary holds nothing about a person, purging a
person's assessments leaves nothing of theirs behind."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

from troubleshoot import __version__
from troubleshoot.assess.assessment import assess
from troubleshoot.conditions import UNSURE
from troubleshoot.kb import KnowledgeBase, Question

SETS = 24  # about 1 MB of reference results; more adds little (measured in benchmarks/)
SEED = 0  # fixed: the same knowledge base always gives the same dictionary


def dictionary_key(kb: KnowledgeBase) -> str:
    """What a dictionary is made from: this knowledge base, worded by this version of the tool."""
    return f"{kb.version} {__version__}"


def reference_dictionary(kb: KnowledgeBase, sets: int = SETS) -> bytes:
    """The reference results as one text, the most common structure last (zstd finds matches
    at short distances more cheaply)."""
    results = [
        json.dumps(assess(kb, answers).to_dict(), separators=(",", ":"), ensure_ascii=False)
        for answers in reversed(list(reference_answers(kb, sets)))
    ]
    return "".join(results).encode()


def reference_answers(kb: KnowledgeBase, sets: int = SETS) -> Iterator[dict[str, Any]]:
    """Answer sets like a real questionnaire's: mostly a clear screen and one to all symptoms
    with every follow-up answered; now and then a warning sign, "not sure" or no symptom. Only
    public answers: a stored result is always made without the private ones."""
    rnd = random.Random(SEED)
    symptoms = [s.id for s in kb.symptoms]
    signs = [s.id for s in kb.signs]
    for number in range(sets):
        answers: dict[str, Any] = {sign: "no" for sign in signs}
        if number % 8 == 7 and signs:  # a referral: a warning sign reported
            answers[rnd.choice(signs)] = "yes"
        elif number % 8 == 6 and signs:
            answers[rnd.choice(signs)] = UNSURE
        reported = (
            rnd.sample(symptoms, 1 + number % len(symptoms))
            if symptoms and number % 12 != 11
            else []
        )
        answers["symptoms"] = reported or ["none"]
        for question in kb.questions:
            if question.id in answers or question.private or question.id == "symptoms":
                continue
            if question.for_each:
                each = {item: _answer(question, rnd) for item in reported}
                answers[question.id] = {k: v for k, v in each.items() if v is not None}
            else:
                answers[question.id] = _answer(question, rnd)
        yield {k: v for k, v in answers.items() if v is not None and v != {}}


def _answer(question: Question, rnd: random.Random) -> Any:
    """A plausible public answer to `question`, or None where it has none (every choice is
    private): the question is then left unanswered, as a person may."""
    public = [c.id for c in question.choices if not c.private]
    if question.allow_unsure and rnd.random() < 0.08:
        return UNSURE
    if question.type == "yes_no":
        return rnd.choice(["yes", "no"])
    if question.type == "choice":
        return rnd.choice(public) if public else None
    if question.type == "multi":
        if public:
            return rnd.sample(public, min(len(public), rnd.randint(1, 2)))
        return [question.none_choice.id] if question.none_choice else None
    return _number(question, rnd)


def _number(question: Question, rnd: random.Random) -> int | float | None:
    """A whole number within the question's bounds (an open bound reads as 0 to 10 where that
    fits, else ten beyond the other bound), or the lower bound itself where no whole number
    fits between them."""
    bounds = question.bounds
    if bounds is None:
        return None
    low, high = bounds
    if math.isinf(low):
        low = 0 if high >= 0 else high - 10
    if math.isinf(high):
        high = 10 if low <= 10 else low + 10
    if low > high:
        return None
    first, last = math.ceil(low), math.floor(high)
    return rnd.randint(first, last) if first <= last else low
