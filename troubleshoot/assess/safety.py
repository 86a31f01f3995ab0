"""The safety part of a result: the warning signs reported or left unsure, the urgency of care
said first in every report, and the stretches held back until a doctor has seen the person.
Built from the engine's conclusions (the rules decide; this only words them)."""

from __future__ import annotations

import dataclasses

from troubleshoot.assess.result import HeldBackItem, RedFlagItem, Urgency, UrgencyReason
from troubleshoot.assess.sections import Explains, source
from troubleshoot.conditions import UNSURE, holds
from troubleshoot.engine import Derived
from troubleshoot.kb import WarningSign

REASON_ORDER = {"warning_sign": 0, "unsure": 1, "advice": 2}


def advice_in_kb_order(built: Explains) -> list[Derived]:
    """The advice drawn, in the knowledge base's order of advice and then of symptoms: never in
    the order the rules happened to fire, which follows the order the answers came in (a stored
    assessment read back with its answers' keys sorted must word its report the same)."""
    kb = built.kb
    advice_rank = {item_id: n for n, item_id in enumerate(kb.advice_item)}
    symptom_rank = {symptom_id: n for n, symptom_id in enumerate(kb.symptom)}
    return sorted(
        built.ev.of_kind("advice"),
        key=lambda d: (advice_rank.get(d.id, -1), symptom_rank.get(d.about, -1), d.about),
    )


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


def unsure_level(built: Explains, sign: WarningSign) -> str:
    return sign.when_unsure or built.kb.urgency[sign.urgency].when_unsure


def unsure_advice(built: Explains, sign: WarningSign) -> str:
    """What to do about a sign the person is not sure of, at the level that applies to it (never
    the sign's own advice, which is worded for its full level)."""
    return built.fill(sign.unsure_advice or built.kb.urgency[sign.urgency].unsure_text)


def unsure_signs(built: Explains) -> tuple[RedFlagItem, ...]:
    """Signs answered "not sure", with the level of care that applies to them."""
    items = []
    for sign in built.kb.signs:
        if built.answers.get(sign.id) == UNSURE:
            item = sign_item(built, sign)
            items.append(
                dataclasses.replace(
                    item, urgency=unsure_level(built, sign), advice=unsure_advice(built, sign)
                )
            )
    return tuple(items)


def cleared(built: Explains, sign: WarningSign) -> bool:
    """A doctor has seen the person about this sign, and the clearance covers it (chest pain:
    only when it is not happening now)."""
    return built.answers.get("cleared_by_doctor") == "yes" and (
        sign.cleared_only_when is None or holds(sign.cleared_only_when, built.answers, frozenset())
    )


def urgency(built: Explains) -> Urgency | None:
    """The most urgent level concluded, worded for the reader, with every reason for care."""
    drawn = built.ev.of_kind("urgency")
    if not drawn:
        return None
    kb = built.kb
    advice_drawn = advice_in_kb_order(built)
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
                    built.fill(sign.advice) if kind == "sign" else unsure_advice(built, sign),
                )
            )
        else:
            advice = kb.advice_item[item]
            about = [
                kb.symptom[d.about].name
                for d in advice_drawn
                if d.id == advice.id and d.about in kb.symptom
            ]
            because = built.reasons([d.key for d in advice_drawn if d.id == advice.id])
            reasons.append(
                UrgencyReason(
                    "advice",
                    advice.id,
                    derived.id,
                    ", ".join(about),
                    built.fill(advice.text),
                    because,
                )
            )
    order = {item_id: n for n, item_id in enumerate([*kb.sign, *kb.advice_item])}
    unique = {(r.kind, r.id): r for r in reasons}.values()
    ranked = sorted(
        unique,
        key=lambda r: (kb.urgency[r.urgency].rank, REASON_ORDER[r.kind], order.get(r.id, 0)),
    )
    # An emergency sign a doctor has cleared needs care now only if it is new or worse since:
    # it leads the report only when nothing else needs care for certain (pain rated 9: today).
    conditional = [
        r
        for r in ranked
        if r.kind == "warning_sign"
        and kb.urgency[r.urgency].if_cleared is not None
        and cleared(built, kb.sign[r.id])
    ]
    definite = [r for r in ranked if r not in conditional]
    conditional = [dataclasses.replace(r, conditional=True) for r in conditional]
    if definite:
        level = kb.urgency[definite[0].urgency]
        title, text = level.title, level.text
    else:
        level = kb.urgency[conditional[0].urgency]
        assert level.if_cleared is not None
        title, text = level.if_cleared
    return Urgency(level.id, title, built.fill(text), (*definite, *conditional))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def held_back(built: Explains) -> tuple[HeldBackItem, ...]:
    """Stretches not offered because an advice that holds them back was drawn for a symptom
    in their body region (pain rated 9 or 10), with the reason."""
    kb = built.kb
    offered = {d.id for d in built.ev.of_kind("stretch")}
    reported = {d.id for d in built.ev.of_kind("symptom")}
    items: dict[str, HeldBackItem] = {}
    advice_drawn = advice_in_kb_order(built)
    for derived in advice_drawn:
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
    for derived in built.ev.of_kind("held_back"):
        technique = kb.technique[derived.id]
        if technique.id in items:
            continue
        said = [
            b.text
            for d in advice_drawn
            if d.id == derived.status
            for b in built.because(d.key, frozenset())
        ]
        items[technique.id] = HeldBackItem(
            technique.id,
            technique.name,
            f"until a doctor has seen you (you said: {'; '.join(dict.fromkeys(said))})",
            "technique",
        )
    order = [*(s.id for s in kb.stretches), *(t.id for t in kb.techniques)]
    return tuple(items[item] for item in order if item in items)
