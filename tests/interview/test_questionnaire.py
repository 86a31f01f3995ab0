"""The adaptive questionnaire: order, relevance, referral stop, back, why, invalid input."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from troubleshoot.errors import AnswersError
from troubleshoot.interview import Interview, parse_reply, plan, prune
from troubleshoot.interview.questionnaire import options
from troubleshoot.kb import KnowledgeBase


def _ids(kb: KnowledgeBase, answers: dict) -> list[str]:
    return [s.question.id + (f"[{s.item}]" if s.item else "") for s in plan(kb, answers)]


def test_every_warning_sign_comes_first(kb: KnowledgeBase) -> None:
    first = _ids(kb, {})[: len(kb.signs)]
    assert set(first) == {s.id for s in kb.signs}
    no_leg_sign = _ids(kb, {"leg_pain_weakness_tingling": "no"})
    assert no_leg_sign[len(kb.signs)] == "leg_symptoms_without_back_pain"  # safety part too
    assert all(kb.question[q].section == "screening" for q in first)


def test_a_red_flag_stops_the_self_help_questions_until_cleared(kb, clear_screen) -> None:
    flagged = {**clear_screen, "fever_nausea_vomiting": "yes"}
    referred = _ids(kb, {**flagged, "cleared_by_doctor": "no", "symptoms": ["neck_pain"]})
    # What the doctor and the OH team need is still asked: the symptoms and how strong; and
    # stress and mood, whose support advice applies to everyone. No desk or habit questions.
    assert "cleared_by_doctor" in referred and "severity[neck_pain]" in referred
    sections = {kb.question[q.split("[")[0]].section for q in referred}
    assert sections <= {"screening", "symptoms", "details", "stress"}
    stress = {q for q in referred if kb.question[q.split("[")[0]].section == "stress"}
    assert stress <= {"stress_level", "stress_symptoms", "mood"}
    cleared = _ids(kb, {**flagged, "cleared_by_doctor": "yes", "symptoms": ["neck_pain"]})
    assert "stress_level" in cleared and "monitor_height" in cleared


def test_only_follow_ups_for_reported_symptoms_are_asked(kb, clear_screen) -> None:
    asked = _ids(kb, {**clear_screen, "symptoms": ["eye_strain"]})
    follow_ups = [q for q in asked if kb.question[q.split("[")[0]].section == "follow_up"]
    # The table's questions for eye strain, plus the workstation-score items for the eyes'
    # region (monitor and telephone); the hands-free question waits for the phone answer.
    expected = kb.questions_for_symptom["eye_strain"] | kb.rosa.questions("monitor_phone")
    assert set(follow_ups) == expected - {"phone_hands_free_option"}
    assert {"room_lighting", "screen_glare", "vision_breaks", "monitor_distance"} <= set(follow_ups)
    assert "severity[eye_strain]" in asked and "duration[eye_strain]" in asked
    order = [kb.question[q.split("[")[0]].section for q in asked]
    sections = [s.id for s in kb.sections]
    assert order == sorted(order, key=sections.index)


def test_workstation_mode_asks_every_desk_question(kb, clear_screen) -> None:
    asked = {s.question.id for s in plan(kb, {**clear_screen, "symptoms": ["none"]}, True)}
    assert {q.id for q in kb.questions if q.section == "follow_up" and q.when is None} <= asked


def test_prune_drops_answers_that_no_longer_apply(kb, clear_screen) -> None:
    answers = {
        **clear_screen,
        "symptoms": ["neck_pain"],
        "monitor_height": "too_low",
        "severity": {"neck_pain": 4},
        "room_lighting": "too_bright",
    }
    kept = prune(kb, answers)
    assert "room_lighting" not in kept and kept["monitor_height"] == "too_low"


@pytest.mark.parametrize(
    "reply, expected", [("1", "yes"), ("Y", "yes"), ("no", "no"), ("not sure", "not_sure")]
)
def test_yes_no_replies(kb, reply, expected) -> None:
    assert parse_reply(kb.question["head_tilt_habit"], reply) == expected


def test_choice_replies_by_number_or_name(kb) -> None:
    question = kb.question["monitor_height"]
    assert parse_reply(question, "2") == "too_low"
    assert parse_reply(question, "TOO_HIGH") == "too_high"
    with pytest.raises(AnswersError):
        parse_reply(question, "9")


def test_multi_and_scale_replies(kb) -> None:
    # Overlapping symptoms are listed side by side: the neck ones are 1 and 2.
    assert parse_reply(kb.question["symptoms"], "2, 11") == ["neck_pain", "eye_strain"]
    assert parse_reply(kb.question["severity"], "7") == 7
    for bad in ("11", "-1", "7.5", "lots"):
        with pytest.raises(AnswersError):
            parse_reply(kb.question["severity"], bad)
    with pytest.raises(AnswersError):
        parse_reply(kb.question["symptoms"], "1, 12")  # "none" with a symptom


def _interview(kb: KnowledgeBase, replies: list[str]) -> tuple[dict, list[str]]:
    feed = iter(replies)
    said: list[str] = []
    answers = Interview(kb, lambda prompt: next(feed), said.append).run()
    return answers, said


def test_interview_with_back_why_and_invalid_input(kb) -> None:
    replies = ["n"] * 12  # the safety check  # fmt: skip
    replies += ["?", "2",                # why, then neck pain
               "b",                      # back to the symptom list
               "2,11",                   # neck pain and eye strain
               "8", "eleven", "4",       # severity (an invalid reply in between)
               "2", "5",                 # durations
               "n",                      # neck pain down an arm
               "1", "2", "n", "1", "2", "1",  # screen place and height, laptop, phone, glare, light
               "1", "1", "3", "2",       # screen distance, papers, daily and unbroken screen time
               "1", "1", "1",            # phone reach, daily and longest calls
               "1",                      # vision breaks
               "3", "3",                 # stress level; mood: none (asked below 4)
               "1", "1", "7", "2", ""]  # habits; weight question is optional  # fmt: skip
    answers, said = _interview(kb, replies)
    assert answers["mood"] == ["none"]
    assert answers["symptoms"] == ["neck_pain", "eye_strain"]
    assert answers["severity"] == {"neck_pain": 8, "eye_strain": 4}
    assert answers["duration"] == {"neck_pain": "1_to_4_weeks", "eye_strain": "not_sure"}
    assert answers["monitor_height"] == "too_low"
    assert answers["weight_support"] == "not_sure"
    text = "\n".join(said)
    assert "Why we ask:" in text and "(back one question)" in text
    assert "Sorry, 'eleven' is not a valid answer" in text
    assert "== Safety check (part 1 of 6) ==" in text


def test_interview_ends_at_the_referral(kb) -> None:
    answers, said = _interview(kb, ["y"] + ["n"] * 11 + ["12", "2", "3"])
    assert answers == {
        **{sign.id: "no" for sign in kb.signs},
        "leg_pain_weakness_tingling": "yes",
        "cleared_by_doctor": "no",
        "symptoms": ["none"],
        "stress_level": 2,
        "mood": ["none"],
    }
    assert "== Your desk and work habits" not in "\n".join(said)


def test_overlapping_symptoms_are_grouped_with_a_hint(kb) -> None:
    said: list[str] = []
    interview = Interview(kb, lambda prompt: "", said.append)
    interview.answers = {sign.id: "no" for sign in kb.signs}
    interview.answers["leg_symptoms_without_back_pain"] = "no"
    text = interview._prompt_text(interview._next_step())
    lines = text.splitlines()
    neck = next(n for n, line in enumerate(lines) if line.strip().startswith("Neck: "))
    assert lines[neck + 1].strip().startswith("1) Neck ache on one side")
    assert lines[neck + 2].strip().startswith("2) Neck pain")
    assert any(line.strip().startswith("Back: ") for line in lines)


def test_no_clearance_opens_the_self_help_questions_for_chest_pain_happening_now(
    kb, clear_screen
) -> None:
    now = {**clear_screen, "chest_pain": "yes", "chest_pain_now": "yes", "cleared_by_doctor": "yes"}
    asked = _ids(kb, {**now, "symptoms": ["neck_pain"]})
    sections = {kb.question[q.split("[")[0]].section for q in asked}
    assert sections <= {"screening", "symptoms", "details", "stress"}
    # Not happening now: the clearance covers it, and the program's questions follow.
    cleared = _ids(kb, {**now, "chest_pain_now": "no", "symptoms": ["neck_pain"]})
    assert "monitor_height" in cleared


def test_a_sign_the_person_is_not_sure_of_holds_the_self_help_questions(kb, clear_screen) -> None:
    asked = _ids(kb, {**clear_screen, "saddle_numbness": "not_sure", "symptoms": ["neck_pain"]})
    assert "monitor_height" not in asked and "severity[neck_pain]" in asked


def test_an_emergency_is_told_the_moment_it_is_answered(kb) -> None:
    # Leg, both legs, bladder: the bladder answer is an emergency, told before question 4.
    feed = iter(["n", "n", "y"])
    said: list[str] = []
    interview = Interview(kb, lambda prompt: next(feed), said.append, emergency_number="112")
    with pytest.raises(StopIteration):
        interview.run()
    text = "\n".join(said)
    warning = text.index("!! EMERGENCY: GET HELP NOW !!")
    assert "call 112" in text[warning:].lower() or "Call 112" in text[warning:]
    assert warning < text.rindex("[4 of")  # before the next question
    assert text.count("!! EMERGENCY") == 1  # told once


def test_not_sure_can_be_picked_for_a_multi_choice_question(kb) -> None:
    mood = kb.question["mood"]
    labels = [label for _, label in options(mood)]
    assert labels[-1] == mood.unsure_label
    assert parse_reply(mood, str(len(labels))) == "not_sure"
    with pytest.raises(AnswersError, match="on its own"):
        parse_reply(mood, f"1, {len(labels)}")


def test_multi_choice_takes_labels_and_unambiguous_parts_of_them(kb) -> None:
    from troubleshoot.interview.questionnaire import parse_reply

    symptoms = kb.question["symptoms"]
    picked = parse_reply(symptoms, "wrist pain, tingling", partial=True)
    assert picked == ["wrist_pain", "hand_tingling_weakness"]
    assert parse_reply(symptoms, "3 11") == parse_reply(symptoms, "3, 11")
    # A label that holds commas is matched whole before the reply is split.
    mood = kb.question["mood"]
    whole = next(c for c in mood.choices if "," in c.label)
    assert parse_reply(mood, whole.label) == [whole.id]
    # Too short, or matching two labels: not a guess, an error.
    with pytest.raises(AnswersError):
        parse_reply(symptoms, "pa", partial=True)
    with pytest.raises(AnswersError):
        parse_reply(symptoms, "pain", partial=True)
    # Without `partial` (the safety questions), only whole labels, ids or numbers count.
    with pytest.raises(AnswersError):
        parse_reply(symptoms, "wrist pain, tingling")


def _scripted(replies: list[str]) -> Callable[[str], str]:
    """Typed replies, then the end of input."""
    left = list(replies)

    def ask(_: str) -> str:
        if not left:
            raise EOFError
        return left.pop(0)

    return ask


def test_a_safety_question_never_takes_a_part_of_a_label(kb) -> None:
    said: list[str] = []
    interview = Interview(kb, _scripted(["sur"]), said.append)  # a part of "Not sure"
    with pytest.raises(EOFError):
        interview.run()
    assert "leg_pain_weakness_tingling" not in interview.answers
    assert any("is not a valid answer here" in line and "1) Yes" in line for line in said)


def test_the_question_count_only_grows_and_says_why(kb, clear_screen) -> None:
    said: list[str] = []
    interview = Interview(kb, _scripted(["2"] * 12 + ["neck pain, eye strain"]), said.append)
    with pytest.raises(EOFError):
        interview.run()
    counts = [int(m.group(1)) for line in said for m in [re.search(r"of about (\d+)\]", line)] if m]
    assert counts == sorted(counts)
    assert any("(your answers added questions)" in line for line in said)
    assert any(line.startswith("Understood: ") for line in said)
