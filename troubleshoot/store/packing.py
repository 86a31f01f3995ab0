"""Stored answers and results, packed.

Since schema 9 both are zstd frames compressed against a dictionary (`Dictionary`): reference
results the tool made from made-up answers (troubleshoot.assess.reference), kept in the
database's `packing_dictionaries` table and named by each row's `packed_with`. A realistic
result shares most of its words and structure with them, so it packs to about 1 KB instead of
about 12 KB with zlib alone, and reads back byte for byte as it was made (`show` renders
exactly what was concluded at the time). Rows stored before schema 9 keep a zlib frame (schema
8) or JSON text, and are read as they are until `troubleshoot pack` packs them.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import orjson
import zstandard

from troubleshoot.errors import StoreError

ZLIB_LEVEL = 6  # the schema-8 form, kept for rows without a dictionary
# zstd level 8 with the dictionary: ~1.3 KB a result in ~0.4 ms (level 9: the same size in
# 0.7 ms; level 11: 30% smaller in 1.3 ms), which a batch row cannot spare.
LEVEL = 8


def _json(value: Any, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON, read back as the value it was made from. orjson is ~6x faster than
    `json.dumps` (a stored batch row spent ~0.4 ms on it) and writes the same text but for
    some floats' spelling (3e-7 for 3e-07); what it refuses (keys that are not strings,
    integers beyond 64 bits) takes the standard encoder. Answers are never NaN or infinite
    (answers.py), which orjson would write as null."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(
            value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys
        ).encode()


def loaded(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:
        raise StoreError(f"a stored value cannot be read ({error})") from error


class Dictionary:
    """One dictionary of the database: its id, and the compressor and decompressor made from
    it (worked out once per process: a 1 MB dictionary takes a few milliseconds to prepare)."""

    def __init__(self, dictionary_id: int, data: bytes) -> None:
        self.id = dictionary_id
        self._data = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        self._compressor: zstandard.ZstdCompressor | None = None
        self._decompressor: zstandard.ZstdDecompressor | None = None

    def pack(self, value: Any, sort_keys: bool = False) -> bytes:
        if self._compressor is None:
            self._compressor = zstandard.ZstdCompressor(
                level=LEVEL,
                dict_data=self._data,
                write_checksum=True,  # damage is found, not read
            )
        return self._compressor.compress(_json(value, sort_keys))

    def unpack(self, data: bytes) -> Any:
        if self._decompressor is None:
            self._decompressor = zstandard.ZstdDecompressor(dict_data=self._data)
        try:
            return loaded(self._decompressor.decompress(bytes(data)))
        except zstandard.ZstdError as error:
            raise StoreError(f"a stored value cannot be read ({error})") from error


def stored_dictionary(data: bytes) -> bytes:
    """A dictionary as the database keeps it (zlib: ~1.2 MB of reference results -> ~220 KB)."""
    return zlib.compress(data, 9)


def dictionary_from_store(dictionary_id: int, kept: bytes) -> Dictionary:
    try:
        return Dictionary(dictionary_id, zlib.decompress(bytes(kept)))
    except zlib.error as error:
        raise StoreError(f"packing dictionary {dictionary_id} cannot be read ({error})") from error


def pack(result: dict[str, Any]) -> bytes:
    """The schema-8 form: the result's compact JSON, compressed with zlib."""
    return zlib.compress(_json(result), ZLIB_LEVEL)


def unpack(data: bytes) -> dict[str, Any]:
    """A schema-8 result (zlib)."""
    try:
        value = loaded(zlib.decompress(bytes(data)))
    except zlib.error as error:
        raise StoreError(f"a stored result cannot be read ({error})") from error
    if not isinstance(value, dict):
        raise StoreError("a stored result cannot be read (not an object)")
    return value
