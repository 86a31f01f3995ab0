"""The tables as they are now, what a compact summary row holds and the query filters (the
migrations that build them are in `migrations`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from troubleshoot.text import LABEL_LIMIT

metadata = sa.MetaData()
MAX_LABEL = LABEL_LIMIT  # characters of a respondent or department (the columns below)


schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)
assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("respondent", sa.String(200)),
    sa.Column("department", sa.String(200), index=True),
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("kb_version", sa.String(40), nullable=False),
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.Column("program", sa.String(40), nullable=False),
    sa.Column("risk_level", sa.String(40), nullable=False, index=True),
    sa.Column("red_flags", sa.Boolean, nullable=False),
    sa.Column("source_key", sa.String(64)),  # added by migration 2
    sa.Column("summary", sa.Text),  # added by migration 3
    sa.Column("workstation", sa.String(20)),  # added by migration 7: office | home | other
    # Added by migration 8: the result, compressed (zlib of its compact JSON; `result` is then
    # empty). Rows stored before it keep their JSON in `result` until the migration packs them.
    sa.Column("result_z", sa.LargeBinary),
    # Added by migration 9: the answers and the result as zstd frames packed against the
    # dictionary `packed_with` names (`answers` is then empty); none: the forms above.
    sa.Column("answers_z", sa.LargeBinary),
    sa.Column("packed_with", sa.Integer, sa.ForeignKey("packing_dictionaries.id")),
)
# Added by migration 9: the dictionaries stored rows are packed against (see `packing`), one
# per knowledge-base version and tool version (`key`). Reference results of made-up answers:
# nothing of a person. Never changed or deleted while a row names it.
packing_dictionaries = sa.Table(
    "packing_dictionaries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(120), nullable=False, unique=True),
    sa.Column("data", sa.LargeBinary, nullable=False),  # zlib of the dictionary
    sa.Column("made_at", sa.DateTime, nullable=False),
)
followups = sa.Table(
    "followups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # urgent | referral | unscreened | high_risk | workstation | desk_check | equipment
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("item", sa.String(200), nullable=False),
    # open | agreed | ordered | delivered (still to act on); done | resolved | closed
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("closed_at", sa.DateTime),
    # Added by migration 7: each follow-up is an item of a case; a newer assessment of the same
    # person that no longer shows it marks it resolved.
    sa.Column("case_id", sa.Integer, index=True),
    sa.Column("resolved_by", sa.Integer),
)
ACTIVE_ITEM = ("open", "agreed", "ordered", "delivered")
# Added by migration 7: one case per person (and workstation) that needs action; its id is the
# id of its first item, so the follow-up ids of earlier versions still name it.
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("respondent", sa.String(200), index=True),  # None: an anonymous assessment
    sa.Column("workstation", sa.String(20)),
    sa.Column(
        "assessment_id",  # the latest assessment of the person linked to it
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("status", sa.String(20), nullable=False),  # new | in_review | closed
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("outcome", sa.String(40)),
    sa.Column("assignee", sa.String(200)),
    sa.Column("due", sa.Date),  # set by hand; else the default for its priority
    sa.Column("told", sa.Boolean, nullable=False),  # False: urgent advice no one has seen yet
)
case_trail = sa.Table(
    "case_trail",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("actor", sa.String(200), nullable=False),
)
reassessment_triggers = sa.Table(
    # Added by migration 7: events that make a person due for a new assessment.
    "reassessment_triggers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("respondent", sa.String(200), nullable=False, index=True),
    sa.Column("workstation", sa.String(20)),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
)
roster = sa.Table(
    # Added by migration 7: the people an organisation expects to assess (an HR export).
    "roster",
    metadata,
    sa.Column("respondent", sa.String(200), primary_key=True),
    sa.Column("department", sa.String(200)),
    sa.Column("site", sa.String(200)),
    sa.Column("manager", sa.String(200)),
    sa.Column("start_date", sa.Date),
    sa.Column("leaving_date", sa.Date),
    sa.Column("archived_at", sa.DateTime),  # a leaver: kept out of `due` and coverage
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
summary_terms = sa.Table(
    # Added by migration 10: each value the cohort counts, named once (see flatten_summary()):
    # knowledge-base ids and stress bands, never anything a person wrote.
    "summary_terms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("value", sa.String(200), nullable=False),
    sa.UniqueConstraint("field", "value", name="uq_summary_terms"),
)
summary_values = sa.Table(
    # Added by migration 4: each summary flattened to rows, so the database does the cohort's
    # counting (see counts.tally) without decoding 100k JSON summaries in Python. Since
    # migration 10 a row holds the value's number only; the department is cohort_entries'.
    "summary_values",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("term_id", sa.Integer, sa.ForeignKey("summary_terms.id"), primary_key=True),
    sqlite_with_rowid=False,
)
# Added by migration 4: everything the cohort reads of an assessment, in one small index (in
# SQLite the table's rows are long, and reading past them is what made the report slow).
sa.Index(
    "ix_assessments_cohort",
    assessments.c.department,
    assessments.c.risk_level,
    assessments.c.created_at,
)
imports = sa.Table(
    # Added by migration 5: each imported survey file, by its fingerprint (sha256).
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
    sa.Column("matched_by", sa.String(40), nullable=False),  # response_id | content
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("stored", sa.Integer, nullable=False),
    sa.Column("already_stored", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
)
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "followup_id",
        sa.Integer,
        sa.ForeignKey("followups.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),  # opened | note | closed | reopened
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("actor", sa.String(200)),  # who acted (migration 6); older entries: unknown
)
# Migration 6: privacy. Organisation settings; the people (respondents) apart from the figures
# the cohort report reads, so that a reporting role can be granted those alone; a purge log.
settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(400), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)
people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("respondent", sa.String(200), nullable=False, unique=True),
)
cohort_entries = sa.Table(
    # What the cohort report reads of an assessment: a surrogate person number (never the
    # respondent), the month, the department and the risk level.
    "cohort_entries",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("person_id", sa.Integer, index=True),
    sa.Column("month", sa.String(7), nullable=False),  # YYYY-MM
    sa.Column("department", sa.String(200)),
    sa.Column("risk_level", sa.String(40), nullable=False),
    sa.Index("ix_cohort_entries_month", "month", "department"),
)
purge_log = sa.Table(
    "purge_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),  # which rule, never whose data
    sa.Column("assessments", sa.Integer, nullable=False),
    sa.Column("followups", sa.Integer, nullable=False),
)
# A row here while a purge runs (inside its transaction) lets the audit trail lose whole cases.
purging = sa.Table("purging", metadata, sa.Column("started", sa.DateTime, primary_key=True))
# A view (made by migration 6, not by metadata): the open follow-up kinds, for the cohort.
views = sa.MetaData()
cohort_followups = sa.Table(
    "cohort_followups",
    views,
    sa.Column("assessment_id", sa.Integer),
    sa.Column("kind", sa.String(40)),
)
# A view (migration 7): the people on the roster, by surrogate number and department, for the
# cohort's coverage (never a respondent).
cohort_roster = sa.Table(
    "cohort_roster",
    views,
    sa.Column("person_id", sa.Integer),
    sa.Column("department", sa.String(200)),
)
# What a reporting role needs to run `cohort`, and nothing more (see the README's GRANTs).
COHORT_TABLES = (
    "schema_migrations",
    "settings",
    "cohort_entries",
    "summary_terms",
    "summary_values",
    "cohort_followups",
    "cohort_roster",
)


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    department: str | None = None
    risk: str | None = None
    red_flags_only: bool = False
    respondent: str | None = None


NO_FILTERS = Filters()  # every assessment


def filtered(query: Any, filters: Filters) -> Any:
    if filters.since:
        query = query.where(assessments.c.created_at >= filters.since)
    if filters.until:
        query = query.where(assessments.c.created_at < filters.until)
    if filters.department:
        query = query.where(assessments.c.department == filters.department)
    if filters.risk:
        query = query.where(assessments.c.risk_level == filters.risk)
    if filters.respondent:
        query = query.where(assessments.c.respondent == filters.respondent)
    if filters.red_flags_only:
        query = query.where(assessments.c.red_flags.is_(True))
    return query


def summary_of(answers: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The few fields the cohort report needs, kept small so 100k rows read quickly."""
    return {
        "regions": result.get("regions", []),
        "symptoms": [s["symptom"] for s in result.get("reported", [])],
        "likely_causes": sorted(
            {
                c["id"]
                for f in result.get("findings", [])
                for c in f["causes"]
                if c["status"] == "likely"
            }
        ),
        "failed_checks": sorted(
            {c["id"] for c in result.get("desk_checks", []) if c["status"] == "failed"}
        ),
        "stress_level": answers.get("stress_level"),
    }


SUMMARY_LISTS = ("regions", "symptoms", "likely_causes", "failed_checks")


STRESS_BANDS = (("low", 0, 3), ("moderate", 4, 6), ("high", 7, 10))


def stress_band(value: Any) -> str | None:
    """The cohort keeps a band, never the answer itself (none when not answered)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return next((name for name, low, high in STRESS_BANDS if low <= value <= high), None)
    return None


def flatten_summary(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """A summary as (field, value) rows: each entry of its lists once, and the stress band (no
    row when the stress level is not answered)."""
    flat = [(name, value) for name in SUMMARY_LISTS for value in dict.fromkeys(summary[name])]
    if (band := stress_band(summary.get("stress_level"))) is not None:
        flat.append(("stress_band", band))
    return flat


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
