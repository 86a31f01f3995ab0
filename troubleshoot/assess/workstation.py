"""The workstation score (ROSA) as part of an assessment result: scores, the items above their
best value with the desk changes that address them, and what is still missing."""

from __future__ import annotations

from typing import Any

from troubleshoot.assess.sections import source_data
from troubleshoot.kb import KnowledgeBase
from troubleshoot.rosa import Rosa, RosaScore


def _fix(kb: KnowledgeBase, kind: str, item_id: str) -> dict[str, Any]:
    text, source = (
        (kb.check[item_id].guidance, kb.check[item_id].source)
        if kind == "check"
        else (kb.solution[item_id].text, kb.solution[item_id].source)
    )
    return {
        "kind": kind,
        "id": item_id,
        "text": text,
        "source": source_data(source),
    }


def _label(kb: KnowledgeBase, question_id: str) -> str:
    question = kb.question.get(question_id)
    return question.label if question else question_id


def workstation_result(kb: KnowledgeBase, rosa: Rosa, scored: RosaScore) -> dict[str, Any]:
    """The workstation score as it appears in the result (`rosa` in the JSON document)."""
    sections = {s.id: s for s in rosa.sections}
    items = [
        {
            "id": item.id,
            "name": item.name,
            "section": item.section,
            "section_name": sections[item.section].name if item.section in sections else "",
            "score": item.score,
            "range": [item.low, item.high],
            "best": item.best,
            "complete": item.complete,
            "duration": item.duration,
            "findings": [
                {
                    "points": f.points,
                    "text": f.text,
                    "fixes": [_fix(kb, x.kind, x.id) for x in f.fixes],
                }
                for f in item.findings
            ],
            "missing": [_label(kb, q) for q in item.missing],
        }
        for item in scored.items
    ]
    return {
        "final": scored.final,
        "final_range": list(scored.final_range),
        "chair": scored.chair,
        "monitor_phone": scored.monitor_phone,
        "mouse_keyboard": scored.mouse_keyboard,
        "peripherals_monitor": scored.peripherals_monitor,
        "items": items,
        "complete": scored.complete,
        "action_level": scored.action_level,
        "action_level_reached": scored.action_level_reached,
        "missing": [_label(kb, q) for q in scored.missing],
        "durations": scored.durations,
        "sections": [
            {"id": s.id, "name": s.name, "score": getattr(scored, s.id, None)}
            for s in rosa.sections
        ],
        "action_text": rosa.action_text,
        "time_findings": [
            {
                "name": name,
                "points": f.points,
                "text": f.text,
                "fixes": [_fix(kb, x.kind, x.id) for x in f.fixes],
            }
            for name, f in scored.time_findings
        ],
        "self_report_note": rosa.self_report_note,
    }
