"""Knowledge-base behaviour, one test per case file in tests/cases/ (answers -> expectations).

Case file keys: `description`, `answers` (as in an answers file), `expect` with any of:
program (open | referral | screen_incomplete), likely / possible / dropped (exact sets of
cause ids), solutions (must all be offered), no_solutions (must not be), first_solutions
(the finding's solutions start with these, in order, keyed by symptom), advice / techniques /
stretches (exact sets of ids), habits (mapping id -> status), failed_checks (exact set),
message (the id of the statement the referral section shows), urgency (the level the report
opens with, or null), urgency_reasons (ids of the signs and advice behind it), red_flags /
unsure (warning signs answered yes / not sure), held_back (stretches and techniques held back),
advice_urgency (advice id -> its urgency, exactly), both_ways (causes left possible by answers
pointing both ways), risk (the risk level), reason_levels (urgency reason id -> its level),
urgency_cleared (true: the report opens with the words for a sign a doctor has cleared),
report_includes / report_excludes (text the plain-text report must / must not hold), followups
(the kinds of follow-up the stored assessment opens, exactly).

Every case also checks that a sign answered "not sure" is never given the words written for the
sign itself (they are worded for its full level, not the one that applies).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from troubleshoot.assess import assess, normalize_answers
from troubleshoot.kb import KnowledgeBase
from troubleshoot.report import render
from troubleshoot.store import Store

CASES = sorted((Path(__file__).parents[1] / "cases").glob("*.yaml"))


def _ids(items: Any) -> set[str]:
    return {item.id for item in items}


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_case(case_file: Path, kb: KnowledgeBase, tmp_path: Path) -> None:
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
    if "urgency" in expect:
        level = result.urgency.level if result.urgency else None
        assert level == expect["urgency"], "urgency"
    if "urgency_reasons" in expect:
        assert result.urgency is not None
        assert {r.id for r in result.urgency.reasons} == set(expect["urgency_reasons"])
    for key, found in (
        ("red_flags", result.referral.red_flags),
        ("unsure", result.referral.unsure),
        ("held_back", result.held_back),
    ):
        if key in expect:
            assert _ids(found) == set(expect[key]), key
    if "advice_urgency" in expect:
        assert {a.id: a.urgency for a in result.advice} == expect["advice_urgency"]
    if "both_ways" in expect:
        assert {c.id for c in causes if c.both_ways} == set(expect["both_ways"])
    if "risk" in expect:
        assert result.risk["level"] == expect["risk"]
    if "reason_levels" in expect:
        assert result.urgency is not None
        levels = {r.id: r.urgency for r in result.urgency.reasons}
        assert {k: levels.get(k) for k in expect["reason_levels"]} == expect["reason_levels"]
    if "urgency_cleared" in expect:
        assert result.urgency is not None
        words = kb.urgency[result.urgency.level].if_cleared
        assert (words is not None and result.urgency.title == words[0]) == expect["urgency_cleared"]
    if "report_includes" in expect or "report_excludes" in expect:
        text = render(result, kb, "text")
        for wanted in expect.get("report_includes", []):
            assert wanted in text, wanted
        for unwanted in expect.get("report_excludes", []):
            assert unwanted not in text, unwanted
    if "followups" in expect:
        store = Store.open(f"sqlite:///{tmp_path / 'case.db'}")
        stored = store.save(dict(answers), result.to_dict())
        assert stored is not None
        kinds = {f.kind for f in store.followups(assessment_id=stored)}
        assert kinds == set(expect["followups"])
    unsure_reasons = (
        [r for r in result.urgency.reasons if r.kind == "unsure"] if result.urgency else []
    )
    for reason in unsure_reasons:
        assert reason.advice != kb.sign[reason.id].advice.replace("{number}", "911"), reason.id
    # Every likely cause explains itself with at least one answer, and every cause left
    # possible because the answers point both ways shows them.
    assert all(c.because for c in causes if c.status == "likely")
    assert all(len(c.because) >= 2 for c in causes if c.both_ways)
