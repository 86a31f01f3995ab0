"""The adaptive questionnaire: which questions to ask, in which order, and the interactive loop.

Order: every warning sign (then, if one applies, whether a doctor has cleared the person),
symptoms, strength and duration per symptom, only the follow-up questions the rules use for
the reported symptoms, then stress and everyday health. While a warning sign holds the program
back, only the parts marked `asked_on_referral` are asked (the safety check, the symptoms and
how strong they are: what the doctor and the OH team need, and what can make it more urgent).
The plan is recomputed from the answers after every answer, so going back and changing an
answer changes what follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from troubleshoot.assess import UNSURE_WORDS, allowed_values, assess, coerce_answer
from troubleshoot.conditions import UNSURE, AnswerValue, holds
from troubleshoot.errors import AnswersError
from troubleshoot.kb import Choice, KnowledgeBase, Question

BACK = {"b", "back"}
WHY = {"?", "why"}


@dataclass(frozen=True)
class Step:
    """One question to ask; `item` is the symptom for per-symptom questions."""

    question: Question
    item: str = ""


def _red_flag_raised(kb: KnowledgeBase, answers: dict[str, AnswerValue]) -> bool:
    return any(answers.get(sign.id) == "yes" for sign in kb.signs)


def program_held(kb: KnowledgeBase, answers: dict[str, AnswerValue]) -> bool:
    """Whether the self-help program will be held back, as the rules decide it: a sign the
    person is not sure of, or one answered yes with no doctor's clearance that covers it (no
    clearance covers chest pain that may be happening now)."""
    if any(answers.get(sign.id) not in (None, "yes", "no") for sign in kb.signs):
        return True
    raised = [sign for sign in kb.signs if answers.get(sign.id) == "yes"]
    if not raised:
        return False
    if answers.get("cleared_by_doctor") != "yes":
        return True
    return any(
        sign.cleared_only_when is not None
        and not holds(sign.cleared_only_when, answers, frozenset())
        for sign in raised
    )


def emergencies(kb: KnowledgeBase, answers: dict[str, AnswerValue]) -> list[tuple[str, str]]:
    """(id, advice) of every emergency the answers so far already show: a sign of emergency
    level answered yes, or emergency advice whose condition holds (chest pain happening now)."""
    found = [
        (s.id, s.advice)
        for s in kb.signs
        if s.urgency == "emergency" and answers.get(s.id) == "yes"
    ]
    found += [
        (a.id, a.text)
        for a in kb.advice
        if a.urgency == "emergency" and holds(a.when, answers, frozenset())
    ]
    return found


def relevant_questions(
    kb: KnowledgeBase, answers: dict[str, AnswerValue], workstation: bool = False
) -> set[str]:
    """Follow-up questions the reported symptoms need (every one with `workstation`)."""
    reported = answers.get("symptoms")
    needed: set[str] = set()
    regions: set[str] = set()
    for symptom in reported if isinstance(reported, list) else []:
        needed |= kb.questions_for_symptom.get(symptom, frozenset())
        regions |= set(kb.symptom[symptom].regions) if symptom in kb.symptom else set()
    # The workstation-score items for the body regions that hurt are asked too.
    for section in kb.rosa.sections if kb.rosa else ():
        if regions & set(section.regions):
            needed |= kb.rosa.questions(section.id) if kb.rosa else set()
    if workstation:
        needed |= {q.id for q in kb.questions if q.section == "follow_up"}
    return needed


def plan(
    kb: KnowledgeBase, answers: dict[str, AnswerValue], workstation: bool = False
) -> list[Step]:
    """The questions to ask given the answers so far, in order."""
    steps: list[Step] = []
    order = {section.id: n for n, section in enumerate(kb.sections)}
    on_referral = {section.id for section in kb.sections if section.asked_on_referral}
    needed = relevant_questions(kb, answers, workstation)
    reported = answers.get("symptoms")
    held = program_held(kb, answers)
    for question in sorted(kb.questions, key=lambda q: order.get(q.section, len(order))):
        if held and question.section not in on_referral and not question.asked_on_referral:
            continue  # no self-help questions while the program is held back
        if question.section == "follow_up" and question.id not in needed:
            continue
        if question.when is not None and not holds(question.when, answers, frozenset()):
            continue
        if question.for_each:
            items = [s for s in reported if s in kb.symptom] if isinstance(reported, list) else []
            steps += [Step(question, item) for item in items]
        else:
            steps.append(Step(question))
    return steps


def _is_answered(step: Step, answers: dict[str, AnswerValue]) -> bool:
    value = answers.get(step.question.id)
    if step.item:
        return isinstance(value, dict) and step.item in value
    return step.question.id in answers


def prune(
    kb: KnowledgeBase, answers: dict[str, AnswerValue], workstation: bool = False
) -> dict[str, AnswerValue]:
    """Drop answers to questions that no longer apply (after going back and changing one)."""
    kept: dict[str, AnswerValue] = {}
    for step in plan(kb, answers, workstation):
        value = answers.get(step.question.id)
        if value is None:
            continue
        if step.item and isinstance(value, dict):
            if step.item in value:
                per_item = kept.setdefault(step.question.id, {})
                assert isinstance(per_item, dict)
                per_item[step.item] = value[step.item]
        elif not step.item:
            kept[step.question.id] = value
    return kept


def options(question: Question) -> list[tuple[str, str]]:
    """(value, label) pairs shown as numbered options."""
    if question.type == "yes_no":
        shown = [("yes", "Yes"), ("no", "No")]
    elif question.type in ("choice", "multi"):
        shown = [(c.id, c.label + (" (private)" if c.private else "")) for c in _grouped(question)]
        if question.none_choice:
            shown.append((question.none_choice.id, question.none_choice.label))
    else:
        shown = []
    if question.allow_unsure and question.type in ("yes_no", "choice", "multi"):
        shown.append((UNSURE, question.unsure_label))
    return shown


def _grouped(question: Question) -> list[Choice]:
    """The choices in order, each group's choices side by side (where its first one is)."""
    group_of = {choice: group for group in question.groups for choice in group.choices}
    by_id = {choice.id: choice for choice in question.choices}
    ordered: list[Choice] = []
    for choice in question.choices:
        if choice in ordered:
            continue
        group = group_of.get(choice.id)
        members = [by_id[c] for c in group.choices if c in by_id] if group else [choice]
        ordered += [member for member in members if member not in ordered]
    return ordered


