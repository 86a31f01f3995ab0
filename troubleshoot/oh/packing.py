"""Which dictionary a store packs its rows against: the reference results of the knowledge base
the results are made with (troubleshoot.assess.reference), made and kept in the database the
first time it meets that knowledge base and tool version."""

from __future__ import annotations

from collections.abc import Callable

from troubleshoot.assess.reference import dictionary_key, reference_dictionary
from troubleshoot.errors import StoreError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store


def pack_with(
    store: Store,
    kb: KnowledgeBase,
    *,
    required: bool = False,
    on_fallback: Callable[[str], None] | None = None,
) -> Store:
    """Pack what `store` writes against `kb`'s dictionary. Storing never depends on it: where
    the dictionary cannot be made or kept (an unusual custom knowledge base, a read-only
    dictionary table), rows are stored in the plain form, bigger but read the same, unless
    packing is what was asked for (`required`); `on_fallback` is told why, in one line."""
    try:
        store.pack_against(dictionary_key(kb), lambda: reference_dictionary(kb))
    except Exception as error:  # any failure: an answer must be stored all the same
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        if required:
            raise StoreError(f"the packing dictionary could not be made: {reason}") from error
        if on_fallback is not None:
            on_fallback(
                "Note: results are stored unpacked (several times bigger, read the same): the "
                f"packing dictionary could not be made ({reason}); `troubleshoot pack` packs them "
                "once it can."
            )
    return store
