"""Proofs and views of the knowledge base that run or read the engine: `reachability` (`rules
check` proves every conclusion and risk level can be reached), `safety` (warning signs asked
and told as they must be), `privacy` (no private answer reaches a staff-facing field) and
`catalog` (`rules list`, `questions` and the answers template).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa`, `troubleshoot.kb`, `troubleshoot.engine`,
`troubleshoot.assess`. Nothing else of the package.
"""

from troubleshoot.checks.catalog import (
    answers_template,
    describe,
    knowledge_listing,
    question_table,
    summary,
    when_asked,
)
from troubleshoot.checks.reachability import check_reachability

__all__ = [
    "answers_template",
    "check_reachability",
    "describe",
    "knowledge_listing",
    "question_table",
    "summary",
    "when_asked",
]
