"""Read the workstation score (ROSA) from rules/rosa.yaml into its frozen types, reporting
unknown items, grids, devices, fixes and regions as problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from troubleshoot.conditions import Condition
from troubleshoot.rosa.model import Axis, Device, Fix, Grid, Item, Modifier, Option, Rosa, Section

Problem = Callable[[str, str], None]
ParseCondition = Callable[[Any, str, str], Condition]


def parse_rosa(
    raw: dict[str, Any], condition: ParseCondition, problem: Problem, known: dict[str, set[str]]
) -> Rosa:
    """Build the ROSA types; report problems as problem(item, message)."""

    def fixes(entry: dict[str, Any], where: str) -> tuple[Fix, ...]:
        found = []
        for fix in entry.get("fix", []):
            ((kind, ref),) = fix.items()
            if ref not in known[kind]:
                problem(where, f"fix: unknown {kind} '{ref}'")
            found.append(Fix(kind, ref))
        return tuple(found)

    devices = tuple(
        Device(
            d["id"], d["name"], d["daily"], d["continuous"], d.get("finding", ""), fixes(d, d["id"])
        )
        for d in raw["devices"]
    )
    device_ids = {d.id for d in devices}
    items = []
    for entry in raw["items"]:
        where = entry["id"]
        if entry.get("duration") and entry["duration"] not in device_ids:
            problem(where, f"unknown duration device '{entry['duration']}'")
        items.append(
            Item(
                id=entry["id"],
                name=entry["name"],
                best=entry["best"],
                base=tuple(
                    Option(
                        o["points"],
                        condition(o["when"], where, "base"),
                        o.get("finding", ""),
                        fixes(o, where),
                    )
                    for o in entry["base"]
                ),
                modifiers=tuple(
                    Modifier(
                        m["points"],
                        condition(m["when"], where, "modifiers"),
                        condition(m["not_when"], where, "modifiers"),
                        m["finding"],
                        fixes(m, where),
                    )
                    for m in entry.get("modifiers", [])
                ),
                clamp=tuple(entry["clamp"]) if "clamp" in entry else None,
                duration=entry.get("duration"),
            )
        )
    item_ids = {i.id for i in items}
    grids = []
    for entry in raw["grids"]:
        where = entry["id"]
        cells = tuple(tuple(row) for row in entry["cells"])
        if len(cells) != len(entry["row_values"]) or any(
            len(row) != len(entry["column_values"]) for row in cells
        ):
            problem(where, "cells must have one row per row value and one column per column value")
        axes = []
        for name in ("rows", "columns"):
            ((kind, refs),) = entry[name].items()
            refs = refs if isinstance(refs, list) else [refs]
            for ref in refs:
                pool = item_ids if kind in ("sum", "item") else {g["id"] for g in raw["grids"]}
                if ref not in pool:
                    problem(
                        where, f"{name}: unknown {'grid' if kind == 'grid' else 'item'} '{ref}'"
                    )
            axes.append(Axis(kind, tuple(refs)))
        if entry.get("add_duration") and entry["add_duration"] not in device_ids:
            problem(where, f"unknown duration device '{entry['add_duration']}'")
        grids.append(
            Grid(
                entry["id"],
                entry["name"],
                axes[0],
                axes[1],
                tuple(entry["row_values"]),
                tuple(entry["column_values"]),
                cells,
                entry.get("add_duration"),
                tuple(entry["clamp"]) if "clamp" in entry else None,
            )
        )
    grid_ids = {g.id for g in grids}
    for required in ("final", "peripherals_monitor"):
        if required not in grid_ids:
            problem(required, "this grid is required")
    sections = []
    for entry in raw["sections"]:
        for ref in entry["items"]:
            if ref not in item_ids:
                problem(entry["id"], f"unknown item '{ref}'")
        if entry["grid"] not in grid_ids:
            problem(entry["id"], f"unknown grid '{entry['grid']}'")
        for region in entry["regions"]:
            if region not in known["region"]:
                problem(entry["id"], f"unknown region '{region}'")
        sections.append(
            Section(
                entry["id"],
                entry["name"],
                entry["grid"],
                tuple(entry["items"]),
                tuple(entry["regions"]),
            )
        )
    return Rosa(
        raw["action_level"],
        raw["action_text"],
        raw["self_report_note"],
        raw["duration_bands"],
        devices,
        tuple(sections),
        tuple(items),
        tuple(grids),
    )
