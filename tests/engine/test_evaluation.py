"""What an assessment concluded and why: conclusions recorded once, provenance followed back to
the answers, every firing traced."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from troubleshoot.engine import AnswerRef, Conclusion, Match, RuleSpec, Run

EVIDENCE = RuleSpec("evidence:tilt", (), Conclusion("evidence", "tilt", "confirms"))
CAUSE = RuleSpec("cause:tilt:likely", (), Conclusion("cause", "tilt", "likely"))
ALSO = RuleSpec("cause:tilt:likely#2", (), Conclusion("cause", "tilt", "likely"))


def _answer(question: str, value: str) -> MappingProxyType[str, str]:
    return MappingProxyType({"t": "answer", "q": question, "v": value})


def test_a_conclusion_is_recorded_and_asserted_once_however_often_it_is_drawn() -> None:
    run = Run()
    asserted: list[str] = []
    evidence_key = ("evidence", "tilt", "confirms", "")
    first = Match(
        (EVIDENCE,),
        (_answer("head_tilt_habit", "yes"),),
        (evidence_key,),
        frozenset({("head_tilt_habit", "yes", "")}),
        frozenset(),
        ('{"t": "evidence"}',),
    )
    second = dataclasses.replace(
        first,
        facts=(_answer("phone_use", "between_ear_and_shoulder"),),
        answers=frozenset({("phone_use", "between_ear_and_shoulder", "")}),
    )
    run.fire(first, asserted.append)
    run.fire(second, asserted.append)
    assert asserted == ['{"t": "evidence"}']  # the second drawing asserts nothing new
    assert list(run.conclusions) == [evidence_key]
    assert run.conclusions[evidence_key].rules == ["evidence:tilt"]
    assert run.conclusions[evidence_key].answers == {  # what each drawing rested on
        ("head_tilt_habit", "yes", ""),
        ("phone_use", "between_ear_and_shoulder", ""),
    }
    assert [(f.rule, f.new) for f in run.trace] == [
        ("evidence:tilt", True),
        ("evidence:tilt", False),
    ]
    assert run.trace[1].used == ("answer phone_use = between_ear_and_shoulder",)


def test_every_rule_sharing_a_match_is_credited_and_provenance_reaches_the_answers() -> None:
    run = Run()
    evidence_key = ("evidence", "tilt", "confirms", "")
    cause_key = ("cause", "tilt", "likely", "")
    run.fire(
        Match(
            (EVIDENCE,),
            (_answer("head_tilt_habit", "yes"),),
            (evidence_key,),
            frozenset({("head_tilt_habit", "yes", "")}),
            frozenset(),
            (None,),
        ),
        lambda text: None,
    )
    evidence = MappingProxyType({"t": "evidence", "n": "tilt", "st": "confirms"})
    run.fire(
        Match(
            (CAUSE, ALSO),
            (evidence,),
            (cause_key, cause_key),
            frozenset(),
            frozenset({evidence_key}),
            (None, None),
        ),
        lambda text: None,
    )
    assert run.conclusions[cause_key].rules == ["cause:tilt:likely", "cause:tilt:likely#2"]
    assert [f.used for f in run.trace[1:]] == [("evidence tilt (confirms)",)] * 2
    evaluation = run.evaluation()
    assert evaluation.because(cause_key) == [AnswerRef("head_tilt_habit", "yes")]
    assert [d.id for d in evaluation.of_kind("cause")] == ["tilt"]
    assert evaluation.rules_fired == ["evidence:tilt", "cause:tilt:likely", "cause:tilt:likely#2"]
