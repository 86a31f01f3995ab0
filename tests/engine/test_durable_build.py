"""The durable_rules build the engine runs on: the release's sources with the project's one patch
(smaller join-node indexes, vendor/README.md), which must still find every match however many
frames share a bucket."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Iterator

import durable_rules_engine as core
import pytest

SID = "probe"


def test_the_engine_is_the_vendored_build() -> None:
    # The benchmarks' figures are for this build; an upstream install is correct but slower.
    assert importlib.metadata.version("durable-rules") == "2.0.28+troubleshoot.1"


@pytest.fixture
def ruleset() -> Iterator[int]:
    rules = {
        # Joined on a field: frames spread over the buckets, far more of them than buckets.
        "same_key": {
            "all": [
                {"first": {"t": "a"}},
                {"second": {"$and": [{"t": "b"}, {"k": {"first": "k"}}]}},
            ]
        },
        # Joined on nothing: every frame in one bucket.
        "any_pair": {"all": [{"x": {"t": "c"}}, {"y": {"t": "d"}}]},
    }
    handle = core.create_ruleset("vendored_build_probe", json.dumps(rules))
    try:
        yield handle
    finally:
        core.delete_ruleset(handle)


def _matches(handle: int, facts: list[dict[str, object]]) -> list[dict[str, dict[str, object]]]:
    state = None
    for number, fact in enumerate(facts):
        code, state = core.assert_fact(handle, json.dumps({**fact, "sid": SID, "id": number}))
        assert code == 0
    found = []
    started = core.start_action_for_state(handle, state)
    message = started[1] if started else None
    while message:
        found.append(json.loads(message))
        message = core.complete_and_start_action(handle, state)
    core.delete_state(handle, SID)
    return found


def test_a_join_on_a_field_finds_each_pair_once_with_many_frames_per_bucket(ruleset: int) -> None:
    keys = [f"k{n}" for n in range(300)]  # ~10 frames a bucket on each side
    facts = [{"t": "a", "k": k} for k in keys] + [{"t": "b", "k": k} for k in reversed(keys)]
    pairs = [m["same_key"] for m in _matches(ruleset, facts)]
    assert sorted((p["first"]["k"], p["second"]["k"]) for p in pairs) == sorted(
        (k, k) for k in keys
    )


def test_a_join_on_nothing_finds_every_pair(ruleset: int) -> None:
    facts = [{"t": "c", "n": n} for n in range(40)] + [{"t": "d", "n": n} for n in range(40)]
    pairs = [(m["any_pair"]["x"]["n"], m["any_pair"]["y"]["n"]) for m in _matches(ruleset, facts)]
    assert sorted(pairs) == [(x, y) for x in range(40) for y in range(40)]  # each once
