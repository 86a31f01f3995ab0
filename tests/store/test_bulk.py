"""Many rows in one go (COPY on PostgreSQL): values arrive exactly as given, and a refused
row refuses the whole group with one clear error (the store's Guard), on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from troubleshoot.assess import assess
from troubleshoot.errors import RecordRefusedError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store
from troubleshoot.store.bulk import bulk_insert, bulk_insert_numbered, copies
from troubleshoot.store.connection import Guard
from troubleshoot.store.schema import assessments, cohort_entries, summary_values

AWKWARD = ["R&D \\ Süd", "N", "\\N", 'tab-free, comma, "quote"', "日本語", "NULL"]


def _stored(database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]) -> Store:
    store = Store.open(database_url)
    result = assess(kb, clear_screen).to_dict()
    store.bulk_save(
        {"answers": clear_screen, "result": result, "department": department}
        for department in [*AWKWARD, None]
    )
    return store


def test_values_arrive_exactly_as_given(
    database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = _stored(database_url, kb, clear_screen)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(cohort_entries.c.department, cohort_entries.c.person_id).order_by(
                cohort_entries.c.assessment_id
            )
        ).all()
    assert [row.department for row in rows] == [*AWKWARD, None]
    assert all(row.person_id is None for row in rows)
    store.close()


def test_a_refused_row_refuses_the_group_and_keeps_nothing_of_it(
    database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = _stored(database_url, kb, clear_screen)
    entries = cohort_entries.c
    with store.engine.begin() as conn:
        ids = list(conn.scalars(sa.select(entries.assessment_id).order_by(entries.assessment_id)))
        conn.execute(cohort_entries.delete().where(entries.assessment_id == ids[-1]))
    columns = ("assessment_id", "person_id", "month", "department", "risk_level")
    fresh = (ids[-1], None, "2026-01", None, "low")
    taken = (ids[0], None, "2026-01", None, "low")
    with (
        pytest.raises(RecordRefusedError, match=r"^the database refused the record: "),
        Guard(store.engine.begin) as conn,
    ):
        bulk_insert(conn, cohort_entries, columns, [fresh, taken])
    with store.engine.connect() as conn:
        kept = list(conn.scalars(sa.select(entries.assessment_id).order_by(entries.assessment_id)))
    assert kept == ids[:-1]
    store.close()


def test_no_rows_is_no_statement(database_url: str) -> None:
    store = Store.open(database_url)
    with store.engine.begin() as conn:
        bulk_insert(conn, summary_values, ("assessment_id", "term_id"), [])
        assert conn.scalar(sa.select(sa.func.count()).select_from(summary_values)) == 0
    store.close()


def test_numbered_rows_get_new_ids_in_their_order(
    database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = _stored(database_url, kb, clear_screen)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(assessments).limit(1)).one()._asdict()
    base = {name: value for name, value in row.items() if name != "id"}
    with Guard(store.engine.begin) as conn:
        ids = bulk_insert_numbered(
            conn, assessments, [{**base, "department": f"team {n}"} for n in range(5)]
        )
        assert bulk_insert_numbered(conn, assessments, []) == []
    assert ids == sorted(ids) and ids[0] > row["id"] and len(set(ids)) == 5
    with store.engine.connect() as conn:
        kept = conn.execute(
            sa.select(assessments.c.id, assessments.c.department).where(assessments.c.id.in_(ids))
        ).all()
    assert sorted(kept) == [(i, f"team {n}") for n, i in enumerate(ids)]
    # The next ordinary insert takes a fresh id too (the sequence moved on).
    assert store.save(clear_screen, assess(kb, clear_screen).to_dict()) > ids[-1]
    store.close()


def test_a_time_given_with_its_zone_is_kept_as_utc(
    database_url: str, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    store = Store.open(database_url)
    two_hours_east = timezone(timedelta(hours=2))
    saved = store.save(
        clear_screen,
        assess(kb, clear_screen).to_dict(),
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=two_hours_east),
    )
    with store.engine.connect() as conn:
        kept = conn.scalar(sa.select(assessments.c.created_at).where(assessments.c.id == saved))
    assert kept == datetime(2026, 1, 2, 1, 4, 5)
    store.close()


@pytest.mark.parametrize(
    ("name", "driver", "by_copy"),
    [
        ("postgresql", "psycopg", True),
        ("postgresql", "psycopg2", False),  # no COPY API there: ordinary inserts
        ("postgresql", "pg8000", False),
        ("sqlite", "pysqlite", False),
    ],
)
def test_only_psycopg_3_copies(name: str, driver: str, by_copy: bool) -> None:
    conn = SimpleNamespace(dialect=SimpleNamespace(name=name, driver=driver))
    assert copies(conn) is by_copy  # type: ignore[arg-type]
