"""The adaptive questionnaire (`questionnaire`: which questions to ask, in which order, and the
interactive loop) and its draft, saved after every answer so a stopped interview can resume
(`draft`).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.conditions`,
`troubleshoot.rosa`, `troubleshoot.kb`, `troubleshoot.engine`, `troubleshoot.assess`. Nothing
else of the package.
"""

from troubleshoot.interview import draft
from troubleshoot.interview.draft import DraftError
from troubleshoot.interview.questionnaire import (
    Interview,
    Step,
    options,
    parse_reply,
    plan,
    prune,
    relevant_questions,
    stop_message,
)

__all__ = [
    "DraftError",
    "Interview",
    "Step",
    "draft",
    "options",
    "parse_reply",
    "plan",
    "prune",
    "relevant_questions",
    "stop_message",
]