def group_hint(question: Question, value: str) -> str | None:
    """The hint shown above a group of choices, before its first choice."""
    for group in question.groups:
        first = next((c.id for c in _grouped(question) if c.id in group.choices), None)
        if value == first:
            return f"{group.name}: {group.hint}"
    return None


def parse_reply(question: Question, reply: str, partial: bool = False) -> AnswerValue:
    """Turn typed text into an answer value; raise AnswersError with the allowed values.
    `partial`: a choice may be named by an unambiguous part of its label (never on a safety
    question, where a guess could hide a warning sign)."""
    text = reply.strip()
    shown = options(question)
    unsure = text.lower() in UNSURE_WORDS or text.lower() == question.unsure_label.lower()
    if unsure and (question.allow_unsure or question.optional):
        return UNSURE
    if question.type in ("yes_no", "choice"):
        return _pick(question, text, shown, partial)
    if question.type == "multi":
        # Some labels hold commas: the whole reply as one choice first, then its parts.
        try:
            whole = _pick(question, text, shown, partial=False)
        except AnswersError:
            whole = None
        if whole is not None and whole != UNSURE:
            return coerce_answer(question, [whole], "answer", question.id)
        if re.fullmatch(r"[0-9 ]+", text):
            parts = text.split()
        else:
            parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        if not parts:
            raise AnswersError("pick at least one option (numbers separated by commas)")
        picked = [_pick(question, part, shown, partial) for part in parts]
        if UNSURE in picked:
            if len(picked) > 1:
                raise AnswersError("'not sure' goes on its own, not with other choices")
            return UNSURE
        return coerce_answer(question, picked, "answer", question.id)
    return coerce_answer(question, text, "answer", question.id)


def _pick(
    question: Question, text: str, shown: list[tuple[str, str]], partial: bool = False
) -> str:
    lowered = " ".join(text.lower().split())
    if re.fullmatch(r"[0-9]{1,3}", lowered) and 1 <= int(lowered) <= len(shown):
        return shown[int(lowered) - 1][0]
    for value, label in shown:
        if lowered in (value.lower(), label.lower()):
            return value
    if question.type == "yes_no" and lowered in ("y", "n"):
        return "yes" if lowered == "y" else "no"
    if partial and len(lowered) >= 3:
        found = [value for value, label in shown if lowered in label.lower()]
        if len(found) == 1:
            return found[0]
    names = ", ".join(f"{n}={value}" for n, (value, _) in enumerate(shown, start=1))
    raise AnswersError(f"'{text}' is not one of the options ({names})")


