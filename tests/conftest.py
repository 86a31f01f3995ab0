"""Shared fixtures: the real knowledge base, a clean red-flag screen, and a CLI runner."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from troubleshoot.assess import Result, assess
from troubleshoot.kb import KnowledgeBase, default_rules_dir, load_knowledge_base

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def clear_screen(kb: KnowledgeBase) -> dict[str, str]:
    """Every warning sign of the safety check (the red flags and the further signs) answered
    "no"."""
    return {sign.id: "no" for sign in kb.signs}


@pytest.fixture
def run(kb: KnowledgeBase, clear_screen: dict[str, str]) -> Callable[..., Result]:
    """Assess answers on top of a clear red-flag screen (pass screen=False to skip it)."""

    def _run(answers: dict[str, Any], screen: bool = True, **options: Any) -> Result:
        given = {**(clear_screen if screen else {}), **answers}
        return assess(kb, given, **options)

    return _run


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the knowledge base, for tests that break it on purpose."""
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target)
    return target


@pytest.fixture
def unusual_rules(rules_copy: Path) -> Path:
    """A valid knowledge base at the edges of what the schema allows: hours of sleep of at
    least 30 with no upper bound, and a many-answer question whose every choice is private."""
    path = rules_copy / "questions.yaml"
    text = path.read_text()
    assert text.count("    min: 0\n    max: 24\n") == 1
    text = text.replace("    min: 0\n    max: 24\n", "    min: 30\n")
    stress_signs = ("headaches", "stomachaches", "sleeplessness", "dizziness", "back_pain")
    for choice in (*stress_signs, "lack_of_energy"):
        text, count = re.subn(rf'(\{{id: {choice}, label: "[^"]*")\}}', r"\1, private: true}", text)
        assert count == 1, choice
    path.write_text(text)
    return rules_copy


@pytest.fixture(autouse=True)
def _private_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assessments saved by CLI tests go to a throw-away database, never the user's."""
    path = tmp_path_factory.mktemp("db") / "assessments.db"
    monkeypatch.setenv("TROUBLESHOOT_DB", f"sqlite:///{path}")


def _reset_postgres(url: str) -> None:
    """An empty database: everything the migrations made (tables, the view, the audit
    trigger's function) goes with the schema."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def postgres_url() -> str:
    """An empty PostgreSQL database. It needs TROUBLESHOOT_TEST_PG_URL (.ci/postgres.sh starts
    one); locally the test is skipped without it, under CI it must be there."""
    url = os.environ.get("TROUBLESHOOT_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must provide TROUBLESHOOT_TEST_PG_URL (see .ci/postgres.sh)")
        pytest.skip("no PostgreSQL server (set TROUBLESHOOT_TEST_PG_URL; see .ci/postgres.sh)")
    _reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind (PostgreSQL: see `postgres_url`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(autouse=True)
def _private_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Questionnaire drafts go to the test's folder, never the user's."""
    monkeypatch.setenv("TROUBLESHOOT_DRAFT", str(tmp_path / "draft.json"))


# Replies that walk the whole questionnaire: yes to storing, a clear safety check, neck pain
# (8/10, 1-4 weeks), the screen below the eyes, stress 1 with no mood problem, the habits.
NECK_PAIN_REPLIES = (
    ["y"]  # store it (the organisation's default setting asks)
    + ["n"] * 12
    + ["2", "8", "2", "n"]
    + ["1", "2", "n", "1", "2", "1", "1", "2", "2", "1", "1", "1"]
    + ["1", "3", "1", "1", "7", "2", ""]
)


@pytest.fixture
def neck_pain_replies() -> str:
    return "\n".join(NECK_PAIN_REPLIES) + "\n"


def migrated_to(conn: Any, version: int) -> None:
    """Bring an empty database to schema `version` only, recorded as the store records it: a
    database as an earlier release left it, for upgrade tests."""
    from datetime import datetime

    from troubleshoot.store.migrations import MIGRATIONS
    from troubleshoot.store.schema import schema_migrations

    schema_migrations.create(conn)
    for number, description, step in MIGRATIONS[:version]:
        step(conn)
        conn.execute(
            schema_migrations.insert().values(
                version=number, description=description, applied_at=datetime(2026, 1, 1)
            )
        )
