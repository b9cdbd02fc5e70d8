"""The labelled red-team suite (``data/redteam.jsonl``): load it, compose BIPIA cases.

Each line is one case: ``id``, ``bucket`` (the guardrail that should or should not fire),
``kind`` (``injection``, ``hard_negative``, ``secret``, ``lookalike``, ``destructive``,
``safe_answer``, ``grounding``), ``label`` (true: the guardrail must fire), ``where``
(``question``, ``chunk`` or ``answer``), ``split`` (``train`` or ``test``, drawn once at
random with a fixed seed and stored: tuning looks only at ``train``; ``holdout``,
``holdout2`` and ``holdout3``: injection cases written later, blind to the rules, each
scored once before anything was tuned on it; the first two have been tuned on since) and
either ``text``
(our own writing) or a BIPIA reference (``bipia``, ``category``, ``index``, ``framing``,
``disguise``, ``carrier``) composed here from the payload files in ``bipia_dir`` (the
payloads are not copied into the repo). Secret cases list the ``secrets`` that must not
survive masking; answers carry their ``sources``.
"""

from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rrag.errors import InputError

_HOMOGLYPH = str.maketrans(
    "aeopcixyAEOPCHKMT",
    "\u0430\u0435\u043e\u0440\u0441\u0456\u0445\u0443\u0410\u0415\u041e\u0420\u0421\u041d\u041a\u041c\u0422",
)  # Cyrillic look-alikes
_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


@dataclass(frozen=True)
class Case:
    """One labelled case, its text composed."""

    id: str
    bucket: str
    kind: str
    label: bool
    where: str
    split: str
    text: str
    sources: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def _zero_width(text: str) -> str:
    return "\u200b".join(text)


def _tag_characters(text: str) -> str:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in text if 0x20 <= ord(c) < 0x7F)
    return f"Thanks, that fixed it for me!{hidden}"


DISGUISES: dict[str, Callable[[str], str]] = {
    "none": lambda t: t,
    "html_comment": lambda t: f"<!-- {t} -->",
    "details": lambda t: f"<details><summary>Full log</summary>\n\n{t}\n\n</details>",
    "collapse": lambda t: f"{{{{collapse(Full log)\n{t}\n}}}}",
    "md_comment": lambda t: f"[//]: # ({t})",
    "zero_width": _zero_width,
    "homoglyph": lambda t: t.translate(_HOMOGLYPH),
    "fullwidth": lambda t: t.translate(_FULLWIDTH),
    "tag_characters": _tag_characters,
    "bidi": lambda t: f"\u202e\u2066{t}\u2069\u202c",
    "base64": lambda t: f"Attached config (base64): {base64.b64encode(t.encode()).decode()}",
    "hex": lambda t: f"dump: {t.encode().hex()}",
}


@cache
def templates() -> dict[str, dict[str, str]]:
    """Framings and carriers of ``data/redteam_templates.toml``."""
    raw = resources.files("rrag.guardrails").joinpath("data/redteam_templates.toml")
    return tomllib.loads(raw.read_text("utf-8"))


def _payloads(bipia_dir: Path, kind: str) -> dict[str, list[str]]:
    path = bipia_dir / f"{kind}_attack_test.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the BIPIA payloads {path.name} in --bipia-dir") from exc
    return {str(k): [str(p) for p in v] for k, v in data.items()}


def compose(ref: dict[str, Any], bipia_dir: Path) -> str:
    """The text of a BIPIA-referencing case: carrier(disguise(framing(payload)))."""
    payload = _payloads(bipia_dir, ref["bipia"])[ref["category"]][int(ref["index"])]
    t = templates()
    framed = t["framings"][ref["framing"]].format(p=payload)
    return t["carriers"][ref["carrier"]].format(x=DISGUISES[ref["disguise"]](framed))


def suite_path() -> Path:
    return Path(str(resources.files("rrag.guardrails").joinpath("data/redteam.jsonl")))


def _case(raw: dict[str, Any], text: str) -> Case:
    tags: dict[str, str] = {
        k: str(raw[k]) for k in ("lang", "disguise", "framing", "carrier", "variant") if k in raw
    }
    return Case(
        id=raw["id"],
        bucket=raw["bucket"],
        kind=raw["kind"],
        label=bool(raw["label"]),
        where=raw["where"],
        split=raw["split"],
        text=text,
        sources=list(raw.get("sources", [])),
        secrets=list(raw.get("secrets", [])),
        tags=tags,
    )


SPLITS = ("train", "test", "holdout", "holdout2", "holdout3", "all")


def load_suite(
    bipia_dir: Path | None, split: str = "all", path: Path | None = None
) -> tuple[list[Case], int]:
    """The cases of ``split`` (one of :data:`SPLITS`), and how many were skipped.

    BIPIA cases are skipped (and counted) when ``bipia_dir`` is None.
    """
    if split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    cases, skipped = [], 0
    for line in (path or suite_path()).read_text("utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        if split != "all" and raw["split"] != split:
            continue
        if "bipia" in raw and bipia_dir is None:
            skipped += 1
            continue
        text = compose(raw, bipia_dir) if "bipia" in raw and bipia_dir else raw["text"]
        cases.append(_case(raw, text))
    return cases, skipped


__all__ = ["DISGUISES", "SPLITS", "Case", "compose", "load_suite", "suite_path", "templates"]
