"""Filing a new assessment into its person's case: the open case for the same workstation
(what it no longer shows resolved, what is new added) or a new case. A batch's group of new
people gets its cases in one statement per table (see `open_cases`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from troubleshoot.store.bulk import bulk_insert, bulk_insert_numbered, copies
from troubleshoot.store.cases import SINGLE, STAFF_KINDS, add_item, trail
from troubleshoot.store.schema import ACTIVE_ITEM, audit, case_trail, cases, followups


def _key(kind: str, item: str) -> tuple[str, str]:
    return (kind, "") if kind in SINGLE else (kind, item)


def attach(
    conn: Connection,
    assessment_id: int,
    record: dict[str, Any],
    opened: list[tuple[str, str]],
    now: datetime,
) -> None:
    """File a new assessment's items: into the person's open case for the same workstation
    (resolving what it no longer shows), or a new case. `record["told"]` False: the person saw
    no report (a survey row), so urgent advice has reached no one yet."""
    respondent, workstation = record.get("respondent"), record.get("workstation")
    told = record.get("told", True)
    found = None
    if respondent:
        same_place = (
            cases.c.workstation.is_(None)
            if workstation is None
            else cases.c.workstation == workstation
        )
        found = conn.execute(
            sa.select(cases)
            .where(cases.c.respondent == respondent, same_place, cases.c.status != "closed")
            .order_by(cases.c.id.desc())
            .limit(1)
        ).first()
    if found is None and not opened:
        return
    if found is None:
        open_cases(conn, [(assessment_id, record, opened, now)])
        return
    urgent_new = any(kind == "urgent" for kind, _ in opened)
    case_id = int(found.id)
    active = conn.execute(
        sa.select(followups).where(
            followups.c.case_id == case_id, followups.c.status.in_(ACTIVE_ITEM)
        )
    ).all()
    shown = {_key(kind, item) for kind, item in opened}
    resolved = [
        row
        for row in active
        if row.kind not in STAFF_KINDS and _key(row.kind, row.item) not in shown
    ]
    for row in resolved:
        conn.execute(
            followups.update()
            .where(followups.c.id == row.id)
            .values(status="resolved", closed_at=now, resolved_by=assessment_id)
        )
        conn.execute(
            audit.insert().values(
                followup_id=row.id,
                at=now,
                action="resolved",
                note=f"not shown by assessment {assessment_id}",
                actor="troubleshoot",
            )
        )
    kept = {_key(row.kind, row.item) for row in active}
    added = [
        add_item(conn, case_id, assessment_id, kind, item, now)
        for kind, item in opened
        if _key(kind, item) not in kept
    ]
    conn.execute(
        cases.update()
        .where(cases.c.id == case_id)
        .values(assessment_id=assessment_id, told=told or (not urgent_new and found.told))
    )
    trail(
        conn,
        case_id,
        now,
        "reassessed",
        f"assessment {assessment_id}: {len(resolved)} item(s) resolved, {len(added)} new",
        "troubleshoot",
    )


Filing = tuple[int, dict[str, Any], list[tuple[str, str]], datetime]


def open_cases(conn: Connection, filings: list[Filing]) -> None:
    """A new case for each (assessment id, record, items, time), none of them for a person
    with an open case: one statement per table for them all (a batch's group of new people).
    A case's id is its first item's id, so an item id names its case."""
    filings = [filing for filing in filings if filing[2]]
    if not filings:
        return
    made = bulk_insert_numbered(
        conn,
        followups,
        [
            {
                "assessment_id": assessment_id,
                "kind": kind,
                "item": item[:200],
                "status": "open",
                "opened_at": now,
                "case_id": None,
            }
            for assessment_id, _, opened, now in filings
            for kind, item in opened
        ],
    )
    ids = iter(made)
    per_case = [[next(ids) for _ in opened] for _, _, opened, _ in filings]
    bulk_insert(
        conn,
        audit,
        ("followup_id", "at", "action", "note", "actor"),
        [
            (i, now, "opened", "", "troubleshoot")
            for item_ids, (_, _, _, now) in zip(per_case, filings, strict=True)
            for i in item_ids
        ],
    )
    bulk_insert(
        conn,
        cases,
        ("id", "respondent", "workstation", "assessment_id", "status", "opened_at", "told"),
        [
            (
                item_ids[0],
                record.get("respondent"),
                record.get("workstation"),
                assessment_id,
                "new",
                now,
                # A survey row's person saw no report: urgent advice has reached no one yet.
                record.get("told", True) or not any(k == "urgent" for k, _ in opened),
            )
            for item_ids, (assessment_id, record, opened, now) in zip(
                per_case, filings, strict=True
            )
        ],
    )
    _link_items(conn, [(i, item_ids[0]) for item_ids in per_case for i in item_ids])
    bulk_insert(
        conn,
        case_trail,
        ("case_id", "at", "action", "note", "actor"),
        [
            (item_ids[0], now, "opened", f"by assessment {assessment_id}", "troubleshoot")
            for item_ids, (assessment_id, _, _, now) in zip(per_case, filings, strict=True)
        ],
    )


def _link_items(conn: Connection, links: list[tuple[int, int]]) -> None:
    """Set each new item's case (item id, case id): on PostgreSQL in one statement (an
    executemany there is one UPDATE per item)."""
    if copies(conn):
        conn.execute(
            sa.text(
                "UPDATE followups SET case_id = link.case_id"
                " FROM unnest(CAST(:items AS integer[]), CAST(:cases AS integer[]))"
                " AS link(item_id, case_id)"
                " WHERE followups.id = link.item_id AND followups.case_id IS NULL"
            ),
            {"items": [item for item, _ in links], "cases": [case for _, case in links]},
        )
        return
    conn.execute(
        followups.update()
        .where(followups.c.id == sa.bindparam("item_id"), followups.c.case_id.is_(None))
        .values(case_id=sa.bindparam("new_case")),
        [{"item_id": item, "new_case": case} for item, case in links],
    )
