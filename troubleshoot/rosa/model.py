"""The workstation score's instrument (ROSA) as frozen types: items with their options and
modifiers, devices and their duration bands, grids and sections, as read from rules/rosa.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from troubleshoot.conditions import Condition, questions_used


@dataclass(frozen=True)
class Fix:
    kind: str  # check | solution
    id: str


@dataclass(frozen=True)
class Option:
    points: int
    when: Condition
    finding: str = ""
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class Modifier:
    points: int
    when: Condition
    not_when: Condition
    finding: str
    fixes: tuple[Fix, ...] = ()

    # Worked out once: a frozen dataclass hashes all of its fields at every cache lookup.
    @cached_property
    def questions(self) -> frozenset[str]:
        """The questions behind `when` and `not_when`."""
        return questions_used(self.when) | questions_used(self.not_when)


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    best: int
    base: tuple[Option, ...]
    modifiers: tuple[Modifier, ...]
    clamp: tuple[int, int] | None = None
    duration: str | None = None

    @cached_property
    def base_questions(self) -> frozenset[str]:
        """The questions behind the base options."""
        return frozenset(q for option in self.base for q in questions_used(option.when))

    @cached_property
    def top(self) -> int:
        """The highest points of a base option."""
        return max(o.points for o in self.base)


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    daily: str
    continuous: str
    finding: str = ""  # shown when its time adds a point
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class Axis:
    kind: str  # sum | item | grid
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    id: str
    name: str
    rows: Axis
    columns: Axis
    row_values: tuple[int, ...]
    column_values: tuple[int, ...]
    cells: tuple[tuple[int, ...], ...]
    add_duration: str | None = None
    clamp: tuple[int, int] | None = None

    def lookup(self, row: int, column: int) -> int:
        row = min(max(row, self.row_values[0]), self.row_values[-1])
        column = min(max(column, self.column_values[0]), self.column_values[-1])
        return self.cells[self.row_values.index(row)][self.column_values.index(column)]


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    grid: str
    items: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Rosa:
    action_level: int
    action_text: str
    self_report_note: str
    bands: Mapping[str, Mapping[str, int]]
    devices: tuple[Device, ...]
    sections: tuple[Section, ...]
    items: tuple[Item, ...]
    grids: tuple[Grid, ...]

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def grid(self, grid_id: str) -> Grid:
        return next(g for g in self.grids if g.id == grid_id)

    def device(self, device_id: str) -> Device:
        return next(d for d in self.devices if d.id == device_id)

    def item_questions(self, item_id: str) -> set[str]:
        """Questions behind one item, its own duration included."""
        item = self.item(item_id)
        used: set[str] = set()
        used |= item.base_questions
        for modifier in item.modifiers:
            used |= modifier.questions
        if item.duration:
            device = self.device(item.duration)
            used |= {device.daily, device.continuous}
        return used

    @cached_property
    def scored(self) -> dict[str, Any]:
        """Scores already worked out, by the answers they rest on (see scoring.score)."""
        return {}

    @cached_property
    def all_questions(self) -> frozenset[str]:
        """Every question behind the score (asked for by every score: worked out once)."""
        return frozenset(self.questions())

    def questions(self, section_id: str | None = None) -> set[str]:
        """Questions behind a section's items (with their durations), or behind all of them."""
        chosen = [s for s in self.sections if section_id in (None, s.id)]
        used: set[str] = set()
        for section in chosen:
            for item_id in section.items:
                used |= self.item_questions(item_id)
            grid = self.grid(section.grid)
            if grid.add_duration:
                device = self.device(grid.add_duration)
                used |= {device.daily, device.continuous}
        return used
