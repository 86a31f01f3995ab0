"""The cohort report: people counted once, whole months that have ended, every figure checked
against independent counts put through the disclosure rules, and differencing attacks that
must learn nothing about one person."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.errors import OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh import cohort as cohorts
from troubleshoot.oh.disclosure import publish, rounded
from troubleshoot.store import CohortQuery, Store

DEPARTMENTS = ["Finance", "Sales", "IT"]
TODAY = datetime(2026, 12, 2)
WHOLE = CohortQuery("2026-01", "2026-11")


def _generate(kb: KnowledgeBase, store: Store, count: int, seed: int = 7) -> list[dict]:
    """Random but reproducible assessments of about count/2 people (some anonymous); returns
    what was put in, for independent counting."""
    rnd = random.Random(seed)
    symptoms = [s.id for s in kb.symptoms]
    made = []
    for i in range(count):
        flags = {f.id: "no" for f in kb.signs}
        if rnd.random() < 0.1:
            flags[rnd.choice(sorted(flags))] = "yes"
        picked = rnd.sample(symptoms, rnd.randint(0, 3))
        answers = {
            **flags,
            "symptoms": picked or ["none"],
            "stress_level": rnd.randint(0, 10),
            "monitor_height": rnd.choice(["eye_level", "too_low"]),
        }
        respondent = None if rnd.random() < 0.2 else f"p{rnd.randint(1, count // 2)}"
        department = DEPARTMENTS[rnd.randint(0, 2)]
        when = datetime(2026, 1, 1) + timedelta(days=i * 150 // count)  # in id order
        result = assess(kb, answers).to_dict()
        saved = store.save(answers, result, respondent, department, created_at=when)
        made.append(
            {
                "id": saved,
                "person": respondent or f"anonymous {saved}",
                "answers": answers,
                "result": result,
                "department": department,
                "month": f"{when:%Y-%m}",
            }
        )
    return made


def _latest(made: list[dict]) -> list[dict]:
    """Each person once: their latest assessment."""
    latest: dict[str, dict] = {}
    for m in made:
        latest[m["person"]] = m
    return list(latest.values())


def _by_key(counts: list) -> dict:
    return {c.key: c.count for c in counts}


def test_a_generated_cohort_counts_people_figure_by_figure(kb, database_url) -> None:
    store = Store.open(database_url)
    made = _generate(kb, store, 300)
    people = _latest(made)
    cohort = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, 5)
    assert cohort.n == rounded(len(people)) and len(people) < len(made)
    symptoms = Counter(s for m in people for s in m["answers"]["symptoms"] if s != "none")
    for key, shown in _by_key(cohort.sections["symptoms"]).items():
        assert shown == publish(symptoms[key], 5).value, key
    regions = Counter(r for m in people for r in m["result"]["regions"])
    for key, shown in _by_key(cohort.sections["regions"]).items():
        assert shown == publish(regions[key], 5).value, key
    risk = Counter(m["result"]["risk"]["level"] for m in people)
    published = _by_key(cohort.sections["risk"])
    for key, shown in published.items():
        assert shown in (publish(risk[key], 5).value, None), key  # None: protecting another
    departments = Counter(m["department"] for m in people)
    assert {d["department"]: d["n"] for d in cohort.departments} == {
        name: rounded(n) for name, n in departments.items()
    }
    per_month: dict[str, set] = defaultdict(set)
    for m in made:
        per_month[m["month"]].add(m["person"])
    assert {t["month"]: t["n"] for t in cohort.trend} == {
        month: publish(len(who), 5).value for month, who in per_month.items()
    }
    # Every published count is a multiple of 5, and every percentage is of published figures.
    for counts in cohort.sections.values():
        for c in counts:
            assert c.count is None or c.count % 5 == 0
            assert c.percent is None or c.percent == round(100 * c.count / cohort.n)


def test_each_person_counts_once_with_their_latest_assessment(kb, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'latest.db'}")
    screen = {f.id: "no" for f in kb.signs}
    for n in range(6):
        for symptoms, month in ((["neck_pain"], 3), (["eye_strain"], 4)):
            answers = {**screen, "symptoms": symptoms}
            store.save(
                answers, assess(kb, answers).to_dict(), f"p{n}", "IT", datetime(2026, month, 2)
            )
    cohort = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, 5)
    symptoms = _by_key(cohort.sections["symptoms"])
    assert cohort.n == 5 and symptoms["eye_strain"] == 5 and symptoms["neck_pain"] is None
    march = CohortQuery("2026-03", "2026-03")  # in March their latest was still neck pain
    assert (
        _by_key(cohorts.build(kb, store.cohort_tally(march), march, 5).sections["symptoms"])[
            "neck_pain"
        ]
        == 5
    )


def _people(
    kb: KnowledgeBase, store: Store, count: int, department: str, symptoms: list[str], tag: str
) -> None:
    answers = {**{f.id: "no" for f in kb.signs}, "symptoms": symptoms}
    result = assess(kb, answers).to_dict()
    for n in range(count):
        store.save(answers, result, f"{tag}{n}", department, created_at=datetime(2026, 3, 1))


@pytest.mark.parametrize("k", [3, 5, 7])
def test_figures_below_k_are_not_shown_zero_included(kb, tmp_path, k) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'k.db'}")
    _people(kb, store, k - 1, "Small", ["eye_strain"], "s")
    _people(kb, store, k, "Exact", ["neck_pain"], "e")
    _people(kb, store, k + 6, "Large", ["wrist_pain"], "l")
    cohort = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, k)
    symptoms = _by_key(cohort.sections["symptoms"])
    assert symptoms["eye_strain"] is None and symptoms["back_pain"] is None  # 0 reads the same
    assert symptoms["neck_pain"] == rounded(k) and symptoms["wrist_pain"] == rounded(k + 6)
    departments = {d["department"]: d["n"] for d in cohort.departments}
    # The folded small department is suppressed, and the smallest other with it.
    assert departments[cohorts.OTHER_DEPARTMENTS] is None and departments["Exact"] is None
    assert departments["Large"] == rounded(k + 6)
    assert "Small" not in json.dumps(cohort.to_dict())


def test_a_lone_suppressed_figure_cannot_be_worked_out_from_the_total(kb, tmp_path) -> None:
    """Stress bands add up to everyone: 10, 10 and 10 people, and 2 who did not answer. Those
    two are hidden, and so is the smallest other band, or 32 - 10 - 10 - 10 would show them."""
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    screen = {f.id: "no" for f in kb.signs}
    for n, level in enumerate([1] * 10 + [5] * 10 + [8] * 10 + [None] * 2):
        answers = {**screen, "symptoms": ["none"]}
        if level is not None:
            answers["stress_level"] = level
        store.save(answers, assess(kb, answers).to_dict(), f"p{n}", "IT", datetime(2026, 3, 1))
    cohort = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, 5)
    stress = {c.key: (c.count, c.why) for c in cohort.sections["stress"]}
    assert stress["unknown"] == (None, "small")
    assert [key for key, (_, why) in stress.items() if why == "protects"] == ["high"]
    assert sorted(count for count, _ in stress.values() if count) == [10, 10]


def test_a_lone_small_month_of_the_trend_cannot_be_worked_out(kb, tmp_path) -> None:
    """10 people in March, 10 in April, 2 in May: May is hidden, and so is another month, or
    the total minus the other months would show it."""
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    screen = {f.id: "no" for f in kb.signs}
    months = [3] * 10 + [4] * 10 + [5] * 2
    for n, month in enumerate(months):
        answers = {**screen, "symptoms": ["none"]}
        store.save(answers, assess(kb, answers).to_dict(), f"p{n}", "IT", datetime(2026, month, 2))
    trend = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, 5).trend
    shown = {m["month"]: (m["n"], m["why"]) for m in trend}
    assert shown["2026-05"] == (None, "small")
    assert sum(1 for n, why in shown.values() if why == "protects") == 1


def test_a_cohort_smaller_than_k_shows_the_period_only(kb, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    _people(kb, store, 4, "Finance", ["neck_pain"], "f")
    cohort = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, 5)
    assert cohort.suppressed and cohort.n is None and not cohort.sections
    data = json.dumps(cohort.to_dict())
    assert "2026-03-01" not in data and "00:00" not in data and cohort.period is not None


def test_the_minimum_group_cannot_go_below_the_organisation_setting() -> None:
    with pytest.raises(OptionError, match="--min-group: 2 is below 3"):
        cohorts.check_min_group(2)
    with pytest.raises(OptionError, match="--min-group: 6 is below 8"):
        cohorts.check_min_group(6, organisation=8)
    assert cohorts.check_min_group(9, organisation=8) == 9


def test_the_period_is_whole_months_that_have_ended() -> None:
    stored = ("2026-01", "2026-12")
    assert cohorts.period(None, None, stored, TODAY) == CohortQuery("2026-01", "2026-11")
    assert cohorts.period(
        datetime(2026, 3, 17), datetime(2026, 6, 15), stored, TODAY
    ) == CohortQuery("2026-03", "2026-05")
    assert cohorts.period(None, datetime(2027, 1, 1), stored, TODAY).last == "2026-11"


# -- differencing attacks ------------------------------------------------------------------------
def _report(kb: KnowledgeBase, store: Store, today: datetime, **options: object) -> dict:
    query = cohorts.period(None, None, store.months_stored(), today, **options)  # type: ignore[arg-type]
    return cohorts.build(kb, store.cohort_tally(query), query, 5).to_dict()


def test_two_reports_a_day_apart_show_the_same_figures(kb, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'day.db'}")
    _people(kb, store, 30, "IT", ["neck_pain"], "n")
    before = _report(kb, store, datetime(2026, 12, 10))
    rare = {**{f.id: "no" for f in kb.signs}, "symptoms": ["eye_strain"], "stress_level": 9}
    store.save(rare, assess(kb, rare).to_dict(), "newcomer", "IT", datetime(2026, 12, 10, 12))
    after = _report(kb, store, datetime(2026, 12, 11))
    assert after == before  # the newcomer's month has not ended: nothing of theirs shows


def test_the_whole_minus_the_named_departments_does_not_give_one_person_away(kb, tmp_path) -> None:
    """One person in a department of their own, with a symptom nobody else has: neither the
    whole report, nor the whole minus every named department's report, says they have it."""
    store = Store.open(f"sqlite:///{tmp_path / 'dept.db'}")
    _people(kb, store, 9, "IT", ["neck_pain"], "i")
    _people(kb, store, 9, "Sales", ["wrist_pain"], "s")
    _people(kb, store, 1, "Alone", ["eye_strain"], "a")
    whole = _report(kb, store, TODAY)
    parts = [_report(kb, store, TODAY, department=name) for name in ("IT", "Sales")]

    def bounds(figure: dict) -> tuple[int, int]:  # what a published figure says the count is
        if figure["count"] is None:
            return (0, 4)
        return (max(5, figure["count"] - 2), figure["count"] + 2)

    def eye(report: dict) -> dict:
        return next(c for c in report["sections"]["symptoms"] if c["key"] == "eye_strain")

    low = bounds(eye(whole))[0] - sum(bounds(eye(p))[1] for p in parts)
    high = bounds(eye(whole))[1] - sum(bounds(eye(p))[0] for p in parts)
    assert low <= 0 and high >= 1  # both "has it" and "has not" fit every published figure
    assert "Alone" not in json.dumps(whole)


