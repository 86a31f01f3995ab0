"""Frozen types the knowledge base is parsed into (see loader.py for loading; the warning
signs and urgency levels are in safety.py, sources and policies in provenance.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from troubleshoot.conditions import Condition, questions_used
from troubleshoot.kb.provenance import Policy, Reference, SourceRef
from troubleshoot.kb.safety import UrgencyLevel, WarningSign
from troubleshoot.rosa import Rosa

QUESTION_TYPES = ("yes_no", "choice", "multi", "scale", "number")


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    private: bool = False  # shapes the person's own report only: never stored or shown to staff


@dataclass(frozen=True)
class ChoiceGroup:
    """Choices shown together, with a one-line hint on which to pick."""

    name: str
    hint: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    type: str
    label: str
    prompt: str
    why: str
    choices: tuple[Choice, ...] = ()
    none_choice: Choice | None = None
    for_each: str | None = None
    when: Condition | None = None
    allow_unsure: bool = False
    unsure_label: str = "Not sure"
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    source: SourceRef | None = None
    groups: tuple[ChoiceGroup, ...] = ()
    # Choices of earlier versions, still read from answers files: id -> what it now means.
    retired: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    policy: Policy | None = None
    # Asked even while a warning sign holds the program back, though its section is not
    # (how stressed, low mood: the support advice applies to everyone).
    asked_on_referral: bool = False
    # The answer shapes the person's own report only: it is never stored, exported, shown to
    # staff, counted, traced or kept in a draft.
    private: bool = False

    @property
    def private_choices(self) -> frozenset[str]:
        return frozenset(c.id for c in self.choices if c.private)

    @property
    def choice_ids(self) -> tuple[str, ...]:
        ids = tuple(choice.id for choice in self.choices)
        return (*ids, self.none_choice.id) if self.none_choice else ids

    def choice_label(self, choice_id: str) -> str:
        for choice in (*self.choices, *([self.none_choice] if self.none_choice else [])):
            if choice.id == choice_id:
                return choice.label
        return self.unsure_label if choice_id == "not_sure" else choice_id

    @property
    def bounds(self) -> tuple[float, float] | None:
        if self.type == "scale":
            return (0, 10)
        if self.type == "number":
            return (
                self.minimum if self.minimum is not None else float("-inf"),
                self.maximum if self.maximum is not None else float("inf"),
            )
        return None


@dataclass(frozen=True)
class Statement:
    id: str
    text: str
    source: SourceRef
    also_sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True)
class Cause:
    id: str
    symptom: str
    text: str
    source: SourceRef
    confirmed_when: Condition
    ruled_out_when: Condition


@dataclass(frozen=True)
class Solution:
    id: str
    symptom: str
    text: str
    addresses: tuple[str, ...]
    source: SourceRef
    stretches: tuple[str, ...] = ()
    unless: Condition | None = None  # does not apply when this holds (e.g. already done)
    policy: Policy | None = None
    # The cause statuses it is offered for: some fixes (a stress plan) only once the cause is
    # likely, not while it is merely possible.
    offered_for: tuple[str, ...] = ("likely", "possible")
    # Offered only when this holds too (answers only): a fix for one answer in particular.
    when: Condition | None = None


@dataclass(frozen=True)
class Symptom:
    id: str
    name: str
    regions: tuple[str, ...]
    source: SourceRef
    causes: tuple[Cause, ...]
    solutions: tuple[Solution, ...]


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    guidance: str
    failed_when: Condition
    passed_when: Condition
    source: SourceRef
    policy: Policy | None = None


@dataclass(frozen=True)
class Factor:
    id: str
    text: str
    present_when: Condition
    source: SourceRef
    also_sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True)
class Advice:
    id: str
    scope: str  # "safety": shown in every report; "program": only with the self-help program
    urgency: str  # emergency | same_day | soon (medical advice), or info
    text: str
    when: Condition
    source: SourceRef
    also_sources: tuple[SourceRef, ...] = ()
    unless: Condition | None = None
    # While drawn for a symptom, the stretches for that symptom's body regions are held back.
    holds_back_stretches: bool = False
    policy: Policy | None = None
    # While drawn, these techniques (ids, or every technique) are held back.
    holds_back_techniques: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    regions: tuple[str, ...]
    steps: tuple[str, ...]
    source: SourceRef
    caution: str = ""
    policy: Policy | None = None  # e.g. a correction of the source


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    summary: str
    steps: tuple[str, ...]
    offered_when: Condition
    source: SourceRef
    caution: str = ""
    also_sources: tuple[SourceRef, ...] = ()
    unless: Condition | None = None
    policy: Policy | None = None  # a caution beyond the source's (e.g. with acute depression)


@dataclass(frozen=True)
class Habit:
    id: str
    name: str
    advice: str
    focus_when: Condition
    source: SourceRef
    keep_up_when: Condition | None = None
    offered_when: Condition | None = None  # shown only when this holds (None: always)


@dataclass(frozen=True)
class RiskLevel:
    id: str
    name: str
    description: str
    when: Condition


@dataclass(frozen=True)
class Posture:
    id: str
    title: str
    text: str
    source: SourceRef


@dataclass(frozen=True)
class MovementIdea:
    id: str
    text: str


@dataclass(frozen=True)
class Rhythm:
    """One of the break plan's numbers, said once with what it is for."""

    id: str
    every: str
    text: str
    source: SourceRef


