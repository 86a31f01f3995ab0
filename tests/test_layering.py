"""The package's layers: data flows downward, and the tree says so.

Each sub-package's docstring says what it may import ("May import: `troubleshoot.x`, ...");
this test parses every module's imports (ast, including imports inside functions) and fails on
any import the importing layer's docstring does not allow, on an import circle between layers,
on durable_rules imported anywhere but the engine adapter, and on a module reaching into
another sub-package's private names. `cli` may import everything; nothing imports `cli`.
"""

from __future__ import annotations

import ast
import importlib
import re

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "troubleshoot"
FOUNDATION = {
    "troubleshoot",
    "troubleshoot.errors",
    "troubleshoot.files",
    "troubleshoot.text",
    "troubleshoot.conditions",
}
TOP = "troubleshoot.cli"
ENGINE_ADAPTER = "troubleshoot.engine.adapter"


def layer_of(module: str) -> str:
    """The layer a module belongs to: a foundation module, or its sub-package."""
    if module in FOUNDATION:
        return module
    if module == "troubleshoot.__main__":
        return TOP
    parts = module.split(".")
    return ".".join(parts[:2])


def allowed_imports() -> dict[str, set[str]]:
    """Each sub-package's "May import:" list, read from its docstring."""
    allowed: dict[str, set[str]] = {
        "troubleshoot": set(),
        "troubleshoot.errors": set(),
        "troubleshoot.files": {"troubleshoot.errors"},
        "troubleshoot.text": set(),
        "troubleshoot.conditions": set(),
    }
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        layer = f"troubleshoot.{init.parent.name}"
        _, found, rule = doc.partition("May import:")
        assert found, f"{init}: the docstring must say what the package may import"
        if "every layer of the package" in rule:
            allowed[layer] = {"*"}
        else:
            allowed[layer] = set(re.findall(r"`(troubleshoot(?:\.\w+)?)`", rule))
    return allowed


def imports_of(tree: ast.AST, module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import in a module."""
    found = []
    package = module if module.endswith("__init__") else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [alias.name for alias in node.names]
            found.append((base, names, node.lineno))
            # `from troubleshoot.oh import batch` imports the module troubleshoot.oh.batch
            found += [
                (f"{base}.{name}", [], node.lineno)
                for name in names
                if _is_module(f"{base}.{name}")
            ]
    return found


def _is_module(dotted: str) -> bool:
    if not dotted.startswith("troubleshoot."):
        return False
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layering_problems(sources: dict[str, str]) -> list[str]:
    """Every import that breaks the layering, as "module:line: reason"."""
    allowed = allowed_imports()
    problems = []
    for module, source in sorted(sources.items()):
        own = layer_of(module)
        tree = ast.parse(source)
        for target, names, line in imports_of(tree, module):
            where = f"{module}:{line}"
            if target.split(".")[0] == "durable" or target == "durable_rules_engine":
                if module != ENGINE_ADAPTER:
                    problems.append(f"{where}: only {ENGINE_ADAPTER} may import durable_rules")
                continue
            if target != "troubleshoot" and not target.startswith("troubleshoot."):
                continue
            layer = layer_of(target)
            if layer in (own, "troubleshoot"):  # the root holds only __version__
                continue
            rule = allowed.get(own, set())
            if "*" not in rule and layer not in rule and target not in rule:
                problems.append(f"{where}: {own} may not import {target}")
            private = [name for name in names if name.startswith("_")]
            if private and layer not in FOUNDATION:
                problems.append(f"{where}: reaches into private names {private} of {layer}")
    return problems


def package_sources() -> dict[str, str]:
    sources = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        sources[".".join(parts)] = path.read_text(encoding="utf-8")
    return sources


def test_the_package_keeps_to_its_layers() -> None:
    assert layering_problems(package_sources()) == []


def test_the_layers_have_no_circle() -> None:
    allowed = allowed_imports()
    order: list[str] = []
    pending = {
        layer: set(allowed) - {layer} if "*" in deps else deps for layer, deps in allowed.items()
    }
    while pending:
        ready = sorted(layer for layer, deps in pending.items() if deps <= set(order))
        assert ready, f"the layers import each other in a circle: {sorted(pending)}"
        order += ready
        for layer in ready:
            del pending[layer]
    assert order[-1] == TOP  # everything else comes before the command line


def test_every_sub_package_says_what_it_owns_and_exports_it() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        module = importlib.import_module(f"troubleshoot.{init.parent.name}")
        assert module.__doc__ and "May import:" in module.__doc__, init
        exported = getattr(module, "__all__", None)
        assert exported, f"{init}: re-export the public names in __all__"
        assert all(hasattr(module, name) for name in exported), init
        assert not [name for name in exported if name.startswith("_")], init


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("troubleshoot.kb.fake", "from troubleshoot.engine import Engine", "may not import"),
        ("troubleshoot.store.fake", "from troubleshoot.report import render", "may not import"),
        ("troubleshoot.oh.fake", "import troubleshoot.cli.common", "may not import"),
        ("troubleshoot.rosa.fake", "def f():\n    from troubleshoot.kb import loader\n", "may not"),
        ("troubleshoot.engine.fake", "from troubleshoot.assess import assess", "may not import"),
        ("troubleshoot.errors", "from troubleshoot.kb import KnowledgeBase", "may not import"),
        ("troubleshoot.kb.fake", "import durable.engine", "only troubleshoot.engine.adapter"),
        (
            "troubleshoot.assess.fake",
            "from troubleshoot.engine.adapter import _MEMO_SIZE",
            "private",
        ),
    ],
    ids=["kb>engine", "store>report", "oh>cli", "lazy", "engine>assess", "errors", "durable", "_"],
)
def test_an_upward_import_is_caught(module: str, source: str, expected: str) -> None:
    problems = layering_problems({module: source})
    assert problems and expected in problems[0], problems


def test_downward_and_sideways_imports_within_a_layer_are_fine() -> None:
    sources = {
        "troubleshoot.assess.fake": "from troubleshoot.kb import KnowledgeBase\n"
        "from troubleshoot.assess.result import Result\n"
        "from troubleshoot.errors import OptionError",
        "troubleshoot.cli.fake": "from troubleshoot.oh import batch\n"
        "from troubleshoot.cli import app",
    }
    assert layering_problems(sources) == []