def test_a_department_report_is_withheld_when_the_rest_are_a_few(kb, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'rest.db'}")
    _people(kb, store, 20, "IT", ["neck_pain"], "i")
    _people(kb, store, 2, "HR", ["eye_strain"], "h")
    query = cohorts.period(None, None, store.months_stored(), TODAY, "IT")
    it = store.cohort_tally(query)
    cohort = cohorts.build(kb, it, query, 5, rest=2)
    assert cohort.suppressed and cohort.withheld == "rest" and cohort.n is None


class _Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict] = []
        self.titles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs.append(dict(attrs))
        self._in = tag

    def handle_data(self, data):
        if self._in == "title" and self.svgs:
            self.titles.append(data)

    def handle_endtag(self, tag):
        self._in = None


def test_cohort_command_in_every_format(kb, tmp_path, runner: CliRunner) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    made = _generate(kb, Store.open(url), 120)
    people = len(_latest(made))
    html = runner.invoke(app, ["cohort", "--db", url])
    assert html.exit_code == 0, html.stderr
    charts = _Charts()
    charts.feed(html.stdout)
    assert len(charts.svgs) >= 4 and all(
        s.get("role") == "img" and s.get("aria-labelledby") for s in charts.svgs
    )
    assert "Share of people reporting each body region" in charts.titles
    assert "How these figures protect people" in html.stdout
    md = runner.invoke(app, ["cohort", "--db", url, "-f", "md", "--department", "IT"])
    assert md.exit_code == 0 and "department: IT" in md.stdout
    data = json.loads(runner.invoke(app, ["cohort", "--db", url, "-f", "json"]).stdout)
    assert data["n"] == rounded(people) and data["min_group"] == 5
    assert data["period"]["first"] == "2026-01"  # to the last month that has ended
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["cohort", "--db", url, "-f", "csv"]).stdout))
    )
    assert rows[0] == {
        "section": "cohort",
        "key": "n",
        "label": "people",
        "count": str(rounded(people)),
        "percent": "",
    }
    bad = runner.invoke(app, ["cohort", "--db", url, "--min-group", "2"])
    assert bad.exit_code == 2 and "below" in bad.stderr
    written = runner.invoke(app, ["cohort", "--db", url, "-o", str(tmp_path / "c.html")])
    assert written.exit_code == 0 and (tmp_path / "c.html").read_text().startswith(
        "<!doctype html>"
    )


