#!/usr/bin/env bash
# Fast-mode throughput of the ingester on loopback, for a realistic push body (a gzipped
# pprof captured from pyroscope-io 1.4.0), against nginx answering `return 200` to the same
# requests, measured side by side with wrk. Both servers get the same two cores. The
# ingester's own control port, `GET /health` (the same hyper stack, nothing decoded), is
# measured too: it separates the HTTP stack's cost from the decoding's.
#
#   bench/ingester-throughput.sh [SECONDS] [CONNECTIONS]     (default 10 s, 64 connections)
#   PORT_BASE=19200 bench/ingester-throughput.sh             (ingest, control, nginx: +0, +1, +2)
#   PYROBENCH=path/to/pyrobench bench/ingester-throughput.sh  (another build)
#
# Target: at least 20,000 requests/s, and a ratio to nginx of at least 1.0.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-64}
port_base=${PORT_BASE:-18040}
ingest_port=$port_base
control_port=$((port_base + 1))
nginx_port=$((port_base + 2))

for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null; }
done
bin=${PYROBENCH:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
fi
body=$PWD/tests/fixtures/ingest/pyroscope-io-1.4.0-push-1.body

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

cat >"$tmp/push.lua" <<LUA
local f = io.open("$body", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/proto"
wrk.headers["Content-Encoding"] = "gzip"
wrk.path = "/push.v1.PusherService/Push"
LUA

"$bin" ingester --port "$ingest_port" --control-port "$control_port" 2>/dev/null &
pids+=($!)
source bench/nginx.sh
pids+=("$(start_nginx "$nginx_port" "$tmp/nginx")")
sleep 1
ingester_pid=${pids[0]}
nginx_workers=$(pgrep -P "${pids[1]}" | tr '\n' ' ')

# CPU time (user + system, in clock ticks) used so far by the given processes.
cpu_ticks() { for p in "$@"; do cut -d' ' -f14,15 "/proc/$p/stat"; done | awk '{t += $1 + $2} END {print t}'; }

# One wrk run against URL, with SCRIPT (empty: a plain GET), by servers PIDS:
# "requests/s p50 p99 cpu_us_per_request" (latencies as wrk prints them, e.g. 1.02ms).
run_wrk() {
    local url=$1 script=$2
    shift 2
    local before after
    before=$(cpu_ticks "$@")
    wrk -t2 -c"$connections" -d"${seconds}s" --latency ${script:+-s "$script"} "$url" >"$tmp/wrk.out"
    after=$(cpu_ticks "$@")
    cat "$tmp/wrk.out" >>"$tmp/wrk.log"
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        /requests in/ {n = $1} /Requests\/sec/ {rps = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
        END {printf "%s %s %s %.1f\n", rps, p50, p99, ticks / hz * 1e6 / n}' "$tmp/wrk.out"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
curl -s "http://127.0.0.1:$control_port/stats?reset=true" >/dev/null
push=$tmp/push.lua
read -r ingester ingester_p50 ingester_p99 ingester_cpu < <(run_wrk "http://127.0.0.1:$ingest_port" "$push" "$ingester_pid")
read -r nginx_rps nginx_p50 nginx_p99 nginx_cpu < <(run_wrk "http://127.0.0.1:$nginx_port" "$push" $nginx_workers)
read -r health health_p50 health_p99 health_cpu < <(run_wrk "http://127.0.0.1:$control_port/health" "" "$ingester_pid")
read -r ingester2 ingester2_p50 ingester2_p99 ingester2_cpu < <(run_wrk "http://127.0.0.1:$ingest_port" "$push" "$ingester_pid")
stats=$(curl -s "http://127.0.0.1:$control_port/stats")

best() { awk -v a="$1" -v b="$2" 'BEGIN {print (a > b ? a : b)}'; }
ingester_best=$(best "$ingester" "$ingester2")
echo "body: $(stat -c %s "$body") bytes gzip protobuf, $connections connections, ${seconds}s per run"
echo "ingester (fast mode): $ingester and $ingester2 requests/s (p50 $ingester_p50 / $ingester2_p50, p99 $ingester_p99 / $ingester2_p99)"
echo "nginx (return 200):   $nginx_rps requests/s (p50 $nginx_p50, p99 $nginx_p99)"
echo "ingester GET /health: $health requests/s (p50 $health_p50, p99 $health_p99), control port, nothing decoded"
awk -v i="$ingester_best" -v n="$nginx_rps" 'BEGIN {printf "ratio ingester/nginx: %.2f (target >= 1.0); target 20000 req/s: %s\n", i / n, (i >= 20000 ? "met" : "NOT met")}'
awk -v h="$health" -v n="$nginx_rps" 'BEGIN {printf "ratio /health/nginx: %.2f (the HTTP stack alone)\n", h / n}'
echo "CPU per request: ingester push $ingester_cpu / $ingester2_cpu us, /health $health_cpu us, nginx $nginx_cpu us"
echo "ingester counted: $(echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["requests"], "requests,", s["profiles"], "profiles,", s["samples"], "samples,", s["bad"], "bad, p50", round(s["latency"]["p50_ms"],3), "ms, p99", round(s["latency"]["p99_ms"],3), "ms")')"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
