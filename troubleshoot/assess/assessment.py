"""Assess answers: compute the workstation score, run the engine, and build the ordered,
explained result (troubleshoot.assess.result) from its conclusions."""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any

from troubleshoot import __version__
from troubleshoot.assess import safety, sections
from troubleshoot.assess.findings import asked_after, findings
from troubleshoot.assess.next_steps import plan
from troubleshoot.assess.result import (
    SCHEMA_VERSION,
    Because,
    Referral,
    Reported,
    Result,
    TechniqueItem,
)
from troubleshoot.assess.sections import in_kb_order, source, source_data
from troubleshoot.assess.workstation import workstation_result
from troubleshoot.conditions import UNSURE, Answers, holds
from troubleshoot.engine import Engine, Evaluation, Key
from troubleshoot.engine.evaluation import answer_order
from troubleshoot.errors import OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.rosa import RosaScore, score

DEFAULT_EMERGENCY_NUMBER = "911"
DEFAULT_SUPPORT_CONTACT = "your occupational-health team"
_SYMPTOMS = frozenset({"symptoms"})  # what a reason never repeats: the symptom is its heading
EMERGENCY_NUMBER = re.compile(r"(?=.*[0-9])[0-9+()#* -]{1,20}")


def applicable(kb: KnowledgeBase, answers: Answers) -> tuple[Answers, tuple[str, ...]]:
    """Set aside desk answers that cannot apply given the person's other answers (armrest height
    for a chair without armrests). Only follow-up questions: a safety-relevant answer, such as
    chest pain, is never set aside."""
    ignored = []
    for question in kb.questions:
        if question.section != "follow_up" or question.when is None or question.id not in answers:
            continue
        needed = asked_after(kb, question.id)
        decided = all(answers.get(q) not in (None, UNSURE) for q in needed)
        if decided and not holds(question.when, answers, frozenset()):
            ignored.append(question.id)
    return {k: v for k, v in answers.items() if k not in ignored}, tuple(ignored)


@lru_cache(maxsize=4)
def engine_for(kb: KnowledgeBase) -> Engine:
    return Engine(kb)


def assess(
    kb: KnowledgeBase,
    answers: Answers,
    emergency_number: str = DEFAULT_EMERGENCY_NUMBER,
    explain: bool = False,
    support_contact: str = DEFAULT_SUPPORT_CONTACT,
) -> Result:
    """Evaluate validated answers and build the result. `support_contact` is who the advice
    names for support (the OH team by default)."""
    if not EMERGENCY_NUMBER.fullmatch(emergency_number.strip()):
        raise OptionError(
            f"--emergency-number: {emergency_number[:30]!r} is not a phone number "
            "(digits, spaces, +, -, (, ), * or #; at most 20 characters)"
        )
    emergency_number = emergency_number.strip()
    support_contact = " ".join(support_contact.split())
    if not support_contact or len(support_contact) > 120 or not support_contact.isprintable():
        raise OptionError(
            "--support-contact: say who people can talk to, in at most 120 printable characters"
        )
    answers, ignored = applicable(kb, answers)
    workstation = score(kb.rosa, answers) if kb.rosa else None
    # The workstation score is computed here, once; the rules see its outcome as a fact.
    facts = (
        [{"t": "rosa", "n": "action_level"}]
        if workstation and workstation.action_level_reached
        else []
    )
    evaluation = engine_for(kb).evaluate(answers, facts)
    result = _Builder(
        kb, answers, evaluation, emergency_number, workstation, support_contact
    ).build(explain)
    return dataclasses.replace(result, ignored_answers=ignored, next_steps=plan(result))


