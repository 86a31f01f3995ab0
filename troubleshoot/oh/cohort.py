"""The cohort report: what a workforce's stored assessments add up to, for OH staff and
management, as figures about **people** that cannot single anyone out.

- Each person counts once: their latest assessment in the period (an assessment with no
  respondent counts as one person).
- The period is whole calendar months that have ended: a report run today and one run
  tomorrow show the same figures, so the two cannot be compared to find one new person.
- Every figure goes through `disclosure`: fewer than k people suppressed, complementary
  suppression in groups that add up to a total, every count rounded to the nearest 5.
- A department smaller than k is folded into "other departments"; a cohort smaller than k
  shows the period only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from troubleshoot.errors import OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh.disclosure import Figure, partition, percent, publish
from troubleshoot.store import CohortQuery, Tally

LOWEST_MIN_GROUP = 3
TOP = 10  # likely causes and desk problems shown
STRESS_BANDS = (("low", "0-3"), ("moderate", "4-6"), ("high", "7-10"))
OTHER_DEPARTMENTS = "Other departments (each fewer than the minimum group size)"
NO_DEPARTMENT = "(none given)"
QUEUE = {
    "urgent": "people told to get care today or now",
    "referral": "people with a red flag awaiting follow-up",
    "unscreened": "people whose safety check is not finished",
    "high_risk": "people at high risk awaiting follow-up",
    "workstation": "people whose workstation score reached the action level",
    "desk_check": "people with desk changes still to make",
}


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int | None  # None: not published (see `why`)
    percent: int | None
    why: str | None = None  # small | protects


@dataclass
class Cohort:
    n: int | None  # people, rounded; None when the cohort is smaller than k
    min_group: int
    suppressed: bool
    period: dict[str, str] | None  # first and last month (YYYY-MM); None: no complete month
    filters: dict[str, Any]
    withheld: str | None = None  # small (fewer than k people) | rest (the others are too few)
    sections: dict[str, list[Count]] = field(default_factory=dict)
    departments: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)  # with a roster only

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "min_group": self.min_group,
            "suppressed": self.suppressed,
            "period": self.period,
            "filters": self.filters,
            "withheld": self.withheld,
            "sections": {name: [vars(c) for c in counts] for name, counts in self.sections.items()},
            "departments": self.departments,
            "trend": self.trend,
            "coverage": self.coverage,
        }


def check_min_group(value: int, organisation: int = LOWEST_MIN_GROUP) -> int:
    """A minimum group size may be raised for one report, never lowered below the
    organisation's setting (or below 3)."""
    floor = max(organisation, LOWEST_MIN_GROUP)
    if value < floor:
        raise OptionError(
            f"--min-group: {value} is below {floor}, the smallest group your organisation "
            "allows a figure to describe"
        )
    return value


def period(
    since: datetime | None,
    until: datetime | None,
    stored: tuple[str | None, str | None],
    today: datetime,
    department: str | None = None,
) -> CohortQuery:
    """Whole calendar months: from the month of `since` (else the first month stored) to the
    last month that ended before `until`, and never the month still running."""
    first = f"{since:%Y-%m}" if since else stored[0]
    end = min(until, today) if until else today
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    # Not cut to the last month that holds assessments: a new one in the running month must
    # change nothing in the report, not even its period.
    return CohortQuery(first, f"{year:04d}-{month:02d}", department)


