"""A small JSON API served by waitress, for pyrobench's service runs.

  GET /api/report?items=N   parse an N-order JSON document, aggregate it, answer a
                            JSON summary (see report.py; N defaults to SERVICE_ITEMS)
  GET /health               200 "ok": the readiness path (io.pyrobench.ready-path)
  anything else             404 (405 for a method other than GET/HEAD on those paths)

Environment contract (benchmarks/README.md, "Service benchmarks"):
  PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING  any non-empty value: start the agent
                                              before listening, shut it down after
                                              SIGTERM; unset or empty: the agent is
                                              never imported
  PYROSCOPE_SERVER_ADDRESS    default http://ingester:4040
  PYROSCOPE_APPLICATION_NAME  default pyrobench.service.python
  PYROSCOPE_SAMPLE_RATE       default 100 (Hz)
  PYROSCOPE_UPLOAD_INTERVAL   optional, seconds between uploads; unset keeps the
                              agent's own default (10 s in pyroscope-io 1.4.0)
  SERVICE_ITEMS               orders per report when ?items= is absent, default 1000
  SERVICE_THREADS             waitress worker threads, default 4

Why waitress (and not gunicorn): waitress is a production WSGI server (it is what
Pyramid and Flask's deployment docs point to) that runs in one process: the process
that starts the agent is the one that serves, so the agent samples exactly the
requests, the phase markers come from that process, and SIGTERM goes straight to it.
gunicorn would put a master between the init and the worker (the agent in the
post_fork hook, the markers and SIGTERM handling split between two processes), and
pyroscope-io's sampler would profile a worker the master forked; that is a second,
different benchmark, not a simpler one.

Lifecycle: the agent starts (when profiling), the order document for the default N is
made, the socket listens, then `pyrobench:phase work` is printed: so /health can only
answer once all of that is done. On SIGTERM: `pyrobench:phase shutdown` at once, the
accept loop ends, waitress's worker threads finish the requests they hold (at most
5 s), the listening socket is closed, the agent is shut down (flushing its last
profile), exit 0.
"""

import logging
import os
import re
import signal
import sys
import threading

import report

DEFAULT_ITEMS = 1000
DIGITS = re.compile(r"[0-9]{1,6}")
JSON = [("Content-Type", "application/json")]
TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def env_int(name, default, minimum=0):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"{name} must be an integer, got {raw!r}")
    if value < minimum:
        sys.exit(f"{name} must be at least {minimum}, got {value}")
    return value


def phase(name):
    """A pyrobench phase marker on stderr, flushed at once: pyrobench's init
    timestamps the line when it reads it (see benchmarks/README.md)."""
    print(f"pyrobench:phase {name}", file=sys.stderr, flush=True)


def start_agent():
    import pyroscope

    extra = {}
    interval = env_int("PYROSCOPE_UPLOAD_INTERVAL", 0)
    if interval > 0:
        extra["upload_interval"] = interval
    pyroscope.configure(
        application_name=os.environ.get(
            "PYROSCOPE_APPLICATION_NAME", "pyrobench.service.python"
        ),
        server_address=os.environ.get(
            "PYROSCOPE_SERVER_ADDRESS", "http://ingester:4040"
        ),
        sample_rate=env_int("PYROSCOPE_SAMPLE_RATE", 100, minimum=1),
        tags={"benchmark": "service"},
        **extra,
    )
    return pyroscope


class Documents:
    """The order document's JSON text per N, made once per N (a few N at most)."""

    LIMIT = 8

    def __init__(self):
        self.lock = threading.Lock()
        self.texts = {}

    def get(self, n):
        text = self.texts.get(n)
        if text is None:
            text = report.order_document(n)
            with self.lock:
                if len(self.texts) >= self.LIMIT:
                    self.texts.pop(next(iter(self.texts)))
                self.texts[n] = text
        return text


def make_app(default_items, documents):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path not in ("/api/report", "/health"):
            start_response("404 Not Found", TEXT)
            return [b"not found\n"]
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", TEXT + [("Allow", "GET, HEAD")])
            return [b"method not allowed\n"]
        if path == "/health":
            start_response("200 OK", TEXT)
            return [b"ok\n"]
        n = default_items
        for pair in environ.get("QUERY_STRING", "").split("&"):
            key, _, value = pair.partition("=")
            if key == "items":
                if not DIGITS.fullmatch(value) or int(value) > report.MAX_ITEMS:
                    start_response("400 Bad Request", TEXT)
                    return [
                        b"items must be an integer from 0 to %d\n" % report.MAX_ITEMS
                    ]
                n = int(value)
                break
        body = report.report(documents.get(n))
        start_response("200 OK", JSON + [("Content-Length", str(len(body)))])
        return [body]

    return app


class Terminate(SystemExit):
    """Raised by the SIGTERM handler in the main thread, inside waitress's loop.
    A SystemExit, so waitress's run() catches it and stops its worker threads."""


def on_sigterm(signum, frame):
    phase("shutdown")  # the load is over; the server and the agent stop from here
    raise Terminate(0)


def main():
    default_items = env_int("SERVICE_ITEMS", DEFAULT_ITEMS)
    if default_items > report.MAX_ITEMS:
        sys.exit(f"SERVICE_ITEMS must be at most {report.MAX_ITEMS}")
    threads = env_int("SERVICE_THREADS", 4, minimum=1)
    profiling = bool(os.environ.get("PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING"))

    agent = start_agent() if profiling else None
    documents = Documents()
    documents.get(default_items)  # made before the first request, not during it

    import waitress

    # waitress warns "Task queue depth is N" each time a request waits for a free
    # thread, which under load is most requests: a line per request on stderr (read
    # by pyrobench's init) would be a cost of its own. Other warnings stay on.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    server = waitress.create_server(
        make_app(default_items, documents),
        host="0.0.0.0",
        port=8080,
        threads=threads,
        ident="waitress",
    )
    signal.signal(signal.SIGTERM, on_sigterm)
    print(
        f"service-python: waitress on :8080, {threads} threads, items={default_items}, "
        f"profiling={'on' if profiling else 'off'}",
        file=sys.stderr,
        flush=True,
    )
    phase("work")  # listening, agent (if any) started: the load may begin
    try:
        server.run()  # returns after Terminate, with waitress's threads stopped
    except Terminate:  # raised outside waitress's own try (a race at the edges)
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one shutdown is enough
        server.close()
        if agent is not None:
            # Flushes the last profile; its duration is part of the measured cost.
            agent.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
