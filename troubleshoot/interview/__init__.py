"""The adaptive questionnaire (`questionnaire`: which questions to ask, in which order, and the
interactive loop), its draft, saved after every answer so a stopped interview can resume
(`draft`), and one interview from start to stored (`session`: the draft's lock, resume or
start over, what happens to the draft at the end), with what people are told about storing
before the first question (`notice`).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa`, `troubleshoot.kb`, `troubleshoot.engine`,
`troubleshoot.assess`. Nothing else of the package.
"""

from troubleshoot.interview import draft
from troubleshoot.interview.draft import DraftError
from troubleshoot.interview.notice import ASK, OFF, STORE, Privacy, notice, storage_note
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
from troubleshoot.interview.session import InterviewSession, Stopped

__all__ = [
    "ASK",
    "OFF",
    "STORE",
    "DraftError",
    "Interview",
    "InterviewSession",
    "Privacy",
    "Step",
    "Stopped",
    "draft",
    "notice",
    "options",
    "parse_reply",
    "plan",
    "prune",
    "relevant_questions",
    "stop_message",
    "storage_note",
]