def build(
    kb: KnowledgeBase, tally: Tally, query: CohortQuery, k: int, rest: int | None = None
) -> Cohort:
    """The published cohort of `tally` (the store's counts for `query`). With a department
    filter, `rest` is how many people the rest of the organisation holds: fewer than k (but
    some), and the report is withheld, since the whole minus this department would be them."""
    department = query.department
    by_group = tally.groups
    total = sum(g.n for g in by_group)
    withheld = "rest" if rest is not None and 0 < rest < k and total else None
    empty = query.first is None or (query.last is not None and query.first > query.last)
    shown_period = (
        None if empty or total == 0 else {"first": str(query.first), "last": str(query.last)}
    )
    cohort = Cohort(
        publish(total, k).value if total >= k and not withheld else None,
        k,
        0 < total < k or bool(withheld),
        shown_period,
        {"department": department} if department else {},
        withheld or ("small" if 0 < total < k else None),
    )
    if cohort.suppressed or total == 0:
        return cohort
    n = cohort.n
    values: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for value in tally.values:
        values[value.field][value.value] += value.n

    def independent(field: str, labels: dict[str, str]) -> list[Count]:
        return [
            _count(key, label, publish(values[field].get(key, 0), k), n)
            for key, label in labels.items()
        ]

    def ranked(field: str, labels: dict[str, str]) -> list[Count]:
        shown = [
            _count(key, labels.get(key, key), publish(count, k), n)
            for key, count in values[field].items()
        ]
        # Only what is published (a "fewer than k" entry would tell that someone has it), by
        # the published figure, then by name: the true counts never set the order.
        shown = [c for c in shown if c.count is not None]
        shown.sort(key=lambda c: (-(c.count or 0), c.label))
        return shown[:TOP]

    risk_counts: dict[str, int] = defaultdict(int)
    for group in by_group:
        risk_counts[group.risk_level] += group.n
    risk_names = {level.id: level.name for level in kb.risk_levels}
    stress_counts = {band: values["stress_band"].get(band, 0) for band, _ in STRESS_BANDS}
    stress_counts["unknown"] = total - sum(stress_counts.values())
    stress_names = {
        **{band: f"{band} ({levels})" for band, levels in STRESS_BANDS},
        "unknown": "not answered",
    }
    reportable = {region for symptom in kb.symptoms for region in symptom.regions}
    cause_text = {c.id: f"{c.text} ({kb.symptom[c.symptom].name})" for c in kb.cause.values()}
    # A desk problem by what was wrong (the answers behind it), never by its advice.
    check_text = {
        c.id: f"{c.area.replace('_', ' ').capitalize()}: "
        + ", ".join(kb.labels_behind(c.failed_when))
        for c in kb.checks
    }
    queue = {q.kind: q.n for q in tally.queue}
    cohort.sections = {
        "regions": independent("regions", {r.id: r.name for r in kb.regions if r.id in reportable}),
        "symptoms": independent("symptoms", {s.id: s.name for s in kb.symptoms}),
        "likely_causes": ranked("likely_causes", cause_text),
        "failed_checks": ranked("failed_checks", check_text),
        "risk": _partition(
            risk_counts, {lvl.id: risk_names[lvl.id] for lvl in kb.risk_levels}, k, n
        ),
        "stress": _partition(stress_counts, stress_names, k, n),
        "followups": [
            _count(kind, label, publish(queue.get(kind, 0), k), n) for kind, label in QUEUE.items()
        ],
    }
    if department is None:
        cohort.departments = _departments(tally, values_by_department(tally), k, kb)
    cohort.trend = _trend(tally, k, department)
    cohort.coverage = _coverage(tally, k)
    return cohort


def _coverage(tally: Tally, k: int) -> list[dict[str, Any]]:
    """Per department, how many on the roster were assessed in the period. A department with
    fewer than k on the roster is folded in with the others; within each, "assessed" and "not
    assessed" add up to the roster, so neither may be a few people (complementary)."""
    roster: dict[str, int] = defaultdict(int)
    assessed: dict[str, int] = defaultdict(int)
    for row in tally.coverage:
        name = row.department or NO_DEPARTMENT
        roster[name] += row.on_roster
        assessed[name] += row.assessed
    small = [name for name in roster if roster[name] < k]
    if small:
        roster[OTHER_DEPARTMENTS] = sum(roster.pop(name) for name in small)
        assessed[OTHER_DEPARTMENTS] = sum(assessed.pop(name) for name in small)
    rows = []
    for name in sorted(roster, key=lambda n: (n == OTHER_DEPARTMENTS, n)):
        size = publish(roster[name], k)
        split = partition({"assessed": assessed[name], "not": roster[name] - assessed[name]}, k)
        shown = split["assessed"] if size.value is not None else Figure(None, size.why)
        rows.append(
            {
                "department": name,
                "on_roster": size.value,
                "why": size.why,
                "assessed": shown.value,
                "assessed_why": shown.why,
                "percent_assessed": percent(shown.value, size.value),
            }
        )
    return rows


def _count(key: str, label: str, figure: Figure, total: int | None) -> Count:
    return Count(key, label, figure.value, percent(figure.value, total), figure.why)


def _partition(
    counts: dict[str, int], labels: dict[str, str], k: int, total: int | None
) -> list[Count]:
    figures = partition({key: counts.get(key, 0) for key in labels}, k)
    return [_count(key, label, figures[key], total) for key, label in labels.items()]


