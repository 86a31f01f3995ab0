"""The store's side of packing (see `packing`): which dictionary new rows are packed against,
the dictionaries kept in the database, reading a row in whichever form it was stored, and
packing the rows of earlier forms in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from troubleshoot.errors import RecordRefusedError, StoreError
from troubleshoot.store.packing import (
    Dictionary,
    dictionary_from_store,
    loaded,
    stored_dictionary,
    unpack,
)
from troubleshoot.store.schema import assessments, packing_dictionaries, utc_now

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PAGE = 500  # rows packed per transaction by `repack`


class Repacked(NamedTuple):
    packed: int
    unreadable: tuple[int, ...]  # ids of rows that cannot be read, left as they are


class Packing:
    """Mixed into the Store, which provides `engine`, `_connect` and `_begin`."""

    engine: Engine
    _packing: Dictionary | None
    _dictionaries: dict[int, Dictionary]

    if TYPE_CHECKING:

        def _connect(self) -> Any: ...

        def _begin(self) -> Any: ...

    def pack_against(self, key: str, make: Callable[[], bytes]) -> None:
        """Pack what this store writes from now on against the dictionary named `key`; `make`
        builds it the first time the database needs it (another process may be doing the
        same: the first one stored is the one every process uses)."""
        found = self._dictionary_named(key)
        if found is None:
            data = stored_dictionary(make())
            try:
                with self._begin() as conn:
                    conn.execute(
                        packing_dictionaries.insert().values(key=key, data=data, made_at=utc_now())
                    )
            except RecordRefusedError:
                pass  # stored by another process meanwhile
            found = self._dictionary_named(key)
            if found is None:
                raise StoreError(f"the packing dictionary {key!r} could not be stored")
        self._packing = found

    @property
    def packing(self) -> Dictionary | None:
        """The dictionary new rows are packed against (none: the schema-8 form)."""
        return self._packing

    def _dictionary_named(self, key: str) -> Dictionary | None:
        with self._connect() as conn:
            found = conn.scalar(
                sa.select(packing_dictionaries.c.id).where(packing_dictionaries.c.key == key)
            )
        return None if found is None else self._dictionary(int(found))

    def _dictionary(self, dictionary_id: int) -> Dictionary:
        cache = self._dictionaries
        if dictionary_id not in cache:
            with self._connect() as conn:
                kept = conn.scalar(
                    sa.select(packing_dictionaries.c.data).where(
                        packing_dictionaries.c.id == dictionary_id
                    )
                )
            if kept is None:
                raise StoreError(f"packing dictionary {dictionary_id} is missing")
            cache[dictionary_id] = dictionary_from_store(dictionary_id, kept)
        return cache[dictionary_id]

    def _unpacked(self, row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A row's answers and result, in whichever form it was stored; a damaged row is a
        StoreError naming it."""
        try:
            if row.packed_with is not None:
                if row.answers_z is None or row.result_z is None:
                    raise StoreError("its packed answers or result are missing")
                dictionary = self._dictionary(row.packed_with)
                answers = dictionary.unpack(row.answers_z)
                result = dictionary.unpack(row.result_z)
            else:
                answers = loaded(row.answers or "")
                result = unpack(row.result_z) if row.result_z is not None else loaded(row.result)
            if not isinstance(answers, dict) or not isinstance(result, dict):
                raise StoreError("not an object")
        except StoreError as error:
            raise StoreError(f"stored assessment {row.id} cannot be read: {error}") from error
        return answers, result

    def unpacked_count(self) -> int:
        """How many stored assessments are in an earlier, larger form."""
        with self._connect() as conn:
            query = sa.select(sa.func.count()).where(assessments.c.packed_with.is_(None))
            return int(conn.scalar(query) or 0)

    def repack(self, progress: Callable[[int], None] | None = None) -> Repacked:
        """Pack the rows of earlier forms against the current dictionary, a page at a time:
        each row is rewritten in place, in the same transaction that reads it, so nothing is
        ever deleted before its packed form is stored. A row that cannot be read is left as
        it is and named in what is returned; `progress` gets the count of rows seen."""
        dictionary = self._packing
        if dictionary is None:
            raise StoreError("no packing dictionary chosen (see Store.pack_against)")
        page = (
            sa.select(
                assessments.c.id,
                assessments.c.answers,
                assessments.c.result,
                assessments.c.result_z,
                assessments.c.answers_z,
                assessments.c.packed_with,
            )
            .where(assessments.c.packed_with.is_(None), assessments.c.id > sa.bindparam("last"))
            .order_by(assessments.c.id)
            .limit(PAGE)
        )
        seen = last = 0
        unreadable: list[int] = []
        while True:
            with self._begin() as conn:
                rows = conn.execute(page, {"last": last}).all()
                if not rows:
                    return Repacked(seen - len(unreadable), tuple(unreadable))
                changes = []
                for row in rows:
                    try:
                        answers, result = self._unpacked(row)
                    except StoreError:
                        unreadable.append(int(row.id))
                        continue
                    packed = {
                        "answers_z": dictionary.pack(answers, sort_keys=True),
                        "result_z": dictionary.pack(result),
                    }
                    # Read back before the earlier form is overwritten: never lose an answer.
                    if (
                        dictionary.unpack(packed["answers_z"]) != answers
                        or dictionary.unpack(packed["result_z"]) != result
                    ):
                        raise StoreError(f"stored assessment {row.id} did not pack faithfully")
                    changes.append(
                        {
                            "row_id": row.id,
                            "answers": "",
                            "result": "",
                            **packed,
                            "packed_with": dictionary.id,
                        }
                    )
                if changes:
                    conn.execute(
                        assessments.update()
                        .where(assessments.c.id == sa.bindparam("row_id"))
                        .values(
                            answers=sa.bindparam("answers"),
                            answers_z=sa.bindparam("answers_z"),
                            result=sa.bindparam("result"),
                            result_z=sa.bindparam("result_z"),
                            packed_with=sa.bindparam("packed_with"),
                        ),
                        changes,
                    )
            seen += len(rows)
            last = rows[-1].id
            if progress:
                progress(seen)
