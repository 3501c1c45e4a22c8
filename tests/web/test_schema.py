"""schemathesis against the live server's OpenAPI schema: no 5xx, every response conforms to its schema.

Property-based: for every GET operation under /api/v1, schemathesis generates up to MAX_EXAMPLES
requests from the schema (derandomized, so a run is reproducible) and checks each response:
status not 5xx, the status and content type documented, the body valid against the documented
model (the one error shape included).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from tests.web.conftest import LiveServer

MAX_EXAMPLES = 15
NEGATIVE_EXAMPLES = 5
#: What "conforms" means here. Not ``positive_data_acceptance``: a request can be valid by the schema
#: and still not answerable (a period that ends before it starts, an area not in the lookups) and
#: then gets a documented 400 or 404.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(scope="session")
def api_schema(live_server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", wait_for_schema=10.0)


def _check(operation: Any, mode: GenerationMode, examples: int) -> int:
    """Run ``examples`` generated requests of ``operation``; return how many were made."""
    made = 0
    negative = mode == GenerationMode.NEGATIVE

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal made
        made += 1
        response = case.call(timeout=30)
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        case.validate_response(response, checks=CHECKS + ([checks.negative_data_rejection] if negative else []))

    try:
        run()
    except Unsatisfiable:
        assert negative, f"{operation.label}: no valid request can be generated"  # e.g. /status has no parameters
    return made


def test_every_operation_answers_within_its_schema(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15  # the map layers (/geo/...) included
    made = {
        operation.label: _check(operation, GenerationMode.POSITIVE, MAX_EXAMPLES)
        + _check(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
        for operation in operations
    }
    print(f"schemathesis: {len(made)} operations, {sum(made.values())} requests: {made}")
    assert all(n > 0 for n in made.values())


def test_the_schema_documents_every_resource(live_server: LiveServer) -> None:
    import httpx

    paths = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()["paths"]
    for resource in (
        "areas",
        "areas/{code}",
        "compare",
        "targets",
        "exceptions",
        "hotstreets",
        "outcomes",
        "searches",
        "confidence",
        "status",
    ):
        operation = paths[f"/api/v1/{resource}"]["get"]
        assert operation["summary"]
        for status in ("200", "400", "404", "422"):
            assert status in operation["responses"], (resource, status)