def values_by_department(tally: Tally) -> dict[str, dict[str, int]]:
    """Per department, how many people have each symptom."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for value in tally.values:
        if value.field == "symptoms":
            found[value.department or NO_DEPARTMENT][value.value] += value.n
    return found


def _departments(
    tally: Tally, symptoms: dict[str, dict[str, int]], k: int, kb: KnowledgeBase
) -> list[dict[str, Any]]:
    people: dict[str, int] = defaultdict(int)
    high: dict[str, int] = defaultdict(int)
    for group in tally.groups:
        name = group.department or NO_DEPARTMENT
        people[name] += group.n
        high[name] += group.n if group.risk_level in ("high", "referral", "urgent") else 0
    small = sorted(name for name in people if people[name] < k)
    if small:
        people[OTHER_DEPARTMENTS] = sum(people.pop(name) for name in small)
        high[OTHER_DEPARTMENTS] = sum(high.pop(name) for name in small)
        folded: dict[str, int] = defaultdict(int)
        for name in small:
            for symptom, count in symptoms.pop(name, {}).items():
                folded[symptom] += count
        symptoms[OTHER_DEPARTMENTS] = folded
    sizes = partition(dict(people), k)
    names = {s.id: s.name for s in kb.symptoms}
    rows = []
    for name in sorted(people, key=lambda n: (n == OTHER_DEPARTMENTS, n)):
        size = sizes[name]
        shown = publish(high[name], k) if size.value is not None else Figure(None, size.why)
        top = max(
            ((count, names.get(s, s)) for s, count in symptoms.get(name, {}).items() if count >= k),
            default=None,
        )
        rows.append(
            {
                "department": name,
                "n": size.value,
                "why": size.why,
                "high_or_referral": shown.value,
                "percent_high_or_referral": percent(shown.value, size.value),
                "top_symptom": top[1] if top and size.value is not None else None,
            }
        )
    return rows


def _trend(tally: Tally, k: int, department: str | None) -> list[dict[str, Any]]:
    people: dict[str, int] = defaultdict(int)
    high: dict[str, int] = defaultdict(int)
    for count in tally.months:
        people[count.month] += count.n
        high[count.month] += count.n if count.risk_level in ("high", "referral", "urgent") else 0
    rows = []
    sizes = partition(dict(people), k)  # the months add up (nearly) to the whole
    for month in sorted(people):
        size = sizes[month]
        shown = publish(high[month], k) if size.value is not None else Figure(None, size.why)
        rows.append(
            {
                "month": month,
                "n": size.value,
                "why": size.why,
                "high_or_referral": shown.value,
                "percent_high_or_referral": percent(shown.value, size.value),
            }
        )
    return rows


def csv_rows(cohort: Cohort) -> list[dict[str, Any]]:
    """The cohort in long form for spreadsheets: one row per published figure."""

    def shown(value: int | None, why: str | None = "small") -> object:
        """A figure as every format words it: a number, or why it is not there."""
        if value is not None:
            return value
        return "not shown" if why == "protects" else f"fewer than {cohort.min_group}"

    rows: list[dict[str, Any]] = [
        {
            "section": "cohort",
            "key": "n",
            "label": "people",
            "count": shown(cohort.n),
            "percent": "",
        }
    ]
    for name, counts in cohort.sections.items():
        rows += [
            {
                "section": name,
                "key": c.key,
                "label": c.label,
                "count": shown(c.count, c.why),
                "percent": "" if c.percent is None else c.percent,
            }
            for c in counts
        ]
    for dept in cohort.departments:
        rows.append(
            {
                "section": "departments",
                "key": dept["department"],
                "label": "people",
                "count": shown(dept["n"], dept.get("why")),
                "percent": ""
                if dept["percent_high_or_referral"] is None
                else dept["percent_high_or_referral"],
            }
        )
    for month in cohort.trend:
        rows.append(
            {
                "section": "trend",
                "key": month["month"],
                "label": "people",
                "count": shown(month["n"], month.get("why")),
                "percent": ""
                if month["percent_high_or_referral"] is None
                else month["percent_high_or_referral"],
            }
        )
    for row in cohort.coverage:
        rows.append(
            {
                "section": "coverage",
                "key": row["department"],
                "label": "assessed of those on the roster",
                "count": shown(row["assessed"], row.get("assessed_why")),
                "percent": "" if row["percent_assessed"] is None else row["percent_assessed"],
            }
        )
    return rows
