"""The versioned extraction schema, and reading a model's reply against it.

:data:`EXTRACTOR_VERSION` names the schema *and* the prompt: bump it whenever either
changes, and the next ``rrag extract`` re-extracts every issue (a stored extraction is
reused only while its issue's content hash and its version are unchanged).

Nothing here trusts the reply: :func:`parse_fields` refuses one that is too long, not
JSON, not exactly the schema's keys and types, over a bound, or valid but empty (no
summary), with a one-line :class:`~rrag.llm.reply.Violation` safe to log (no reply text).
"""

from __future__ import annotations

import json
from typing import Any

from rrag.llm.reply import MAX_REPLY_CHARS, Violation

#: bump on any change to the fields, their bounds or the prompt (rrag.extract.prompt)
EXTRACTOR_VERSION = "1"
#: single-text fields and list fields, in the order they are shown and indexed
TEXT_FIELDS = ("summary", "root_cause", "resolution", "workaround")
LIST_FIELDS = ("symptoms", "error_signatures", "affected_components")
FIELDS = ("summary", "symptoms", "error_signatures", "root_cause", "resolution",
          "affected_components", "workaround")  # fmt: skip
# Bounds small enough that a reply at every maximum (~3,000 characters) fits in
# EXTRACT_MAX_TOKENS: a small model constrained by the schema tends to fill strings to
# their maximum, and a reply cut at the token cap is not JSON.
MAX_TEXT_CHARS = 300
MAX_ITEMS = 5
MAX_ITEM_CHARS = 120
Fields = dict[str, Any]


def json_schema() -> dict[str, Any]:
    """The JSON schema the model's reply is generated under (strict: every key required)."""
    text = {"type": "string", "maxLength": MAX_TEXT_CHARS}
    items = {
        "type": "array",
        "items": {"type": "string", "maxLength": MAX_ITEM_CHARS},
        "maxItems": MAX_ITEMS,
    }
    props = {name: dict(text if name in TEXT_FIELDS else items) for name in FIELDS}
    return {
        "type": "object",
        "properties": props,
        "required": list(FIELDS),
        "additionalProperties": False,
    }


def _load(raw: str) -> Any:
    if len(raw) > MAX_REPLY_CHARS:
        return Violation(f"reply of {len(raw)} characters exceeds {MAX_REPLY_CHARS}")
    try:
        return json.loads(raw)
    except RecursionError:
        return Violation("reply nests too deeply")
    except ValueError:
        return Violation("reply is not JSON")


def problems(data: Any) -> list[str]:
    """Why ``data`` is not a valid set of fields (empty when it is); no field values."""
    if not isinstance(data, dict) or set(data) != set(FIELDS):
        return [f"reply is not an object with exactly {', '.join(FIELDS)}"]
    found = []
    for name in TEXT_FIELDS:
        if not isinstance(data[name], str):
            found.append(f"{name} is not a string")
        elif len(data[name]) > MAX_TEXT_CHARS:
            found.append(f"{name} is longer than {MAX_TEXT_CHARS} characters")
    for name in LIST_FIELDS:
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            found.append(f"{name} is not a list of strings")
        elif len(value) > MAX_ITEMS or any(len(v) > MAX_ITEM_CHARS for v in value):
            found.append(f"{name} exceeds {MAX_ITEMS} items of {MAX_ITEM_CHARS} characters")
    return found


def _clean(data: Fields) -> Fields:
    """Whitespace collapsed, empty and repeated list items dropped."""
    out: Fields = {name: " ".join(data[name].split()) for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        items = (" ".join(v.split()) for v in data[name])
        out[name] = list(dict.fromkeys(v for v in items if v))
    return {name: out[name] for name in FIELDS}


def is_empty(fields: Fields) -> bool:
    return not any(fields[name] for name in FIELDS)


def parse_fields(raw: str) -> Fields | Violation:
    """The reply's fields, cleaned, or why it is refused."""
    data = _load(raw)
    if isinstance(data, Violation):
        return data
    found = problems(data)
    if found:
        return Violation("; ".join(found[:3]))
    fields = _clean(data)
    if not fields["summary"]:
        return Violation("schema-valid but empty: no summary")
    return fields


__all__ = [
    "EXTRACTOR_VERSION",
    "FIELDS",
    "LIST_FIELDS",
    "MAX_ITEMS",
    "MAX_ITEM_CHARS",
    "MAX_TEXT_CHARS",
    "TEXT_FIELDS",
    "Fields",
    "is_empty",
    "json_schema",
    "parse_fields",
    "problems",
]
