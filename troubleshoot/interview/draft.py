"""The questionnaire's draft: every answer so far, saved after each one, so an interrupted
assessment can be resumed where it stopped, and an assessment whose storing failed can be
stored later without answering again. One draft per user, in the user data directory
(TROUBLESHOOT_DRAFT overrides the path), readable by its owner only, written atomically.

A draft is read as strictly as an answers file: a draft edited by hand, cut short or of an
older shape is a clear error (DraftError), never a traceback and never an invalid answer. While
an interview resumes or stores a draft it holds the draft's lock, so two processes cannot both
store it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from troubleshoot.assess import draft_answers, normalize_answers
from troubleshoot.conditions import AnswerValue
from troubleshoot.errors import AnswersError, TroubleshootError
from troubleshoot.files import write_file
from troubleshoot.kb import KnowledgeBase
from troubleshoot.text import label_problem, quoted

VERSION = 4  # 3: the person's choice about storing (consent); 4: the workstation's place
READABLE = (3, 4)  # a version-3 draft has no place: it resumes with none
MAX_BYTES = 1_000_000  # a draft holds one person's answers: far less than this
DEFAULT_MAX_AGE = timedelta(hours=24)


class DraftError(TroubleshootError):
    """The draft could not be read, used or written."""


class NoDraft(DraftError):
    """There is no draft to resume."""


class DraftInUse(DraftError):
    """Another troubleshoot process is resuming or storing the same draft."""


@dataclass(frozen=True)
class Draft:
    answers: dict[str, AnswerValue]
    history: tuple[tuple[str, str], ...] = ()
    workstation: bool = False
    respondent: str | None = None
    department: str | None = None
    saved_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    complete: bool = False  # every question answered: only storing it is left
    consent: bool | None = None  # the person's answer to "store this assessment?", if asked
    location: str | None = None  # office | home | other (`--location`), when given

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "answers": self.answers,
                "history": [list(step) for step in self.history],
                "workstation": self.workstation,
                "respondent": self.respondent,
                "department": self.department,
                "saved_at": self.saved_at.isoformat(timespec="seconds"),
                "complete": self.complete,
                "consent": self.consent,
                "location": self.location,
            }
        )

    def age(self) -> timedelta:
        return datetime.now(UTC) - self.saved_at


def draft_path() -> Path:
    if env := os.environ.get("TROUBLESHOOT_DRAFT"):
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("troubleshoot")) / "draft.json"


def save(draft: Draft, path: Path | None = None) -> Path:
    path = path or draft_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise DraftError(f"{path}: cannot save the draft: {error.strerror or error}") from error
    try:
        write_file(draft.to_json(), path)
    except TroubleshootError as error:
        raise DraftError(f"cannot save the draft: {error}") from error
    return path


def exists(path: Path | None = None) -> bool:
    return (path or draft_path()).exists()


def load(kb: KnowledgeBase, path: Path | None = None) -> Draft:
    """The draft, checked like an answers file; DraftError says what is wrong with it."""
    path = path or draft_path()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError as error:
        raise NoDraft(f"{path}: there is no saved draft to resume") from error
    except OSError as error:
        raise DraftError(f"{path}: the draft cannot be read: {error.strerror or error}") from error
    if len(raw) > MAX_BYTES:
        raise DraftError(f"{path}: the draft cannot be read: it is far too large")
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_repeated_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        reason = (
            "not UTF-8 text"
            if isinstance(error, UnicodeDecodeError)
            else str(error)
            if "is repeated" in str(error)
            else "not valid JSON"
        )
        raise DraftError(
            f"{path}: the draft cannot be read: {reason} (cut short or edited?)"
        ) from error
    return _checked(data, kb, path)


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the key {quoted(key)} is repeated")
        found[key] = value
    return found


def _checked(data: Any, kb: KnowledgeBase, path: Path) -> Draft:
    where = f"{path}: the draft cannot be used"
    if not isinstance(data, dict) or data.get("version") not in READABLE:
        raise DraftError(f"{where}: it is not a draft this version of troubleshoot can resume")
    expected = {
        "version",
        "answers",
        "history",
        "workstation",
        "respondent",
        "department",
        "saved_at",
        "complete",
        "consent",
    } | ({"location"} if data["version"] >= 4 else set())
    if set(data) != expected:
        raise DraftError(f"{where}: it has the wrong fields (edited by hand?)")
    if not isinstance(data["answers"], dict):
        raise DraftError(f"{where}: its answers are not a mapping of question -> answer")
    try:
        # A private answer is never kept (one written in by hand is dropped: asked again).
        answers = draft_answers(kb, normalize_answers(data["answers"], kb, str(path)))
    except AnswersError as error:
        raise DraftError(f"the draft cannot be used: {error}") from error
    history = data["history"]
    if not isinstance(history, list) or not all(
        isinstance(step, list)
        and len(step) == 2
        and all(isinstance(part, str) for part in step)
        and step[0] in kb.question
        for step in history
    ):
        raise DraftError(f"{where}: its list of answered questions is damaged")
    for name in ("respondent", "department"):
        if data[name] is not None and not isinstance(data[name], str):
            raise DraftError(f"{where}: its {name} is not text")
        if isinstance(data[name], str) and (problem := label_problem(data[name])):
            raise DraftError(f"{where}: its {name} {problem}")
    if not isinstance(data["workstation"], bool) or not isinstance(data["complete"], bool):
        raise DraftError(f"{where}: it is damaged (edited by hand?)")
    if data["consent"] is not None and not isinstance(data["consent"], bool):
        raise DraftError(f"{where}: it is damaged (edited by hand?)")
    location = data.get("location")
    if location not in (None, "office", "home", "other"):
        raise DraftError(f"{where}: its workstation place is damaged (edited by hand?)")
    try:
        saved_at = datetime.fromisoformat(str(data["saved_at"]))
    except ValueError as error:
        raise DraftError(f"{where}: its time is damaged") from error
    if saved_at.tzinfo is None:
        raise DraftError(f"{where}: its time is damaged")
    return Draft(
        answers,
        tuple((question, item) for question, item in history if question in answers),
        data["workstation"],
        data["respondent"],
        data["department"],
        saved_at,
        data["complete"],
        data["consent"],
        location,
    )


def discard(path: Path | None = None) -> None:
    with contextlib.suppress(FileNotFoundError):
        (path or draft_path()).unlink()


class DraftLock:
    """Held while a draft is resumed or stored: a second process resuming the same draft is
    told it is in use. The lock goes with the process, so a crash never leaves it stuck."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or draft_path()
        self._descriptor: int | None = None

    def __enter__(self) -> DraftLock:
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as error:
            raise DraftError(f"{lock}: cannot lock the draft: {error.strerror or error}") from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(descriptor)
            raise DraftInUse(
                f"{self.path}: the draft is in use by another troubleshoot; finish or stop that "
                "one first"
            ) from error
        self._descriptor = descriptor
        return self

    def __exit__(self, *exc: object) -> None:
        if self._descriptor is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            os.close(self._descriptor)
            self._descriptor = None
