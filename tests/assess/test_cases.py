"""Knowledge-base behaviour, one test per case file in tests/cases/ (answers -> expectations).

Case file keys: `description`, `answers` (as in an answers file), `expect` with any of:
program (open | referral | screen_incomplete), likely / possible / dropped (exact sets of
cause ids), solutions (must all be offered), no_solutions (must not be), first_solutions
(the finding's solutions start with these, in order, keyed by symptom), advice / techniques /
stretches (exact sets of ids), habits (mapping id -> status), failed_checks (exact set),
message (the id of the statement the referral section shows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from troubleshoot.assess import assess, normalize_answers
from troubleshoot.kb import KnowledgeBase

CASES = sorted((Path(__file__).parents[1] / "cases").glob("*.yaml"))


def _ids(items: Any) -> set[str]:
    return {item.id for item in items}


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_case(case_file: Path, kb: KnowledgeBase) -> None:
    case = yaml.safe_load(case_file.read_text())
    answers = normalize_answers(case["answers"], kb, case_file.name)
    result = assess(kb, answers)
    expect = case["expect"]
    causes = [c for f in result.findings for c in f.causes]
    solutions = {s.id for f in result.findings for s in f.solutions}
    if "program" in expect:
        assert result.program == expect["program"]
    if "message" in expect:
        assert result.referral.message == kb.statements[expect["message"]].text
    for status in ("likely", "possible"):
        if status in expect:
            assert {c.id for c in causes if c.status == status} == set(expect[status]), status
    if "dropped" in expect:
        assert {c.id for f in result.findings for c in f.ruled_out} == set(expect["dropped"])
    assert set(expect.get("solutions", [])) <= solutions
    assert not set(expect.get("no_solutions", [])) & solutions
    for symptom, first in expect.get("first_solutions", {}).items():
        finding = next(f for f in result.findings if f.symptom == symptom)
        assert [s.id for s in finding.solutions][: len(first)] == first
    for key, items in (
        ("advice", result.advice),
        ("techniques", result.techniques),
        ("stretches", result.stretches),
    ):
        if key in expect:
            assert _ids(items) == set(expect[key]), key
    if "habits" in expect:
        assert {h.id: h.status for h in result.habits} == expect["habits"]
    if "failed_checks" in expect:
        failed = {c.id for c in result.desk_checks if c.status == "failed"}
        assert failed == set(expect["failed_checks"])
    # Every likely cause explains itself with at least one answer.
    assert all(c.because for c in causes if c.status == "likely")