def test_cohort_pdf(kb, tmp_path, runner: CliRunner) -> None:
    from pypdf import PdfReader

    url = f"sqlite:///{tmp_path / 'pdf.db'}"
    _generate(kb, Store.open(url), 60)
    target = tmp_path / "cohort.pdf"
    result = runner.invoke(app, ["cohort", "--db", url, "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    text = " ".join(page.extract_text() for page in PdfReader(str(target)).pages)
    assert "Workforce ergonomics: cohort report" in text and "whole months" in text


def test_a_suppressed_figure_reads_the_same_in_every_format(kb, tmp_path) -> None:
    from troubleshoot.report import render_cohort

    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    screen = {f.id: "no" for f in kb.signs}
    for n in range(12):
        answers = {**screen, "symptoms": ["neck_pain"] if n < 10 else ["eye_strain"]}
        store.save(answers, assess(kb, answers).to_dict(), f"p{n}", "IT", datetime(2026, 3, 1))
    built = cohorts.build(kb, store.cohort_tally(WHOLE), WHOLE, 5)
    eyes = next(c for c in built.sections["symptoms"] if c.key == "eye_strain")
    assert eyes.count is None and eyes.why == "small"
    data, rows = built.to_dict(), cohorts.csv_rows(built)
    (row,) = [r for r in rows if r["section"] == "symptoms" and r["key"] == "eye_strain"]
    assert row["count"] == "fewer than 5"
    for fmt in ("md", "html"):
        text = str(render_cohort(data, rows, kb, fmt, "today"))
        after = text.split("Eye strain", 1)[1]
        assert "fewer than 5" in after[:160], fmt  # the figure beside its label
