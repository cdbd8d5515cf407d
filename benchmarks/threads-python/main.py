"""Many threads, one GIL: a concurrency-intensive CPython workload for pyrobench.

The main thread produces jobs into a bounded queue.Queue; THREADS_WORKERS worker
threads (default 16) take them, do a variable amount of pure-Python CPU work
(contending for the GIL), sleep briefly on every fourth job (a simulated I/O
wait, which releases the GIL), and put results on a second queue. The main
thread folds the results into an order-independent checksum.

Environment contract (shared by every pyrobench benchmark, see benchmarks/README.md):
  PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
                                              before the work, shut it down after;
                                              unset or empty: the agent is never imported
  PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
  PYROSCOPE_APPLICATION_NAME  default pyrobench.threads.python
  PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
  PYROSCOPE_UPLOAD_INTERVAL   optional, seconds between uploads; unset keeps the
                              agent's own default (10 s in pyroscope-io 1.4.0)
  THREADS_JOBS                workload size in jobs, default 10000 (about 2.5 s of
                              wall and CPU time here; linear)
  THREADS_WORKERS             worker threads, default 16

stdout: one line with a checksum that depends only on THREADS_JOBS.
stderr: how the jobs were spread over the workers.
"""

import os
import queue
import sys
import threading
import time

DEFAULT_JOBS = 10000
DEFAULT_WORKERS = 16
NAME = "threads"

QUEUE_CAPACITY = 64
MIN_STEPS = 400
SPREAD_STEPS = 1600
SLEEP_EVERY = 4
SLEEP_SECONDS = 0.001
MASK = (1 << 64) - 1
STOP = None


def mix(z):
    """splitmix64, on Python ints."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def compute(seed, steps):
    """The CPU part of a job: a serial pure-Python chain (holds the GIL)."""
    x = seed
    for _ in range(steps):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK
        x ^= x >> 29
    return x


def worker(jobs, results, done_counts, index):
    done = 0
    while True:
        job = jobs.get()
        if job is STOP:
            break
        job_id, steps = job
        value = compute(job_id, steps)
        if job_id % SLEEP_EVERY == 0:
            time.sleep(SLEEP_SECONDS)  # releases the GIL, like a blocking read
        results.put((job_id, value))
        done += 1
    done_counts[index] = done


def run_pool(n_jobs, n_workers):
    jobs = queue.Queue(maxsize=QUEUE_CAPACITY)
    results = queue.Queue()
    done_counts = [0] * n_workers
    threads = [
        threading.Thread(
            target=worker, args=(jobs, results, done_counts, i), name=f"worker-{i}"
        )
        for i in range(n_workers)
    ]
    for t in threads:
        t.start()
    for job_id in range(n_jobs):
        jobs.put((job_id, MIN_STEPS + mix(job_id) % SPREAD_STEPS))  # blocks when full
    for _ in threads:
        jobs.put(STOP)

    checksum = 0
    for _ in range(n_jobs):
        job_id, value = results.get()
        checksum = (checksum + mix(job_id ^ value)) & MASK  # order-independent
    for t in threads:
        t.join()
    print(
        f"{NAME}: jobs per worker min={min(done_counts)} max={max(done_counts)}",
        file=sys.stderr,
    )
    return checksum


def env_int(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"{NAME}: {name} must be an integer, got {raw!r}")
    if value < 0:
        sys.exit(f"{NAME}: {name} must not be negative, got {raw!r}")
    return value


def start_agent(sample_rate, upload_interval):
    import pyroscope

    extra = {}
    if upload_interval > 0:
        extra["upload_interval"] = upload_interval
    pyroscope.configure(
        application_name=os.environ.get(
            "PYROSCOPE_APPLICATION_NAME", "pyrobench.threads.python"
        ),
        server_address=os.environ.get(
            "PYROSCOPE_SERVER_ADDRESS", "http://ingester:4040"
        ),
        sample_rate=sample_rate,
        tags={"benchmark": NAME},
        **extra,
    )
    return pyroscope


def phase(name):
    """A pyrobench phase marker on stderr, flushed at once: pyrobench's init
    timestamps the line when it reads it (see benchmarks/README.md)."""
    print(f"pyrobench:phase {name}", file=sys.stderr, flush=True)


def main():
    n_jobs = env_int("THREADS_JOBS", DEFAULT_JOBS)
    n_workers = env_int("THREADS_WORKERS", DEFAULT_WORKERS)
    if not 1 <= n_workers <= 1024:
        sys.exit(f"{NAME}: THREADS_WORKERS must be between 1 and 1024, got {n_workers}")
    sample_rate = env_int("PYROSCOPE_SAMPLE_RATE", 100)
    if sample_rate == 0:
        sys.exit(f"{NAME}: PYROSCOPE_SAMPLE_RATE must be positive")
    upload_interval = env_int("PYROSCOPE_UPLOAD_INTERVAL", 0)
    profiling = bool(os.environ.get("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING"))

    agent = start_agent(sample_rate, upload_interval) if profiling else None
    phase("work")  # the agent runs (or, in the baseline, would run) from here
    try:
        checksum = run_pool(n_jobs, n_workers)
    finally:
        phase("shutdown")  # the workload is done; the agent is being stopped
        if agent is not None:
            # Flushes the last profile; its duration is part of the measured cost.
            agent.shutdown()
    print(f"threads jobs={n_jobs} workers={n_workers} checksum={checksum:016x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
