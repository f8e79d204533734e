"""A stopping emulator holds nothing back: also not a request that reaches its delay just after the stop began.

The race CI showed: the OFD command counted a request, began to stop (SIGTERM), and only then did the request
reach its 60 s delay; the delays in progress had been ended, this one was not, and the stop took uvicorn's 5 s
backstop. Here the stop's callback runs on the loop first, as the server runs it, and the delay comes after.
"""

from __future__ import annotations

import asyncio

from emulators.faults import FailurePlan


def test_a_delay_reached_after_the_stop_began_on_that_loop_is_not_held() -> None:
    plan = FailurePlan()

    async def stop_then_hold() -> bool:
        plan.release_held()  # what the server calls as it begins to stop, on its own loop
        return await asyncio.wait_for(plan.hold(60), timeout=2)

    assert asyncio.run(stop_then_hold()) is False


def test_a_server_started_again_on_a_new_loop_holds_answers_again() -> None:
    plan = FailurePlan()

    async def stop() -> None:
        plan.release_held()

    async def hold_briefly() -> bool:
        return await plan.hold(0.05)

    asyncio.run(stop())
    assert asyncio.run(hold_briefly()) is True


def test_a_delay_in_progress_ends_when_the_stop_begins() -> None:
    plan = FailurePlan()

    async def hold_then_stop() -> bool:
        held = asyncio.ensure_future(plan.hold(60))
        await asyncio.sleep(0.05)
        plan.release_held()
        return await asyncio.wait_for(held, timeout=2)

    assert asyncio.run(hold_then_stop()) is False
