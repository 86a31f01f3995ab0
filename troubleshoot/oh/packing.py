"""Which dictionary a store packs its rows against: the reference results of the knowledge base
the results are made with (troubleshoot.assess.reference), made and kept in the database the
first time it meets that knowledge base and tool version."""

from __future__ import annotations

from troubleshoot.assess.reference import dictionary_key, reference_dictionary
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store


def pack_with(store: Store, kb: KnowledgeBase) -> Store:
    store.pack_against(dictionary_key(kb), lambda: reference_dictionary(kb))
    return store
