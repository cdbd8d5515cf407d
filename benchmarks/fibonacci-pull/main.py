"""Recursive Fibonacci in CPython, profiled in *pull* mode: when asked to, the
program serves Go's GET /debug/pprof/profile?seconds=S with pypprof, and a
collector (Grafana Alloy's pyroscope.scrape, or pyrobench's ingester) fetches a
CPU profile from it every scrape interval.

Environment contract (benchmarks/README.md, "Pull benchmarks"):
  PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the pprof
                                              endpoint before the work; unset or
                                              empty: pypprof is never imported and
                                              nothing listens
  PYROSCOPE_PPROF_PORT        default 6060, the endpoint's TCP port (0.0.0.0)
  PYROSCOPE_SAMPLE_RATE       default 100 (Hz); zprofile takes a whole number of
                              milliseconds, so the period is round(1000 / rate) ms
  FIBONACCI_N                 workload size, default 39 (about 5 s of CPU here;
                              each +1 is x1.6): long enough for at least two scrapes
                              at a 2 s interval

pypprof's own handler serves the profile (zprofile's CPUProfiler, SIGPROF); this
file wraps it only where pypprof 0.0.1 differs from the pull contract: a threaded
server so that a second request is refused with 500 instead of queueing, a
`seconds` that may be fractional and is checked (400), the sample rate, and
/health.
"""

import os
import sys
import threading

DEFAULT_N = 39
DEFAULT_PORT = 6060
DEFAULT_SECONDS = 30.0  # as Go, when the query has no `seconds`
MAX_SECONDS = 300.0
MAX_SAMPLE_RATE = 1000


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


def parse_seconds(raw):
    """`seconds` from the query: empty means 30; otherwise a number above 0 and at
    most 300 (fractions too). None when it is not acceptable."""
    if raw == "":
        return DEFAULT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        return None
    if not (0 < seconds <= MAX_SECONDS):  # also rejects nan; inf is > 300
        return None
    return seconds


def start_endpoint(port, sample_rate):
    """Binds 0.0.0.0:port and serves pypprof's endpoints from a background thread."""
    from http.server import ThreadingHTTPServer
    from urllib.parse import parse_qs, urlparse

    from pypprof import net_http
    from zprofile.cpu_profiler import CPUProfiler

    period_ms = max(1, round(1000 / sample_rate))
    # zprofile's profiler is process-wide (one SIGPROF handler, one timer): one
    # CPU profile at a time, the others refused at once, as Go does.
    cpu_profile_running = threading.Lock()

    class Handler(net_http.PProfRequestHandler):
        def do_GET(self):
            path = urlparse(self.path).path
            if path in ("/", "/health"):
                self._send_text(200, "ok\n")
            else:
                super().do_GET()  # pypprof's routes; 404 for the rest

        def do_HEAD(self):
            if urlparse(self.path).path in ("/", "/health"):
                self._send_text(200, "ok\n", head_only=True)
            else:
                self._send_text(404, "404 page not found\n", head_only=True)

        def profile(self, query):
            # pypprof 0.0.1 does int(seconds) (no fractions, a traceback for
            # anything else) and profiles at a fixed 10 ms.
            seconds = parse_seconds(query.get("seconds", [""])[0])
            if seconds is None:
                self._send_text(
                    400,
                    "invalid seconds: want a number of seconds above 0 "
                    f"and at most {MAX_SECONDS:g}\n",
                    pprof_error=True,
                )
                return
            if not cpu_profile_running.acquire(blocking=False):
                self._send_text(
                    500,
                    "Could not enable CPU profiling: cpu profiling already in use\n",
                    pprof_error=True,
                )
                return
            try:
                # Blocks in zprofile's C code for `seconds` (GIL released); cannot
                # be cut short when the client goes away.
                pprof = CPUProfiler(period_ms=period_ms).profile(seconds)
            finally:
                cpu_profile_running.release()
            try:
                self._send_profile(pprof)  # pypprof's own answer
            except OSError:
                pass  # the client left or does not read: drop the answer

        def _send_text(self, code, body, head_only=False, pprof_error=False):
            data = body.encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("X-Content-Type-Options", "nosniff")
            if pprof_error:
                self.send_header("X-Go-Pprof", "1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not head_only:
                self.wfile.write(data)

        timeout = 10  # seconds: a connection that sends nothing is dropped

        def log_message(self, format, *args):
            pass  # no access log on stderr (it carries the phase markers)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a client that went away mid-answer is not an error here

    # What pypprof.net_http.start_pprof_server does (it registers zprofile's
    # wall-clock SIGALRM handler on the main thread first), with a threaded server
    # and the address and port of the contract.
    net_http._wall_profiler.register_handler()
    try:
        server = Server(("0.0.0.0", port), Handler)
    except OSError as e:
        sys.exit(f"cannot listen on 0.0.0.0:{port}: {e}")
    threading.Thread(target=server.serve_forever, name="pprof-http", daemon=True).start()
    print(
        f"fibonacci-pull: pprof endpoint on 0.0.0.0:{port} "
        f"(GET /debug/pprof/profile?seconds=S, {1000 / period_ms:g} Hz)",
        file=sys.stderr,
        flush=True,
    )
    return server


def phase(name):
    """A pyrobench phase marker on stderr, flushed at once: pyrobench's init
    timestamps the line when it reads it (see benchmarks/README.md)."""
    print(f"pyrobench:phase {name}", file=sys.stderr, flush=True)


def main():
    n = env_int("FIBONACCI_N", DEFAULT_N)
    profiling = bool(os.environ.get("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING"))

    if profiling:
        sample_rate = env_int("PYROSCOPE_SAMPLE_RATE", 100)
        if not 1 <= sample_rate <= MAX_SAMPLE_RATE:
            sys.exit(f"PYROSCOPE_SAMPLE_RATE must be from 1 to {MAX_SAMPLE_RATE}, got {sample_rate}")
        port = env_int("PYROSCOPE_PPROF_PORT", DEFAULT_PORT)
        if not 1 <= port <= 65535:
            sys.exit(f"PYROSCOPE_PPROF_PORT must be from 1 to 65535, got {port}")
        start_endpoint(port, sample_rate)

    phase("work")  # the endpoint serves (or, in the baseline, would serve) from here
    value = fib(n)
    phase("shutdown")  # the workload is done; nothing to stop
    print(f"fib({n})={value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
