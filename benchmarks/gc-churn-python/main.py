"""Allocation and garbage-collection churn: a memory-intensive CPython workload for pyrobench.

Every round builds and drops many short-lived objects: a tree of Node objects
whose children point back at their parent (reference cycles, so only the cyclic
garbage collector can free them), per-node attribute dicts and lists, a dict of
lists that is filled, overwritten and pruned, some self-referencing containers,
and throw-away strings and tuples. The automatic GC runs many times per second.

Environment contract (shared by every pyrobench benchmark, see benchmarks/README.md):
  PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
                                              before the work, shut it down after;
                                              unset or empty: the agent is never imported
  PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
  PYROSCOPE_APPLICATION_NAME  default pyrobench.gc-churn.python
  PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
  PYROSCOPE_UPLOAD_INTERVAL   optional, seconds between uploads; unset keeps the
                              agent's own default (10 s in pyroscope-io 1.4.0)
  GC_CHURN_ITERATIONS         workload size in rounds, default 150 (about 2.5 s of
                              CPU here; linear)

stdout: one line with a checksum that depends only on GC_CHURN_ITERATIONS.
stderr: what the garbage collector did (collections and objects collected per
generation, from gc.get_stats()).
"""

import gc
import os
import sys
import time

DEFAULT_ITERATIONS = 150
NAME = "gc-churn"

TREE_FANOUT = 4
TREE_DEPTH = 5  # 1 + 4 + 16 + 64 + 256 + 1024 = 1365 nodes per round
TABLE_INSERTS = 6000
CYCLES = 2000
MASK = (1 << 64) - 1


def mix(z):
    """splitmix64, on Python ints: deterministic sizes and keys."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class Node:
    """A tree node with a back-pointer to its parent: every tree is a cycle."""

    def __init__(self, key, parent):
        self.key = key
        self.parent = parent
        self.children = []
        self.attrs = {"key": key, "label": f"node-{key & 0xFFFF:x}", "seen": []}


def build_tree(seed, depth):
    root = Node(seed, None)
    level = [root]
    for _ in range(depth):
        nxt = []
        for node in level:
            for c in range(TREE_FANOUT):
                child = Node(mix(node.key + c), node)
                node.children.append(child)
                nxt.append(child)
        level = nxt
    return root


def walk_tree(root):
    total = 0
    stack = [root]
    while stack:
        node = stack.pop()
        node.attrs["seen"].append(len(node.children))
        total = (total * 31 + node.key + len(node.attrs["label"])) & MASK
        stack.extend(node.children)
    return total


def table_churn(seed):
    table = {}
    x = seed
    for _ in range(TABLE_INSERTS):
        x = mix(x)
        key = x % (TABLE_INSERTS * 3 // 4)
        # overwriting a key drops the old list
        table[key] = [x & 0xFF, (x >> 8) & 0xFF, (x >> 16, x >> 24), str(x & 0xFFF)]
    for key in [k for k in table if k % 3 == 0]:
        del table[key]
    total = len(table)
    # dict iteration order is insertion order: deterministic
    for key, value in table.items():
        total = (total * 131 + key + value[0] + value[1] + len(value[3])) & MASK
    return total


def make_cycles(seed):
    total = 0
    for i in range(CYCLES):
        a = {"id": i, "peer": None}
        b = [a, seed + i]
        a["peer"] = b  # a <-> b: garbage the moment this iteration ends
        c = []
        c.append(c)  # a list that contains itself
        total += len(b) + len(c) + a["id"]
    return total & MASK


def churn(iterations):
    checksum = 0
    for rnd in range(iterations):
        seed = mix(rnd)
        tree = build_tree(seed, TREE_DEPTH)
        r = walk_tree(tree)
        del tree  # unreachable now, but held by its cycles: left to the GC
        r ^= table_churn(seed ^ 0xDEADBEEF)
        r ^= make_cycles(seed & 0xFFFF)
        checksum = mix(checksum ^ r)
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
            "PYROSCOPE_APPLICATION_NAME", "pyrobench.gc-churn.python"
        ),
        server_address=os.environ.get(
            "PYROSCOPE_SERVER_ADDRESS", "http://ingester:4040"
        ),
        sample_rate=sample_rate,
        tags={"benchmark": NAME},
        **extra,
    )
    return pyroscope


def gc_report(before, after, seconds):
    parts = []
    for gen, (b, a) in enumerate(zip(before, after)):
        parts.append(
            f"gen{gen}: collections={a['collections'] - b['collections']}"
            f" collected={a['collected'] - b['collected']}"
        )
    print(f"{NAME}: gc {'; '.join(parts)}; work {seconds:.3f}s", file=sys.stderr)


def phase(name):
    """A pyrobench phase marker on stderr, flushed at once: pyrobench's init
    timestamps the line when it reads it (see benchmarks/README.md)."""
    print(f"pyrobench:phase {name}", file=sys.stderr, flush=True)


def main():
    iterations = env_int("GC_CHURN_ITERATIONS", DEFAULT_ITERATIONS)
    sample_rate = env_int("PYROSCOPE_SAMPLE_RATE", 100)
    if sample_rate == 0:
        sys.exit(f"{NAME}: PYROSCOPE_SAMPLE_RATE must be positive")
    upload_interval = env_int("PYROSCOPE_UPLOAD_INTERVAL", 0)
    profiling = bool(os.environ.get("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING"))

    agent = start_agent(sample_rate, upload_interval) if profiling else None
    phase("work")  # the agent runs (or, in the baseline, would run) from here
    try:
        before = gc.get_stats()
        t0 = time.perf_counter()
        checksum = churn(iterations)
        t1 = time.perf_counter()
        after = gc.get_stats()
    finally:
        phase("shutdown")  # the workload is done; the agent is being stopped
        if agent is not None:
            # Flushes the last profile; its duration is part of the measured cost.
            agent.shutdown()
    gc_report(before, after, t1 - t0)
    print(f"gc-churn iterations={iterations} checksum={checksum:016x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