def stop_message(
    kb: KnowledgeBase,
    answers: dict[str, AnswerValue],
    emergency_number: str,
    draft: str | None = None,
) -> str:
    """What to say when the questionnaire stops early: where the draft is, and, when the answers
    so far already call for care (a warning sign, or one the person is not sure of), how urgent
    it is and why, the referral and the emergency statement."""
    lines = ["", "Stopped before the end of the questionnaire; no report was made."]
    if draft:
        lines.append(
            f"Your answers so far are saved in {draft}. "
            "Run `troubleshoot assess --resume` to continue where you stopped."
        )
    urgency = assess(kb, answers, emergency_number=emergency_number).urgency
    if urgency is not None:
        lines.append(f"{urgency.title}. {urgency.text}")
        lines += [f"- {reason.advice}" for reason in urgency.reasons]
    if _red_flag_raised(kb, answers):
        lines.append(kb.statements["referral"].text)
    if urgency is not None or _red_flag_raised(kb, answers):
        lines.append(kb.statements["emergency"].text.replace("{number}", emergency_number))
    return "\n".join(lines)


Ask = Callable[[str], str]
Say = Callable[[str], None]


class Interview:
    """Asks the planned questions one by one. `ask` reads a line (EOFError ends input)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        ask: Ask,
        say: Say,
        workstation: bool = False,
        on_change: Callable[[Interview], None] | None = None,
        emergency_number: str = "911",
    ) -> None:
        self.kb = kb
        self.emergency_number = emergency_number
        self.ask = ask
        self.say = say
        self.workstation = workstation
        self.on_change = on_change  # called after every answer and every step back
        self.answers: dict[str, AnswerValue] = {}
        self.history: list[Step] = []
        self.warned: set[str] = set()  # emergencies already told, once each
        self.estimate = 0  # the question count shown; it only grows (when answers add some)

    def restore(self, answers: dict[str, AnswerValue], history: list[tuple[str, str]]) -> None:
        """Continue from saved answers (a draft); the next question is the first unanswered."""
        self.answers = prune(self.kb, answers, self.workstation)
        self.history = [
            Step(self.kb.question[q], item) for q, item in history if q in self.kb.question
        ]

    def saved_history(self) -> list[tuple[str, str]]:
        return [(step.question.id, step.item) for step in self.history]

    def run(self) -> dict[str, AnswerValue]:
        section = ""
        while (step := self._next_step()) is not None:
            if step.question.section != section:
                section = step.question.section
                self._header(section)
            self._ask_step(step)
        return prune(self.kb, self.answers, self.workstation)

    def _next_step(self) -> Step | None:
        for step in plan(self.kb, self.answers, self.workstation):
            if not _is_answered(step, self.answers):
                return step
        return None

    def _header(self, section_id: str) -> None:
        sections = [s for s in self.kb.sections]
        for number, section in enumerate(sections, start=1):
            if section.id == section_id:
                self.say(f"\n== {section.title} (part {number} of {len(sections)}) ==")
                self.say(section.intro)

    def _prompt_text(self, step: Step) -> str:
        question = step.question
        item = self.kb.symptom[step.item].name if step.item in self.kb.symptom else step.item
        steps = plan(self.kb, self.answers, self.workstation)
        done = sum(1 for s in steps if _is_answered(s, self.answers))
        grew = self.estimate and len(steps) > self.estimate
        self.estimate = max(self.estimate, len(steps))
        lines = [
            f"\n[{done + 1} of about {self.estimate}]"
            + (" (your answers added questions)" if grew else "")
            + f" {question.prompt.replace('{item}', item)}"
        ]
        for number, (value, label) in enumerate(options(question), start=1):
            if (group := group_hint(question, value)) is not None:
                lines.append(f"  {group}")
            hint = self._regions_hint(question, value)
            lines.append(f"  {number}) {label}{hint}")
        if question.type == "multi":
            lines.append("  (several numbers separated by commas)")
        elif question.type == "scale":
            lines.append("  (0-10" + (", or 'not sure'" if question.allow_unsure else "") + ")")
        elif question.type == "number" and question.allow_unsure:
            lines.append("  (a number, or 'not sure')")
        if question.optional:
            lines.append("  (optional: press Enter to skip)")
        if question.private:
            lines.append("  (private: this answer shapes your own report only; it is never stored)")
        elif question.private_choices:
            lines.append("  (choices marked private shape your own report only; never stored)")
        lines.append("  ? = why we ask, b = back")
        return "\n".join(lines)

    def _regions_hint(self, question: Question, value: str) -> str:
        if question.id != "symptoms" or value not in self.kb.symptom:
            return ""
        names = [self.kb.region[r].name for r in self.kb.symptom[value].regions]
        return f"  [{', '.join(names)}]"

    def _ask_step(self, step: Step) -> None:
        question = step.question
        self.say(self._prompt_text(step))
        while True:
            reply = self.ask("> ").strip()
            lowered = reply.lower()
            if lowered in WHY:
                self.say(f"Why we ask: {question.why}")
                continue
            if lowered in BACK:
                if self._go_back():
                    return
                self.say("This is the first question; there is nothing to go back to.")
                continue
            if not reply:
                if question.optional:
                    self._record(step, UNSURE)
                    return
                self.say("Please answer (or type ? to see why we ask, b to go back).")
                continue
            safety = question.id in self.kb.sign or question.section == self._safety_section
            try:
                value = parse_reply(question, reply, partial=not safety)
            except AnswersError:
                shown = options(question)
                if shown:
                    listed = "; ".join(f"{n}) {label}" for n, (_, label) in enumerate(shown, 1))
                    self.say(
                        f"Sorry, '{reply}' is not a valid answer here. Type a number or "
                        f"the words: {listed}."
                    )
                else:
                    allowed = ", ".join(allowed_values(question))
                    self.say(
                        f"Sorry, '{reply}' is not a valid answer here. Type one of: {allowed}."
                    )
                continue
            if question.type == "multi" and isinstance(value, list) and options(question):
                labels = dict(options(question))
                self.say("Understood: " + "; ".join(labels.get(v, v) for v in value) + ".")
            self._record(step, value)
            return

    def _record(self, step: Step, value: AnswerValue) -> None:
        if step.item:
            per_item = self.answers.setdefault(step.question.id, {})
            assert isinstance(per_item, dict)
            per_item[step.item] = value
        else:
            self.answers[step.question.id] = value
        self.history.append(step)
        if self.on_change:
            self.on_change(self)
        self._warn_now()

    def _warn_now(self) -> None:
        """An answer that shows an emergency is told at once, not after the last question."""
        found = [
            (i, text) for i, text in emergencies(self.kb, self.answers) if i not in self.warned
        ]
        if not found:
            return
        level = self.kb.urgency["emergency"]
        number = self.emergency_number
        self.say(f"\n!! {level.title.upper()} !!\n{level.text.replace('{number}', number)}")
        for item, text in found:
            self.say(f"- {text.replace('{number}', number)}")
            self.warned.add(item)
        self.say(
            "Get help first. Your answers are saved: you can finish the questions later with "
            "`troubleshoot assess --resume`, or go on now."
        )

    @property
    def _safety_section(self) -> str:
        """The section the warning signs are asked in (no guessing at replies there)."""
        first = next(iter(self.kb.signs), None)
        return self.kb.question[first.id].section if first and first.id in self.kb.question else ""

    def _go_back(self) -> bool:
        if not self.history:
            return False
        step = self.history.pop()
        value = self.answers.get(step.question.id)
        was = value.get(step.item) if step.item and isinstance(value, dict) else value
        if step.item and isinstance(value, dict):
            value.pop(step.item, None)
            if not value:
                del self.answers[step.question.id]
        else:
            self.answers.pop(step.question.id, None)
        self.answers = prune(self.kb, self.answers, self.workstation)
        if self.on_change:
            self.on_change(self)
        shown = dict(options(step.question))
        if isinstance(was, list):
            said = "; ".join(shown.get(v, str(v)) for v in was)
        else:
            said = shown.get(str(was), str(was)) if was is not None else "no answer"
        self.say(f"(back one question) You had answered: {said}. Answer it again.")
        return True
