"""The durable_rules engine: rules built from data, sessions cleaned up, failures surfaced."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from troubleshoot.engine import RULESET, SESSION, Engine, answer_facts
from troubleshoot.errors import EngineError
from troubleshoot.model import KnowledgeBase
from troubleshoot.rulebook import build_rulebook


def test_only_the_engine_module_imports_durable_rules() -> None:
    found = subprocess.run(
        ["grep", "-rlE", r"^\s*(from|import) durable", str(ROOT / "troubleshoot")],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert [Path(p).name for p in found] == ["engine.py"]


def test_rules_are_built_from_the_knowledge_base(kb: KnowledgeBase) -> None:
    rules = {rule.id for rule in build_rulebook(kb)}
    for cause in kb.cause:
        assert {
            f"cause:{cause}:likely",
            f"cause:{cause}:possible",
            f"cause:{cause}:dropped",
        } <= rules
    assert "program:screen_clear" in rules and "referral:required" in rules


def test_unsure_and_blank_answers_give_no_facts() -> None:
    facts = list(answer_facts({"a": "not_sure", "b": ["x", "y"], "c": {"neck_pain": 3}, "d": None}))
    assert facts == [
        {"t": "answer", "q": "b", "v": "x"},
        {"t": "answer", "q": "b", "v": "y"},
        {"t": "answer", "q": "c", "v": 3, "ab": "neck_pain"},
    ]


def test_session_state_is_deleted_after_each_assessment(kb: KnowledgeBase, clear_screen) -> None:
    engine = Engine(kb)
    first = engine.evaluate(
        {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    )
    # The same engine gives the same answer again: nothing left over from the last session.
    second = engine.evaluate(
        {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    )
    assert first.conclusions.keys() == second.conclusions.keys()
    with pytest.raises(Exception, match="309"):  # durable_rules: no such session any more
        engine._host.get_state(RULESET, SESSION)
    other = engine.evaluate({**clear_screen, "symptoms": ["eye_strain"]})
    assert not [k for k in other.conclusions if k[1] == "neck_pain"]


def test_every_conclusion_records_its_rules_and_answers(kb: KnowledgeBase, clear_screen) -> None:
    evaluation = Engine(kb).evaluate(
        {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_high"}
    )
    cause = evaluation.conclusions[("cause", "neck_forward_or_back", "likely", "")]
    assert cause.rules == ["cause:neck_forward_or_back:likely"]
    assert {(a.question, a.value) for a in evaluation.because(cause.key)} == {
        ("monitor_height", "too_high"),
        ("symptoms", "neck_pain"),
    }
    assert evaluation.rules_fired[0].startswith(("program:", "symptom:", "check:"))


def test_an_action_error_is_not_swallowed(kb: KnowledgeBase, clear_screen, monkeypatch) -> None:
    engine = Engine(kb)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("troubleshoot.engine._Run.fire", broken)
    with pytest.raises(EngineError, match="boom"):
        engine.evaluate({**clear_screen, "symptoms": ["neck_pain"]})
    monkeypatch.undo()
    # The engine is still usable afterwards.
    assert engine.evaluate({**clear_screen, "symptoms": ["neck_pain"]}).of_kind("symptom")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_many_assessments_keep_memory_flat_and_results_identical(kb, clear_screen) -> None:
    import os

    count = int(os.environ.get("ENGINE_SOAK", "100000" if os.environ.get("CI") else "10000"))
    engine = Engine(kb)
    probe = {
        **clear_screen,
        "symptoms": ["neck_pain", "wrist_pain"],
        "monitor_height": "too_low",
        "stress_level": 7,
        "sleep_hours": 5,
    }
    expected = sorted(engine.evaluate(probe).conclusions)
    variants = [{**clear_screen, "symptoms": [s.id]} for s in kb.symptoms]
    warmup = count // 10
    for n in range(warmup):
        engine.evaluate(variants[n % len(variants)])
    baseline = _rss_mb()
    for n in range(count - warmup):
        engine.evaluate(variants[n % len(variants)])
    assert _rss_mb() - baseline < 5, f"memory grew by {_rss_mb() - baseline:.1f} MB"
    assert sorted(engine.evaluate(probe).conclusions) == expected


def test_facts_the_engine_refuses_leave_it_healthy(kb: KnowledgeBase, clear_screen) -> None:
    """Answers no rule takes are normally skipped before they reach durable_rules; let them
    through and the engine must refuse them harmlessly, assessment after assessment (a
    session left in a bad state crashes the C engine a few assessments later)."""
    engine = Engine(kb)
    answers = {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    expected = engine.evaluate(answers)
    engine._could_match = lambda fact: True  # type: ignore[method-assign]
    for _ in range(300):
        got = engine.evaluate({**answers, "question_no_rule_reads": "x", "severity": {"x": 0}})
    assert got.conclusions.keys() == expected.conclusions.keys()
    assert sorted(f.rule for f in got.trace) == sorted(f.rule for f in expected.trace)


def test_failing_actions_leave_the_engine_healthy(
    kb: KnowledgeBase, clear_screen, monkeypatch
) -> None:
    engine = Engine(kb)
    answers = {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    expected = engine.evaluate(answers)
    monkeypatch.setattr("troubleshoot.engine._Run.fire", _fail)
    for _ in range(300):
        with pytest.raises(EngineError, match="boom"):
            engine.evaluate(answers)
    monkeypatch.undo()
    assert engine.evaluate(answers).conclusions.keys() == expected.conclusions.keys()


def _fail(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_rules_with_the_same_conditions_fire_once_but_are_all_traced(
    kb: KnowledgeBase, clear_screen
) -> None:
    engine = Engine(kb)
    shared = [group for group in engine._actions.values() if len(group) > 1]
    assert shared, "the knowledge base has rules with identical conditions"
    evaluation = engine.evaluate({**clear_screen, "symptoms": ["back_pain"]})
    stretches = {d.id for d in evaluation.of_kind("stretch")}
    back = {r.then.id for r in engine.rules if r.id.startswith("stretch:") and "back_pain" in r.id}
    assert back <= stretches
    assert all(f"stretch:{s}:for:back_pain" in evaluation.rules_fired for s in back)
