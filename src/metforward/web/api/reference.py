"""``/api``: the API reference page, made from the app's own OpenAPI schema.

Swagger UI is left out on purpose (it loads from a CDN and runs inline scripts, both against the
CSP); this page lists every endpoint under /api/v1 with its summary, its parameters (type,
default, limits, description) and an example URL, server-rendered with GOV.UK Frontend styles.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from metforward.web.app import API_PREFIX, render

router = APIRouter()

#: Values for the example URLs, where a parameter is required (or worth showing).
EXAMPLES: dict[str, str] = {
    "code": "E09000033",
    "area": "Westminster",
    "period": "2024-01:2024-06",
    "before": "2024-01:2024-03",
    "after": "2024-04:2024-06",
    "level": "borough",
}


def _type(schema: dict[str, Any]) -> str:
    """A parameter's type in words: ``integer``, ``one of a | b``, ``list of string``..."""
    options = schema.get("anyOf")
    if options:
        kinds = [_type(s) for s in options if s.get("type") != "null"]
        return " or ".join(kinds) + (" (optional)" if len(kinds) < len(options) else "")
    if "enum" in schema:
        return "one of " + " | ".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return "list of " + _type(schema.get("items", {})) + " (repeat the parameter)"
    return str(schema.get("type", "any"))


def _limits(schema: dict[str, Any]) -> str:
    parts = []
    for source in [schema, *schema.get("anyOf", [])]:
        for key, words in (
            ("minimum", ">="),
            ("exclusiveMinimum", ">"),
            ("maximum", "<="),
            ("exclusiveMaximum", "<"),
            ("maxLength", "at most chars:"),
            ("pattern", "format"),
        ):
            if key in source:
                parts.append(f"{words} {source[key]}")
    return "; ".join(parts)


def endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every GET operation under /api/v1 in ``schema``, ready for the template."""
    found = []
    for path, operations in sorted(schema.get("paths", {}).items()):
        get = operations.get("get")
        if not get or not path.startswith(API_PREFIX):
            continue
        params = []
        example_query: dict[str, str] = {}
        example_path = path
        for p in get.get("parameters", []):
            s = p.get("schema", {})
            name = p["name"]
            params.append(
                {
                    "name": name,
                    "where": p.get("in", "query"),
                    "type": _type(s),
                    "required": p.get("required", False),
                    "default": s.get("default"),
                    "limits": _limits(s),
                    "description": p.get("description") or s.get("description", ""),
                }
            )
            if p.get("in") == "path":
                example_path = example_path.replace("{" + name + "}", EXAMPLES.get(name, "x"))
            elif p.get("required"):
                example_query[name] = EXAMPLES.get(name, str(s.get("default", "")))
        if path.endswith("/compare"):
            example_query = {"before": EXAMPLES["before"], "after": EXAMPLES["after"], "level": "borough"}
        found.append(
            {
                "path": path,
                "summary": get.get("summary", ""),
                "description": get.get("description", ""),
                "tags": get.get("tags", []),
                "parameters": params,
                "example": example_path + (f"?{urlencode(example_query)}" if example_query else ""),
                "errors": sorted(code for code in get.get("responses", {}) if code != "200"),
            }
        )
    return found


@router.get("/api", response_class=HTMLResponse, include_in_schema=False)
def api_reference(request: Request) -> HTMLResponse:
    """The reference page for the JSON API."""
    schema = request.app.openapi()
    return render(
        request,
        "api.html",
        title="API",
        active="/api",
        endpoints=endpoints(schema),
        openapi_url=f"{API_PREFIX}/openapi.json",
        info=schema.get("info", {}),
    )
