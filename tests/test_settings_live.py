"""No dead settings: every field of the settings object is read by rrag's code, and the
tuning profiles (rrag.ops.tuning) set only settings that are read.

A field ``F`` of group ``G`` counts as read where a module says ``.G.F``
(``settings.llm.extract_batch_size``), or says ``.F`` in a module that also reads ``.G``
(``config = settings.redmine`` ... ``config.max_retries``). Comments and strings do not
count: the check walks the syntax tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rrag.ops.tuning import PROFILES
from rrag.settings import _GROUPS, Settings

PACKAGE = Path(__file__).resolve().parents[1] / "rrag"


def _chains(tree: ast.AST) -> set[tuple[str, ...]]:
    """Every attribute chain's last two names (``a.b.c`` gives ``("b", "c")`` and ``("c",)``)."""
    found: set[tuple[str, ...]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            found.add((node.attr,))
            if isinstance(node.value, ast.Attribute):
                found.add((node.value.attr, node.attr))
    return found


def _modules() -> list[set[tuple[str, ...]]]:
    return [
        _chains(ast.parse(path.read_text()))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "settings.py"  # declaring a setting is not reading it
    ]


def live_settings() -> set[tuple[str, str]]:
    """``(group, field)`` of every setting some module reads (group "" for top level)."""
    live = set()
    modules = _modules()
    for group_key, group in _GROUPS.items():
        for name in group.model_fields:
            for chains in modules:
                if (group_key, name) in chains or ((group_key,) in chains and (name,) in chains):
                    live.add((group_key, name))
    through = _read_through_properties()
    for name in Settings.model_fields:
        names = {name} | through.get(name, set())
        if name not in _GROUPS and any((n,) in chains for chains in modules for n in names):
            live.add(("", name))
    return live


def _read_through_properties() -> dict[str, set[str]]:
    """Top-level fields that Settings' own properties read: ``app_env`` -> ``is_production``."""
    tree = ast.parse((PACKAGE / "settings.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    out: dict[str, set[str]] = {}
    for item in cls.body:
        if isinstance(item, ast.FunctionDef):
            for node in ast.walk(item):
                value = node.value if isinstance(node, ast.Attribute) else None
                if isinstance(value, ast.Name) and value.id == "self":
                    out.setdefault(node.attr, set()).add(item.name)  # type: ignore[attr-defined]
    return out


def every_setting() -> set[tuple[str, str]]:
    fields = {(key, name) for key, group in _GROUPS.items() for name in group.model_fields}
    return fields | {("", name) for name in Settings.model_fields if name not in _GROUPS}


def env_name(group_key: str, name: str) -> str:
    if not group_key:
        return name.upper()
    prefix = str(_GROUPS[group_key].model_config.get("env_prefix", ""))
    return f"{prefix}{name}".upper()


def test_every_setting_is_read_somewhere_in_rrag() -> None:
    dead = sorted(env_name(*key) for key in every_setting() - live_settings())
    assert not dead, f"settings read nowhere in rrag/: {dead}"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_tuning_profiles_set_only_live_settings(profile: str) -> None:
    live = {env_name(*key) for key in live_settings()}
    names = set(PROFILES[profile])
    assert names <= {env_name(*key) for key in every_setting()}, names
    assert names <= live, f"{profile} sets settings nothing reads: {sorted(names - live)}"
