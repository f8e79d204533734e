"""Under `-n`, the tests on the stack's real ports run on one worker, first, one after another (conftest.py).

They take turns on the ports anyway; spread over the workers by `--dist load` they began late and ended the
suite, and xdist's `--dist loadgroup` loses its groups under pytest 9. An inner session with the root conftest
and two workers records which worker ran each test, and in which order.
"""

from __future__ import annotations

import json

import pytest

from tests.stack.project import REPOSITORY

RECORDS = '''
import json, os, time

def record(name):
    with open(f"ran-{name}.json", "w") as file:
        json.dump({"worker": os.environ["PYTEST_XDIST_WORKER"], "at": time.monotonic()}, file)
'''


def test_the_devstack_modules_run_on_one_worker_from_the_start(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((REPOSITORY / "conftest.py").read_text())
    pytester.makepyfile(records=RECORDS)
    stack = "\n".join(f"def test_stack_{n}():\n    record('stack-{n}')\n    time.sleep(0.2)\n" for n in range(4))
    pytester.makepyfile(
        test_a_quick="from records import record\n" + "\n".join(
            f"def test_quick_{n}():\n    record('quick-{n}')\n" for n in range(12)),
        test_z_on_the_ports="import time\nimport pytest\nfrom records import record\n"
                            "pytestmark = pytest.mark.xdist_group(\"devstack\")\n" + stack,
    )

    # Three processes: without the plugins this needs none of (a second of start-up each).
    unused = ("cacheprovider", "opticserp", "schemathesis", "hypothesispytest", "anyio", "asyncio", "benchmark")
    result = pytester.runpytest_subprocess("-n", "2", *(arg for name in unused for arg in ("-p", f"no:{name}")))

    result.assert_outcomes(passed=16)
    ran = {path.stem[len("ran-"):]: json.loads(path.read_text()) for path in pytester.path.glob("ran-*.json")}
    stack_worker = {ran[f"stack-{n}"]["worker"] for n in range(4)}
    assert len(stack_worker) == 1, ran
    [worker] = stack_worker
    first_on_that_worker = min((r["at"], name) for name, r in ran.items() if r["worker"] == worker)[1]
    assert first_on_that_worker == "stack-0", ran
