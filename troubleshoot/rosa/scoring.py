"""The workstation score (ROSA): the one place it is computed.

Every item is the highest matching base option plus its modifiers, plus a duration modifier
(the worse of the daily and continuous bands) where the item has one, clamped to its range.
Grids combine items into section scores and sections into the final 1-10 score. An item that
cannot be decided from the answers is incomplete; the score then lists the missing answers
instead of guessing. Because every grid is non-decreasing, the missing answers bound the
score to a range, and the action level can still be decided when the whole range is on one side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from troubleshoot.conditions import Answers, holds
from troubleshoot.rosa.model import Axis, Device, Fix, Item, Rosa

NO_FACTS: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(frozen=True)
class Finding:
    points: int
    text: str
    fixes: tuple[Fix, ...]


@dataclass(frozen=True)
class ItemScore:
    id: str
    name: str
    section: str
    score: int | None  # None while incomplete
    low: int  # the score lies in [low, high] whatever the missing answers turn out to be
    high: int
    best: int
    findings: tuple[Finding, ...]
    duration: int | None
    complete: bool
    missing: tuple[str, ...]  # question ids that would decide it


@dataclass(frozen=True)
class RosaScore:
    final: int | None
    final_range: tuple[int, int]
    chair: int | None
    monitor_phone: int | None
    mouse_keyboard: int | None
    peripherals_monitor: int | None
    items: tuple[ItemScore, ...]
    durations: dict[str, int | None]
    complete: bool
    action_level_reached: bool | None
    action_level: int
    answered: bool
    missing: tuple[str, ...] = field(default=())
    time_findings: tuple[tuple[str, Finding], ...] = ()  # grid-level time (the chair's sitting)


def duration_modifier(rosa: Rosa, device: Device, answers: Answers) -> int | None:
    """The worse of the daily and continuous bands; None while that is still unknown."""
    low, high = duration_range(rosa, device, answers)
    return low if low == high else None


def duration_range(rosa: Rosa, device: Device, answers: Answers) -> tuple[int, int]:
    bands = [
        rosa.bands["daily"].get(str(answers.get(device.daily))),
        rosa.bands["continuous"].get(str(answers.get(device.continuous))),
    ]
    known = [band for band in bands if band is not None]
    if 1 in known or len(known) == 2:
        return max(known), max(known)
    return (max(known, default=-1), 1)


def _clamp(value: int, limits: tuple[int, int] | None) -> int:
    return min(max(value, limits[0]), limits[1]) if limits else value


def _item(rosa: Rosa, item: Item, section: str, answers: Answers) -> ItemScore:
    matched = [o for o in item.base if holds(o.when, answers, NO_FACTS)]
    base_questions, top = item.base_questions, item.top
    unanswered_base = {q for q in base_questions if answers.get(q) in (None, "not_sure")}
    missing: set[str] = set()
    findings: list[Finding] = []
    if matched:
        base_low = max(o.points for o in matched)
        findings += [
            Finding(o.points, o.finding, o.fixes)
            for o in matched
            if o.points == base_low and o.finding
        ]
    else:
        base_low = min(o.points for o in item.base)
        missing |= base_questions
    # A higher option may still match once the missing answers come in.
    undecided_base = not matched or (base_low < top and bool(unanswered_base))
    if undecided_base:
        missing |= unanswered_base
    base_high = top if undecided_base else base_low
    low = base_low
    high = base_high
    for modifier in item.modifiers:
        if holds(modifier.when, answers, NO_FACTS):
            low += modifier.points
            high += modifier.points
            findings.append(Finding(modifier.points, modifier.finding, modifier.fixes))
        elif not holds(modifier.not_when, answers, NO_FACTS):
            high += modifier.points
            missing |= modifier.questions
    duration = None
    if item.duration:
        device = rosa.device(item.duration)
        d_low, d_high = duration_range(rosa, device, answers)
        duration = d_low if d_low == d_high else None
        if duration is None:
            missing |= {device.daily, device.continuous}
        elif duration > 0:
            findings.append(Finding(duration, device.finding, device.fixes))
        low, high = low + d_low, high + d_high
    low, high = _clamp(low, item.clamp), _clamp(high, item.clamp)
    complete = not undecided_base and not missing
    unanswered = tuple(sorted(q for q in missing if answers.get(q) in (None, "not_sure")))
    return ItemScore(
        item.id,
        item.name,
        section,
        low if complete else None,
        low,
        high,
        item.best,
        tuple(findings),
        duration,
        complete,
        unanswered or tuple(sorted(missing)),
    )


def score(rosa: Rosa, answers: Answers) -> RosaScore:
    """Score a workstation from the answers. Never guesses a missing answer: an incomplete
    score is reported as a range, and the action level is decided only when the range allows.

    A score rests only on the answers to the instrument's own questions, so it is worked out
    once per set of those answers (half of all assessments answer none) and kept (bounded)."""
    own = {q: answers[q] for q in sorted(rosa.all_questions) if q in answers}
    key = json.dumps(own, sort_keys=True, default=repr)  # types kept apart: 1, 1.0, true
    memo: dict[str, RosaScore] = rosa.scored
    found = memo.get(key)
    if found is None:
        found = _score(rosa, own)
        if len(memo) >= _KEPT:
            memo.clear()
        memo[key] = found
    return replace(found, durations=dict(found.durations))  # the one mutable part: a copy


_KEPT = 1024


def _score(rosa: Rosa, answers: Answers) -> RosaScore:
    section_of = {i: s.id for s in rosa.sections for i in s.items}
    items = {
        item.id: _item(rosa, item, section_of.get(item.id, ""), answers) for item in rosa.items
    }
    durations = {d.id: duration_modifier(rosa, d, answers) for d in rosa.devices}
    ranges: dict[str, tuple[int, int]] = {}

    def axis(value: Axis) -> tuple[int, int]:
        parts = (
            [grid_range(ref) for ref in value.refs]
            if value.kind == "grid"
            else [(items[ref].low, items[ref].high) for ref in value.refs]
        )
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    def grid_range(grid_id: str) -> tuple[int, int]:
        # Every grid is non-decreasing in both axes, so bounds map to bounds.
        if grid_id not in ranges:
            grid = rosa.grid(grid_id)
            (row_low, row_high), (col_low, col_high) = axis(grid.rows), axis(grid.columns)
            low, high = grid.lookup(row_low, col_low), grid.lookup(row_high, col_high)
            if grid.add_duration:
                d_low, d_high = duration_range(rosa, rosa.device(grid.add_duration), answers)
                low, high = low + d_low, high + d_high
            ranges[grid_id] = (_clamp(low, grid.clamp), _clamp(high, grid.clamp))
        return ranges[grid_id]

    def exact(grid_id: str) -> int | None:
        low, high = grid_range(grid_id)
        return low if low == high and complete_grid(grid_id) else None

    def complete_grid(grid_id: str) -> bool:
        grid = rosa.grid(grid_id)
        refs = [*grid.rows.refs, *grid.columns.refs]
        parts = [
            complete_grid(r) if a.kind == "grid" else items[r].complete
            for a in (grid.rows, grid.columns)
            for r in a.refs
        ]
        duration_known = not grid.add_duration or durations[grid.add_duration] is not None
        return bool(refs) and all(parts) and duration_known

    final_range = grid_range("final")
    final = exact("final")
    if final_range[0] >= rosa.action_level:
        reached: bool | None = True
    elif final_range[1] < rosa.action_level:
        reached = False
    else:
        reached = None
    missing: set[str] = {q for i in items.values() for q in i.missing}
    chair_device = (
        rosa.grid("chair").add_duration if "chair" in {g.id for g in rosa.grids} else None
    )
    if chair_device and durations.get(chair_device) is None:
        device = rosa.device(chair_device)
        missing |= {device.daily, device.continuous}
    answered = any(answers.get(q) not in (None, "not_sure") for q in rosa.all_questions)
    time_findings = tuple(
        (device.name, Finding(1, device.finding, device.fixes))
        for grid in rosa.grids
        if grid.add_duration
        and durations.get(grid.add_duration) == 1
        and (device := rosa.device(grid.add_duration)).finding
    )
    sections = {s.id: exact(s.grid) for s in rosa.sections}
    return RosaScore(
        final=final,
        final_range=final_range,
        chair=sections.get("chair"),
        monitor_phone=sections.get("monitor_phone"),
        mouse_keyboard=sections.get("mouse_keyboard"),
        peripherals_monitor=exact("peripherals_monitor"),
        items=tuple(items.values()),
        durations=durations,
        complete=final is not None,
        action_level_reached=reached,
        action_level=rosa.action_level,
        answered=answered,
        missing=tuple(sorted(q for q in missing if answers.get(q) in (None, "not_sure"))),
        time_findings=time_findings,
    )