class _Builder:
    def __init__(
        self,
        kb: KnowledgeBase,
        answers: Answers,
        evaluation: Evaluation,
        number: str,
        workstation: RosaScore | None,
        support: str = DEFAULT_SUPPORT_CONTACT,
    ) -> None:
        self.workstation = workstation
        self.kb = kb
        self.answers = answers
        self.ev = evaluation
        self.number = number
        self.support = support
        # A result asks for the same conclusion's reasons several times (advice, urgency).
        self._because: dict[tuple[Key, frozenset[str]], tuple[Because, ...]] = {}
        self._ids: dict[str, set[str]] = {}
        aching = {
            region for d in evaluation.of_kind("symptom") for region in kb.symptom[d.id].regions
        }
        regions = [
            region.name.lower()
            for region in self.kb.region.values()
            if region.muscles and region.id in aching
        ]
        # "{areas}": where this person hurts, so technique texts speak to their own symptoms
        # (the muscles and aches of the body; never "the muscles of your eyes"), and to the
        # body as a whole when nothing aches.
        self.areas = _spoken_list(regions) if regions else "body"

    def fill(self, text: str) -> str:
        return (
            text.replace("{number}", self.number)
            .replace("{support}", self.support)
            .replace("{areas}", self.areas)
        )

    def because(self, key: Key, skip: frozenset[str] = _SYMPTOMS) -> tuple[Because, ...]:
        found = self._because.get((key, skip))
        if found is None:
            found = self._because[(key, skip)] = tuple(
                _reason(self.kb, *answer)
                for answer in self.ev.answers_of(key)
                if answer[0] not in skip
            )
        return found

    def reasons(self, keys: list[Key]) -> tuple[Because, ...]:
        """Every answer behind any of these conclusions (the symptoms picked too), each once,
        in the order of `because`."""
        found: dict[tuple[object, ...], tuple[str, Any, str]] = {}
        for key in keys:
            for answer in self.ev.answers_of(key):
                question, value, about = answer
                # Typed, as `because` keeps them: 1, 1.0 and True are told apart.
                found[(question, about, type(value), repr(value))] = answer
        return tuple(
            _reason(self.kb, *answer) for answer in sorted(found.values(), key=answer_order)
        )

    def build(self, explain: bool) -> Result:
        program_open = bool(self.ev.of_kind("program"))
        red_flags = self.ev.of_kind("red_flag")
        state = "open" if program_open else "referral" if red_flags else "screen_incomplete"
        notes = self.kb.statements
        cleared = self.answers.get("cleared_by_doctor")
        screen_complete = all(self.answers.get(f.id) in ("yes", "no") for f in self.kb.signs)
        screen_answered = all(self.answers.get(f.id) is not None for f in self.kb.signs)
        # Cleared for the sign reported, but a sign left unanswered may need a doctor too; or
        # cleared, but a sign that no clearance covers (chest pain happening now) needs care.
        referral_note = (
            "referral"
            if cleared != "yes"
            else "cleared_needs_care"
            if screen_complete
            else "cleared_screen_unsure"
            if screen_answered
            else "cleared_screen_incomplete"
        )
        message = {
            "open": notes["cleared_reminder"].text if red_flags else "",
            "referral": notes[referral_note].text,
            "screen_incomplete": notes[
                "screen_unsure" if screen_answered else "screen_incomplete"
            ].text,
        }[state]
        referral = Referral(
            required=state == "referral",
            red_flags=safety.reported_signs(self),
            cleared_by_doctor=None if cleared in (None, UNSURE) else cleared == "yes",
            screen_complete=screen_complete,
            message=message,
            unsure=safety.unsure_signs(self),
        )
        # With the program held back, what was reported is still shown (and told to OH).
        reported = self._reported(program_open)
        emergency = notes["emergency"]
        return Result(
            schema_version=SCHEMA_VERSION,
            tool_version=__version__,
            kb_version=self.kb.version,
            program=state,
            referral=referral,
            reported=reported,
            regions=tuple(
                r.id for r in self.kb.regions if any(r.id in rep.regions for rep in reported)
            ),
            advice=sections.advice(self),
            findings=findings(self),
            desk_checks=sections.desk_checks(self),
            stretches=sections.stretches(self),
            break_plan=sections.break_plan(self) if self.ev.of_kind("break_plan") else None,
            posture=tuple(
                {
                    "id": p.id,
                    "title": p.title,
                    "text": p.text,
                    "source": source_data(p.source),
                }
                for p in self.kb.posture
                if p.id in self._drawn("posture")
            ),
            stress=sections.stress(self),
            techniques=tuple(
                TechniqueItem(
                    t.id,
                    t.name,
                    self.fill(t.summary),
                    tuple(self.fill(step) for step in t.steps),
                    t.caution,
                    source(t.source),
                )
                for t in self.kb.techniques
                if t.id in self._drawn("technique")
            ),
            habits=sections.habits(self),
            emergency={
                "number": self.number,
                "text": self.fill(emergency.text),
                "support": self.support,
            },
            notice=notes["not_a_diagnosis"].text,
            risk=self._risk(),
            rosa=self._rosa() if program_open else None,
            answers=dict(self.answers),
            rules_fired=tuple(self.ev.rules_fired),
            trace=tuple(
                {
                    "rule": f.rule,
                    "concluded": " ".join(p for p in f.concluded if p),
                    "used": list(f.used),
                    "new": f.new,
                }
                for f in self.ev.trace
            )
            if explain
            else (),
            urgency=safety.urgency(self),
            held_back=safety.held_back(self),
        )

    def _risk(self) -> dict[str, Any]:
        """The first level that holds, and what in this person's answers put them there."""
        drawn = self.ev.of_kind("risk")
        for level in self.kb.risk_levels:
            for_level = [d for d in drawn if d.id == level.id]
            if not for_level:
                continue
            reasons: list[str] = []
            if level.id != "low":  # "low" rests on the cleared screen alone: nothing to add
                reasons = [b.text for d in for_level for b in self.because(d.key)]
            workstation = self.workstation
            if workstation is not None and any(
                key[0] == "rosa" for d in for_level for key in d.derived_from
            ):
                low = workstation.final_range[0]
                shown = f"{low}" if workstation.final == low else f"{low} or more"
                reasons.append(
                    f"Workstation score: {shown} (action level {workstation.action_level})"
                )
            return {
                "level": level.id,
                "name": level.name,
                "description": level.description,
                "because": list(dict.fromkeys(reasons)),
            }
        return {
            "level": "unknown",
            "name": "Unknown",
            "description": "No risk level applied.",
            "because": [],
        }

    def _rosa(self) -> dict[str, Any] | None:
        if self.kb.rosa is None or self.workstation is None or not self.workstation.answered:
            return None
        return workstation_result(self.kb, self.kb.rosa, self.workstation)

    def _drawn(self, kind: str) -> set[str]:
        """The ids of the conclusions of one kind (kept: asked once per item of the kind)."""
        ids = self._ids.get(kind)
        if ids is None:
            ids = self._ids[kind] = {d.id for d in self.ev.of_kind(kind)}
        return ids

    def _reported(self, program_open: bool) -> tuple[Reported, ...]:
        result = []
        picked = self.answers.get("symptoms")
        ids = (
            [d.id for d in in_kb_order(self.ev, "symptom", self.kb.symptom)]
            if program_open
            else [s.id for s in self.kb.symptoms if isinstance(picked, list) and s.id in picked]
        )
        for symptom_id in ids:
            symptom = self.kb.symptom[symptom_id]
            severity = _per_item(self.answers.get("severity"), symptom.id)
            duration = _per_item(self.answers.get("duration"), symptom.id)
            duration_label = (
                self.kb.question["duration"].choice_label(duration)
                if isinstance(duration, str)
                and duration != UNSURE
                and "duration" in self.kb.question
                else None
            )
            result.append(
                Reported(
                    symptom.id,
                    symptom.name,
                    symptom.regions,
                    severity if isinstance(severity, int | float) else None,
                    duration_label,
                )
            )
        return tuple(result)


def _reason(kb: KnowledgeBase, question_id: str, value: Any, about_id: str) -> Because:
    """One answer as a reason. The same answers recur from one result to the next, so reasons
    are kept; typed, as 1 and True are equal keys, and floats not at all (0.0 equals -0.0)."""
    if type(value) is float:
        return _because.__wrapped__(kb, question_id, value, about_id)
    return _because(kb, question_id, value, about_id)


@lru_cache(maxsize=8192, typed=True)
def _because(kb: KnowledgeBase, question_id: str, value: Any, about_id: str) -> Because:
    question = kb.question[question_id]
    answer = question.choice_label(value) if isinstance(value, str) else value
    if question.type == "scale":
        answer = f"{value}/10"
    about = f" ({kb.symptom[about_id].name})" if about_id in kb.symptom else ""
    return Because(question_id, value, about_id, f"{question.label}{about}: {answer}")


def _spoken_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _per_item(raw: Any, item: str) -> Any:
    return raw.get(item) if isinstance(raw, dict) else None
