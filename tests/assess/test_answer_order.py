"""A report depends on the answers, never on the order their keys came in: a stored assessment
is read back with its answers' keys sorted, a survey export lists its columns in its own order."""

from __future__ import annotations

import random
import sys
from typing import Any

from tests.conftest import ROOT
from troubleshoot.assess import assess
from troubleshoot.kb import KnowledgeBase

sys.path.insert(0, str(ROOT / "benchmarks"))
from run import realistic


def _reordered(answers: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """The same answers, every mapping's keys (per-symptom severities too) shuffled."""
    keys = list(answers)
    rnd.shuffle(keys)
    return {
        k: _reordered(answers[k], rnd) if isinstance(answers[k], dict) else answers[k] for k in keys
    }


def test_the_report_is_the_same_whatever_the_order_of_the_answers(kb: KnowledgeBase) -> None:
    rnd = random.Random(5)
    checked = 0
    for _ in range(60):
        answers = realistic(rnd)
        as_given = assess(kb, answers).to_dict()
        assert assess(kb, _reordered(answers, rnd)).to_dict() == as_given
        assert assess(kb, dict(sorted(answers.items()))).to_dict() == as_given
        checked += bool(as_given["urgency"] and len(as_given["reported"]) > 1)
    assert checked > 5  # several sets had care advised for more than one symptom
