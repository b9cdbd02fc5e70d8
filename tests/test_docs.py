"""The documentation follows the code: README size, generated settings, links, routes, commands.

Each check fails when the code moves without the docs: a new setting without a
regenerated ``docs/settings.md``, a new route missing from ``docs/api.md``, a new
command or flag missing from ``docs/cli.md``, a link to a file that is gone.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rrag.api import create_app
from rrag.cli.main import build_parser
from tests.api.conftest import api_settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_LIMIT = 8_192  # bytes: the front door is read in two minutes, reference is in docs/
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_settings_doc.py"
    spec = importlib.util.spec_from_file_location("gen_settings_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_readme_is_at_most_8_kib() -> None:
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes; move reference into docs/"


def test_settings_doc_is_what_the_generator_writes_now() -> None:
    expected = _generator().render()
    current = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert current == expected, "docs/settings.md is stale: run scripts/gen_settings_doc.py"


def _anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def _resolves(doc: Path, target: str) -> bool:
    if re.match(r"[a-z]+:", target):
        return True  # an absolute URL: not checked offline
    path, _, anchor = target.partition("#")
    linked = doc.parent / path if path else doc
    if not linked.exists():
        return False
    return not anchor or linked.suffix != ".md" or anchor in _anchors(linked)


@pytest.mark.parametrize("doc", _markdown_files(), ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    links = LINK.findall(doc.read_text(encoding="utf-8"))
    broken = [target for target in links if not _resolves(doc, target)]
    assert not broken, f"{doc.name} links to missing files or headings: {broken}"


def _routes(tmp_path: Path) -> set[str]:
    app = create_app(api_settings(tmp_path / "data"))
    found = set()
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {job_id:str} -> {job_id}
        for method in getattr(route, "methods", ()):
            if method not in {"OPTIONS", "HEAD"}:
                found.add(f"{method} {path}")
    return found


def test_every_route_is_in_the_api_doc(tmp_path: Path) -> None:
    routes = _routes(tmp_path)
    assert "POST /v1/search" in routes  # the listing itself works
    doc = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = sorted(route for route in routes if f"`{route}" not in doc)
    assert not missing, f"docs/api.md does not document {missing}"


def _commands(
    parser: argparse.ArgumentParser, prefix: str = "rrag"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _commands(sub, f"{prefix} {name}")


def test_every_command_and_flag_is_in_the_cli_doc() -> None:
    doc = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = dict(_commands(build_parser()))
    assert "rrag ops backup" in commands  # nested commands are listed too
    missing = [name for name in commands if f"## `{name}`" not in doc]
    for name, parser in commands.items():
        section = doc.split(f"## `{name}`", 1)[-1].split("\n## ", 1)[0]
        flags = {opt for a in parser._actions for opt in a.option_strings if opt.startswith("--")}
        missing += [f"{name} {flag}" for flag in sorted(flags - {"--help"}) if flag not in section]
    assert not missing, f"docs/cli.md does not document {missing}"
