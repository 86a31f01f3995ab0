"""One interview from start to stored: the draft it resumes or starts (asking first when one is
already there), the lock that keeps a second process off the same draft, the draft saved after
every answer, and what happens to it at the end. Nothing is deleted before what replaces it is
safely stored: the draft goes only once the assessment is stored (or the person chose not to
store it); if storing fails the draft stays, complete, and `assess --resume` stores it without
asking again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from troubleshoot.assess import draft_answers
from troubleshoot.conditions import AnswerValue
from troubleshoot.errors import OptionError
from troubleshoot.interview import draft
from troubleshoot.interview.notice import ASK, CONSENT_QUESTION, Privacy, notice
from troubleshoot.interview.questionnaire import Interview, stop_message
from troubleshoot.kb import KnowledgeBase
from troubleshoot.text import visible

Ask = Callable[[str], str]
Say = Callable[[str], None]


class Stopped(Exception):
    """The person stopped the interview (end of input or Ctrl-C); `message` says where the
    draft is and, when the answers so far call for care, how urgent it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InterviewSession:
    def __init__(
        self,
        kb: KnowledgeBase,
        ask: Ask,
        say: Say,
        *,
        workstation: bool = False,
        respondent: str | None = None,
        department: str | None = None,
        emergency_number: str = "911",
        path: Path | None = None,
        privacy: Privacy | None = None,
        max_age: timedelta = draft.DEFAULT_MAX_AGE,
    ) -> None:
        self.kb = kb
        self.ask = ask
        self.say = say
        self.workstation = workstation
        self.respondent = respondent
        self.location: str | None = None  # office | home | other: set by the command
        self.department = department
        self.emergency_number = emergency_number
        self.path = path or draft.draft_path()
        self.lock = draft.DraftLock(self.path)
        self.interview = Interview(
            kb, ask, say, workstation, on_change=self._keep, emergency_number=emergency_number
        )
        self.resumed = False
        self.privacy = privacy or Privacy(ASK)
        self.max_age = max_age
        self.consent: bool | None = None  # the person's choice, when the organisation asks

    # -- start -------------------------------------------------------------------------------
    def start(self, resume: bool) -> None:
        """Take the draft's lock, then resume the draft (`resume`), or ask what to do with a
        draft already there, or start afresh."""
        self.lock.__enter__()
        self._expire()
        if resume:
            self._resume(draft.load(self.kb, self.path))
            return
        if not draft.exists(self.path):
            self._tell()
            return
        try:
            found = draft.load(self.kb, self.path)
        except draft.NoDraft:
            self._tell()
            return
        except draft.DraftError as error:
            self.say(f"\n{error}")
            if self._choose("Start over (s), or stop (q)?", "sq") == "q":
                raise Stopped(f"Stopped; the draft is kept in {self.path}.") from None
            draft.discard(self.path)
            self._tell()
            return
        self.say(f"\nThere is a saved draft: {_described(found)}.")
        choice = self._choose("Resume it (r), start over (s), or stop (q)?", "rsq")
        if choice == "q":
            raise Stopped(f"Stopped; the draft is kept in {self.path}.")
        if choice == "r":
            self._resume(found)
        else:
            draft.discard(self.path)
            self._tell()

    def _expire(self) -> None:
        """A draft older than the organisation allows goes (the computer may be shared)."""
        try:
            found = draft.load(self.kb, self.path)
        except draft.DraftError:
            return
        if found.age() > self.max_age:
            draft.discard(self.path)
            self.say(
                f"A saved draft from {found.saved_at:%Y-%m-%d %H:%M} UTC was older than "
                f"{self.max_age.total_seconds() / 3600:g} hours, so it was deleted."
            )

    def _tell(self) -> None:
        """Before the first question: what is stored, who sees it, for how long; and, when
        the organisation lets each person choose, whether to store this one."""
        self.say("\n" + notice(self.privacy))
        if self.privacy.mode == ASK and self.consent is None:
            self.consent = self._choose(CONSENT_QUESTION, "yn") == "y"
            self.say(
                "It will be stored when you finish."
                if self.consent
                else "It will not be stored: only you see your report."
            )

    def _resume(self, found: draft.Draft) -> None:
        for name in ("respondent", "department", "location"):
            given, kept = getattr(self, name), getattr(found, name)
            if given and kept and given != kept:
                raise OptionError(
                    f"--{name}: the draft was started for {name} {kept!r}, not {given!r}"
                )
            setattr(self, name, given or kept)
        self.workstation = self.workstation or found.workstation
        self.interview.workstation = self.workstation
        self.interview.restore(found.answers, list(found.history))
        self.resumed = True
        self.consent = found.consent
        # Whose draft it is, before going on: the computer may be shared.
        self.say(f"Resuming the draft of {_described(found)}.")
        if self.privacy.mode == ASK and self.consent is None:
            self._tell()

    def _choose(self, question: str, letters: str) -> str:
        while True:
            reply = self.ask(f"{question} ").strip().lower()[:1]
            if reply and reply in letters:
                return reply
            self.say(f"Please type one of: {', '.join(letters)}.")

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> dict[str, AnswerValue]:
        """Ask every question still open; Stopped if the person stops part-way."""
        try:
            return self.interview.run()
        except (EOFError, KeyboardInterrupt):
            where = str(self.path) if draft.exists(self.path) else None
            raise Stopped(
                stop_message(self.kb, self.interview.answers, self.emergency_number, where)
            ) from None

    def _keep(self, current: Interview) -> None:
        draft.save(self._draft(current, complete=False), self.path)

    def _draft(self, current: Interview, complete: bool) -> draft.Draft:
        # Never a private answer: a resumed questionnaire asks it again.
        kept = draft_answers(self.kb, current.answers)
        history = tuple(step for step in current.saved_history() if step[0] in kept)
        return draft.Draft(
            kept,
            history,
            self.workstation,
            self.respondent,
            self.department,
            complete=complete and kept == current.answers,
            consent=self.consent,
            location=self.location,
        )

    # -- end ---------------------------------------------------------------------------------
    def stored(self) -> None:
        """The assessment is safely stored (or not wanted): the draft can go."""
        draft.discard(self.path)
        self.close()

    def not_stored(self) -> None:
        """Storing failed: keep every answer, marked complete, to store later."""
        draft.save(self._draft(self.interview, complete=True), self.path)
        self.close()

    def close(self) -> None:
        self.lock.__exit__(None, None, None)


def _described(found: draft.Draft) -> str:
    who = f" for {visible(found.respondent)}" if found.respondent else ""
    where = f" ({visible(found.department)})" if found.department else ""
    state = "complete, not yet stored" if found.complete else f"{len(found.history)} answer(s)"
    return f"{state}{who}{where}, saved {found.saved_at:%Y-%m-%d %H:%M} UTC"
