"""Loading the knowledge base: the real one is complete, and every kind of mistake is named."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from troubleshoot.errors import KnowledgeBaseError
from troubleshoot.kb import KnowledgeBase, load_knowledge_base

RED_FLAGS = {
    "leg_pain_weakness_tingling",
    "bladder_bowel_control",
    "fever_nausea_vomiting",
    "cancer_or_weight_loss",
}
SYMPTOMS = [
    "neck_ache_one_side",
    "shoulder_tension",
    "neck_pain",
    "hand_tingling_weakness",
    "elbow_pain",
    "wrist_pain",
    "hand_forearm_fatigue",
    "back_pain",
    "lower_back_pain",
    "thigh_low_back_discomfort",
    "eye_strain",
]
TECHNIQUES = {
    "deep_breathing",
    "body_scan",
    "guided_relaxation",
    "progressive_muscle_relaxation",
    "mindfulness",
    "guided_imagery",
    "yoga_stretching",
}


def test_the_knowledge_base_holds_the_whole_source_table(kb: KnowledgeBase) -> None:
    assert {flag.id for flag in kb.red_flags} == RED_FLAGS
    assert [s.id for s in kb.symptoms] == SYMPTOMS
    assert sum(len(s.causes) for s in kb.symptoms) == 24
    # The source table's 42 solutions (one of them split in two: standing up often, and keeping
    # a few things out of reach); the others cite the desk guidance (or are policy).
    table = [x for s in kb.symptoms for x in s.solutions if x.source.section == "Ease Your Pain"]
    assert len(table) == 43
    assert len(kb.stretches) == 10
    assert {t.id for t in kb.techniques} == TECHNIQUES
    assert {h.id for h in kb.habits} == {
        "exercise",
        "five_a_day",
        "sleep",
        "tobacco_free",
        "healthy_weight",
    }
    assert len(kb.break_plan.movement_ideas) == 10
    areas = {c.area for c in kb.checks}
    assert {
        "wrists",
        "keyboard",
        "mouse",
        "elbows",
        "monitor",
        "phone",
        "glare",
        "chair",
        "armrests",
        "lumbar support",
        "seat height",
        "feet",
    } <= areas


def test_every_cause_is_linked_to_questions(kb: KnowledgeBase) -> None:
    for symptom in kb.symptoms:
        assert kb.questions_for_symptom[symptom.id], symptom.id
        for cause in symptom.causes:
            assert kb.questions_behind(cause.confirmed_when), cause.id
            assert kb.questions_behind(cause.ruled_out_when), cause.id


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents not beside the repository")
def test_cited_sections_exist_in_the_source_documents(kb: KnowledgeBase) -> None:
    labels = {"Red-flag screen (page opening)", "Emergency statement (page end)"}
    for document in kb.sources:
        path = SEEDS / document.file
        text = (path if path.exists() else SEEDS.parent / "notes" / document.file).read_text()
        for section in document.sections:
            if section not in labels:
                assert section in text, (document.file, section)


@pytest.mark.skipif(not (ROOT.parent / "shared" / "hooks").is_dir(), reason="hooks not available")
def test_no_sentence_is_copied_from_the_sources() -> None:
    hook = ROOT.parent / "shared" / "hooks" / "copied_sentences.py"
    done = subprocess.run([sys.executable, str(hook), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def _problems(rules_dir: Path) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(rules_dir)
    return "\n".join(caught.value.problems)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_invalid_yaml_names_file_and_line(rules_copy: Path) -> None:
    (rules_copy / "habits.yaml").write_text("habits: [\n  - id: x\n")
    assert re.search(r"rules/habits\.yaml:\d+: invalid YAML", _problems(rules_copy))


def test_missing_source_names_the_item(rules_copy: Path) -> None:
    path = rules_copy / "red_flags.yaml"
    text = path.read_text().replace(
        "    source: {file: 004_9259f9d98e085ea3.txt, section: Red-flag screen (page opening)}\n",
        "",
        1,
    )
    path.write_text(text)
    problems = _problems(rules_copy)
    assert "rules/red_flags.yaml" in problems
    assert (
        "'leg_pain_weakness_tingling'" in problems and "'source' is a required property" in problems
    )


def test_unknown_question_in_a_condition(rules_copy: Path) -> None:
    _edit(
        rules_copy / "symptoms.yaml",
        '{answer: head_tilt_habit, is: "no"}',
        '{answer: head_tilts, is: "no"}',
    )
    problems = _problems(rules_copy)
    assert "rules/symptoms.yaml" in problems
    assert "'neck_tilt_habit'" in problems and "unknown question 'head_tilts'" in problems


def test_dangling_reference_to_a_cause(rules_copy: Path) -> None:
    _edit(
        rules_copy / "symptoms.yaml",
        "addresses: [neck_forward_or_back]",
        "addresses: [neck_too_far]",
    )
    problems = _problems(rules_copy)
    assert "'screen_height_neutral_neck'" in problems
    assert "unknown cause 'neck_too_far'" in problems


def test_duplicate_id(rules_copy: Path) -> None:
    _edit(rules_copy / "stretches.yaml", "- id: wrist_circles", "- id: neck_stretch")
    assert "duplicate id 'neck_stretch' in stretches" in _problems(rules_copy)


def test_unknown_source_document(rules_copy: Path) -> None:
    _edit(rules_copy / "habits.yaml", "file: 004_9259f9d98e085ea3.txt", "file: 999_missing.txt")
    problems = _problems(rules_copy)
    assert "rules/habits.yaml" in problems and "999_missing.txt" in problems


def test_answer_value_must_be_a_choice(rules_copy: Path) -> None:
    _edit(rules_copy / "workstation.yaml", "is: straight_reaching", "is: far_away")
    problems = _problems(rules_copy)
    assert "'keyboard_within_reach'" in problems
    assert "'far_away' is not an answer of question 'elbow_angle'" in problems


def test_unknown_fact_reference(rules_copy: Path) -> None:
    _edit(
        rules_copy / "symptoms.yaml",
        "{check: monitor_in_front, is: failed}",
        "{check: monitor_centred, is: failed}",
    )
    assert "unknown check 'monitor_centred'" in _problems(rules_copy)


def test_section_defined_in_two_files(rules_copy: Path) -> None:
    (rules_copy / "extra.yaml").write_text("habits: []\n")
    assert "section 'habits' is already defined" in _problems(rules_copy)


def test_adding_a_symptom_needs_no_python_change(rules_copy: Path) -> None:
    path = rules_copy / "symptoms.yaml"
    path.write_text(
        path.read_text()
        + """
  - id: knee_ache
    name: Knee ache
    regions: [knees]
    source: *ease
    causes:
      - id: knees_cramped
        text: Knees held bent under a low desk
        source: *ease
        confirmed_when: {check: seat_height_hips_above_knees, is: failed}
        ruled_out_when: {check: seat_height_hips_above_knees, is: passed}
    solutions:
      - id: raise_desk_for_knees
        text: Give your knees room.
        addresses: [knees_cramped]
        source: *ease
