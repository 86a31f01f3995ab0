"""How answers and conclusions become facts, and how rule conditions test them."""

from __future__ import annotations

from troubleshoot.conditions import AnswerMissing, AnswerTest, FactTest
from troubleshoot.engine import answer_facts, conclusion_fact, fact_test


def test_blank_answers_give_no_facts_and_not_sure_is_a_value_of_its_own() -> None:
    facts = list(answer_facts({"a": "not_sure", "b": ["x", "y"], "c": {"neck_pain": 3}, "d": None}))
    assert facts == [
        {"t": "answer", "q": "a", "v": "not_sure"},
        {"t": "answer", "q": "b", "v": "x"},
        {"t": "answer", "q": "b", "v": "y"},
        {"t": "answer", "q": "c", "v": 3, "ab": "neck_pain"},
    ]


def test_a_conclusion_fact_never_has_an_id_field() -> None:
    # durable_rules takes `id` as a fact's identity: two conclusions must never share one.
    assert conclusion_fact("cause", "neck_tilt_habit", "likely", "") == {
        "t": "cause",
        "n": "neck_tilt_habit",
        "st": "likely",
    }
    assert conclusion_fact("symptom", "neck_pain", "", "left") == {
        "t": "symptom",
        "n": "neck_pain",
        "ab": "left",
    }


def test_answer_tests_on_one_fact_are_joined() -> None:
    severe = AnswerTest("severity", "gte", 7, about=("neck_pain", "back_pain"))
    assert fact_test(severe, AnswerTest("severity", "lt", 10)) == {
        "$and": [
            {"t": "answer"},
            {"q": "severity"},
            {"$gte": {"v": 7}},
            {"$lt": {"v": 10}},
            {"$or": [{"ab": "neck_pain"}, {"ab": "back_pain"}]},
        ]
    }
    assert fact_test(AnswerTest("monitor_height", "in", ("too_low", "too_high"))) == {
        "$and": [
            {"t": "answer"},
            {"q": "monitor_height"},
            {"$or": [{"v": "too_low"}, {"v": "too_high"}]},
        ]
    }


def test_fact_tests_and_missing_answers() -> None:
    assert fact_test(FactTest("cause", ("a", "b"), "likely")) == {
        "$and": [{"t": "cause"}, {"$or": [{"n": "a"}, {"n": "b"}]}, {"st": "likely"}]
    }
    assert fact_test(FactTest("program", ())) == {"$and": [{"t": "program"}]}
    # Negated, this matches when the question has no answer but "not sure".
    assert fact_test(AnswerMissing("sleep_hours")) == {
        "$and": [{"t": "answer"}, {"q": "sleep_hours"}, {"$neq": {"v": "not_sure"}}]
    }
