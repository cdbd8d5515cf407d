"""Recursive Fibonacci: a pure-Python, CPU-bound workload for pyrobench.

Environment contract (shared by every pyrobench benchmark):
  PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
                                              before the work, shut it down after;
                                              unset or empty: the agent is never imported
  PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
  PYROSCOPE_APPLICATION_NAME  default pyrobench.fibonacci.python
  PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
  FIBONACCI_N                 workload size, default 36 (about 3 s of CPU here)
  PYROSCOPE_UPLOAD_INTERVAL   optional, seconds between uploads; unset keeps the
                              agent's own default (10 s in pyroscope-io 1.4.0)
"""

import os
import sys

DEFAULT_N = 36


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def env_int(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        sys.exit(f"{name} must be an integer, got {raw!r}")


def start_agent():
    import pyroscope

    extra = {}
    interval = env_int("PYROSCOPE_UPLOAD_INTERVAL", 0)
    if interval > 0:
        extra["upload_interval"] = interval
    pyroscope.configure(
        application_name=os.environ.get(
            "PYROSCOPE_APPLICATION_NAME", "pyrobench.fibonacci.python"
        ),
        server_address=os.environ.get(
            "PYROSCOPE_SERVER_ADDRESS", "http://ingester:4040"
        ),
        sample_rate=env_int("PYROSCOPE_SAMPLE_RATE", 100),
        tags={"benchmark": "fibonacci"},
        **extra,
    )
    return pyroscope


def phase(name):
    """A pyrobench phase marker on stderr, flushed at once: pyrobench's init
    timestamps the line when it reads it (see benchmarks/README.md)."""
    print(f"pyrobench:phase {name}", file=sys.stderr, flush=True)


def main():
    n = env_int("FIBONACCI_N", DEFAULT_N)
    profiling = bool(os.environ.get("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING"))

    agent = start_agent() if profiling else None
    phase("work")  # the agent runs (or, in the baseline, would run) from here
    try:
        value = fib(n)
    finally:
        phase("shutdown")  # the workload is done; the agent is being stopped
        if agent is not None:
            # Flushes the last profile; its duration is part of the measured cost.
            agent.shutdown()
    print(f"fib({n})={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
