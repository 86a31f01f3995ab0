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
# axe-core from the npm registry (tests/report/package.json; .ci/run installs it).
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# Every text-bearing element whose text runs past its own box, or an SVG's text past the SVG.
OVERFLOW_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || !el.textContent.trim() || el.offsetParent === null) continue;
    const style = getComputedStyle(el);
    if (style.overflowX === 'auto' || style.overflowX === 'scroll') continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      bad.push(el.tagName + ': ' + el.textContent.slice(0, 40));
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getBoundingClientRect().width === 0) continue;
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1))
        bad.push('svg text: ' + t.textContent.slice(0, 40));
    }
  }
  return bad;
}"""


def _axe(page: Any) -> list[str]:
    """Serious or critical axe-core violations (none is allowed)."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install axe-core (npm ci --prefix tests/report; see .ci/run)")
        pytest.skip("axe-core is not installed (npm ci --prefix tests/report)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => [v.impact, v.id, v.nodes.length])"
    )
    return [
        f"{impact} {rule} ({n})" for impact, rule, n in found if impact in ("serious", "critical")
    ]


def _fits(browser: Any, path: Path, width: int) -> list[str]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    bad = page.evaluate(OVERFLOW_JS)
    page.screenshot(path=str(OUTPUT / f"{path.stem}-{width}.png"), full_page=False)
    page.close()
    return list(bad)


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
    rosa = result.rosa or {}
    decided = (
        rosa.get("complete")
        or rosa.get("action_level_reached")
        or (rosa["final_range"][0] == rosa["final_range"][1])
    )
    # The workstation chart only once the answers settle the score; else one line says how.
    assert page.locator("svg.rosa-chart").count() == (1 if decided else 0)
    if not decided:
        assert "troubleshoot assess --workstation" in page.inner_text("#rosa")
    _check_accessibility(page)
    page.emulate_media(media="screen")
    page.screenshot(path=str(OUTPUT / "employee-report.png"), full_page=True)
    assert _axe(page) == []
    # Every folded technique opens from the keyboard.
    folded = page.locator("details.card:not([open]) > summary")
    assert folded.count() >= 1
    folded.first.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.card:not([open])").count() == folded.count()
    assert errors == []
    for width in (1280, 390):
        assert _fits(browser, tmp_path / "report.html", width) == [], width


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
    assert _axe(page) == []
    assert errors == []
    for width in (1280, 390):
        assert _fits(browser, tmp_path / "cohort.html", width) == [], width
    # On a phone the charts give way to lists of the same figures.
    phone = browser.new_page(viewport={"width": 390, "height": 900})
    phone.goto((tmp_path / "cohort.html").as_uri())
    assert phone.locator("ul.bar-list").first.is_visible()
    assert not phone.locator("svg.bar-chart").first.is_visible()
    phone.close()
