"""Occupational-health work on stored assessments: what staff see of them (`staff`: listings,
follow-ups, flat exports, re-run differences, before-and-after comparisons), the workforce
report (`cohort`), many survey rows evaluated at once (`batch`) and one person's data, for
their request to see it (`access`).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa`, `troubleshoot.kb`, `troubleshoot.engine`,
`troubleshoot.assess`, `troubleshoot.store`, `troubleshoot.report`. Nothing else of the package.
"""

from troubleshoot.oh import access, batch, cohort, staff

__all__ = ["access", "batch", "cohort", "staff"]
