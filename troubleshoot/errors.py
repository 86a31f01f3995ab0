"""One error hierarchy: the CLI turns any TroubleshootError into one line on stderr."""

from __future__ import annotations


class TroubleshootError(Exception):
    """Base class for every error the tool reports to a person."""

    exit_code = 2


class KnowledgeBaseError(TroubleshootError):
    """The knowledge base in rules/ is invalid; the message names the file and the item."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else "\n".join(problems))


class AnswersError(TroubleshootError):
    """An answers file or a typed answer does not fit the questions."""


class EngineError(TroubleshootError):
    """The rule engine failed; the assessment result would be incomplete."""

    exit_code = 3


class OptionError(TroubleshootError):
    """A command-line option or setting has a value the tool cannot use."""


class StoreError(TroubleshootError):
    """The assessment database could not be opened, read or written."""

    exit_code = 4


class NotFoundError(TroubleshootError):
    """A stored record asked for (an assessment, a follow-up) does not exist, or cannot take
    that action: the request is wrong, not the database."""


class RecordRefusedError(StoreError):
    """The database refused one record (a constraint or a value), not the whole database."""


class ReportError(TroubleshootError):
    """A report could not be rendered or written."""


class OutputError(ReportError):
    """A file could not be written where asked (a full disk, a refused target)."""

    exit_code = 5
