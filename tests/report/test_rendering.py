"""Reports: order, safety statements, standalone HTML with a body map, JSON against its schema."""

from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT
from troubleshoot.assess import Result
from troubleshoot.kb import KnowledgeBase
from troubleshoot.report import environment, render

SCHEMA = json.loads((ROOT / "docs" / "result-schema.json").read_text())
FULL = {
    "symptoms": ["neck_pain", "wrist_pain"],
    "severity": {"neck_pain": 8},
    "monitor_height": "too_low",
    "wrist_posture": ["bent_up"],
    "wrist_support": "yes",
    "stress_level": 7,
    "stress_symptoms": ["headaches"],
    "mindfulness_unsuitable": "no",
    "exercise_regularly": "no",
    "sleep_hours": 7,
}


class _Page(HTMLParser):
    """Collects what the HTML tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.hit_regions: set[str] = set()
        self.all_regions: set[str] = set()
        self.headings: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "g" and attributes.get("data-region"):
            self.all_regions.add(attributes["data-region"] or "")
            if "hit" in (attributes.get("class") or "").split():
                self.hit_regions.add(attributes["data-region"] or "")
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "link" or (tag == "script"):
            self.external.append(tag)
        self._in_heading = tag in ("h1", "h2", "h3")
        if self._in_heading:
            self.headings.append("")

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings[-1] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3"):
            self._in_heading = False


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_html_is_standalone_and_highlights_exactly_the_reported_regions(run, kb) -> None:
    result = run(FULL)
    page = _page(render(result, kb, "html"))
    assert page.external == []
    assert page.all_regions == {r.id for r in kb.regions}
    assert page.hit_regions == {"neck", "wrists_hands"}
    # The body map; the workstation chart only once the answers settle the score.
    assert page.tags.count("svg") == 1 and "style" in page.tags


def test_html_order_puts_safety_first(run, kb) -> None:
    page = _page(render(run(FULL), kb, "html"))
    headings = page.headings
    assert headings[0] == "Your ergonomic troubleshooting report"
    assert headings[1] == "See a doctor in the next few days"  # strength 8/10: how urgent
    assert headings.index("What you reported") < headings.index("Neck pain")
    assert headings.index("Wrist pain or discomfort") < headings.index("Stretches")
    assert (
        headings.index("Stretches") < headings.index("Break plan") < headings.index("Stress plan")
    )
    assert headings.index("Stress plan") < headings.index("Healthy habits")


def test_referral_report_has_no_program_in_any_format(run, kb) -> None:
    result = run({**FULL, "bladder_bowel_control": "yes"})
    for fmt in ("text", "md", "html"):
        text = render(result, kb, fmt)
        assert "See your doctor first" in text or "SEE YOUR DOCTOR FIRST" in text
        for absent in (
            "Stretches",
            "STRETCHES",
            "Stress plan",
            "Break plan",
            "Likely",
            "Deep breathing",
        ):
            assert absent not in text, (fmt, absent)
        assert "Call 911" in text
        assert "not a diagnosis" in text
    data = json.loads(render(result, kb, "json"))
    assert data["referral"]["required"] is True
    assert data["findings"] == [] and data["stretches"] == [] and data["techniques"] == []


def test_a_cleared_referral_with_an_unanswered_sign_says_what_is_missing(run, kb) -> None:
    answers = {"leg_pain_weakness_tingling": "yes", "cleared_by_doctor": "yes", **FULL}
    answers.pop("bladder_bowel_control", None)
    result = run(answers, screen=False)
    assert result.program == "referral" and not result.referral.screen_complete
    for fmt in ("text", "md", "html"):
        text = render(result, kb, fmt)
        assert "Until every warning-sign question is answered" in text, fmt
        assert "Until a doctor has cleared you" not in text, fmt
        assert "Stretches" not in text and "STRETCHES" not in text, fmt
    uncleared = run({**FULL, "bladder_bowel_control": "yes"})
    assert "Until a doctor has cleared you" in render(uncleared, kb, "md")


def test_markdown_report_sections_in_order(run, kb) -> None:
    text = render(run(FULL), kb, "md")
    order = [
        "## See a doctor in the next few days",
        "**Risk level:",
        "## What you reported",
        "## Neck pain",
        "## Wrist pain",
        "## Desk set-up to change",
        "## Stretches",
        "## Break plan",
        "## Stress plan",
        "## Healthy habits",
        "**Emergency:**",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "You rated this problem 7 or 8 out of 10" in text.split("**Risk level:")[0]
    assert "**Likely:** A neck that often sits too far forward" in text
    assert "because you said: Screen height: Below my eyes" in text
    assert "(not checked yet: Daily keyboard time)" in text
    assert "Ruled out by your answers: no support for the wrists" in text


def test_text_report_has_no_markup(run, kb) -> None:
    text = render(run(FULL), kb, "text")
    assert "**" not in text and "## " not in text
    assert "WHAT YOU REPORTED\n-----------------" in text


def test_json_matches_the_documented_schema(run, kb) -> None:
    for answers in (FULL, {**FULL, "leg_pain_weakness_tingling": "yes"}, {}):
        data = json.loads(render(run(answers, explain=True), kb, "json"))
        jsonschema.validate(data, SCHEMA)
    data = json.loads(render(run(FULL, explain=True), kb, "json"))
    assert data["schema_version"] == 2
    assert data["referral"] == {
        "required": False,
        "red_flags": [],
        "cleared_by_doctor": None,
        "screen_complete": True,
        "message": "",
        "unsure": [],
    }
    assert data["urgency"]["level"] == "soon" and data["urgency"]["reasons"][0]["id"] == (
        "severe_symptom"
    )
    neck = data["findings"][0]
    assert neck["causes"][0]["because"][0]["text"].startswith("Screen height")
    assert neck["solutions"][0]["source"]["file"] == "004_9259f9d98e085ea3.txt"
    assert data["trace"] and data["rules_fired"][0] == data["trace"][0]["rule"]


def test_explain_adds_the_rule_trace(run, kb) -> None:
    plain = render(run(FULL), kb, "md")
    explained = render(run(FULL, explain=True), kb, "md")
    assert "rule trace" not in plain
    assert "cause:neck_forward_or_back:likely -> cause neck_forward_or_back likely" in explained


def test_html_escapes_text(kb: KnowledgeBase, run) -> None:
    result = run({"symptoms": ["neck_pain"]})
    env = environment(kb)
    hostile = Result(**{**result.__dict__, "notice": "<script>alert(1)</script>"})
    html = env.get_template("report.html").render(r=hostile.to_dict())
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_missing_template_value_is_an_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    import jinja2

    (tmp_path / "t.html").write_text("{{ r.nonexistent }}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tmp_path)), undefined=environment(kb).undefined
    )
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t.html").render(r={})


def test_workstation_score_section_explains_itself(run, kb) -> None:
    answers = {
        **FULL,
        "monitor_height": "too_high",
        "screen_glare": "yes",
        "screen_daily": "over_4h",
        "phone_reach": "within_reach",
        "phone_use": "between_ear_and_shoulder",
        "phone_daily": "over_4h",
    }
    # monitor 3 + 1 (glare) + 1 (screen time) = 5, phone 1 + 2 + 1 = 4: grid[4][5] = 6 at least
    result = run(answers)
    assert result.rosa is not None and result.rosa["action_level_reached"] is True
    assert result.risk["level"] == "high"
    assert "Workstation score: 6 or more (action level 5)" in result.risk["because"]
    html = render(result, kb, "html")
    assert 'aria-labelledby="rosa-chart-title rosa-chart-desc"' in html
    assert "Monitor and telephone: incomplete" in html  # other items are unanswered
    assert result.rosa["final_range"][0] == 6
    md = render(result, kb, "md")
    section = md[md.index("## Workstation score (ROSA)") : md.index("## Stretches")]
    assert "change needed soon" in section
    assert "lower than an observer" not in section  # our own wording is used, see the note
    assert "rate mouse and keyboard strain" in section
    assert "The screen is too high, so you tip your head back. (+3)" in section
    assert "What to do: Set the screen height" in section


def test_risk_level_is_in_every_format(run, kb) -> None:
    result = run({"symptoms": ["neck_pain"], "monitor_height": "too_low"})
    assert result.risk["level"] == "medium"
    assert "Risk level: Medium" in render(result, kb, "md")
    assert "RISK LEVEL: MEDIUM" in render(result, kb, "text").upper()
    assert "Risk level: Medium" in render(result, kb, "html")
    referral = run({"symptoms": ["neck_pain"], "cancer_or_weight_loss": "yes"})
    assert referral.risk["level"] == "referral" and referral.rosa is None
    urgent = run({"symptoms": ["neck_pain"], "leg_pain_weakness_tingling": "yes"})
    assert urgent.risk["level"] == "urgent"  # a doctor today: before the referral itself


def test_the_risk_level_says_what_put_the_person_there(run, kb) -> None:
    medium = run({"symptoms": ["neck_pain"], "monitor_height": "too_low"})
    assert medium.risk["because"] == [
        "Screen height: Below my eyes (I look down, e.g. at a laptop)"
    ]
    for fmt in ("md", "text", "html"):
        assert "Based on: Screen height: Below my eyes" in render(medium, kb, fmt), fmt
    high = run({"symptoms": ["neck_pain", "wrist_pain"], "severity": {"neck_pain": 8}})
    assert high.risk["because"] == ["Strength (Neck pain): 8/10"]
    referral = run({"leg_pain_weakness_tingling": "yes"})
    assert len(referral.risk["because"]) == 1 and referral.risk["because"][0].endswith(": yes")
    low = run({"symptoms": ["none"]})
    assert low.risk["level"] == "low" and low.risk["because"] == []
    assert "Based on" not in render(low, kb, "md")
    # A result stored before reasons were recorded still renders.
    old = dataclasses.replace(medium, risk={k: v for k, v in medium.risk.items() if k != "because"})
    assert "Based on" not in render(old, kb, "md")


def test_unsure_duration_is_not_shown_as_a_duration(run, kb) -> None:
    result = run({"symptoms": ["neck_pain"], "duration": {"neck_pain": "not_sure"}})
    assert result.reported[0].duration is None
    assert "for not sure" not in render(result, kb, "md")


def test_important_advice_explains_itself_in_every_format(run, kb) -> None:
    result = run({"symptoms": ["neck_pain"], "severity": {"neck_pain": 9}})
    for fmt in ("md", "text", "html"):
        assert "because you said: Strength (Neck pain): 9/10" in render(result, kb, fmt)


def test_pdf_report_pages_carry_the_report(run, kb, tmp_path) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from troubleshoot.report import document

    pdf = document(run(FULL), kb, "pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    for expected in (
        "Your ergonomic troubleshooting report",
        "Risk level",
        "Neck pain",
        "Emergency",
        "not a diagnosis",
    ):
        assert expected in text
    referral = document(run({**FULL, "fever_nausea_vomiting": "yes"}), kb, "pdf")
    assert isinstance(referral, bytes)
    words = " ".join(p.extract_text() for p in PdfReader(BytesIO(referral)).pages)
    assert "See your doctor first" in words and "Stretches" not in words


def test_the_pdf_body_map_shows_the_painful_regions_in_colour(run, kb, tmp_path) -> None:
    """Page 1 rendered to an image: the highlight colour is there, and nowhere without pain."""
    import os
    import shutil
    import subprocess

    from PIL import Image

    from troubleshoot.report import document

    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install poppler-utils (see .ci/run)")
        pytest.skip("no pdftoppm here (apt-get install poppler-utils)")

    def highlighted(answers: dict) -> int:
        pdf = document(run(answers), kb, "pdf")
        assert isinstance(pdf, bytes)
        (tmp_path / "r.pdf").write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "50",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                str(tmp_path / "r.pdf"),
                str(tmp_path / "page"),
            ],
            check=True,
        )
        image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
        for old in tmp_path.glob("page*.png"):
            old.unlink()
        # The hit colour, #d9480f, give or take anti-aliasing.
        return sum(
            1
            for r, g, b in image.getdata()  # type: ignore[misc]
            if abs(r - 0xD9) < 24 and abs(g - 0x48) < 24 and abs(b - 0x0F) < 24
        )

    assert highlighted({"symptoms": ["neck_pain"], "severity": {"neck_pain": 5}}) > 20
    assert highlighted({"symptoms": ["none"]}) == 0


def test_every_pdf_page_has_a_footer_with_the_date_and_page_number(run, kb) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from troubleshoot.report import document

    pdf = document(run(FULL), kb, "pdf", {"id": 42})
    assert isinstance(pdf, bytes)
    pages = PdfReader(BytesIO(pdf)).pages
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {len(pages)}" in text
        assert "Report made " in text and "stored as assessment 42" in text
