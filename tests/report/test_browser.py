"""The HTML reports in a real browser (headless Chromium): no console errors, the body map
highlights exactly the reported regions, charts are present and labelled, headings are in
order, text has enough contrast, and the page prints. Screenshots go to test-output/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from troubleshoot.assess import assess
from troubleshoot.oh import cohort as cohorts
from troubleshoot.report import render, render_cohort
from troubleshoot.store import CohortQuery, Store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("no chromium here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _open(browser: Any, html: str, path: Path) -> tuple[Any, list[str]]:
    path.write_text(html)
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    return page, errors


def _check_accessibility(page: Any) -> None:
    levels = page.eval_on_selector_all("h1, h2, h3", "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    labelled = page.eval_on_selector_all(
        "svg",
        """els => els.map(s => {
            const ids = (s.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
            return s.getAttribute('role') === 'img' && ids.length > 0 &&
                   ids.every(id => (document.getElementById(id) || {}).textContent);
        })""",
    )
    assert labelled and all(labelled)
    worst, where = page.evaluate(CONTRAST_JS)
    assert worst >= 4.5, f"contrast {worst:.2f} at {where}"
    page.emulate_media(media="print")
    assert page.pdf(format="A4")[:4] == b"%PDF"


def test_employee_report_in_a_browser(browser, kb, clear_screen, tmp_path) -> None:
    OUTPUT.mkdir(exist_ok=True)
    answers = {
        **clear_screen,
        "symptoms": ["neck_pain", "lower_back_pain", "eye_strain"],
        "severity": {"neck_pain": 7},
        "monitor_height": "too_low",
        "lumbar_support": "no",
        "screen_glare": "yes",
        "phone_reach": "within_reach",
        "phone_use": "hand_held",
        "stress_level": 6,
        "mindfulness_unsuitable": "no",
    }
    result = assess(kb, answers)
    page, errors = _open(browser, render(result, kb, "html"), tmp_path / "report.html")
    hit = set(page.eval_on_selector_all("g.region.hit", "els => els.map(e => e.dataset.region)"))
    assert hit == set(result.regions) == {"neck", "lower_back", "eyes"}
    assert page.locator("g.region").count() == len(kb.regions)
    assert page.locator("svg.rosa-chart").count() == 1
    _check_accessibility(page)
    page.emulate_media(media="screen")
    page.screenshot(path=str(OUTPUT / "employee-report.png"), full_page=True)
    assert errors == []


def test_cohort_report_in_a_browser(browser, kb, clear_screen, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    for i in range(40):
        answers = {
            **clear_screen,
            "symptoms": [
                ["neck_pain"],
                ["wrist_pain", "eye_strain"],
                ["lower_back_pain"],
                ["none"],
            ][i % 4],
            "stress_level": i % 11,
            "monitor_height": "too_low",
        }
        store.save(
            answers,
            assess(kb, answers).to_dict(),
            department=["A", "B"][i % 2],
            created_at=datetime(2026, 1, 1) + timedelta(days=3 * i),
        )
    query = CohortQuery("2026-01", "2026-11")
    built = cohorts.build(kb, store.cohort_tally(query), query, 5)
    html = render_cohort(built.to_dict(), cohorts.csv_rows(built), kb, "html", "today")
    assert isinstance(html, str)
    page, errors = _open(browser, html, tmp_path / "cohort.html")
    titles = page.eval_on_selector_all("svg.bar-chart title", "els => els.map(e => e.textContent)")
    assert len(titles) == 6 and "Share of people reporting each symptom" in titles
    bars = page.eval_on_selector_all("#chart-symptoms-title", "els => els.length")
    assert bars == 1
    _check_accessibility(page)
    page.emulate_media(media="screen")
    page.screenshot(path=str(OUTPUT / "cohort-report.png"), full_page=True)
    assert errors == []
