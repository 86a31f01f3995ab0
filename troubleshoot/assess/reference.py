"""Reference results: what the tool concludes for made-up answer sets (no one's answers), built
from the knowledge base alone. The store compresses each stored result against them (a zstd
dictionary): a result shares most of its words and structure with these, so it packs to well
under 1 KB instead of ~12 KB, and since the dictionary holds nothing about a person, purging a
person's assessments leaves nothing of theirs behind."""

from __future__ import annotations

import json
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
        reported = [] if number % 12 == 11 else rnd.sample(symptoms, 1 + number % len(symptoms))
        answers["symptoms"] = reported or ["none"]
        for question in kb.questions:
            if question.id in answers or question.private or question.id == "symptoms":
                continue
            if question.for_each:
                answers[question.id] = {item: _answer(question, rnd) for item in reported}
            else:
                answers[question.id] = _answer(question, rnd)
        yield {k: v for k, v in answers.items() if v != {}}


def _answer(question: Question, rnd: random.Random) -> Any:
    public = [c.id for c in question.choices if not c.private]
    if question.allow_unsure and rnd.random() < 0.08:
        return UNSURE
    if question.type == "yes_no":
        return rnd.choice(["yes", "no"])
    if question.type == "choice":
        return rnd.choice(public)
    if question.type == "multi":
        return rnd.sample(public, min(len(public), rnd.randint(1, 2)))
    low = int(question.minimum) if question.minimum is not None else 0
    high = int(question.maximum) if question.maximum is not None else 10
    return rnd.randint(low, min(high, 10) if question.type == "scale" else high)
