"""The served OpenAPI schema documents every response body, not just the requests.

Handlers return the library's typed results (msgspec Structs), so ``/schema/openapi.json``
names each success response's fields; a handler returning an untyped ``dict`` shows up
here as an empty object schema and fails the test.
"""

from __future__ import annotations

from typing import Any

import httpx

from rrag.api import create_app
from tests.api.conftest import api_settings
from tests.api.live import serving

JSON = "application/json"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = spec
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _typed(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema that names fields: an object with properties (directly or through a
    ``$ref``), an array of such, or a choice among such."""
    schema = _resolve(spec, schema)
    choices = schema.get("oneOf") or schema.get("anyOf")
    if choices:
        return all(_typed(spec, c) for c in choices)
    if schema.get("type") == "array":
        return _typed(spec, schema.get("items", {}))
    return bool(schema.get("properties"))


def _json_successes(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Status code -> JSON body schema, for the 2xx responses of one operation."""
    return {
        code: response["content"][JSON]["schema"]
        for code, response in operation.get("responses", {}).items()
        if code.startswith("2") and JSON in response.get("content", {})
    }


def test_every_route_documents_a_typed_success_response(tmp_path: Any) -> None:
    with serving(create_app(api_settings(tmp_path / "data"))) as url:
        spec = httpx.get(f"{url}/schema/openapi.json", timeout=10).json()
    operations = {
        f"{method.upper()} {path}": op
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert len(operations) >= 8  # every route in rrag.api.controllers.ROUTES
    untyped = []
    for name, op in operations.items():
        bodies = _json_successes(op)
        if not bodies or not all(_typed(spec, schema) for schema in bodies.values()):
            untyped.append(f"{name}: {bodies or 'no JSON 2xx response'}")
    assert not untyped, "\n".join(untyped)


def test_the_documented_search_result_names_its_fields(tmp_path: Any) -> None:
    with serving(create_app(api_settings(tmp_path / "data"))) as url:
        spec = httpx.get(f"{url}/schema/openapi.json", timeout=10).json()
    body = _json_successes(spec["paths"]["/v1/search"]["post"])["200"]
    results = _resolve(spec, body)["properties"]["results"]["items"]
    hit = _resolve(spec, results)["properties"]
    assert {"issue_id", "url", "snippet", "matched_by", "chunks", "similarity"} <= set(hit)
