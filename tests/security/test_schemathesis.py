"""Issue 9 §8: schemathesis fuzzes every operation in /api/schema against a live server.

Signed in with HTTP Basic so that authenticated operations are reached. Zero 5xx and zero schema
violations (status codes, content types, response bodies) are allowed. A few examples per
operation keep the run well under a minute. The operations run in one test (schemathesis' lazy
pytest loader does not work with this pytest), each with its own Hypothesis run, and every
operation's failure is reported.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PASSWORD, BeerFactory, UserFactory
from tests.support.http import basic_auth_header

# Slow (fuzzing against a live server): skipped by make test-fast.
pytestmark = pytest.mark.slow

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 5


def fuzz(operation, base_url, headers):
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    run()


@pytest.mark.django_db(transaction=True)
def test_every_operation_conforms_to_the_schema(live_server):
    user = UserFactory(username="fuzzer")
    BeerFactory.create_batch(2, owner=user)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema")
    headers = {"Authorization": basic_auth_header(user.username, PASSWORD)}

    failures, operations = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            fuzz(operation, live_server.url, headers)
        except (Exception, BaseExceptionGroup) as failure:  # every operation's failure is reported below
            failures[operation.label] = str(failure)[:2000]

    assert operations >= 15
    for label, failure in failures.items():
        print(f"=== {label}\n{failure}\n")
    assert failures == {}
