"""Property-based fuzzing of every operation in /openapi.json (schemathesis) as admin and operator.

Every response must be below 500 and conform to the documented status codes, content type
and schema. Schemathesis drives hypothesis directly (its pytest plugin does not load on
pytest 9), one bounded run per operation.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.conftest import Key

EXAMPLES = 25  # per operation and role: ~35 operations x 2 roles x 25 stays under a minute
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
    checks.status_code_conformance,
]


def fuzz(schema: Any, base: str, headers: dict[str, str]) -> list[str]:
    """Run every operation with bounded examples; return the failures as text."""
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(base_url=base, headers=headers, timeout=10)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.label}: {exc}"[:3000])
    print("statuses", dict(sorted(statuses.items())))
    assert sum(statuses.values()) >= len(schema.raw_schema["paths"]) * 2, "too few requests"
    return failures


@pytest.fixture(scope="module")
def api_schema(live_server: str) -> Any:
    """The live server's OpenAPI document, loaded by schemathesis."""
    return schemathesis.openapi.from_url(f"{live_server}/openapi.json")


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_fuzz_every_operation(
    role: str, api_schema: Any, keys: dict[str, Key], live_server: str
) -> None:
    failures = fuzz(api_schema, live_server, keys[role].headers)
    assert not failures, "\n\n".join(failures)
