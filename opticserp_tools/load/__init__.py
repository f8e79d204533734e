"""`opticserp load`: Locust against the KKT adapter, and whether its latency and throughput targets hold.

    opticserp load -u 10 -t 30s                          # a stack of its own; P95 < 100 ms, the seed's target
    opticserp load --url http://127.0.0.1:8000           # an adapter that is running
    opticserp load --compare-noop --tags receipt         # beside a no-op FastAPI app under the same load
    opticserp load --print-delay 200-500 -u 1 --p95-target 550

(`python -m opticserp_tools.load` is the same command.) See docs/performance.md for the figures. The parts:
`options` (declared once, for the command and for `run_load`), `command` (the typer command), `runner` (one
run: what it starts, in which order), `stack` (the servers a run starts), `locust_run` (Locust's processes and
its CSV), `cpu` (the CPU meter), `report` (targets and the summary). The Locust files are the package
`locustfiles` (in the wheel too).
"""

from __future__ import annotations

from fiscal.lazy import lazy_exports
from opticserp_tools.load.options import LoadError, LoadOptions, PrintDelay

# The runner imports the plugin's executors: only when a run is asked for, not for `opticserp --help`.
__getattr__ = lazy_exports(__name__, {"main": f"{__name__}.command", "LoadResult": f"{__name__}.report",
                                      "run": f"{__name__}.runner", "run_load": f"{__name__}.runner"})


__all__ = ["LoadError", "LoadOptions", "LoadResult", "PrintDelay", "main", "run", "run_load"]
