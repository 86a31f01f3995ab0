"""The rulebook in parts: a core ruleset plus one per symptom, opened only where the facts lead,
and room for a knowledge base several times today's size."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.grown_kb import write_grown_kb
from tests.engine.oracle import evaluate as oracle_evaluate
from troubleshoot.conditions import AnswerTest, FactTest
from troubleshoot.engine import Conclusion, Engine, RuleSpec
from troubleshoot.engine.partitions import CORE, anchor, partition
from troubleshoot.kb import KnowledgeBase, load_knowledge_base


def _opened(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the parts each assessment opens, in order (recorded as they open)."""
    names: list[str] = []
    open_part = engine._open_part

    def recording(part: int) -> None:
        names.append(engine.parts[part].name)
        open_part(part)

    monkeypatch.setattr(engine, "_open_part", recording)
    return names


def test_every_symptom_has_its_own_part_and_the_core_holds_no_cause(kb: KnowledgeBase) -> None:
    parts = Engine(kb).parts
    assert parts[0].name == CORE
    assert {part.name for part in parts[1:]} == {symptom.id for symptom in kb.symptoms}
    assert not [r.id for r in parts[0].rules if r.then.kind in ("cause", "evidence")]
    for part in parts[1:]:
        assert all(rule.part == part.name for rule in part.rules)


def test_only_the_reported_symptoms_parts_are_opened(
    kb: KnowledgeBase, clear_screen, monkeypatch
) -> None:
    engine = Engine(kb)
    opened = _opened(engine, monkeypatch)
    engine.evaluate({**clear_screen, "symptoms": ["neck_pain", "wrist_pain"]})
    assert sorted(opened) == sorted([CORE, "neck_pain", "wrist_pain"])
    opened.clear()
    engine.evaluate({**clear_screen, "symptoms": ["none"]})
    assert opened == [CORE]


def test_a_warning_sign_opens_no_symptom_part(kb: KnowledgeBase, clear_screen, monkeypatch) -> None:
    """With the program held back no symptom is concluded, so no symptom part opens at all."""
    engine = Engine(kb)
    opened = _opened(engine, monkeypatch)
    sign = kb.signs[0].id
    evaluation = engine.evaluate({**clear_screen, sign: "yes", "symptoms": ["neck_pain"]})
    assert opened == [CORE]
    assert evaluation.of_kind("red_flag") and not evaluation.of_kind("cause")


def test_facts_cross_between_parts(kb: KnowledgeBase, clear_screen) -> None:
    """A fix concluded in a symptom's part reaches the core's rules (stress techniques), and the
    core's held-back stretches reach the symptoms' parts (no stretch at pain 9 or 10)."""
    engine = Engine(kb)
    # Low stress: the techniques come only from the shoulders' stress-relief fix.
    answers = {
        **clear_screen,
        "symptoms": ["shoulder_tension"],
        "stress_level": 2,
        "shoulders_raised_habit": "yes",
    }
    got = {d.id for d in engine.evaluate(answers).of_kind("technique")}
    assert got and got == set(oracle_evaluate(kb, answers).techniques)
    assert not engine.evaluate({**answers, "shoulders_raised_habit": "no"}).of_kind("technique")
    for symptom in kb.symptoms:
        calm = {**clear_screen, "symptoms": [symptom.id]}
        hurting = {**calm, "severity": {symptom.id: 10}}
        stretches = {d.id for d in engine.evaluate(hurting).of_kind("stretch")}
        assert stretches == set(oracle_evaluate(kb, hurting).stretches), symptom.id
        assert stretches < {d.id for d in engine.evaluate(calm).of_kind("stretch")} or (
            not stretches and symptom.id == "eye_strain"
        )


def test_a_rule_that_could_fire_before_its_symptom_moves_to_the_core() -> None:
    """A rule filed under a symptom but testing only answers could fire without that symptom;
    so could a rule resting on it. Both move to the core; anchored ones stay."""
    stray = RuleSpec(
        "stray", (AnswerTest("stress_level", "gte", 7),), Conclusion("x", "a"), part="s"
    )
    resting = RuleSpec("resting", (FactTest("x", ("a",)),), Conclusion("y", "b"), part="s")
    anchored = RuleSpec(
        "anchored", (FactTest("symptom", ("s",)),), Conclusion("cause", "c"), part="s"
    )
    following = RuleSpec("following", (FactTest("cause", ("c",)),), Conclusion("z", "d"), part="s")
    moved = {rule.id: rule.part for rule in anchor((stray, resting, anchored, following))}
    assert moved == {"stray": CORE, "resting": CORE, "anchored": "s", "following": "s"}
    parts = partition((stray, resting, anchored, following), set())
    assert [(part.name, len(part.rules)) for part in parts] == [(CORE, 2), ("s", 2)]
    assert parts[1].trigger == ("symptom", "s", "")


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    folder: Path = tmp_path_factory.mktemp("grown")
    return load_knowledge_base(write_grown_kb(folder, factor=4))


def test_four_times_the_symptoms_compile_and_answer_as_today(
    kb: KnowledgeBase, grown: KnowledgeBase, clear_screen
) -> None:
    """One ruleset of 36 symptoms did not compile (durable_rules' links per join node); in
    parts, 44 do, and the same answers give the same conclusions as today's knowledge base."""
    assert len(grown.symptoms) == 4 * len(kb.symptoms)
    today, bigger = Engine(kb), Engine(grown)
    assert len(bigger.parts) == 4 * len(kb.symptoms) + 1
    rnd = random.Random(7)
    symptoms = [s.id for s in kb.symptoms]
    for _ in range(40):
        answers = {
            **clear_screen,
            "symptoms": rnd.sample(symptoms, rnd.randint(1, 5)),
            "monitor_height": rnd.choice(["too_low", "eye_level", "too_high"]),
            "stress_level": rnd.randint(0, 10),
        }
        assert (
            bigger.evaluate(answers).conclusions.keys()
            == today.evaluate(answers).conclusions.keys()
        )


def test_a_copied_symptom_is_assessed_like_its_original(grown: KnowledgeBase, clear_screen) -> None:
    engine = Engine(grown)
    base = {**clear_screen, "monitor_height": "too_high"}
    original = engine.evaluate({**base, "symptoms": ["neck_pain"]})
    copied = engine.evaluate({**base, "symptoms": ["neck_pain_copy3"]})
    causes = {(d.id, d.status) for d in original.of_kind("cause")}
    assert {(d.id.removesuffix("_copy3"), d.status) for d in copied.of_kind("cause")} == causes
    assert causes
