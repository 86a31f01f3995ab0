"""The workstation score (ROSA): grids as in the notes, whole workstations scored by hand,
durations, incomplete answers, and monotonicity."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from troubleshoot.kb import load_knowledge_base
from troubleshoot.rosa import Rosa, duration_range, score

KB = load_knowledge_base()
ROSA: Rosa = KB.rosa  # type: ignore[assignment]
NOTES = ROOT.parent / "shared" / "notes" / "rosa.md"

# The grids of the notes (shared/notes/rosa.md), transcribed: rows top to bottom.
CHAIR = (
    "2 2 3 4 5 6 7 8|"
    "2 2 3 4 5 6 7 8|"
    "3 3 3 4 5 6 7 8|"
    "4 4 4 4 5 6 7 8|"
    "5 5 5 5 6 7 8 9|"
    "6 6 6 7 7 8 8 9|"
    "7 7 7 8 8 9 9 9"
)
MONITOR_PHONE = (
    "1 1 1 2 3 4 5 6|"
    "1 1 2 2 3 4 5 6|"
    "1 2 2 3 3 4 6 7|"
    "2 2 3 3 4 5 6 8|"
    "3 3 4 4 5 6 7 8|"
    "4 4 5 5 6 7 8 9|"
    "5 5 6 7 8 8 9 9"
)
MOUSE_KEYBOARD = (
    "1 1 1 2 3 4 5 6|"
    "1 1 2 3 4 5 6 7|"
    "1 2 2 3 4 5 6 7|"
    "2 3 3 3 5 6 7 8|"
    "3 4 4 5 5 6 7 8|"
    "4 5 5 6 6 7 8 9|"
    "5 6 6 7 7 8 8 9|"
    "6 7 7 8 8 9 9 9"
)
EXPECTED = {
    "chair": ([2, 3, 4, 5, 6, 7, 8], [2, 3, 4, 5, 6, 7, 8, 9], CHAIR),
    "monitor_phone": (list(range(0, 7)), list(range(0, 8)), MONITOR_PHONE),
    "mouse_keyboard": (list(range(0, 8)), list(range(0, 8)), MOUSE_KEYBOARD),
}


def _cells(text: str) -> list[list[int]]:
    return [[int(v) for v in row.split()] for row in text.split("|")]


CELLS = [
    (grid, row, column, _cells(text)[r][c])
    for grid, (rows, columns, text) in EXPECTED.items()
    for r, row in enumerate(rows)
    for c, column in enumerate(columns)
]


@pytest.mark.parametrize("grid, row, column, expected", CELLS)
def test_every_grid_cell_matches_the_notes(grid: str, row: int, column: int, expected: int) -> None:
    assert ROSA.grid(grid).lookup(row, column) == expected


@pytest.mark.skipif(not NOTES.exists(), reason="project notes not beside the repository")
def test_transcription_matches_the_notes_file() -> None:
    blocks = re.findall(r"```\n(.*?)```", NOTES.read_text(), flags=re.S)
    parsed = [
        [[int(v) for v in line.split()[1:]] for line in block.strip().splitlines()[1:]]
        for block in blocks
    ]
    assert parsed == [_cells(CHAIR), _cells(MONITOR_PHONE), _cells(MOUSE_KEYBOARD)]


@pytest.mark.parametrize("grid_id", ["peripherals_monitor", "final"])
def test_combination_grids_take_the_larger_score(grid_id: str) -> None:
    grid = ROSA.grid(grid_id)
    for row in grid.row_values:
        for column in grid.column_values:
            assert grid.lookup(row, column) == max(row, column)


@pytest.mark.parametrize("grid", ROSA.grids, ids=lambda g: g.id)
def test_grids_never_decrease_along_rows_or_columns(grid) -> None:
    for r, row in enumerate(grid.cells):
        assert list(row) == sorted(row)
        if r:
            assert all(a >= b for a, b in zip(row, grid.cells[r - 1], strict=True))


BEST: dict[str, Any] = {
    "seat_height": "hips_slightly_above_knees",
    "leg_room": "yes",
    "chair_height_adjustable": "yes",
    "seat_depth": "small_gap",
    "seat_depth_adjustable": "yes",
    "chair_armrests": "yes",
    "armrest_height": "shoulders_relaxed",
    "armrest_width": "close_to_body",
    "armrest_surface": "padded",
    "armrests_adjustable": "yes",
    "lumbar_support": "yes",
    "backrest_recline": "slightly_back",
    "desk_too_high": "no",
    "backrest_adjustable": "yes",
    "monitor_height": "eye_level",
    "screen_position": "straight_ahead",
    "screen_glare": "no",
    "document_holder": "holder",
    "monitor_distance": "arms_length",
    "phone_reach": "within_reach",
    "phone_use": "headset_or_speaker",
    "mouse_position": "next_to_keyboard",
    "mouse_same_surface": "yes",
    "mouse_grip": "whole_hand",
    "mouse_palm_rest": "no",
    "wrist_posture": ["straight"],
    "keyboard_tilt": "flat",
    "keyboard_height": "at_elbow_height",
    "overhead_reach": "no",
    "keyboard_platform_adjustable": "yes",
}
DURATION_QUESTIONS = {
    "daily": ["sitting_daily", "screen_daily", "phone_daily", "mouse_time", "keyboard_time"],
    "continuous": [
        "continuous_sitting",
        "screen_continuous",
        "phone_continuous",
        "mouse_continuous",
        "keyboard_continuous",
    ],
}
SHORT = {"daily": "under_1h", "continuous": "under_30_min"}
MEDIUM = {"daily": "1_to_4h", "continuous": "30_to_60_min"}
LONG = {"daily": "over_4h", "continuous": "over_1_hour"}


def _durations(band: dict[str, str]) -> dict[str, str]:
    return {q: band[kind] for kind, questions in DURATION_QUESTIONS.items() for q in questions}


def _desk(band: dict[str, str] = MEDIUM, **changes: Any) -> dict[str, Any]:
    return {**BEST, **_durations(band), **changes}


WORST = _desk(
    LONG,
    seat_height="feet_dont_reach",
    leg_room="no",
    chair_height_adjustable="no",
    seat_depth="presses_knees",
    seat_depth_adjustable="no",
    armrest_height="too_high",
    armrest_width="too_wide",
    armrest_surface="hard_or_damaged",
    armrests_adjustable="no",
    lumbar_support="no",
    desk_too_high="yes",
    backrest_adjustable="no",
    monitor_height="too_high",
    screen_position="to_one_side",
    screen_glare="yes",
    document_holder="flat_on_desk",
    monitor_distance="too_far",
    phone_reach="out_of_reach",
    phone_use="between_ear_and_shoulder",
    phone_hands_free_option="no",
    mouse_position="reaching",
    mouse_same_surface="no",
    mouse_grip="pinch",
    mouse_palm_rest="yes",
    wrist_posture=["bent_up", "bent_sideways"],
    keyboard_height="above_elbows",
    overhead_reach="yes",
    keyboard_platform_adjustable="no",
)

# Whole workstations scored by hand from the notes: (answers, chair, monitor/phone,
# mouse/keyboard, final). Arithmetic in the comments.
WORKED = {
    # chair grid(1+1, 1+1)=2, -1 -> 1; monitor 1-1=0, phone 1-1=0 -> 1; mouse 0, keyboard 0 -> 1
    "best, short use": (_desk(SHORT), 1, 1, 1, 1),
    # chair 2+0; monitor 1, phone 1 -> grid[1][1]=1; mouse 1, keyboard 1 -> 1; final 2
    "best, medium use": (_desk(MEDIUM), 2, 1, 1, 2),
    # chair 2+1=3; monitor 2, phone 2 -> grid[2][2]=2; mouse 2, keyboard 2 -> grid[2][2]=2
    "best, long use": (_desk(LONG), 3, 2, 2, 3),
    # seat height 3+1 (leg room) + depth 1 = 5; armrests 1 + back 1 = 2; grid[5][2]=4; +1 -> 5
    "action level exactly 5": (
        _desk(MEDIUM, seat_height="feet_dont_reach", leg_room="no", sitting_daily="over_4h"),
        5,
        1,
        1,
        5,
    ),
    # chair grid(5+3, 5+4)=9, +1 -> 10; monitor 3+4+1=8 -> 7, phone 2+2+1+1=6 -> grid 9;
    # mouse 2+2+1+1+1=7, keyboard 2+1+1+1+1+1=7 -> 9; final 10
    "worst case": (WORST, 10, 9, 9, 10),
    # monitor 2+1+1=4, +1 (screen > 4 h) = 5; phone 2+2=4 (+0, hands-free yes, medium use);
    # grid[4][5]=6; chair 2; mouse/keyboard 1; final 6
    "monitor and phone": (
        _desk(
            MEDIUM,
            monitor_height="too_low",
            screen_glare="yes",
            document_holder="flat_on_desk",
            screen_daily="over_4h",
            phone_reach="out_of_reach",
            phone_use="between_ear_and_shoulder",
            phone_hands_free_option="yes",
        ),
        2,
        6,
        1,
        6,
    ),
    # mouse 2+2=4, +1 (over an hour unbroken) = 5; keyboard 2+1=3 (+0); grid[5][3]=6
    "mouse and keyboard": (
        _desk(
            MEDIUM,
            mouse_position="reaching",
            mouse_same_surface="no",
            mouse_continuous="over_1_hour",
            wrist_posture=["bent_up"],
            keyboard_height="above_elbows",
        ),
        2,
        1,
        6,
        6,
    ),
    # seat 2 + depth 2 = 4; armrests 2+1=3, back 2 -> 5; grid[4][5]=4; +1 (sitting > 4 h) = 5
    "chair at the action level": (
        _desk(
            MEDIUM,
            seat_height="hips_below_knees",
            seat_depth="presses_knees",
            armrest_height="too_high",
            armrest_width="too_wide",
            lumbar_support="no",
            sitting_daily="over_4h",
        ),
        5,
        1,
        1,
        5,
    ),
    # no armrests: armrests 2, no armrest modifiers; grid(2, 3)=2; +0
    "chair without armrests": (_desk(MEDIUM, chair_armrests="no"), 2, 1, 1, 2),
    # wrists bent sideways only: keyboard base 1, +1; 2+0=2 -> mk grid[1][2]=2
    "sideways wrists": (_desk(MEDIUM, wrist_posture=["bent_sideways"]), 2, 1, 2, 2),
    # short daily use but long unbroken spells: the worse band (+1) counts everywhere
    "long spells, short days": (
        _desk(SHORT, **{q: "over_1_hour" for q in DURATION_QUESTIONS["continuous"]}),
        3,
        2,
        2,
        3,
    ),
    # phone rarely used, no hands-free: base 1 + 1, short use -1 -> 1; monitor 0 -> grid[1][0]=1
    "phone without hands-free": (
        _desk(SHORT, phone_use="rarely", phone_hands_free_option="no"),
        1,
        1,
        1,
        1,
    ),
}


@pytest.mark.parametrize("name", list(WORKED))
def test_worked_examples(name: str) -> None:
    answers, chair, monitor_phone, mouse_keyboard, final = WORKED[name]
    result = score(ROSA, answers)
    assert (result.chair, result.monitor_phone, result.mouse_keyboard, result.final) == (
        chair,
        monitor_phone,
        mouse_keyboard,
        final,
    )
    assert result.complete and result.final_range == (final, final)
    assert result.action_level_reached is (final >= 5)


def test_duration_modifier_takes_the_worse_band() -> None:
    device = ROSA.device("mouse")
    cases = [
        ({"mouse_time": "under_1h", "mouse_continuous": "under_30_min"}, (-1, -1)),
        ({"mouse_time": "over_4h", "mouse_continuous": "under_30_min"}, (1, 1)),
        ({"mouse_time": "1_to_4h", "mouse_continuous": "under_30_min"}, (0, 0)),
        ({"mouse_continuous": "over_1_hour"}, (1, 1)),  # already the worst: decided
        ({"mouse_time": "under_1h"}, (-1, 1)),  # unknown spell length: a range
        ({}, (-1, 1)),
    ]
    for answers, expected in cases:
        assert duration_range(ROSA, device, answers) == expected


def test_an_incomplete_check_lists_what_is_missing() -> None:
    answers = _desk(MEDIUM)
    del answers["keyboard_tilt"], answers["leg_room"]
    result = score(ROSA, answers)
    assert result.final is None and not result.complete
    assert set(result.missing) == {"keyboard_tilt", "leg_room"}
    assert result.final_range == (2, 2)  # both missing answers could only raise items a little
    assert result.action_level_reached is False
    keyboard = next(i for i in result.items if i.id == "keyboard")
    assert keyboard.score is None and keyboard.missing == ("keyboard_tilt",)


def test_the_action_level_can_be_decided_before_the_check_is_complete() -> None:
    answers = {k: v for k, v in WORST.items() if k.startswith(("mouse", "wrist", "keyboard"))}
    result = score(ROSA, answers)
    assert not result.complete and result.action_level_reached is True


def test_nothing_answered() -> None:
    result = score(ROSA, {})
    assert not result.answered and result.final is None and result.action_level_reached is None


# -- monotonicity --------------------------------------------------------------------------------

GROUPS = {item.id: ROSA.item_questions(item.id) for item in ROSA.items}
GROUPS["chair_duration"] = {"sitting_daily", "continuous_sitting"}


def _values(question_id: str) -> list[Any]:
    question = KB.question[question_id]
    if question.type == "yes_no":
        return ["yes", "no"]
    if question.type == "multi":
        return [
            ["straight"],
            ["bent_up"],
            ["bent_down"],
            ["bent_sideways"],
            ["bent_up", "bent_sideways"],
        ]
    return list(question.choice_ids)


desks = st.fixed_dictionaries({q: st.sampled_from(_values(q)) for q in sorted(ROSA.questions())})


@settings(max_examples=300, deadline=None)
@given(desks, desks, st.sampled_from(sorted(GROUPS)))
def test_a_worse_item_never_lowers_the_final_score(before, other, group) -> None:
    after = {**before, **{q: other[q] for q in GROUPS[group]}}
    first, second = score(ROSA, before), score(ROSA, after)
    assert first.complete and second.complete
    if group == "chair_duration":
        worse = (
            ROSA.bands["daily"][after["sitting_daily"]]
            >= ROSA.bands["daily"][before["sitting_daily"]]
            and ROSA.bands["continuous"][after["continuous_sitting"]]
            >= ROSA.bands["continuous"][before["continuous_sitting"]]
        )
    else:
        old = next(i for i in first.items if i.id == group)
        new = next(i for i in second.items if i.id == group)
        worse = new.score >= old.score  # type: ignore[operator]
    if worse:
        assert second.final >= first.final  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(desks, st.sets(st.sampled_from(sorted(ROSA.questions())), max_size=8))
def test_the_range_always_holds_the_true_score(answers, hidden) -> None:
    known = score(ROSA, answers)
    partial = score(ROSA, {q: v for q, v in answers.items() if q not in hidden})
    low, high = partial.final_range
    assert low <= known.final <= high  # type: ignore[operator]
    if partial.action_level_reached is not None:
        assert partial.action_level_reached == known.action_level_reached


def test_workstation_answers_are_evidence_for_the_symptom_rules(run) -> None:
    result = run({"symptoms": ["neck_pain"], "monitor_distance": "too_far"})
    cause = result.findings[0].causes[0]
    assert (cause.id, cause.status) == ("neck_forward_or_back", "likely")
    assert cause.because[0].text == "Screen distance: Further than an arm's length"


def test_an_action_level_score_raises_the_risk_level(run) -> None:
    calm = run({"symptoms": ["none"], **_desk(MEDIUM)})
    assert calm.risk["level"] == "low" and calm.rosa["final"] == 2
    strained = run({"symptoms": ["none"], **WORST})
    assert strained.rosa["final"] == 10 and strained.rosa["action_level_reached"] is True
    assert strained.risk["level"] == "high"
    assert "rosa:action_level" not in strained.rules_fired  # the score is input, not a rule
    assert "risk:high#2" in strained.rules_fired


def test_workstation_option_asks_the_full_check(runner) -> None:
    from troubleshoot.cli import app

    typed = "\n".join(["y"] + ["n"] * 12 + ["12"]) + "\n"  # store; no warning signs or symptoms
    result = runner.invoke(app, ["assess", "--workstation"], input=typed)
    assert result.exit_code == 130  # input ended part-way, on purpose
    assert "== Your desk and work habits" in result.stdout  # asked even without symptoms
    assert "[14 of about 6" in result.stdout  # about fifty more questions planned
    without = runner.invoke(app, ["assess"], input=typed)
    assert "== Your desk and work habits" not in without.stdout


def test_a_missing_armrest_answer_keeps_the_item_open() -> None:
    answers = _desk(MEDIUM)
    del answers["chair_armrests"]
    result = score(ROSA, answers)
    armrests = next(i for i in result.items if i.id == "armrests")
    assert not armrests.complete and armrests.missing == ("chair_armrests",)
    assert "chair_armrests" in result.missing and not result.complete


def test_time_that_adds_points_is_explained() -> None:
    result = score(ROSA, _desk(LONG))
    keyboard = next(i for i in result.items if i.id == "keyboard")
    assert [f.points for f in keyboard.findings] == [1] and keyboard.score == 2
    assert "type for more than an hour" in keyboard.findings[0].text
    assert [name for name, _ in result.time_findings] == ["Time sitting"]
    assert score(ROSA, _desk(MEDIUM)).time_findings == ()


@pytest.mark.parametrize(
    "answer, points",
    [
        ("hips_level_with_knees", 1),
        ("hips_slightly_above_knees", 1),
        ("hips_below_knees", 2),
        ("hips_well_above_knees", 2),
        ("feet_dont_reach", 3),
    ],
)
def test_seat_height_answers_score_as_in_the_form(answer: str, points: int) -> None:
    item = next(
        i for i in score(ROSA, _desk(MEDIUM, seat_height=answer)).items if i.id == "seat_height"
    )
    assert item.score == points


def test_recline_and_seat_depth_follow_the_form() -> None:
    def back(**changes: Any) -> int | None:
        return next(
            i.score
            for i in score(ROSA, _desk(MEDIUM, **changes)).items
            if i.id in ("back_support",)
        )

    assert back(backrest_recline="slightly_back") == 1 and back(backrest_recline="upright") == 2
    depth = next(
        i
        for i in score(ROSA, _desk(MEDIUM, seat_depth="one_inch_gap")).items
        if i.id == "seat_depth"
    )
    assert depth.score == 2 and "about 3 inches" in depth.findings[0].text


def test_feet_that_do_not_reach_the_floor_are_evidence(run) -> None:
    result = run({"symptoms": ["thigh_low_back_discomfort"], "seat_height": "feet_dont_reach"})
    assert result.findings[0].causes[0].status == "likely"


def test_a_score_kept_from_before_equals_a_fresh_one() -> None:
    """Scores are kept by the instrument's own answers: other answers change nothing, a kept
    score is the one worked out afresh, and changing one result's durations leaves the next."""
    from troubleshoot.rosa.scoring import _score

    answers: dict[str, Any] = {"monitor_height": "too_low", "phone_use": "between_ear_and_shoulder"}
    first = score(ROSA, answers)
    again = score(ROSA, {**answers, "symptoms": ["neck_pain"], "stress_level": 9})
    assert first == again == _score(ROSA, answers)
    first.durations.clear()
    assert score(ROSA, answers).durations == _score(ROSA, answers).durations
    assert score(ROSA, {**answers, "monitor_height": 1}) == _score(
        ROSA, {**answers, "monitor_height": 1}
    )
    assert score(ROSA, {}) == _score(ROSA, {}) and not score(ROSA, {}).answered
