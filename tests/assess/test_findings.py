"""Findings: each symptom concluded, its causes in order of how sure the answers make them,
and its fixes ordered by the causes they address."""

from __future__ import annotations

from troubleshoot.assess.findings import STATUS_ORDER, asked_after


def test_findings_follow_the_knowledge_base_order_of_symptoms(run, kb) -> None:
    result = run({"symptoms": ["wrist_pain", "neck_pain", "eye_strain"]})
    order = [s.id for s in kb.symptoms]
    found = [f.symptom for f in result.findings]
    assert found == sorted(found, key=order.index) and len(found) == 3


def test_likely_causes_come_first_and_dropped_ones_are_kept_apart(run) -> None:
    result = run(
        {
            "symptoms": ["neck_ache_one_side"],
            "head_tilt_habit": "yes",  # confirms a cause
            "screen_position": "straight_ahead",  # rules one out
        }
    )
    finding = result.findings[0]
    statuses = [STATUS_ORDER[c.status] for c in finding.causes]
    assert statuses == sorted(statuses) and finding.causes[0].status == "likely"
    assert [c.id for c in finding.ruled_out] == ["head_turned_to_side"]
    assert all(c.status == "dropped" for c in finding.ruled_out)
    assert not {c.id for c in finding.ruled_out} & {c.id for c in finding.causes}


def test_fixes_for_likely_causes_come_first_and_name_their_causes(run) -> None:
    result = run({"symptoms": ["neck_ache_one_side"], "head_tilt_habit": "yes"})
    finding = result.findings[0]
    likely = {c.id for c in finding.causes if c.status == "likely"}
    priorities = [STATUS_ORDER[s.priority] for s in finding.solutions]
    assert priorities == sorted(priorities)
    first = finding.solutions[0]
    assert first.priority == "likely" and set(first.for_causes) <= likely and first.for_causes


def test_a_possible_cause_lists_only_questions_that_could_still_be_asked(run, kb) -> None:
    result = run({"symptoms": ["shoulder_tension"], "chair_armrests": "no"})
    for cause in result.findings[0].causes:
        if cause.status != "possible":
            assert cause.unanswered == ()
    labels = {label for c in result.findings[0].causes for label in c.unanswered}
    # Armrest height is asked only of a chair with armrests.
    assert kb.question["armrest_height"].label not in labels
    assert "chair_armrests" in asked_after(kb, "armrest_height")
