"""The built wheel carries the knowledge base and templates and works outside the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is needed to build and install")
def test_installed_wheel_runs_an_assessment(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TROUBLESHOOT_", "VIRTUAL_ENV", "UV_PROJECT"))
    }
    env["TROUBLESHOOT_DB"] = f"sqlite:///{tmp_path / 'store.db'}"
    dist = tmp_path / "dist"
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        env=env,
    )
    wheel = next(dist.glob("troubleshoot-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run(
        ["uv", "venv", "--python", "3.11", str(venv)], check=True, capture_output=True, env=env
    )
    python = venv / "bin" / "python"
    subprocess.run(
        ["uv", "pip", "install", "--python", str(python), str(wheel)],
        check=True,
        capture_output=True,
        env=env,
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "red_flags: []\nwarning_signs: []\nsymptoms: [eye_strain]\nscreen_glare: yes\n"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = subprocess.run(
        [str(venv / "bin" / "troubleshoot"), "assess", "-a", str(answers), "-f", "json"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["findings"][0]["causes"][0]["id"] == "screen_glare"
    html = subprocess.run(
        [str(python), "-m", "troubleshoot", "assess", "-a", str(answers), "-f", "html"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert html.returncode == 0, html.stderr
    assert "<svg" in html.stdout
    check = subprocess.run(
        [str(venv / "bin" / "troubleshoot"), "rules", "check"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    located = subprocess.run(
        [str(python), "-c", "import troubleshoot.kb.loader as k; print(k.default_rules_dir())"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert "site-packages/troubleshoot/_data/rules" in located
