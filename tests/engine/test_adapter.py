"""The durable_rules engine: rules built from data, sessions cleaned up, failures surfaced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from troubleshoot.engine import SESSION, Engine, build_rulebook
from troubleshoot.errors import EngineError
from troubleshoot.kb import KnowledgeBase


def test_only_the_engine_module_imports_durable_rules() -> None:
    found = subprocess.run(
        ["grep", "-rlE", r"^\s*(from|import) durable", str(ROOT / "troubleshoot")],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert [Path(p).name for p in found] == ["adapter.py"]


def test_rules_are_built_from_the_knowledge_base(kb: KnowledgeBase) -> None:
    rules = {rule.id for rule in build_rulebook(kb)}
    for cause in kb.cause:
        assert {
            f"cause:{cause}:likely",
            f"cause:{cause}:possible",
            f"cause:{cause}:dropped",
        } <= rules
    assert "program:screen_clear" in rules and "referral:required" in rules


def _no_session(engine: Engine) -> bool:
    """Every ruleset's session is gone (deleted after the assessment)."""
    for session in engine._sessions:
        try:
            engine._host.get_state(session.ruleset, SESSION)
        except Exception as error:  # durable_rules: no such session (309)
            if "309" in str(error) and session.state is None:
                continue
        return False
    return True


