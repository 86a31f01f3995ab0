"""Clinical safety rules: red flags, clearance, severity, chronic pain, chest pain, mindfulness."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kb.test_loader import TECHNIQUES
from troubleshoot.assess import assess
from troubleshoot.kb import load_knowledge_base

KB = load_knowledge_base()
FLAGS = [sign.id for sign in KB.signs]  # the red flags and the further warning signs
SYMPTOMS = [s.id for s in KB.symptoms]

symptom_sets = st.lists(st.sampled_from(SYMPTOMS), unique=True, max_size=4)
flag_sets = st.lists(st.sampled_from(FLAGS), unique=True, min_size=1)
extras = st.fixed_dictionaries(
    {},
    optional={
        "stress_level": st.integers(0, 10),
        "mindfulness_unsuitable": st.sampled_from(["yes", "no"]),
        "monitor_height": st.sampled_from(["eye_level", "too_low", "too_high"]),
        "continuous_sitting": st.sampled_from(["under_30_min", "over_1_hour"]),
        "exercise_regularly": st.sampled_from(["yes", "no"]),
    },
)


def _answers(flags: list[str], symptoms: list[str], more: dict[str, object]) -> dict[str, object]:
    answers: dict[str, object] = {f: ("yes" if f in flags else "no") for f in FLAGS}
    answers["symptoms"] = symptoms
    answers["severity"] = {s: 8 for s in symptoms}
    return {**answers, **more}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(flag_sets, symptom_sets, extras, st.sampled_from([None, "no", "not_sure"]))
def test_any_red_flag_without_clearance_gives_a_referral_and_nothing_else(
    flags, symptoms, more, cleared
) -> None:
    answers = _answers(flags, symptoms, more)
    if cleared is not None:
        answers["cleared_by_doctor"] = cleared
    result = assess(KB, answers)
    assert result.program == "referral" and result.referral.required
    assert {f.id for f in result.referral.red_flags} == set(flags)
    assert not result.findings and not result.stretches and not result.techniques
    assert not result.habits and result.break_plan is None and result.stress is None
    assert all(a.scope == "safety" for a in result.advice)
    assert result.emergency["text"]
    # The report opens with how urgent it is: the most urgent level of the signs reported.
    levels = {KB.sign[f].urgency for f in flags}
    expected = min(levels, key=lambda level: KB.urgency[level].rank)
    assert result.urgency is not None
    assert KB.urgency[result.urgency.level].rank <= KB.urgency[expected].rank


@settings(max_examples=60, deadline=None)
@given(flag_sets, st.lists(st.sampled_from(SYMPTOMS), unique=True, min_size=1, max_size=3))
def test_a_doctors_clearance_opens_the_program_with_a_reminder(flags, symptoms) -> None:
    # Chest pain counts as cleared only when it is not happening now.
    more = {"chest_pain_now": "no"} if "chest_pain" in flags else {}
    result = assess(KB, {**_answers(flags, symptoms, more), "cleared_by_doctor": "yes"})
    assert result.program == "open" and not result.referral.required
    assert result.referral.cleared_by_doctor is True
    assert "cleared" in result.referral.message
    assert [f.symptom for f in result.findings] == [s for s in SYMPTOMS if s in symptoms]


@settings(max_examples=40, deadline=None)
@given(flag_sets, st.sampled_from(["yes", "not_sure", None]))
def test_no_clearance_covers_chest_pain_that_may_be_happening_now(flags, now) -> None:
    answers = {**_answers([*flags, "chest_pain"], ["neck_pain"], {}), "cleared_by_doctor": "yes"}
    if now is not None:
        answers["chest_pain_now"] = now
    result = assess(KB, answers)
    assert result.program == "referral" and not result.findings and not result.techniques
    assert result.referral.message == KB.statements["cleared_needs_care"].text


def test_finger_tingling_is_not_the_leg_red_flag(run) -> None:
    result = run({"symptoms": ["hand_tingling_weakness"], "wrist_posture": "bent_down"})
    assert result.program == "open" and not result.referral.red_flags
    assert result.findings[0].causes[0].id == "median_nerve_pressure"


def test_severe_or_persistent_symptoms_suggest_a_doctor(run) -> None:
    result = run(
        {
            "symptoms": ["neck_pain", "eye_strain"],
            "severity": {"neck_pain": 7, "eye_strain": 6},
            "duration": {"eye_strain": "4_to_12_weeks", "neck_pain": "1_to_4_weeks"},
        }
    )
    advice = {a.id: a.about for a in result.advice}
    assert advice["severe_symptom"] == ("neck_pain",)
    assert advice["persistent_symptom"] == ("eye_strain",)
    assert all(a.urgency == "soon" for a in result.advice if a.id.endswith("_symptom"))
    assert result.urgency is not None and result.urgency.level == "soon"
    assert result.program == "open"  # advice that is not a warning sign lets the program go on


def test_chronic_back_pain_suggests_staying_active_and_relaxation(run) -> None:
    result = run(
        {
            "symptoms": ["lower_back_pain"],
            "duration": {"lower_back_pain": "over_12_weeks"},
            "mindfulness_unsuitable": "no",
        }
    )
    assert "chronic_back_pain" in {a.id for a in result.advice}
    assert {t.id for t in result.techniques} == {"progressive_muscle_relaxation", "mindfulness"}


def test_recurrent_back_pain_counts_as_chronic(run) -> None:
    result = run({"symptoms": ["back_pain"], "back_pain_recurrent": "yes"})
    assert "chronic_back_pain" in {a.id for a in result.advice}


def test_chest_pain_is_a_warning_sign_for_everyone_and_never_stress(run) -> None:
    result = run({"chest_pain": "yes", "stress_level": 2})
    assert result.program == "referral" and result.urgency is not None
    assert result.urgency.level == "same_day" and not result.techniques
    # Cleared by a doctor, chest pain still counts for nothing in the stress plan.
    cleared = run(
        {"chest_pain": "yes", "chest_pain_now": "no", "cleared_by_doctor": "yes", "stress_level": 4}
    )
    assert cleared.program == "open" and not cleared.techniques and cleared.stress is None
    assert cleared.urgency is None  # seen by a doctor: no same-day advice left


def test_chest_pain_now_is_an_emergency_even_when_cleared(run) -> None:
    result = run({"chest_pain": "yes", "chest_pain_now": "yes", "cleared_by_doctor": "yes"})
    assert result.urgency is not None and result.urgency.level == "emergency"
    assert {r.id for r in result.urgency.reasons if r.urgency == "emergency"} == {"chest_pain_now"}
    assert "911" in result.urgency.text


def test_emergency_number_is_configurable(run) -> None:
    result = run({"chest_pain": "yes", "chest_pain_now": "yes"}, emergency_number="112")
    assert result.urgency is not None
    assert "112" in result.emergency["text"] and "112" in result.urgency.text
    assert "112" in result.urgency.reasons[0].advice
    assert "911" not in result.emergency["text"] + result.urgency.text


def test_mindfulness_is_withheld_when_unsuitable(run) -> None:
    result = run({"stress_level": 8, "mindfulness_unsuitable": "yes"})
    techniques = {t.id for t in result.techniques}
    assert "mindfulness" not in techniques
    assert {"deep_breathing", "progressive_muscle_relaxation"} <= techniques
    advice = next(a for a in result.advice if a.id == "mindfulness_not_suitable")
    assert "support" in advice.text


def test_mindfulness_is_not_offered_when_the_private_question_is_skipped(run) -> None:
    result = run({"stress_level": 8})
    assert "mindfulness" not in {t.id for t in result.techniques}
    assert "mindfulness_unknown" in {a.id for a in result.advice}


def test_shoulder_relaxation_solution_links_to_the_techniques(run) -> None:
    result = run(
        {
            "symptoms": ["shoulder_tension"],
            "shoulders_raised_habit": "yes",
            "mindfulness_unsuitable": "no",
        }
    )
    solutions = {s.id for s in result.findings[0].solutions}
    assert "stress_relaxation_exercises" in solutions
    assert {t.id for t in result.techniques} == TECHNIQUES


def test_an_unanswered_screen_withholds_the_program(run) -> None:
    result = run({"symptoms": ["neck_pain"]}, screen=False)
    assert result.program == "screen_incomplete"
    assert not result.findings and not result.stretches
    assert result.referral.screen_complete is False


@pytest.mark.parametrize("flag", FLAGS)
def test_each_red_flag_alone_is_a_referral(flag: str) -> None:
    answers = {**_answers([flag], ["back_pain"], {"stress_level": 9}), "cleared_by_doctor": "no"}
    result = assess(KB, answers)
    assert result.program == "referral"
    assert [f.id for f in result.referral.red_flags] == [flag]
    assert result.referral.cleared_by_doctor is False
    assert not result.findings and not result.techniques and not result.stretches


def test_clearance_needs_the_whole_screen_answered() -> None:
    answers = {
        "leg_pain_weakness_tingling": "yes",
        "cleared_by_doctor": "yes",
        "symptoms": ["neck_pain"],
    }
    result = assess(KB, answers)
    assert result.program == "referral" and not result.findings


def test_chronic_advice_appears_once_for_several_back_symptoms(run) -> None:
    back = ["back_pain", "lower_back_pain", "thigh_low_back_discomfort"]
    result = run(
        {
            "symptoms": back,
            "duration": {s: "over_12_weeks" for s in back},
            "back_pain_recurrent": "yes",
        }
    )
    chronic = [a for a in result.advice if a.id == "chronic_back_pain"]
    assert len(chronic) == 1 and chronic[0].about == tuple(back)


def test_answers_that_cannot_apply_are_set_aside(run) -> None:
    result = run(
        {
            "symptoms": ["shoulder_tension"],
            "chair_armrests": "no",
            "armrest_height": "too_high",
            "keyboard_height": "at_elbow_height",
            "desk_too_high": "no",
        }
    )
    assert result.ignored_answers == ("armrest_height",)
    causes = {c.id: c.status for c in result.findings[0].causes}
    assert "workstation_setup_shoulders" not in causes  # ruled out, not confirmed
    # A safety answer is never set aside, even when its question would not have been asked.
    chest = run({"chest_pain_now": "yes"})
    assert chest.advice[0].id == "chest_pain_now" and not chest.ignored_answers


def test_possible_causes_say_when_nothing_more_can_settle_them(run, kb) -> None:
    from troubleshoot.report import render

    result = run(
        {
            "symptoms": ["elbow_pain"],
            "elbow_angle": "straight_reaching",
            "phone_use": "rarely",
            "phone_daily": "under_1h",
            "phone_continuous": "under_30_min",
        }
    )
    cause = result.findings[0].causes[0]
    assert (cause.status, cause.unanswered) == ("possible", ())
    assert "your answers neither confirm nor rule this out" in render(result, kb, "md")
    armless = run({"symptoms": ["shoulder_tension"], "chair_armrests": "no"})
    labels = {label for c in armless.findings[0].causes for label in c.unanswered}
    assert "Armrest height" not in labels and "Keyboard height" in labels


def test_red_flag_questions_are_about_back_pain(kb) -> None:
    for flag in kb.red_flags:
        assert "back pain" in kb.question[flag.id].prompt
