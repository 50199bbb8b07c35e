"""schemathesis against our OpenAPI schema: generated requests (valid and invalid) to every operation, as a
city user holding every staff role; no 5xx, and every documented response matches its schema.

The operations are driven one by one from Python (schemathesis' pytest plugin does not load under
pytest 9), each with a bounded number of generated cases."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session, sessionmaker

from cityops.core.actor import Role
from tests.factories import login

# Operations whose generated calls would end the probing user's own session.
SKIP = {"POST /api/auth/logout"}
EXAMPLES = 6


def test_no_server_errors_and_responses_match_the_schema(client: TestClient, factory: sessionmaker[Session]) -> None:
    token = login(client, factory, "fuzzer", [r for r in Role if r is not Role.citizen], unit_code="500000").headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIP:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers={**(case.headers or {}), **token}, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except Exception as exc:  # collect every failing operation, then report them together
            # A failure Hypothesis could not reproduce ("unreliable") carries the first one inside: show it.
            inner = "".join(f"\n  first: {str(e)[:800]}" for e in getattr(exc, "exceptions", ()))
            failures.append(f"{operation.label}: {str(exc)[:1500]}{inner}")
        ran += 1
    assert ran > 80
    assert not failures, "\n\n".join(failures)
