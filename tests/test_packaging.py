"""Packaging facts: environment.yml matches pyproject, the public surface is honest."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _yaml_pip_requirements() -> set[str]:
    """The requirement lines of environment.yml's ``pip:`` section (minus ``-e .``)."""
    lines = (ROOT / "environment.yml").read_text().splitlines()
    section = lines[lines.index("  - pip:") + 1 :]
    items = [line.strip()[2:] for line in section if line.strip().startswith("- ")]
    return {item for item in items if item != "-e ."}


def test_environment_yml_lists_the_same_dependencies_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    assert _yaml_pip_requirements() == declared


@pytest.mark.parametrize("name", ["rrag.store", "rrag.sync", "rrag.cli"])
def test_all_is_honest(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"


def test_python_m_rrag_cli_works_like_the_console_script() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("rrag ")
