"""Stored assessments, follow-ups and their audit trail. The only package that talks SQL.

- `schema`: the tables, the compact summary and the query filters;
- `migrations`: the ordered migrations that build the schema;
- `connection`: opening the database and turning its errors into StoreErrors;
- `database`: the Store (open, save, list);
- `items`: follow-up items and their audit trail; `cases`: the cases that hold them;
- `writing`: storing a group of assessments; `filing`: filing each into its person's case;
- `packing`: stored results, compressed;
- `personal`: the figures kept of one person's assessments, for their request to see them;
- `roster`: the roster, reassessment triggers and when people were last assessed;
- `purge`: deleting so that it is gone, with the purge log;
- `settings`: the organisation's settings, kept in the database;
- `counts`: what the cohort report counts (people), counted by the database.

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`. Nothing else of the package.
"""

from troubleshoot.store.cases import CASE_STATUSES, OUTCOMES, PRIORITIES, PRIORITY_OF_KIND, Case
from troubleshoot.store.connection import APP_NAME, default_url, location
from troubleshoot.store.counts import (
    CohortQuery,
    GroupCount,
    MonthCount,
    QueueCount,
    Tally,
    ValueCount,
)
from troubleshoot.store.database import Listed, Store, Stored
from troubleshoot.store.items import ITEM_STATUSES, FollowUp
from troubleshoot.store.migrations import MIGRATIONS
from troubleshoot.store.purge import Purged, PurgeRule
from troubleshoot.store.roster import LOCATIONS, TRIGGERS, Last, Person, Trigger, checked_location
from troubleshoot.store.schema import (
    COHORT_TABLES,
    MAX_LABEL,
    Filters,
    flatten_summary,
    metadata,
    schema_migrations,
    summary_of,
    utc_now,
)
from troubleshoot.store.settings import SETTINGS, STORAGE, Setting, Value, months
from troubleshoot.store.settings import after as add_time
from troubleshoot.store.settings import described as described_time
from troubleshoot.store.settings import resolve as resolve_settings

__all__ = [
    "APP_NAME",
    "CASE_STATUSES",
    "COHORT_TABLES",
    "ITEM_STATUSES",
    "LOCATIONS",
    "MAX_LABEL",
    "MIGRATIONS",
    "OUTCOMES",
    "PRIORITIES",
    "PRIORITY_OF_KIND",
    "SETTINGS",
    "STORAGE",
    "TRIGGERS",
    "Case",
    "CohortQuery",
    "Filters",
    "FollowUp",
    "GroupCount",
    "Last",
    "Listed",
    "MonthCount",
    "Person",
    "PurgeRule",
    "Purged",
    "QueueCount",
    "Setting",
    "Store",
    "Stored",
    "Tally",
    "Trigger",
    "Value",
    "ValueCount",
    "add_time",
    "checked_location",
    "default_url",
    "described_time",
    "flatten_summary",
    "location",
    "metadata",
    "months",
    "resolve_settings",
    "schema_migrations",
    "summary_of",
    "utc_now",
]
