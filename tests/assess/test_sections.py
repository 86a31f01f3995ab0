"""The self-help program's sections: ordered, grouped and explained as the report needs."""

from __future__ import annotations

from troubleshoot.assess.sections import HABIT_ORDER, LEVEL_ORDER


def test_advice_is_most_urgent_first_and_names_every_symptom(run) -> None:
    result = run(
        {
            "symptoms": ["neck_pain", "wrist_pain", "eye_strain"],
            "severity": {"neck_pain": 7, "wrist_pain": 8, "eye_strain": 9},
            "chest_pain_now": "yes",
        }
    )
    levels = [LEVEL_ORDER[a.urgency] for a in result.advice]
    assert levels == sorted(levels) and result.advice[0].urgency == "emergency"
    assert [a.urgency for a in result.advice[:2]] == ["emergency", "same_day"]
    severe = next(a for a in result.advice if a.id == "severe_symptom")
    assert set(severe.about) == {"neck_pain", "wrist_pain"}  # one item, both symptoms
    assert {b.about for b in severe.because} == {"neck_pain", "wrist_pain"}


def test_a_desk_check_with_conflicting_answers_counts_as_failed(run) -> None:
    # Wrists are a multi-answer question: straight at times and bent up at others.
    result = run({"symptoms": ["wrist_pain"], "wrist_posture": ["straight", "bent_up"]})
    wrists = next(c for c in result.desk_checks if c.id == "wrists_straight")
    assert wrists.status == "failed"
    assert any(b.answer == "bent_up" for b in wrists.because)


def test_habits_to_work_on_come_first(run) -> None:
    result = run({"symptoms": ["none"], "exercise_regularly": "yes", "weight_support": "yes"})
    order = [HABIT_ORDER[h.status] for h in result.habits]
    assert order == sorted(order)
    assert result.habits[0].status == "focus"


def test_stretches_say_which_symptoms_they_help(run) -> None:
    result = run({"symptoms": ["neck_pain"]})
    assert result.stretches
    assert all("Neck pain" in s.helps_with for s in result.stretches if "neck" in s.regions)


def test_reasons_keep_the_type_of_the_answer_given(run) -> None:
    # Reasons are kept between results (the same answers recur); 7, 7.0 and True are equal
    # keys, so a kept reason must never stand in for an answer of another type.
    for severity, shown in ((7, "7/10"), (7.0, "7.0/10"), (9.0, "9.0/10"), (9, "9/10")):
        result = run({"symptoms": ["neck_pain"], "severity": {"neck_pain": severity}})
        reasons = [b for f in result.findings for s in f.solutions for b in s.because]
        reasons += [b for a in result.advice for b in a.because]
        told = [b for b in reasons if b.question == "severity"]
        assert told
        for because in told:
            assert type(because.answer) is type(severity) and str(because.answer) == str(severity)
            assert because.text.endswith(shown)


def test_the_same_reasons_come_back_for_the_same_conclusion(run) -> None:
    # Advice and the urgency panel ask for one conclusion's reasons twice: the same ones.
    result = run({"symptoms": ["neck_pain"], "severity": {"neck_pain": 9}, "duration": {}})
    assert result.urgency is not None
    for reason in result.urgency.reasons:
        if reason.kind == "advice":
            item = next(a for a in result.advice if a.id == reason.id)
            assert set(reason.because) == set(item.because)
