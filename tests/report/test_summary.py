"""The short version a terminal shows at the end of the questionnaire: the risk level, the
next steps and the likely causes in at most 40 lines at 120 columns, and never less on safety
than the full report (urgency, referral, warning signs, the emergency statement)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markdown import Markdown

from troubleshoot.report import document

NECK_AND_EYES = {
    "symptoms": ["neck_pain", "eye_strain"],
    "severity": {"neck_pain": 5, "eye_strain": 4},
    "monitor_height": "too_low",
    "stress_level": 6,
    "stress_symptoms": ["headaches"],
}


def _screen(markdown: str) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=120, force_terminal=False, highlight=False).print(Markdown(markdown))
    return out.getvalue().rstrip().splitlines()


def test_the_short_version_fits_a_screen(run, kb) -> None:
    result = run(NECK_AND_EYES)
    short = _screen(str(document(result, kb, "terminal", summary=True)))
    full = _screen(str(document(result, kb, "terminal")))
    assert len(short) <= 40 < len(full)
    text = "\n".join(short)
    for part in (
        "Risk level: Medium",
        "Your next steps",
        "Likely causes",
        "Emergency:",
        "not a diagnosis",
        "--full",
    ):
        assert part in text, part
    assert "Progressive muscle relaxation" not in text  # the stress plan is in the full report


def test_next_steps_come_first_with_their_reasons(run) -> None:
    steps = run(NECK_AND_EYES).next_steps
    assert 1 <= len(steps) <= 5
    assert steps[0].id == "screen_height_neutral_neck"
    assert steps[0].because == (
        "because you said: Screen height: Below my eyes (I look down, e.g. at a laptop)"
    )
    assert {s.kind for s in steps} >= {"solution", "break", "technique"}


def test_a_referral_has_no_self_help_steps_and_its_short_version_keeps_the_signs(run, kb) -> None:
    result = run({**NECK_AND_EYES, "cancer_or_weight_loss": "yes"})
    assert result.next_steps == ()
    text = "\n".join(_screen(str(document(result, kb, "terminal", summary=True))))
    assert "See your doctor first" in text and "history of cancer" in text
    assert "Emergency:" in text and "Your next steps" not in text


def test_urgent_advice_opens_the_short_version(run, kb) -> None:
    result = run({**NECK_AND_EYES, "chest_pain": "yes", "chest_pain_now": "yes"})
    short = _screen(str(document(result, kb, "terminal", summary=True)))
    assert any("Emergency" in line for line in short[:4])


def test_one_step_per_likely_cause_leaves_room_for_the_others(run) -> None:
    steps = run({**NECK_AND_EYES, "screen_glare": "yes"}).next_steps
    glare = [s for s in steps if "Glare on the screen" in s.because]
    assert len(glare) == 1
    assert any(s.kind == "break" for s in steps)
