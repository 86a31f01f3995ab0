"""The self-help program's sections of a result: advice, desk checks, stretches, the break
plan, the stress plan and healthy habits, each built from the engine's conclusions in the
knowledge base's order, with the answers each rests on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from functools import lru_cache
from typing import Any, Protocol

from troubleshoot.assess.result import (
    AdviceItem,
    Because,
    CheckItem,
    HabitItem,
    Source,
    StretchItem,
)
from troubleshoot.conditions import Answers
from troubleshoot.engine import Derived, Evaluation, Key
from troubleshoot.kb import KnowledgeBase, SourceRef

LEVEL_ORDER = {"emergency": 0, "same_day": 1, "soon": 2, "info": 3}
HABIT_ORDER = {"focus": 0, "general": 1, "keep_up": 2}


class Explains(Protocol):
    """What the sections need from the result being built (see assessment._Builder)."""

    kb: KnowledgeBase
    ev: Evaluation
    answers: Answers

    def fill(self, text: str) -> str: ...

    def because(self, key: Key, skip: frozenset[str] = ...) -> tuple[Because, ...]: ...

    def reasons(self, keys: list[Key]) -> tuple[Because, ...]: ...


def in_kb_order(ev: Evaluation, kind: str, index: Mapping[str, Any]) -> list[Derived]:
    """The conclusions of one kind in the order of the knowledge base's `index` of them."""
    order = {item_id: n for n, item_id in enumerate(index)}
    return sorted(ev.of_kind(kind), key=lambda d: (order.get(d.id, 0), d.status))


def source(ref: SourceRef) -> Source:
    return _source(ref.file, ref.section)


@lru_cache(maxsize=1024)  # a result names ~70 sources, of a few hundred; Source is frozen
def _source(file: str, section: str) -> Source:
    return Source(file, section)


def source_data(ref: SourceRef) -> dict[str, str]:
    """A source as the result's JSON has it."""
    return {"file": ref.file, "section": ref.section}


def advice(built: Explains) -> tuple[AdviceItem, ...]:
    """One item per advice, naming every symptom it was drawn for."""
    grouped: dict[str, list[Derived]] = {}
    for derived in built.ev.of_kind("advice"):
        grouped.setdefault(derived.id, []).append(derived)
    items = []
    for advice in built.kb.advice:
        drawn = grouped.get(advice.id)
        if not drawn:
            continue
        drawn_for = {d.about for d in drawn}
        about = tuple(s.id for s in built.kb.symptoms if s.id in drawn_for)
        because = built.reasons([d.key for d in drawn])
        items.append(
            AdviceItem(
                advice.id,
                advice.urgency,
                advice.scope,
                built.fill(advice.text),
                about,
                tuple(built.kb.symptom[s].name for s in about),
                tuple(because),
                source(advice.source),
            )
        )
    return tuple(sorted(items, key=lambda a: LEVEL_ORDER[a.urgency]))


def desk_checks(built: Explains) -> tuple[CheckItem, ...]:
    statuses: dict[str, Derived] = {}
    for derived in built.ev.of_kind("check"):
        if derived.status == "failed" or derived.id not in statuses:
            statuses[derived.id] = derived  # conflicting answers: the failure wins
    return tuple(
        CheckItem(
            c.id,
            c.area,
            statuses[c.id].status,
            c.guidance,
            built.because(statuses[c.id].key),
            source(c.source),
        )
        for c in built.kb.checks
        if c.id in statuses
    )


def stretches(built: Explains) -> tuple[StretchItem, ...]:
    found = {d.id: d for d in built.ev.of_kind("stretch")}
    items = []
    for stretch in built.kb.stretches:
        if stretch.id not in found:
            continue
        helps = []
        for kind, item_id, _, _ in sorted(found[stretch.id].derived_from):
            name = (
                built.kb.symptom[item_id].name
                if kind == "symptom"
                else built.kb.symptom[built.kb.solution[item_id].symptom].name
            )
            if name not in helps:
                helps.append(name)
        items.append(
            StretchItem(
                stretch.id,
                stretch.name,
                stretch.regions,
                stretch.steps,
                stretch.caution,
                tuple(helps),
                source(stretch.source),
            )
        )
    return tuple(items)


def break_plan(built: Explains) -> dict[str, Any]:
    plan = built.kb.break_plan
    return {
        "summary": plan.summary,
        "move_every_minutes": list(plan.move_every_minutes),
        "movement_ideas": [idea.text for idea in plan.movement_ideas],
        "vision_break_minutes": plan.vision_break_minutes,
        "vision_break_text": plan.vision_break_text,
        "stretch_tips": built.kb.notes["stretch_tips"].text,
        "strategies": [s.text for s in built.kb.strategies],
        "source": source_data(plan.source),
        "rhythm": [
            {"id": r.id, "every": r.every, "text": r.text, "source": source_data(r.source)}
            for r in plan.rhythm
        ],
    }


def stress(built: Explains) -> dict[str, Any] | None:
    if not built.ev.of_kind("technique"):
        return None
    factors = built.ev.of_kind("factor")
    return {
        "intro": built.fill(built.kb.notes["stress_plan"].text),
        "relaxation_response": built.kb.notes["relaxation_response"].text,
        "because": [asdict(b) for d in factors for b in built.because(d.key)],
    }


def habits(built: Explains) -> tuple[HabitItem, ...]:
    found = {d.id: d for d in built.ev.of_kind("habit")}
    items = [
        HabitItem(
            h.id,
            h.name,
            h.advice,
            found[h.id].status,
            built.because(found[h.id].key),
            source(h.source),
        )
        for h in built.kb.habits
        if h.id in found
    ]
    return tuple(sorted(items, key=lambda h: HABIT_ORDER[h.status]))
