"""Which dictionary a store packs its rows against: the reference results of the knowledge base
the results are made with (troubleshoot.assess.reference), made and kept in the database the
first time it meets that knowledge base and tool version."""

from __future__ import annotations

from troubleshoot.assess.reference import dictionary_key, reference_dictionary
from troubleshoot.errors import StoreError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store


def pack_with(store: Store, kb: KnowledgeBase, *, required: bool = False) -> Store:
    """Pack what `store` writes against `kb`'s dictionary. Storing never depends on it: where
    the dictionary cannot be made or kept (an unusual custom knowledge base, a read-only
    dictionary table), rows are stored in the plain form, bigger but read the same, unless
    packing is what was asked for (`required`)."""
    try:
        store.pack_against(dictionary_key(kb), lambda: reference_dictionary(kb))
    except Exception as error:  # any failure: an answer must be stored all the same
        if required:
            raise StoreError(f"the packing dictionary could not be made: {error}") from error
    return store
