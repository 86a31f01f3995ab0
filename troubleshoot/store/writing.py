"""Writing assessments: a group of records in a few multi-row statements (one per table, not
about ten per row), then each record filed into its person's case. Used for one record
(`Store.save`) and for a batch's groups alike, so both store exactly the same rows."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from troubleshoot.errors import RecordRefusedError
from troubleshoot.store.bulk import bulk_insert, bulk_insert_numbered
from troubleshoot.store.filing import Filing, attach, open_cases
from troubleshoot.store.items import opened_items
from troubleshoot.store.packing import Dictionary, pack
from troubleshoot.store.schema import (
    assessments,
    cases,
    cohort_entries,
    flatten_summary,
    people,
    summary_of,
    summary_terms,
    summary_values,
    utc_now,
)
from troubleshoot.text import label_problem


def _checked(record: dict[str, Any]) -> None:
    for name in ("respondent", "department"):
        value = record.get(name)
        problem = label_problem(value) if isinstance(value, str) else None
        if problem:  # checked here too: SQLite would keep what PostgreSQL refuses
            raise RecordRefusedError(f"the database refused the record: the {name} {problem}")


def _naive_utc(when: datetime | None) -> datetime | None:
    """Times are kept as UTC without a zone (`utc_now`); a time given with one is converted
    (COPY would keep its clock reading and drop the offset)."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


def _people(conn: Connection, respondents: set[str]) -> dict[str, int]:
    """The surrogate numbers of these respondents, made for the new ones: the cohort counts
    people by them without ever reading who they are."""
    if not respondents:
        return {}
    found = {
        r.respondent: int(r.id)
        for r in conn.execute(
            sa.select(people.c.id, people.c.respondent).where(
                people.c.respondent.in_(sorted(respondents))
            )
        )
    }
    new = sorted(respondents - set(found))
    made = bulk_insert_numbered(conn, people, [{"respondent": r} for r in new])
    found.update(zip(new, made, strict=True))
    return found


def packed(record: dict[str, Any], packing: Dictionary | None) -> dict[str, Any]:
    """The columns that hold a record's answers and result: packed against the dictionary, or
    in the schema-8 form when there is none (the answers as JSON text, the result zlib)."""
    if packing is None:
        return {
            "answers": json.dumps(record["answers"], sort_keys=True),
            "answers_z": None,
            "result_z": pack(record["result"]),
            "packed_with": None,
        }
    return {
        "answers": "",
        "answers_z": packing.pack(record["answers"], sort_keys=True),
        "result_z": packing.pack(record["result"]),
        "packed_with": packing.id,
    }


def term_numbers(conn: Connection, terms: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The numbers of these counted values, made for new ones. The table stays small (one row
    per value the knowledge base can give), so it is read whole; a value another writer adds
    meanwhile is skipped here and read back."""
    if conn.dialect.name == "postgresql":
        # Held to the commit: a purge forgetting unused terms waits (store/purge.py). SQLite
        # needs none: this transaction has written already, so it holds the one write lock.
        conn.exec_driver_sql("LOCK TABLE summary_terms IN ROW EXCLUSIVE MODE")

    def known() -> dict[tuple[str, str], int]:
        rows = conn.execute(
            sa.select(summary_terms.c.id, summary_terms.c.field, summary_terms.c.value)
        )
        return {(row.field, row.value): int(row.id) for row in rows}

    found = known()
    new = sorted(terms - set(found))
    if new:
        insert = (
            postgresql_insert(summary_terms)
            if conn.dialect.name == "postgresql"
            else sqlite_insert(summary_terms)
        )
        conn.execute(insert.on_conflict_do_nothing(), [{"field": f, "value": v} for f, v in new])
        found = known()
    return found


def insert_many(
    conn: Connection, records: list[dict[str, Any]], packing: Dictionary | None = None
) -> list[int]:
    """Store the records (mappings with the arguments of `Store.save`) in this transaction,
    packed against `packing` when given; return their ids in order."""
    for record in records:
        _checked(record)
    now = utc_now()
    times = [_naive_utc(record.get("created_at")) or now for record in records]
    rows = [
        {
            "created_at": when,
            "respondent": record.get("respondent"),
            "department": record.get("department"),
            **packed(record, packing),
            "result": "",
            "kb_version": record["result"]["kb_version"],
            "tool_version": record["result"]["tool_version"],
            "program": record["result"]["program"],
            "risk_level": record["result"]["risk"]["level"],
            "red_flags": bool(record["result"]["referral"]["red_flags"]),
            "source_key": record.get("source_key"),
            "summary": None,  # the cohort reads summary_values
            "workstation": record.get("workstation"),
        }
        for record, when in zip(records, times, strict=True)
    ]
    ids = bulk_insert_numbered(conn, assessments, rows)
    person = _people(conn, {r["respondent"] for r in records if r.get("respondent")})
    bulk_insert(
        conn,
        cohort_entries,
        ("assessment_id", "person_id", "month", "department", "risk_level"),
        [
            (
                i,
                person.get(record["respondent"]) if record.get("respondent") else None,
                f"{when:%Y-%m}",
                record.get("department"),
                record["result"]["risk"]["level"],
            )
            for i, record, when in zip(ids, records, times, strict=True)
        ],
    )
    flat = [
        (i, term)
        for i, record in zip(ids, records, strict=True)
        for term in flatten_summary(summary_of(record["answers"], record["result"]))
    ]
    if flat:
        number = term_numbers(conn, {term for _, term in flat})
        bulk_insert(
            conn,
            summary_values,
            ("assessment_id", "term_id"),
            [(i, number[term]) for i, term in flat],
        )
    # Cases: only records with something to follow up, or whose person has an open case.
    named = sorted({r["respondent"] for r in records if r.get("respondent")})
    with_open_case = (
        set(
            conn.scalars(
                sa.select(cases.c.respondent).where(
                    cases.c.respondent.in_(named), cases.c.status != "closed"
                )
            )
        )
        if named
        else set()
    )
    # New people (no open case, once in this group) get their cases in one go; the others are
    # filed one by one, in order, since each may build on the case the one before left.
    filings = [
        # A survey row's person saw no report: urgent advice has reached no one yet.
        (
            i,
            {"told": record.get("source_key") is None, **record},
            opened_items(record["result"]),
            when,
        )
        for i, record, when in zip(ids, records, times, strict=True)
    ]
    seen = Counter(record.get("respondent") for record in records if record.get("respondent"))
    fresh: list[Filing] = []
    in_order: list[Filing] = []
    for filing in filings:
        who = filing[1].get("respondent")
        new_person = not who or (who not in with_open_case and seen[who] == 1)
        (fresh if new_person else in_order).append(filing)
    open_cases(conn, fresh)
    for i, filed, opened, when in in_order:
        if opened or filed.get("respondent") in with_open_case:
            attach(conn, i, filed, opened, when)
            if filed.get("respondent"):
                with_open_case.add(filed["respondent"])
    return ids
