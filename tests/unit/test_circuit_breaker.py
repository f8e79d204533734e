"""The circuit breaker's state machine, on a clock the test moves."""

import pytest

from kkt_adapter.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(threshold=3, recovery_timeout=30, clock=clock)


def test_it_starts_closed_and_allows_calls(breaker: CircuitBreaker) -> None:
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_it_opens_at_the_threshold_of_consecutive_failures(breaker: CircuitBreaker) -> None:
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.failures == 3


def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 1


def test_it_half_opens_after_the_recovery_timeout_for_one_trial(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 29.9
    assert breaker.state is BreakerState.OPEN and breaker.retry_in == pytest.approx(0.1)
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()


def test_a_successful_trial_closes_it(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30
    breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.failures == 0


def test_a_failed_trial_opens_it_for_another_full_timeout(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now += 30
    breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 29
    assert breaker.state is BreakerState.OPEN


def test_a_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold=0, recovery_timeout=1)


def test_an_ofd_seen_answering_ends_the_open_wait_with_one_trial(breaker: CircuitBreaker) -> None:
    for _ in range(3):
        breaker.record_failure()
    breaker.end_wait()
    assert breaker.state is BreakerState.HALF_OPEN and breaker.retry_in == 0
    assert breaker.allow() and not breaker.allow(), "one trial, then wait for its verdict"
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN, "a failed trial opens it again for the full timeout"
