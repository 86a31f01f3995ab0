"""The cohort report: what a workforce's stored assessments add up to, for OH staff and
management. Every count of 1 to k-1 people (k = minimum group size, 5 by default, never below
3) is suppressed in every breakdown, so no one can be singled out; a department smaller than k
is folded into "other departments", and a cohort smaller than k shows nothing but its size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from troubleshoot.errors import OptionError
from troubleshoot.model import KnowledgeBase
from troubleshoot.store import Summary

DEFAULT_MIN_GROUP = 5
LOWEST_MIN_GROUP = 3
STRESS_BANDS = (("low", "0-3", 0, 3), ("moderate", "4-6", 4, 6), ("high", "7-10", 7, 10))
OTHER_DEPARTMENTS = "Other departments (each fewer than the minimum group size)"


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
    stored: Iterable[Summary],
    open_followups: list[tuple[str, int]],
    min_group: int = DEFAULT_MIN_GROUP,
    filters: dict[str, Any] | None = None,
) -> Cohort:
    k = check_min_group(min_group)
    rows = list(stored)
    n = len(rows)
    dates = [row.created_at for row in rows]
    cohort = Cohort(
        n, k, 0 < n < k, min(dates, default=None), max(dates, default=None), filters or {}
    )
    if cohort.suppressed or n == 0:
        return cohort

    regions: Counter[str] = Counter()
    symptoms: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    risks: Counter[str] = Counter()
    stress: Counter[str] = Counter()
    for row in rows:
        data = row.data
        regions.update(set(data["regions"]))
        symptoms.update(set(data["symptoms"]))
        causes.update(set(data["likely_causes"]))
        checks.update(set(data["failed_checks"]))
        risks[row.risk_level] += 1
        stress[_stress_band(data.get("stress_level"))] += 1

    def counts(counter: Counter[str], labels: dict[str, str], keep_order: bool) -> list[Count]:
        keys = list(labels) if keep_order else [key for key, _ in counter.most_common()]
        return [
            _count(key, labels.get(key, key), counter[key], n, k)
            for key in keys
            if keep_order or counter[key]
        ]

    cause_text = {c.id: f"{c.text} ({kb.symptom[c.symptom].name})" for c in kb.cause.values()}
    check_text = {c.id: f"{c.area}: {c.guidance}" for c in kb.checks}
    risk_names = {level.id: level.name for level in kb.risk_levels}
    cohort.sections = {
        "regions": counts(regions, {r.id: r.name for r in kb.regions}, keep_order=True),
        "symptoms": counts(symptoms, {s.id: s.name for s in kb.symptoms}, keep_order=True),
        "likely_causes": counts(causes, cause_text, keep_order=False)[:10],
        "failed_checks": counts(checks, check_text, keep_order=False)[:10],
        "risk": counts(risks, risk_names, keep_order=True),
        "stress": counts(
            stress,
            {**{b[0]: f"{b[0]} ({b[1]})" for b in STRESS_BANDS}, "unknown": "not answered"},
            keep_order=True,
        ),
        "followups": _queue(open_followups, {r.id for r in rows}, n, k),
    }
    cohort.departments = _departments(rows, k, {s.id: s.name for s in kb.symptoms})
    cohort.trend = _trend(rows, k)
    return cohort


def _stress_band(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return next(name for name, _, low, high in STRESS_BANDS if low <= value <= high)
    return "unknown"


def _queue(open_followups: list[tuple[str, int]], ids: set[int], n: int, k: int) -> list[Count]:
    """The follow-up queue as counts only: individual cases are in `followup list`."""
    # People (assessments) with at least one open follow-up of each kind.
    kinds = Counter(kind for kind, assessment in set(open_followups) if assessment in ids)
    labels = {
        "referral": "people with a red flag awaiting follow-up",
        "high_risk": "people at high risk awaiting follow-up",
        "desk_check": "people with desk changes still to make",
    }
    return [_count(kind, label, kinds[kind], n, k) for kind, label in labels.items()]


def _departments(rows: list[Summary], k: int, names: dict[str, str]) -> list[dict[str, Any]]:
    groups: dict[str, list[Summary]] = {}
    for row in rows:
        groups.setdefault(row.department or "(none given)", []).append(row)
    small = [name for name, members in groups.items() if len(members) < k]
    if small:
        folded = [row for name in small for row in groups.pop(name)]
        groups[OTHER_DEPARTMENTS] = folded
    result: list[dict[str, Any]] = []
    for name, members in sorted(
        groups.items(), key=lambda item: (item[0] == OTHER_DEPARTMENTS, item[0])
    ):
        size = len(members)
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
        high = sum(1 for m in members if m.risk_level in ("high", "referral"))
        symptoms = Counter(s for m in members for s in m.data["symptoms"])
        top = next(((key, count) for key, count in symptoms.most_common() if count >= k), None)
        shown = _count("", "", high, size, k)
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


def _trend(rows: list[Summary], k: int) -> list[dict[str, Any]]:
    months: dict[str, list[Summary]] = {}
    for row in rows:
        months.setdefault(row.created_at.strftime("%Y-%m"), []).append(row)
    trend = []
    for month, members in sorted(months.items()):
        size = len(members)
        high = sum(1 for m in members if m.risk_level in ("high", "referral"))
        shown = _count("", "", high, size, k) if size >= k else Count("", "", None, None)
        trend.append(
            {
                "month": month,
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
