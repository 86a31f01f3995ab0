"""The safety part of a result: the warning signs reported or left unsure, the urgency of care
said first in every report, and the stretches held back until a doctor has seen the person.
Built from the engine's conclusions (the rules decide; this only words them)."""

from __future__ import annotations

import dataclasses

from troubleshoot.assess.result import HeldBackItem, RedFlagItem, Urgency, UrgencyReason
from troubleshoot.assess.sections import Explains, source
from troubleshoot.conditions import UNSURE
from troubleshoot.kb import WarningSign

REASON_ORDER = {"warning_sign": 0, "unsure": 1, "advice": 2}


def sign_item(built: Explains, sign: WarningSign) -> RedFlagItem:
    return RedFlagItem(
        sign.id,
        sign.text,
        source(sign.source),
        sign.urgency,
        built.fill(sign.advice),
        sign.policy is not None,
    )


def reported_signs(built: Explains) -> tuple[RedFlagItem, ...]:
    raised = {d.id for d in built.ev.of_kind("red_flag")}
    return tuple(sign_item(built, s) for s in built.kb.signs if s.id in raised)


def unsure_signs(built: Explains) -> tuple[RedFlagItem, ...]:
    """Signs answered "not sure", with the level of care that applies to them."""
    items = []
    for sign in built.kb.signs:
        if built.answers.get(sign.id) == UNSURE:
            level = built.kb.urgency[sign.urgency].when_unsure
            item = sign_item(built, sign)
            items.append(dataclasses.replace(item, urgency=level))
    return tuple(items)


def urgency(built: Explains) -> Urgency | None:
    """The most urgent level concluded, worded for the reader, with every reason for care."""
    drawn = built.ev.of_kind("urgency")
    if not drawn:
        return None
    kb = built.kb
    reasons = []
    for derived in drawn:
        kind, _, item = derived.status.partition(":")
        if kind in ("sign", "unsure"):
            sign = kb.sign[item]
            text = sign.text if kind == "sign" else f"Not sure: {_lower_first(sign.text)}"
            reasons.append(
                UrgencyReason(
                    "warning_sign" if kind == "sign" else "unsure",
                    sign.id,
                    derived.id,
                    text,
                    built.fill(sign.advice),
                )
            )
        else:
            advice = kb.advice_item[item]
            about = [
                kb.symptom[d.about].name
                for d in built.ev.of_kind("advice")
                if d.id == advice.id and d.about in kb.symptom
            ]
            because = {
                b
                for d in built.ev.of_kind("advice")
                if d.id == advice.id
                for b in built.because(d.key, frozenset())
            }
            reasons.append(
                UrgencyReason(
                    "advice",
                    advice.id,
                    derived.id,
                    ", ".join(about),
                    built.fill(advice.text),
                    tuple(sorted(because, key=lambda b: (b.question, b.about, str(b.answer)))),
                )
            )
    order = {item_id: n for n, item_id in enumerate([*kb.sign, *kb.advice_item])}
    unique = {(r.kind, r.id): r for r in reasons}.values()
    ranked = sorted(
        unique,
        key=lambda r: (kb.urgency[r.urgency].rank, REASON_ORDER[r.kind], order.get(r.id, 0)),
    )
    level = kb.urgency[ranked[0].urgency]
    return Urgency(level.id, level.title, built.fill(level.text), tuple(ranked))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def held_back(built: Explains) -> tuple[HeldBackItem, ...]:
    """Stretches not offered because an advice that holds them back was drawn for a symptom
    in their body region (pain rated 9 or 10), with the reason."""
    kb = built.kb
    offered = {d.id for d in built.ev.of_kind("stretch")}
    reported = {d.id for d in built.ev.of_kind("symptom")}
    items: dict[str, HeldBackItem] = {}
    for derived in built.ev.of_kind("advice"):
        advice = kb.advice_item[derived.id]
        symptom = kb.symptom.get(derived.about)
        if not advice.holds_back_stretches or symptom is None or symptom.id not in reported:
            continue
        because = "; ".join(b.text for b in built.because(derived.key, frozenset()))
        for stretch in kb.stretches:
            if stretch.id in offered or stretch.id in items:
                continue
            if set(stretch.regions) & set(symptom.regions):
                items[stretch.id] = HeldBackItem(
                    stretch.id,
                    stretch.name,
                    f"until a doctor has seen you (you said: {because})",
                )
    return tuple(items[s.id] for s in kb.stretches if s.id in items)
