"""Differential test: the durable_rules engine and the plain-Python oracle must agree on causes,
solutions, referral, stretches, techniques, advice, habits and desk checks for every answer set
Hypothesis can think of."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.oracle import engine_outcome, evaluate
from troubleshoot.assess import engine_for
from troubleshoot.conditions import UNSURE
from troubleshoot.kb import Question, load_knowledge_base

KB = load_knowledge_base()
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", "300"))


def _value(question: Question) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = []
    if question.type == "yes_no":
        options.append(st.sampled_from(["yes", "no"]))
    elif question.type == "choice":
        options.append(st.sampled_from(list(question.choice_ids)))
    elif question.type == "multi":
        choices = [c.id for c in question.choices]
        options.append(st.lists(st.sampled_from(choices), unique=True, min_size=1, max_size=3))
        if question.none_choice:
            options.append(st.just([question.none_choice.id]))
    elif question.type == "scale":
        options.append(st.integers(0, 10))
    else:
        options.append(
            st.integers(int(question.minimum or 0), int(min(question.maximum or 24, 24)))
        )
    if question.allow_unsure:
        options.append(st.just(UNSURE))
    return st.one_of(options)


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    screen = draw(
        st.sampled_from(["clear", "clear", "clear", "flag", "flag_cleared", "partial", "unsure"])
    )
    for sign in KB.signs:
        answers[sign.id] = "no"
    if screen in ("flag", "flag_cleared"):
        answers[draw(st.sampled_from([s.id for s in KB.signs]))] = "yes"
    if screen == "flag_cleared":
        answers["cleared_by_doctor"] = "yes"
    if screen == "partial":
        del answers[draw(st.sampled_from([s.id for s in KB.signs]))]
    if screen == "unsure":
        answers[draw(st.sampled_from([s.id for s in KB.signs]))] = UNSURE
    symptoms = draw(st.lists(st.sampled_from([s.id for s in KB.symptoms]), unique=True, max_size=4))
    answers["symptoms"] = symptoms
    for question in KB.questions:
        if question.id in KB.sign or question.id in ("symptoms", "cleared_by_doctor"):
            continue  # the screen and the symptoms are drawn above
        if question.for_each:
            values = {s: draw(_value(question)) for s in symptoms if draw(st.booleans())}
            if values:
                answers[question.id] = values
        elif draw(st.integers(0, 2)):  # about a third of the questions stay unanswered
            answers[question.id] = draw(_value(question))
    return answers


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets())
def test_engine_and_oracle_agree(answers: dict[str, Any]) -> None:
    expected = evaluate(KB, answers)
    got = engine_outcome(engine_for(KB).evaluate(answers))
    # Field by field, so that a failure names what differs.
    for name in vars(expected):
        assert getattr(got, name) == getattr(expected, name), name
