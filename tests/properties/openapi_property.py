"""The OpenAPI property itself: Schemathesis generates requests (valid and invalid) from a server's own
`/openapi.json`, Hypothesis runs them, bounded and derandomized.

A module of its own, imported by the tests' fixture: Schemathesis and Hypothesis take 0.3 s of CPU to import,
and every xdist worker collects the test module, while one runs these tests.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

ANSWER_SECONDS = 3.0
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Few examples per operation: the point is every operation, with valid and invalid input, on every CI run.
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


def answered_as_documented(case: schemathesis.Case, base_url: str) -> None:
    response = case.call(base_url=base_url, timeout=ANSWER_SECONDS + 2)
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        media = response.headers.get("content-type", [""])[0]
        assert media.startswith("application/json"), f"{response.status_code} answered as {media!r}"
        response.json()
    assert response.elapsed < ANSWER_SECONDS, f"answered in {response.elapsed:.1f} s"


def every_operation_answers_as_documented(base_url: str, after_each: Callable[[], None] = lambda: None
                                          ) -> dict[str, int]:
    """Run the bounded property on each operation of `base_url`'s OpenAPI document; requests sent to each."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    sent: dict[str, int] = {}
    for operation in (result.ok() for result in schema.get_all_operations()):
        sent[operation.label] = 0
        property_of(operation, base_url, after_each, sent)()
    return sent


def property_of(operation: schemathesis.APIOperation, base_url: str, after_each: Callable[[], None],
                sent: dict[str, int]) -> Callable[[], None]:
    cases = st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode))

    @BOUNDED
    @given(case=cases)
    def answers(case: schemathesis.Case) -> None:
        sent[operation.label] += 1
        try:
            answered_as_documented(case, base_url)
        finally:
            after_each()

    return answers
