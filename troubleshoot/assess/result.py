"""The assessment result: plain frozen data, ready for every report format.

`Result.to_dict()` is the JSON document (schema_version 2, described in
docs/result-schema.json). Stored results of schema 1 still render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from troubleshoot.assess.plain import converter

SCHEMA_VERSION = 2  # 2: urgency, warning signs beyond the red flags, held-back stretches


@dataclass(frozen=True)
class Because:
    question: str
    answer: str | int | float
    about: str
    text: str


@dataclass(frozen=True)
class Source:
    file: str
    section: str


@dataclass(frozen=True)
class RedFlagItem:
    """A warning sign the person reported (or was not sure of), with how urgent it is."""

    id: str
    text: str
    source: Source
    urgency: str = ""
    advice: str = ""
    policy: bool = False  # one of the project's signs beyond the source pages' red flags


@dataclass(frozen=True)
class Referral:
    required: bool
    red_flags: tuple[RedFlagItem, ...]
    cleared_by_doctor: bool | None
    screen_complete: bool
    message: str
    unsure: tuple[RedFlagItem, ...] = ()  # warning signs answered "not sure"


@dataclass(frozen=True)
class UrgencyReason:
    kind: str  # warning_sign | unsure | advice
    id: str
    urgency: str
    text: str  # what it is
    advice: str  # what it can mean and what to do
    because: tuple[Because, ...] = ()
    # An emergency sign a doctor has cleared: care now only if it is new or worse since.
    conditional: bool = False


@dataclass(frozen=True)
class Urgency:
    """The most urgent level of care that applies, said first in every report."""

    level: str  # emergency | same_day | soon
    title: str
    text: str
    reasons: tuple[UrgencyReason, ...]


@dataclass(frozen=True)
class Reported:
    symptom: str
    name: str
    regions: tuple[str, ...]
    severity: int | float | None
    duration: str | None


@dataclass(frozen=True)
class CauseItem:
    id: str
    text: str
    status: str  # likely | possible | dropped
    because: tuple[Because, ...]
    unanswered: tuple[str, ...]  # labels of questions that could still decide it
    source: Source
    rules: tuple[str, ...]
    both_ways: bool = False  # answers confirm it and others rule it out: left possible


@dataclass(frozen=True)
class SolutionItem:
    id: str
    text: str
    priority: str  # likely | possible | general
    for_causes: tuple[str, ...]
    because: tuple[Because, ...]
    stretches: tuple[str, ...]
    source: Source
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    symptom: str
    name: str
    regions: tuple[str, ...]
    causes: tuple[CauseItem, ...]
    ruled_out: tuple[CauseItem, ...]
    solutions: tuple[SolutionItem, ...]
    source: Source


@dataclass(frozen=True)
class AdviceItem:
    id: str
    urgency: str  # emergency | same_day | soon, or info
    scope: str
    text: str
    about: tuple[str, ...]  # the symptoms it was drawn for, if any
    about_names: tuple[str, ...]
    because: tuple[Because, ...]
    source: Source


@dataclass(frozen=True)
class CheckItem:
    id: str
    area: str
    status: str
    guidance: str
    because: tuple[Because, ...]
    source: Source


@dataclass(frozen=True)
class StretchItem:
    id: str
    name: str
    regions: tuple[str, ...]
    steps: tuple[str, ...]
    caution: str
    helps_with: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class HeldBackItem:
    """A stretch or a technique held back until a doctor has seen the person, and why."""

    id: str
    name: str
    reason: str
    kind: str = "stretch"  # stretch | technique


@dataclass(frozen=True)
class TechniqueItem:
    id: str
    name: str
    summary: str
    steps: tuple[str, ...]
    caution: str
    source: Source


@dataclass(frozen=True)
class HabitItem:
    id: str
    name: str
    advice: str
    status: str  # focus | keep_up | general
    because: tuple[Because, ...]
    source: Source


@dataclass(frozen=True)
class Result:
    schema_version: int
    tool_version: str
    kb_version: str
    program: str  # open | referral | screen_incomplete
    referral: Referral
    reported: tuple[Reported, ...]
    regions: tuple[str, ...]
    advice: tuple[AdviceItem, ...]
    findings: tuple[Finding, ...]
    desk_checks: tuple[CheckItem, ...]
    stretches: tuple[StretchItem, ...]
    break_plan: dict[str, Any] | None
    posture: tuple[dict[str, Any], ...]
    stress: dict[str, Any] | None
    techniques: tuple[TechniqueItem, ...]
    habits: tuple[HabitItem, ...]
    emergency: dict[str, str]  # number, text, support (the contact named in advice)
    notice: str
    risk: dict[str, Any]  # level, name, description, because (what put the person there)
    rosa: dict[str, Any] | None
    answers: dict[str, Any]
    rules_fired: tuple[str, ...]
    trace: tuple[dict[str, Any], ...] = field(default=())
    ignored_answers: tuple[str, ...] = ()  # answers set aside: they cannot apply
    urgency: Urgency | None = None
    held_back: tuple[HeldBackItem, ...] = ()
    # In the person's own report only: what it holds because of a private answer ("advice:id",
    # "technique:id", "urgency:id"), which is not stored and never shown to staff.
    person_only: tuple[str, ...] = ()
    # At most five actions, most important first, each with its reason (see next_steps).
    next_steps: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = converter(Result)(self)
        return data
