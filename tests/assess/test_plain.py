"""The compiled converters give exactly what the generic walk gives: same keys in the same
order, lists for tuples, dicts for dataclasses, however a field is typed."""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import ROOT
from troubleshoot.assess import assess
from troubleshoot.assess.plain import converter, plain
from troubleshoot.assess.result import Result
from troubleshoot.kb import KnowledgeBase

sys.path.insert(0, str(ROOT / "benchmarks"))
from run import follow_ups, realistic


def _varied(kb: KnowledgeBase, rnd: random.Random) -> dict[str, Any]:
    """0-11 symptoms, workstation answers, "not sure" now and then, a warning sign at times."""
    answers: dict[str, Any] = {sign.id: "no" for sign in kb.signs}
    if rnd.random() < 0.25:
        answers[rnd.choice(kb.signs).id] = rnd.choice(["yes", "not_sure"])
    symptoms = rnd.sample([s.id for s in kb.symptoms], rnd.randint(0, len(kb.symptoms)))
    answers["symptoms"] = symptoms or ["none"]
    return follow_ups(answers, rnd, workstation=rnd.random() < 0.5, unsure=0.08, lowest=2)


def _same(left: Any, right: Any) -> bool:
    return left == right and json.dumps(left) == json.dumps(right)


def test_a_result_converts_as_the_generic_walk_does(kb: KnowledgeBase) -> None:
    rnd = random.Random(11)
    programs = set()
    for _ in range(80):
        result = assess(kb, _varied(kb, rnd))
        data = result.to_dict()
        assert _same(data, plain(result))
        assert type(data["findings"]) is list and type(data["regions"]) is list
        programs.add(result.program)
    assert {"open", "referral"} <= programs


def test_a_result_to_dict_is_new_data_each_time(kb: KnowledgeBase) -> None:
    result = assess(kb, realistic(random.Random(3)))
    first = result.to_dict()
    first["answers"]["changed"] = True
    first["referral"]["message"] = "changed"
    assert result.to_dict() != first and "changed" not in result.answers


@dataclass(frozen=True)
class Leaf:
    name: str
    score: int | float | None = None


@dataclass(frozen=True)
class Tree:
    leaf: Leaf | None
    leaves: tuple[Leaf, ...]
    words: tuple[str, ...]
    extra: dict[str, Any]
    anything: Any = None
    mixed: tuple[Leaf | str, ...] = ()
    children: tuple[Tree, ...] = field(default=())


def test_nested_optional_and_untyped_fields_convert_as_the_generic_walk_does() -> None:
    leaf = Leaf("a", 1.5)
    tree = Tree(
        None,
        (leaf, Leaf("b")),
        ("x", "y"),
        {"leaf": leaf, "list": (1, (2, leaf))},
        anything=(leaf,),
        mixed=(leaf, "c"),
        children=(Tree(leaf, (), (), {}),),
    )
    data = converter(Tree)(tree)
    assert _same(data, plain(tree))
    assert data["children"][0]["leaf"] == {"name": "a", "score": 1.5}
    assert data["extra"]["list"] == [1, [2, {"name": "a", "score": 1.5}]]


def test_a_type_that_is_not_a_dataclass_takes_the_generic_walk() -> None:
    assert converter(dict)({"a": (Leaf("z"),)}) == {"a": [{"name": "z", "score": None}]}


def test_the_result_converter_is_made_once() -> None:
    assert converter(Result) is converter(Result)