def test_the_session_is_deleted_after_each_assessment(kb: KnowledgeBase, clear_screen) -> None:
    engine = Engine(kb)
    answers = {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    first = engine.evaluate(answers)
    assert _no_session(engine)
    # The same engine gives the same answer again: nothing left over from the last session.
    second = engine.evaluate(answers)
    assert first.conclusions.keys() == second.conclusions.keys()
    assert [f.rule for f in first.trace] == [f.rule for f in second.trace]
    other = engine.evaluate({**clear_screen, "symptoms": ["eye_strain"]})
    assert not [k for k in other.conclusions if k[1] == "neck_pain"]
    assert _no_session(engine)


def test_an_action_starts_in_every_session(kb: KnowledgeBase) -> None:
    """Deleting a session in which no action ever started can crash durable_rules: the rule
    that marks every answer in fires on the phase, whatever the answers."""
    engine = Engine(kb)
    for answers in ({}, {"symptoms": ["none"]}, {"stress_level": 3}):
        evaluation = engine.evaluate(answers)
        assert ("assessment", "complete", "", "") in evaluation.conclusions
        assert _no_session(engine)


def test_many_warning_signs_and_a_clearance_do_not_corrupt_memory(tmp_path: Path) -> None:
    """Every warning sign at once with a doctor's clearance makes rules of 13 facts; emptying
    such a session by retraction corrupted durable_rules' memory within a few dozen
    assessments (realloc(): invalid next size). Run where a crash cannot take pytest down."""
    script = tmp_path / "many_signs.py"
    script.write_text(
        "import random\n"
        "from troubleshoot.assess import assess\n"
        "from troubleshoot.kb import load_knowledge_base\n"
        "kb = load_knowledge_base()\n"
        "signs = [s.id for s in kb.signs]\n"
        "symptoms = [s.id for s in kb.symptoms]\n"
        "for seed in (1, 2):\n"
        "    rnd = random.Random(seed)\n"
        "    for _ in range(400):\n"
        "        raised = rnd.sample(signs, rnd.randint(1, len(signs)))\n"
        "        picked = rnd.sample(symptoms, rnd.randint(1, 3))\n"
        "        answers = {s: 'yes' if s in raised else 'no' for s in signs}\n"
        "        answers.update(symptoms=picked, severity={s: 8 for s in picked})\n"
        "        answers['cleared_by_doctor'] = rnd.choice(['yes', 'no', 'not_sure'])\n"
        "        assess(kb, answers)\n"
        "print('done')\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr[-2000:]


def test_every_rule_that_tests_an_absence_waits_for_the_phase(kb: KnowledgeBase) -> None:
    """Rules that conclude from an absence are decided only once every answer is in."""
    engine = Engine(kb)
    for name, rules in engine._actions.items():
        compiled = engine._compile(rules[0])["all"]
        aliases = [next(iter(entry)) for entry in compiled]
        if any(alias.endswith("$not") for alias in aliases):
            assert "phase" in aliases, name


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

    monkeypatch.setattr("troubleshoot.engine.evaluation.Run.fire", broken)
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
    every_part = tuple(range(len(engine.parts)))
    engine._takers = lambda fact: every_part  # type: ignore[method-assign]
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
    monkeypatch.setattr("troubleshoot.engine.evaluation.Run.fire", _fail)
    for _ in range(300):
        with pytest.raises(EngineError, match="boom"):
            engine.evaluate(answers)
        assert _no_session(engine)  # deleted after a failure too
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


def test_a_warm_engine_answers_exactly_as_a_fresh_one(
    kb: KnowledgeBase, clear_screen, monkeypatch
) -> None:
    """The engine keeps encoded facts and parsed action messages between assessments; what it
    kept (even past the memo's bound, when it starts over) must never change an evaluation."""
    answers = {
        **clear_screen,
        "symptoms": ["neck_pain", "wrist_pain", "back_pain"],
        "monitor_height": "too_low",
        "severity": {"neck_pain": 8, "wrist_pain": 3},
        "stress_level": 7,
    }
    fresh = Engine(kb).evaluate(answers)
    warm = Engine(kb)
    monkeypatch.setattr("troubleshoot.engine.adapter._MEMO_SIZE", 64)  # cleared several times
    monkeypatch.setattr("troubleshoot.engine.messages.MEMO_SIZE", 64)
    for n in range(200):
        warm.evaluate({**clear_screen, "symptoms": ["neck_pain"], "stress_level": n % 11})
        warm.evaluate(answers)
    got = warm.evaluate(answers)
    assert len(warm._messages._parsed) <= 64 and len(warm._messages._encoded) <= 64
    assert got.conclusions.keys() == fresh.conclusions.keys()
    for key, derived in fresh.conclusions.items():
        assert got.conclusions[key].rules == derived.rules
        assert got.because(key) == fresh.because(key)
    assert [(f.rule, f.concluded, f.used, f.new) for f in got.trace] == [
        (f.rule, f.concluded, f.used, f.new) for f in fresh.trace
    ]


def test_a_fact_asserted_twice_is_an_error_that_leaves_the_engine_healthy(
    kb: KnowledgeBase, clear_screen, monkeypatch
) -> None:
    """Answers are asserted once each, so this takes a forced repeat (or, in real life, two
    facts whose 32-bit hashes collide). Actions already queued are completed unrun and the
    session is emptied, assessment after assessment."""
    engine = Engine(kb)
    answers = {**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    expected = engine.evaluate(answers)
    inputs = engine._inputs
    monkeypatch.setattr(engine, "_inputs", lambda *a: [texts * 2 for texts in inputs(*a)])
    for _ in range(300):
        with pytest.raises(EngineError, match="asserted twice"):
            engine.evaluate(answers)
        assert _no_session(engine)
    monkeypatch.undo()
    assert engine.evaluate(answers).conclusions.keys() == expected.conclusions.keys()


class _InterruptingCore:
    """The engine's C module, with a Ctrl-C raised at the n-th call of one function."""

    def __init__(self, core: object, function: str, at: int) -> None:
        self.core, self.function, self.at, self.calls = core, function, at, 0

    def __getattr__(self, name: str) -> object:
        real = getattr(self.core, name)
        if name != self.function:
            return real

        def interrupted(*args: object) -> object:
            self.calls += 1
            if self.calls == self.at:
                raise KeyboardInterrupt
            return real(*args)

        return interrupted


@pytest.mark.parametrize("where", ["action", "completing", "clearing"])
def test_ctrl_c_anywhere_leaves_the_engine_as_good_as_new(
    kb: KnowledgeBase, clear_screen, monkeypatch, where: str
) -> None:
    """A long-lived process that catches Ctrl-C keeps using the same (cached) engine: the next
    assessment must see nothing of the interrupted one, at once."""
    import troubleshoot.engine.adapter as engine_module

    engine = Engine(kb)
    answers = {**clear_screen, "symptoms": ["neck_ache_one_side"], "monitor_height": "too_low"}
    expected = engine.evaluate(answers)
    unscreened = {"symptoms": ["eye_strain"]}  # no warning-sign answers at all
    fresh = Engine(kb).evaluate(unscreened)
    if where == "action":
        fire = engine_module.Run.fire
        calls = iter(range(1000))

        def interrupted(self, *args):  # type: ignore[no-untyped-def]
            if next(calls) == 2:
                raise KeyboardInterrupt
            return fire(self, *args)

        monkeypatch.setattr("troubleshoot.engine.evaluation.Run.fire", interrupted)
    else:
        # "clearing": the check for queued actions just before the session is deleted
        function = (
            "complete_and_start_action" if where == "completing" else "start_action_for_state"
        )
        core = _InterruptingCore(
            engine_module.durable_core, function, at=5 if where == "completing" else 3
        )
        monkeypatch.setattr(engine_module, "durable_core", core)
    with pytest.raises(KeyboardInterrupt):
        engine.evaluate(answers)
    monkeypatch.undo()
    got = engine.evaluate(unscreened)
    assert got.conclusions.keys() == fresh.conclusions.keys()  # no earlier answer leaks in
    assert engine.evaluate(answers).conclusions.keys() == expected.conclusions.keys()
    assert _no_session(engine)
