"""Schemathesis against ``/api/v1/openapi.json``, in the app's process, on both databases: a bounded number of
generated requests per operation (derandomised: the same requests every run), each of which must answer without
a server error and as the OpenAPI document says; afterwards the ledger still verifies."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

EXAMPLES = 12
"""Generated requests per operation and role (~50 operations): bounded so the suite stays quick."""


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/v1/tokens"):
            continue  # revoking the run's own token would turn the rest into 401s; tokens have their own tests
        yield operation


@pytest.mark.both_databases  # generated input finds what only PostgreSQL refuses
@pytest.mark.parametrize("username", ["manager", "zhuren"])
def test_no_generated_request_is_a_server_error_or_breaks_the_schema(app, api_token, username):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token(username)}"}
    failures: list[str] = []
    operations = list(_operations(schema))
    assert len(operations) >= 40

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except Exception as err:  # noqa: BLE001 - collected and reported together below
                failures.append(f"{operation.method.upper()} {operation.path}: {type(err).__name__}: "
                                f"{str(err).splitlines()[0][:300]}")
                raise

        try:
            run()
        except Exception:  # noqa: BLE001 - already recorded; go on to the next operation
            pass
    assert not failures, "\n".join(failures)
    verify = app.test_client().get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {api_token('auditor')}"})
    assert verify.status_code == 200 and verify.get_json()["ok"] is True
