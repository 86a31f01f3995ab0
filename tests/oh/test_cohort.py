"""The cohort report: numbers checked against independent counts, and small groups suppressed
at k-1 but shown at k and k+1, in every breakdown and format."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.errors import OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh import cohort as cohorts
from troubleshoot.store import Filters, Store, tally_of

DEPARTMENTS = ["Finance", "Sales", "IT"]


def _generate(kb: KnowledgeBase, store: Store, count: int, seed: int = 7) -> list[dict]:
    """Random but reproducible assessments; returns what was put in, for independent counting."""
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
        department = DEPARTMENTS[i % 3]
        when = datetime(2026, 1, 1) + timedelta(days=rnd.randint(0, 150))
        result = assess(kb, answers).to_dict()
        store.save(answers, result, department=department, created_at=when)
        made.append(
            {
                "answers": answers,
                "department": department,
                "when": when,
                "referral": "yes" in flags.values(),
                "urgent": any(
                    v == "yes" and kb.sign[k].urgency in ("emergency", "same_day")
                    for k, v in flags.items()
                ),
            }
        )
    return made


def _by_key(counts: list) -> dict:
    return {c.key: c.count for c in counts}


def test_a_generated_cohort_adds_up_number_by_number(kb, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    made = _generate(kb, store, 300)
    cohort = cohorts.build(kb, store.iterate_summaries(), store.open_followup_kinds())
    assert cohort.n == 300 and not cohort.suppressed
    # Symptoms and regions, counted from the inputs (for everyone: a person referred still
    # reports them).
    open_program = [m for m in made if not m["referral"]]
    expected_symptoms = Counter(s for m in made for s in m["answers"]["symptoms"] if s != "none")
    expected_regions = Counter(
        r
        for m in made
        for r in {
            r for s in m["answers"]["symptoms"] if s in kb.symptom for r in kb.symptom[s].regions
        }
    )
    for key, count in _by_key(cohort.sections["symptoms"]).items():
        assert count == (expected_symptoms[key] if not 0 < expected_symptoms[key] < 5 else None), (
            key
        )
    for key, count in _by_key(cohort.sections["regions"]).items():
        assert count == (expected_regions[key] if not 0 < expected_regions[key] < 5 else None), key
    symptom_row = next(c for c in cohort.sections["symptoms"] if c.count)
    assert symptom_row.percent == round(100 * symptom_row.count / 300, 1)
    # Stress bands and referrals from the inputs.
    bands = Counter(
        "low"
        if m["answers"]["stress_level"] <= 3
        else "moderate"
        if m["answers"]["stress_level"] <= 6
        else "high"
        for m in made
    )
    assert {k: v for k, v in _by_key(cohort.sections["stress"]).items() if k != "unknown"} == bands
    risk = _by_key(cohort.sections["risk"])

    def shown(count: int) -> int | None:  # suppressed below the minimum group size
        return None if 0 < count < 5 else count

    assert risk["urgent"] == shown(sum(m["urgent"] for m in made))
    assert risk["referral"] == shown(sum(m["referral"] and not m["urgent"] for m in made))
    assert _by_key(cohort.sections["followups"])["referral"] == sum(m["referral"] for m in made)
    # Departments and months.
    assert {d["department"]: d["n"] for d in cohort.departments} == Counter(
        m["department"] for m in made
    )
    months = Counter(m["when"].strftime("%Y-%m") for m in made)
    assert {t["month"]: t["n"] for t in cohort.trend} == dict(months)
    # Likely causes: the screen-height cause for neck pain, counted from the inputs.
    neck_low = sum(
        1
        for m in open_program
        if m["answers"]["monitor_height"] == "too_low" and "neck_pain" in m["answers"]["symptoms"]
    )
    causes = _by_key(cohort.sections["likely_causes"])
    assert causes.get("neck_forward_or_back") == (neck_low if neck_low >= 5 else None)


def _sorted(tally) -> tuple:
    return tuple(sorted(part, key=repr) for part in (tally.groups, tally.months, tally.values))


def test_the_database_counts_what_python_counts(kb, database_url) -> None:
    """The store's cohort (counted by the database) equals the same summaries counted in
    Python, ties and folded departments included, with filters and several k."""
    store = Store.open(database_url)
    _generate(kb, store, 150, seed=3)
    answers = {**{f.id: "no" for f in kb.signs}, "symptoms": ["neck_pain", "eye_strain"]}
    result = assess(kb, answers).to_dict()
    for n, department in enumerate([None, "", None, "Tiny", "Tiny"]):  # "(none given)" twice
        store.save(answers, result, department=department, created_at=datetime(2026, 2, n + 1))
    followups = store.open_followup_kinds()
    for filters in (
        Filters(),
        Filters(department="IT"),
        Filters(since=datetime(2026, 3, 1)),
        Filters(until=datetime(2026, 4, 1), department="Sales"),
    ):
        stored = store.iterate_summaries(filters)
        assert _sorted(stored.tally()) == _sorted(tally_of(stored))
        for k in (3, 5, 40):
            by_database = cohorts.build(kb, stored, followups, k)
            by_python = cohorts.build(kb, list(stored), followups, k)
            assert by_database.to_dict() == by_python.to_dict(), (filters, k)


def test_equal_counts_list_the_earliest_first(kb, tmp_path) -> None:
    """Among equal counts, what the earliest assessment reported comes first; within one
    assessment, causes and checks go alphabetically and symptoms in knowledge-base order."""
    screen = {f.id: "no" for f in kb.signs}
    neck = {**screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"}
    glare = {**screen, "symptoms": ["eye_strain"], "screen_glare": "yes"}
    both = {**neck, "symptoms": ["neck_pain", "eye_strain"], "screen_glare": "yes"}

    def cohort(name: str, *groups: dict) -> cohorts.Cohort:
        store = Store.open(f"sqlite:///{tmp_path / name}.db")
        for answers in groups:
            result = assess(kb, answers).to_dict()
            for _ in range(5):
                store.save(answers, result, department="X", created_at=datetime(2026, 3, 1))
        built = cohorts.build(kb, store.iterate_summaries(), store.open_followup_kinds())
        again = cohorts.build(kb, list(store.iterate_summaries()), store.open_followup_kinds())
        assert built.to_dict() == again.to_dict()
        return built

    def order(built: cohorts.Cohort, section: str) -> list[str]:
        return [c.key for c in built.sections[section]]

    glare_first = cohort("glare_first", glare, neck)
    assert order(glare_first, "likely_causes") == ["screen_glare", "neck_forward_or_back"]
    assert order(glare_first, "failed_checks") == ["no_screen_glare", "monitor_at_eye_level"]
    assert glare_first.departments[0]["top_symptom"] == kb.symptom["eye_strain"].name
    neck_first = cohort("neck_first", neck, glare)
    assert order(neck_first, "likely_causes") == ["neck_forward_or_back", "screen_glare"]
    assert neck_first.departments[0]["top_symptom"] == kb.symptom["neck_pain"].name
    together = cohort("together", both)
    assert order(together, "likely_causes") == ["neck_forward_or_back", "screen_glare"]
    assert order(together, "failed_checks") == ["monitor_at_eye_level", "no_screen_glare"]
    first = next(s for s in kb.symptoms if s.id in ("neck_pain", "eye_strain"))
    assert together.departments[0]["top_symptom"] == first.name


def _people(
    kb: KnowledgeBase, store: Store, count: int, department: str, symptoms: list[str]
) -> None:
    answers = {**{f.id: "no" for f in kb.signs}, "symptoms": symptoms}
    result = assess(kb, answers).to_dict()
    for _ in range(count):
        store.save(answers, result, department=department, created_at=datetime(2026, 3, 1))


@pytest.mark.parametrize("k", [3, 5, 7])
def test_groups_are_suppressed_below_k_and_shown_at_k_and_above(kb, tmp_path, k) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'k.db'}")
    _people(kb, store, k - 1, "Small", ["eye_strain"])  # k-1 with eye strain
    _people(kb, store, k, "Exact", ["neck_pain"])  # k with neck pain
    _people(kb, store, k + 1, "Large", ["wrist_pain"])  # k+1 with wrist pain
    cohort = cohorts.build(kb, store.iterate_summaries(), store.open_followup_kinds(), min_group=k)
    symptoms = _by_key(cohort.sections["symptoms"])
    assert symptoms["eye_strain"] is None
    assert symptoms["neck_pain"] == k and symptoms["wrist_pain"] == k + 1
    assert symptoms["back_pain"] == 0  # nobody: nothing to hide
    departments = {d["department"]: d["n"] for d in cohort.departments}
    assert departments == {"Exact": k, "Large": k + 1, cohorts.OTHER_DEPARTMENTS: None}
    assert "Small" not in json.dumps(cohort.to_dict())


def test_a_cohort_smaller_than_k_shows_only_its_size(kb, tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    _people(kb, store, 4, "Finance", ["neck_pain"])
    cohort = cohorts.build(kb, store.iterate_summaries(), store.open_followup_kinds())
    assert cohort.suppressed and cohort.n == 4 and not cohort.sections and not cohort.departments


def test_the_minimum_group_cannot_go_below_three(kb) -> None:
    with pytest.raises(OptionError, match="--min-group: 2 is too small"):
        cohorts.build(kb, [], [], min_group=2)


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
    _generate(kb, Store.open(url), 60)
    html = runner.invoke(app, ["cohort", "--db", url])
    assert html.exit_code == 0, html.stderr
    charts = _Charts()
    charts.feed(html.stdout)
    assert len(charts.svgs) == 6 and all(
        s.get("role") == "img" and s.get("aria-labelledby") for s in charts.svgs
    )
    assert "Share of people reporting each body region" in charts.titles
    md = runner.invoke(app, ["cohort", "--db", url, "-f", "md", "--department", "IT"])
    assert md.exit_code == 0 and "department: IT" in md.stdout and "| IT | 20 |" in md.stdout
    data = json.loads(runner.invoke(app, ["cohort", "--db", url, "-f", "json"]).stdout)
    assert data["n"] == 60 and data["min_group"] == 5
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["cohort", "--db", url, "-f", "csv"]).stdout))
    )
    assert rows[0] == {
        "section": "cohort",
        "key": "n",
        "label": "assessments",
        "count": "60",
        "percent": "",
    }
    bad = runner.invoke(app, ["cohort", "--db", url, "--min-group", "2"])
    assert bad.exit_code == 2 and "too small" in bad.stderr
    written = runner.invoke(app, ["cohort", "--db", url, "-o", str(tmp_path / "c.html")])
    assert written.exit_code == 0 and (tmp_path / "c.html").read_text().startswith(
        "<!doctype html>"
    )


def test_cohort_pdf(kb, tmp_path, runner: CliRunner) -> None:
    from pypdf import PdfReader

    url = f"sqlite:///{tmp_path / 'pdf.db'}"
    _generate(kb, Store.open(url), 30)
    target = tmp_path / "cohort.pdf"
    result = runner.invoke(app, ["cohort", "--db", url, "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    text = " ".join(page.extract_text() for page in PdfReader(str(target)).pages)
    assert "Workforce ergonomics: cohort report" in text and "30 assessment(s)" in text
