"""Everything stored about one person, for their request to see it: their assessments (as
`Store.find` gives them), their follow-ups and trails (as `Store.followups` gives them), and the
figures kept of each assessment for group reports, read here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from troubleshoot.store.schema import cohort_entries, summary_terms, summary_values


class PersonalData:
    """Mixed into the Store, which provides `_connect`."""

    if TYPE_CHECKING:

        def _connect(self) -> Any: ...

    def group_figures(self, assessment_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Per assessment: the month, department and risk level the cohort report counts, and
        the flattened values it tallies (field -> sorted values)."""
        found: dict[int, dict[str, Any]] = {}
        if not assessment_ids:
            return found
        with self._connect() as conn:
            for row in conn.execute(
                sa.select(cohort_entries).where(cohort_entries.c.assessment_id.in_(assessment_ids))
            ):
                found[row.assessment_id] = {
                    "month": row.month,
                    "department": row.department,
                    "risk_level": row.risk_level,
                    "values": {},
                }
            t = summary_terms.c
            values = (
                sa.select(summary_values.c.assessment_id, t.field, t.value)
                .join(summary_terms, t.id == summary_values.c.term_id)
                .where(summary_values.c.assessment_id.in_(assessment_ids))
            )
            for row in conn.execute(values.order_by(t.field, t.value)):
                entry = found.setdefault(row.assessment_id, {"values": {}})
                entry["values"].setdefault(row.field, []).append(row.value)
        return found
