"""Load the knowledge base from rules/*.yaml: schema check, cross-reference check, frozen types.

Every problem names the file, the line and the item. All problems are collected and reported
together, so one `troubleshoot rules check` run shows everything to fix.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from troubleshoot.errors import KnowledgeBaseError
from troubleshoot.files import PACKAGE_DIR, bundled
from troubleshoot.kb.build import KnowledgeBuilder
from troubleshoot.kb.model import KnowledgeBase


def default_rules_dir() -> Path:
    """TROUBLESHOOT_RULES, else the copy inside an installed wheel, else the source tree."""
    if env := os.environ.get("TROUBLESHOOT_RULES"):
        return Path(env)
    return bundled("rules", "rules")


def load_knowledge_base(rules_dir: Path | None = None) -> KnowledgeBase:
    return _load_cached(Path(rules_dir or default_rules_dir()).resolve())


# The modules whose code decides what a loaded knowledge base looks like: a change to any of
# them, or to the rules, makes a new cache key.
_LOADER_FILES = (
    "kb/__init__.py",
    "kb/loader.py",
    "kb/build.py",
    "kb/items.py",
    "kb/crosscheck.py",
    "kb/model.py",
    "kb/provenance.py",
    "kb/safety.py",
    "kb/schema.json",
    "conditions.py",
    "rosa/__init__.py",
    "rosa/model.py",
    "rosa/load.py",
    "__init__.py",
)


def _cache_key(rules_dir: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        for path in sorted(rules_dir.glob("*.yaml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for name in _LOADER_FILES:
            digest.update((PACKAGE_DIR / name).read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _cache_path(key: str) -> Path | None:
    if os.environ.get("TROUBLESHOOT_KB_CACHE", "on") == "off":
        return None
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("troubleshoot")) / f"kb-{key}.pickle"


@lru_cache(maxsize=8)
def _load_cached(rules_dir: Path) -> KnowledgeBase:
    """Validated knowledge bases are kept in the user cache folder, so start-up does not parse
    and validate the YAML again; the key covers the rules and the loading code."""
    import pickle

    key = _cache_key(rules_dir)
    cache = _cache_path(key) if key else None
    if cache is not None and cache.exists():
        try:
            with cache.open("rb") as handle:
                cached = pickle.load(handle)
            if isinstance(cached, KnowledgeBase):
                return cached
        except Exception:  # a stale or damaged cache is simply rebuilt
            pass
    kb = _Loader(rules_dir).load()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                pickle.dump(kb, handle, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cache)
        except OSError:
            pass  # caching is an optimisation only
    return kb


def _id_lines(node: yaml.Node, found: dict[tuple[str, ...], int], path: tuple[str, ...]) -> None:
    """Record the line of every mapping that has an `id`, keyed by the ids leading to it."""
    if isinstance(node, yaml.MappingNode):
        here = path
        for key, value in node.value:
            if key.value == "id" and isinstance(value, yaml.ScalarNode):
                here = (*path, value.value)
                found.setdefault(here, key.start_mark.line + 1)
        for key, value in node.value:
            _id_lines(value, found, here if here != path else (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _id_lines(item, found, path)


@dataclass
class _Where:
    """Where an item lives, for error messages: file, line, and the chain of ids."""

    file: str
    line: int
    item: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.item}"


class _Loader(KnowledgeBuilder):
    def __init__(self, rules_dir: Path) -> None:
        self.dir = rules_dir
        self.problems: list[str] = []
        self.section_file: dict[str, str] = {}
        self.lines: dict[str, dict[tuple[str, ...], int]] = {}

    # -- reading --------------------------------------------------------------------------------
    def load(self) -> KnowledgeBase:
        files = sorted(self.dir.glob("*.yaml")) if self.dir.is_dir() else []
        if not files:
            raise KnowledgeBaseError([f"{self.dir}: no knowledge-base files (*.yaml) found"])
        merged: dict[str, Any] = {}
        digest = hashlib.sha256()
        for path in files:
            text = self._read(path)
            digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
            self._merge(path, text, merged)
        self._raise_if_problems()
        self._check_schema(merged)
        self._raise_if_problems()
        kb = self._build(merged, digest.hexdigest()[:12])
        self._raise_if_problems()
        return kb

    def _read(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise KnowledgeBaseError([f"{self._rel(path)}: cannot read file: {error}"]) from error

    def _rel(self, path: Path) -> str:
        return f"{self.dir.name}/{path.name}"

    def _merge(self, path: Path, text: str, merged: dict[str, Any]) -> None:
        name = self._rel(path)
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when present
            data = yaml.load(text, Loader=loader)
            node = yaml.compose(text, Loader=loader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            self.problems.append(f"{name}{line}: invalid YAML: {problem}")
            return
        if data is None:
            return
        if not isinstance(data, dict):
            self.problems.append(f"{name}:1: the file must be a mapping of sections")
            return
        found: dict[tuple[str, ...], int] = {}
        if node is not None:
            _id_lines(node, found, ())
        self.lines[name] = found
        for key, value in data.items():
            if str(key).startswith("_"):  # anchors shared inside one file
                continue
            if key in merged:
                first = self.section_file[key]
                self.problems.append(f"{name}: section '{key}' is already defined in {first}")
                continue
            merged[key] = value
            self.section_file[key] = name

    def _where(self, section: str, *ids: str) -> _Where:
        file = self.section_file.get(section, f"{self.dir.name}/?")
        found = self.lines.get(file, {})
        line = 1
        for depth in range(len(ids), 0, -1):
            key = (section, *ids[:depth]) if not ids[0].startswith(section) else ids[:depth]
            for candidate in (key, ids[:depth]):
                if candidate in found:
                    line = found[candidate]
                    break
            else:
                continue
            break
        item = section + "".join(f" '{i}'" if n == 0 else f" > '{i}'" for n, i in enumerate(ids))
        return _Where(file, line, item)

    def _raise_if_problems(self) -> None:
        if self.problems:
            raise KnowledgeBaseError(self.problems)

    # -- schema -----------------------------------------------------------------------------------
    def _check_schema(self, merged: dict[str, Any]) -> None:
        import jsonschema

        schema = json.loads((PACKAGE_DIR / "kb" / "schema.json").read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.path))):
            path = list(error.absolute_path)
            if not path:  # a missing top-level section
                self.problems.append(f"{self.dir.name}/: {error.message}")
                continue
            section = str(path[0])
            ids: list[str] = []
            node: Any = merged
            for step in path:
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    ids.append(node["id"])
                elif isinstance(step, int):
                    ids.append(f"#{step + 1}")
            field = next((str(p) for p in reversed(path) if isinstance(p, str)), section)
            where = self._where(section, *ids) if ids else self._where(section)
            self.problems.append(f"{where}: {field}: {error.message}")

    # -- building and cross-checking -----------------------------------------------------------
