"""Stored assessments, follow-ups and their audit trail. The only package that talks SQL.

- `schema`: the tables, the compact summary, the query filters and the ordered migrations;
- `connection`: opening the database and turning its errors into StoreErrors;
- `database`: the Store (open, save, list, follow up, purge);
- `summaries`: what the cohort report reads, and the counts the database makes of it.

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`. Nothing else of the package.
"""

from troubleshoot.store.connection import APP_NAME, default_url
from troubleshoot.store.database import FollowUp, Store, Stored
from troubleshoot.store.schema import (
    MAX_LABEL,
    MIGRATIONS,
    Filters,
    flatten_summary,
    metadata,
    schema_migrations,
    summary_of,
    utc_now,
)
from troubleshoot.store.summaries import (
    GroupCount,
    MonthCount,
    Summaries,
    Summary,
    Tally,
    ValueCount,
    tally_of,
)

__all__ = [
    "APP_NAME",
    "MAX_LABEL",
    "MIGRATIONS",
    "Filters",
    "FollowUp",
    "GroupCount",
    "MonthCount",
    "Store",
    "Stored",
    "Summaries",
    "Summary",
    "Tally",
    "ValueCount",
    "default_url",
    "flatten_summary",
    "metadata",
    "schema_migrations",
    "summary_of",
    "tally_of",
    "utc_now",
]
