"""What one test leaves in Redis or PostgreSQL is gone in the next (checked in an inner pytest run)."""

from __future__ import annotations

import pytest

INNER_TESTS = '''
def test_1_leaves_a_key_a_table_and_a_stopped_redis(opticserp_redis, opticserp_redis_proc, opticserp_postgresql):
    opticserp_redis.set("receipt:1", "pending")
    opticserp_postgresql.execute("CREATE TABLE leftovers (id int)")
    opticserp_postgresql.commit()
    opticserp_redis_proc.stop()


def test_2_finds_an_empty_running_redis(opticserp_redis):
    assert opticserp_redis.dbsize() == 0


def test_3_finds_no_table_from_an_earlier_test(opticserp_postgresql):
    assert opticserp_postgresql.execute("SELECT to_regclass('leftovers')").fetchone() == (None,)
'''


def test_state_left_by_one_test_is_gone_in_the_next(pytester: pytest.Pytester, inner_args: list[str]) -> None:
    pytester.makepyfile(test_inner=INNER_TESTS)

    result = pytester.runpytest(*inner_args, "-p", "no:randomly")

    result.assert_outcomes(passed=3)