@dataclass(frozen=True)
class BreakPlan:
    id: str
    summary: str
    move_every_minutes: tuple[int, int]
    movement_ideas: tuple[MovementIdea, ...]
    vision_break_minutes: int
    vision_break_text: str
    source: SourceRef
    also_sources: tuple[SourceRef, ...] = ()
    rhythm: tuple[Rhythm, ...] = ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    asked_on_referral: bool = False  # asked even while a warning sign holds the program back


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    muscles: bool = True  # False (the eyes): left out of "the muscles of your ..." texts


@dataclass(frozen=True)
class SourceDocument:
    file: str
    title: str
    sections: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: loaded once, cached
class KnowledgeBase:
    version: str
    sources: tuple[SourceDocument, ...]
    sections: tuple[Section, ...]
    regions: tuple[Region, ...]
    statements: dict[str, Statement]
    questions: tuple[Question, ...]
    red_flags: tuple[WarningSign, ...]
    symptoms: tuple[Symptom, ...]
    checks: tuple[Check, ...]
    factors: tuple[Factor, ...]
    advice: tuple[Advice, ...]
    stretches: tuple[Stretch, ...]
    techniques: tuple[Technique, ...]
    habits: tuple[Habit, ...]
    strategies: tuple[Statement, ...]
    break_plan: BreakPlan
    posture: tuple[Posture, ...]
    notes: dict[str, Statement] = field(default_factory=dict)  # stretch tips, stress plan, ...
    rosa: Rosa | None = None
    risk_levels: tuple[RiskLevel, ...] = ()
    warning_signs: tuple[WarningSign, ...] = ()  # beyond the four red flags (policy)
    urgency_levels: tuple[UrgencyLevel, ...] = ()
    references: tuple[Reference, ...] = ()

    @cached_property
    def signs(self) -> tuple[WarningSign, ...]:
        """Every warning sign of the safety check: the red flags, then the further signs."""
        return (*self.red_flags, *self.warning_signs)

    @cached_property
    def sign(self) -> dict[str, WarningSign]:
        return {s.id: s for s in self.signs}

    @cached_property
    def urgency(self) -> dict[str, UrgencyLevel]:
        return {u.id: u for u in self.urgency_levels}

    @cached_property
    def policy_items(self) -> tuple[tuple[str, str, str, Policy], ...]:
        """(kind, id, name, policy) of every item that goes beyond the source documents."""
        found: list[tuple[str, str, str, Policy]] = []
        for level in self.urgency_levels:
            found.append(("urgency level", level.id, level.title, level.policy))
        for sign in self.warning_signs:
            if sign.policy:
                found.append(("warning sign", sign.id, sign.text, sign.policy))
        groups: list[
            tuple[str, tuple[Question | Advice | Solution | Check | Stretch | Technique, ...]]
        ] = [
            ("question", self.questions),
            ("advice", self.advice),
            ("solution", tuple(self.solution.values())),
            ("desk check", self.checks),
            ("stretch", self.stretches),
            ("technique", self.techniques),
        ]
        for kind, items in groups:
            for item in items:
                if item.policy:
                    names = (getattr(item, a, "") for a in ("label", "name", "text", "guidance"))
                    name = next((str(n) for n in names if n), item.id)
                    found.append((kind, item.id, str(name), item.policy))
        return tuple(found)

    @cached_property
    def question(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def symptom(self) -> dict[str, Symptom]:
        return {s.id: s for s in self.symptoms}

    @cached_property
    def cause(self) -> dict[str, Cause]:
        return {c.id: c for s in self.symptoms for c in s.causes}

    @cached_property
    def solution(self) -> dict[str, Solution]:
        return {x.id: x for s in self.symptoms for x in s.solutions}

    @cached_property
    def check(self) -> dict[str, Check]:
        return {c.id: c for c in self.checks}

    @cached_property
    def factor(self) -> dict[str, Factor]:
        return {f.id: f for f in self.factors}

    @cached_property
    def advice_item(self) -> dict[str, Advice]:
        return {a.id: a for a in self.advice}

    @cached_property
    def stretch(self) -> dict[str, Stretch]:
        return {s.id: s for s in self.stretches}

    @cached_property
    def technique(self) -> dict[str, Technique]:
        return {t.id: t for t in self.techniques}

    @cached_property
    def habit(self) -> dict[str, Habit]:
        return {h.id: h for h in self.habits}

    @cached_property
    def region(self) -> dict[str, Region]:
        return {r.id: r for r in self.regions}

    @cached_property
    def red_flag(self) -> dict[str, WarningSign]:
        return {r.id: r for r in self.red_flags}

    @cached_property
    def questions_for_symptom(self) -> dict[str, frozenset[str]]:
        """Follow-up questions each symptom's causes depend on (through checks and factors)."""
        result = {}
        for symptom in self.symptoms:
            used: set[str] = set()
            for cause in symptom.causes:
                for condition in (cause.confirmed_when, cause.ruled_out_when):
                    used |= self.questions_behind(condition)
            result[symptom.id] = frozenset(used)
        return result

    def labels_behind(self, condition: Condition) -> list[str]:
        """The labels of the questions a condition depends on, sorted: what it is about."""
        return sorted(self.question[q].label for q in self.questions_behind(condition))

    def questions_behind(self, condition: Condition) -> frozenset[str]:
        """Every question a condition depends on, following checks and factors (worked out
        once per condition: results ask for it per cause)."""
        known = self._behind.get(condition)
        if known is None:
            known = self._behind[condition] = frozenset(self._questions_behind(condition))
        return known

    @cached_property
    def _behind(self) -> dict[Condition, frozenset[str]]:
        return {}

    def _questions_behind(self, condition: Condition) -> set[str]:
        from troubleshoot.conditions import FactTest, atoms

        used = set(questions_used(condition))
        for atom in atoms(condition):
            if isinstance(atom, FactTest) and atom.kind == "check":
                for check_id in atom.ids:
                    check = self.check[check_id]
                    used |= self.questions_behind(check.failed_when)
                    used |= self.questions_behind(check.passed_when)
            elif isinstance(atom, FactTest) and atom.kind == "factor":
                for factor_id in atom.ids:
                    used |= self.questions_behind(self.factor[factor_id].present_when)
        return used
