"""The cohort report: what a workforce's stored assessments add up to, for OH staff and
management. Every count of 1 to k-1 people (k = minimum group size, 5 by default, never below
3) is suppressed in every breakdown, so no one can be singled out; a department smaller than k
is folded into "other departments", and a cohort smaller than k shows nothing but its size.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from troubleshoot.errors import OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Summaries, Summary, Tally, ValueCount, tally_of

DEFAULT_MIN_GROUP = 5
LOWEST_MIN_GROUP = 3
STRESS_BANDS = (("low", "0-3", 0, 3), ("moderate", "4-6", 4, 6), ("high", "7-10", 7, 10))
OTHER_DEPARTMENTS = "Other departments (each fewer than the minimum group size)"
NO_DEPARTMENT = "(none given)"


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int | None  # None: suppressed (1 to k-1 people)
    percent: float | None


@dataclass
class Cohort:
    n: int
    min_group: int
    suppressed: bool  # the whole cohort is smaller than the minimum group size
    first: datetime | None
    last: datetime | None
    filters: dict[str, Any]
    sections: dict[str, list[Count]] = field(default_factory=dict)
    departments: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "min_group": self.min_group,
            "suppressed": self.suppressed,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "filters": self.filters,
            "sections": {name: [vars(c) for c in counts] for name, counts in self.sections.items()},
            "departments": self.departments,
            "trend": self.trend,
        }


def check_min_group(value: int) -> int:
    if value < LOWEST_MIN_GROUP:
        raise OptionError(
            f"--min-group: {value} is too small; groups of fewer than "
            f"{LOWEST_MIN_GROUP} people would identify them"
        )
    return value


def _count(key: str, label: str, count: int, total: int, k: int) -> Count:
    if 0 < count < k:
        return Count(key, label, None, None)
    return Count(key, label, count, round(100 * count / total, 1) if total else None)


def build(
    kb: KnowledgeBase,
    stored: Summaries | Iterable[Summary],
    open_followups: list[tuple[str, int]],
    min_group: int = DEFAULT_MIN_GROUP,
    filters: dict[str, Any] | None = None,
) -> Cohort:
    """The cohort of `stored`: from the store (`Store.iterate_summaries`), the database does the
    counting; any other summaries are counted in Python, with the same result."""
    k = check_min_group(min_group)
    if isinstance(stored, Summaries):
        tally, cohort_ids = stored.tally(), stored.ids
    else:
        rows = list(stored)
        tally, cohort_ids = tally_of(rows), lambda: {row.id for row in rows}
    n = sum(group.n for group in tally.groups)
    cohort = Cohort(
        n,
        k,
        0 < n < k,
        min((group.first_at for group in tally.groups), default=None),
        max((group.last_at for group in tally.groups), default=None),
        filters or {},
    )
    if cohort.suppressed or n == 0:
        return cohort

    # Each summary value: how many people, and the first assessment (lowest id) that has it.
    totals: dict[str, dict[str, tuple[int, int]]] = {}
    for value in tally.values:
        _add(totals.setdefault(value.field, {}), value)
    risks: Counter[str] = Counter()
    for group in tally.groups:
        risks[group.risk_level] += group.n
    stress: Counter[str] = Counter()
    for level, (count, _) in totals.get("stress_level", {}).items():
        stress[_stress_band(json.loads(level))] += count
    stress["unknown"] += n - stress.total()  # no stress level stored: not answered

    def counts(counter: Counter[str], labels: dict[str, str], keep_order: bool) -> list[Count]:
        keys = list(labels) if keep_order else [key for key, _ in counter.most_common()]
        return [
            _count(key, labels.get(key, key), counter[key], n, k)
            for key in keys
            if keep_order or counter[key]
        ]

    def met(name: str) -> Counter[str]:
        # Within one assessment, alphabetical: the order summaries list causes and checks in.
        return _in_id_order(totals.get(name, {}), str)

    cause_text = {c.id: f"{c.text} ({kb.symptom[c.symptom].name})" for c in kb.cause.values()}
    check_text = {c.id: f"{c.area}: {c.guidance}" for c in kb.checks}
    risk_names = {level.id: level.name for level in kb.risk_levels}
    cohort.sections = {
        "regions": counts(met("regions"), {r.id: r.name for r in kb.regions}, keep_order=True),
        "symptoms": counts(met("symptoms"), {s.id: s.name for s in kb.symptoms}, keep_order=True),
        "likely_causes": counts(met("likely_causes"), cause_text, keep_order=False)[:10],
        "failed_checks": counts(met("failed_checks"), check_text, keep_order=False)[:10],
        "risk": counts(risks, risk_names, keep_order=True),
        "stress": counts(
            stress,
            {**{b[0]: f"{b[0]} ({b[1]})" for b in STRESS_BANDS}, "unknown": "not answered"},
            keep_order=True,
        ),
        "followups": _queue(open_followups, cohort_ids(), n, k),
    }
    cohort.departments = _departments(tally, k, kb)
    cohort.trend = _trend(tally, k)
    return cohort


def _add(counts: dict[str, tuple[int, int]], value: ValueCount) -> None:
    """Add a counted value to (count, first assessment id) by value."""
    count, first = counts.get(value.value, (0, value.first_id))
    counts[value.value] = (count + value.n, min(first, value.first_id))


def _in_id_order(values: dict[str, tuple[int, int]], rank: Callable[[str], Any]) -> Counter[str]:
    """Counts in the order a pass over the assessments by id meets the values (within one
    assessment, by `rank`), so that `most_common` puts the earliest first among equal counts."""
    ordered = sorted(values.items(), key=lambda item: (item[1][1], rank(item[0])))
    return Counter({value: count for value, (count, _) in ordered})


def _stress_band(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return next(name for name, _, low, high in STRESS_BANDS if low <= value <= high)
    return "unknown"


def _queue(open_followups: list[tuple[str, int]], ids: set[int], n: int, k: int) -> list[Count]:
    """The follow-up queue as counts only: individual cases are in `followup list`."""
    # People (assessments) with at least one open follow-up of each kind.
    kinds = Counter(kind for kind, assessment in set(open_followups) if assessment in ids)
    labels = {
        "urgent": "people told to get care today or now",
        "referral": "people with a red flag awaiting follow-up",
        "unscreened": "people whose safety check is not finished",
        "high_risk": "people at high risk awaiting follow-up",
        "desk_check": "people with desk changes still to make",
    }
    return [_count(kind, label, kinds[kind], n, k) for kind, label in labels.items()]


@dataclass
class _Department:
    first_id: int  # its first assessment
    n: int = 0
    high: int = 0  # high risk or referral
    symptoms: dict[str, tuple[int, int]] = field(default_factory=dict)  # count, first id


def _departments(tally: Tally, k: int, kb: KnowledgeBase) -> list[dict[str, Any]]:
    groups: dict[str, _Department] = {}
    for count in tally.groups:
        group = groups.setdefault(count.department or NO_DEPARTMENT, _Department(count.first_id))
        group.first_id = min(group.first_id, count.first_id)
        group.n += count.n
        group.high += count.n if count.risk_level in ("high", "referral") else 0
    for value in tally.values:
        if value.field == "symptoms":
            _add(groups[value.department or NO_DEPARTMENT].symptoms, value)
    # Within one assessment, symptoms are listed in knowledge-base order.
    order = {symptom.id: (0, position, "") for position, symptom in enumerate(kb.symptoms)}

    def rank(key: str) -> Any:
        return order.get(key, (1, 0, key))

    ordered = {name: _in_id_order(group.symptoms, rank) for name, group in groups.items()}
    # Departments in the order they first appear; a small one's people are folded together.
    small = [
        name
        for name in sorted(groups, key=lambda name: groups[name].first_id)
        if groups[name].n < k
    ]
    if small:
        # Among equal counts, a symptom of an earlier department comes first.
        folded, folded_order = _Department(groups[small[0]].first_id), Counter[str]()
        for name in small:
            group = groups.pop(name)
            folded.n += group.n
            folded.high += group.high
            folded_order.update(ordered.pop(name))
        groups[OTHER_DEPARTMENTS], ordered[OTHER_DEPARTMENTS] = folded, folded_order
    names = {s.id: s.name for s in kb.symptoms}
    result: list[dict[str, Any]] = []
    for name, group in sorted(
        groups.items(), key=lambda item: (item[0] == OTHER_DEPARTMENTS, item[0])
    ):
        size = group.n
        if size < k:  # the folded remainder can itself be too small
            result.append(
                {
                    "department": name,
                    "n": None,
                    "high_or_referral": None,
                    "percent_high_or_referral": None,
                    "top_symptom": None,
                }
            )
            continue
        top = next(((key, count) for key, count in ordered[name].most_common() if count >= k), None)
        shown = _count("", "", group.high, size, k)
        result.append(
            {
                "department": name,
                "n": size,
                "high_or_referral": shown.count,
                "percent_high_or_referral": shown.percent,
                "top_symptom": names.get(top[0], top[0]) if top else None,
            }
        )
    return result


def _trend(tally: Tally, k: int) -> list[dict[str, Any]]:
    months: dict[str, list[int]] = {}  # size, high or referral
    for count in tally.months:
        month = months.setdefault(count.month, [0, 0])
        month[0] += count.n
        month[1] += count.n if count.risk_level in ("high", "referral") else 0
    trend = []
    for name, (size, high) in sorted(months.items()):
        shown = _count("", "", high, size, k) if size >= k else Count("", "", None, None)
        trend.append(
            {
                "month": name,
                "n": size if size >= k else None,
                "high_or_referral": shown.count,
                "percent_high_or_referral": shown.percent,
            }
        )
    return trend


def csv_rows(cohort: Cohort) -> list[dict[str, Any]]:
    """The cohort in long form for spreadsheets: one row per figure."""
    rows: list[dict[str, Any]] = [
        {"section": "cohort", "key": "n", "label": "assessments", "count": cohort.n, "percent": ""}
    ]
    for name, counts in cohort.sections.items():
        rows += [
            {
                "section": name,
                "key": c.key,
                "label": c.label,
                "count": "suppressed" if c.count is None else c.count,
                "percent": "" if c.percent is None else c.percent,
            }
            for c in counts
        ]
    for dept in cohort.departments:
        rows.append(
            {
                "section": "departments",
                "key": dept["department"],
                "label": "assessments",
                "count": "suppressed" if dept["n"] is None else dept["n"],
                "percent": dept["percent_high_or_referral"] or "",
            }
        )
    for month in cohort.trend:
        rows.append(
            {
                "section": "trend",
                "key": month["month"],
                "label": "assessments",
                "count": "suppressed" if month["n"] is None else month["n"],
                "percent": month["percent_high_or_referral"] or "",
            }
        )
    return rows
