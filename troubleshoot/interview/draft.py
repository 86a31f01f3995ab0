"""The questionnaire's draft: every answer so far, saved after each one, so an interrupted
assessment can be resumed where it stopped. One draft per user, in the user data directory
(TROUBLESHOOT_DRAFT overrides the path), readable by its owner only, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from troubleshoot.errors import TroubleshootError

VERSION = 1


class DraftError(TroubleshootError):
    """The draft could not be read or written."""


def draft_path() -> Path:
    if env := os.environ.get("TROUBLESHOOT_DRAFT"):
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("troubleshoot")) / "draft.json"


def save(
    answers: dict[str, Any],
    history: list[tuple[str, str]],
    workstation: bool,
    path: Path | None = None,
) -> Path:
    path = path or draft_path()
    data = {"version": VERSION, "answers": answers, "history": history, "workstation": workstation}
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.tmp")
        descriptor = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        tmp.replace(path)
    except OSError as error:
        raise DraftError(f"{path}: cannot save the draft: {error.strerror or error}") from error
    return path


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or draft_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DraftError(f"{path}: there is no saved draft to resume") from error
    except (OSError, ValueError) as error:
        raise DraftError(f"{path}: the draft cannot be read: {error}") from error
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise DraftError(f"{path}: not a draft this version can resume")
    return data


def discard(path: Path | None = None) -> None:
    (path or draft_path()).unlink(missing_ok=True)