"""
    )
    from troubleshoot.assess import assess

    kb = load_knowledge_base(rules_copy)
    answers = {
        **{f.id: "no" for f in kb.signs},
        "symptoms": ["knee_ache"],
        "seat_height": "hips_below_knees",
    }
    finding = assess(kb, answers).findings[0]
    assert [(c.id, c.status) for c in finding.causes] == [("knees_cramped", "likely")]
    assert [s.id for s in finding.solutions] == ["raise_desk_for_knees"]


def test_absence_tests_on_late_facts_are_refused(rules_copy: Path) -> None:
    # A cause confirmed by a solution (itself decided only at the end) would let "possible"
    # fire before the evidence exists; the rulebook refuses such a knowledge base.
    from troubleshoot.engine import build_rulebook

    _edit(
        rules_copy / "symptoms.yaml",
        'confirmed_when: {answer: typing_force, is: "yes"}',
        "confirmed_when: {solution: stress_relaxation_exercises}",
    )
    kb = load_knowledge_base(rules_copy)
    with pytest.raises(KnowledgeBaseError, match="only decided after all answers are in"):
        build_rulebook(kb)


def test_the_readme_lists_every_project_policy_item(kb: KnowledgeBase) -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Clinical policy") : readme.index("## Safety notice")]
    rows = {
        line.split("|")[1].strip().strip("`")
        for line in table.splitlines()
        if line.startswith("| `")
    }
    assert rows == {item_id for _, item_id, _, _ in kb.policy_items}
    for _, item_id, _, policy in kb.policy_items:
        assert policy.why in table, item_id
        assert all(reference.title in table for reference in policy.references), item_id


# -- the safety fields of the second clinical edition: each refused when malformed ------------
def test_a_reference_no_item_names_is_a_problem(rules_copy: Path) -> None:
    _edit(
        rules_copy / "clinical.yaml",
        "reference: [cks_sciatica, nhs_stroke]",
        "reference: cks_sciatica",
    )
    assert "references 'nhs_stroke'" in _problems(rules_copy)
    assert "no item names this reference" in _problems(rules_copy)


def test_an_unknown_reference_in_a_list_is_named(rules_copy: Path) -> None:
    _edit(rules_copy / "clinical.yaml", "[cks_sciatica, nhs_stroke]", "[cks_sciatica, nhs_strok]")
    assert "unknown reference 'nhs_strok'" in _problems(rules_copy)


def test_cleared_only_when_must_test_answers(rules_copy: Path) -> None:
    _edit(
        rules_copy / "warning_signs.yaml",
        'cleared_only_when: {answer: chest_pain_now, is: "no"}',
        "cleared_only_when: {answer_missing: chest_pain_now}",
    )
    assert "cleared_only_when may only test answers" in _problems(rules_copy)


def test_a_sign_with_its_own_unsure_level_needs_words_for_it(rules_copy: Path) -> None:
    path = rules_copy / "warning_signs.yaml"
    text = path.read_text()
    start = text.index("    unsure_advice: >-")
    end = text.index("    cleared_only_when:")
    path.write_text(text[:start] + text[end:])
    problems = _problems(rules_copy)
    assert "'chest_pain'" in problems and "unsure_advice" in problems


def test_the_emergency_level_needs_words_for_a_cleared_sign(rules_copy: Path) -> None:
    path = rules_copy / "meta.yaml"
    text = path.read_text()
    start = text.index("    if_cleared:")
    end = text.index("    policy: The source pages only say to see a doctor first")
    path.write_text(text[:start] + text[end:])
    assert "needs `if_cleared`" in _problems(rules_copy)


def test_holding_techniques_back_needs_plain_answer_tests(rules_copy: Path) -> None:
    _edit(
        rules_copy / "clinical.yaml",
        "    holds_back_techniques: all\n",
        "    holds_back_techniques: all\n    unless: {answer: stress_level, gte: 9}\n",
    )
    assert "holds_back_techniques needs a `when` of answer tests only" in _problems(rules_copy)


def test_holding_back_an_unknown_technique(rules_copy: Path) -> None:
    _edit(
        rules_copy / "clinical.yaml",
        "holds_back_techniques: [yoga_stretching]",
        "holds_back_techniques: [yoga]",
    )
    assert "holds_back_techniques: unknown 'yoga'" in _problems(rules_copy)


def test_a_solution_when_may_only_test_answers(rules_copy: Path) -> None:
    _edit(
        rules_copy / "symptoms.yaml",
        "when: {answer: monitor_distance, is: too_far}",
        "when: {check: screen_distance, is: failed}",
    )
    assert "a solution's `when` may only test answers" in _problems(rules_copy)
