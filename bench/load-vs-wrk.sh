#!/usr/bin/env bash
# Closed-model throughput of `pyrobench load` against wrk's, side by side on loopback,
# both loading nginx answering `return 200` with the same connections and duration. Three
# rounds, alternating; prints each tool's requests/s, its own CPU time per request (user +
# system, from /usr/bin/time) and the ratio (target: at least 0.8). On two cores shared
# with nginx, the tool that spends less CPU per request leaves nginx more.
#
#   bench/load-vs-wrk.sh [SECONDS] [CONNECTIONS]     (default 10 s, 64 connections)
#   PORT_BASE=19440 bench/load-vs-wrk.sh             (nginx on PORT_BASE)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-64}
port=${PORT_BASE:-19440}
bin=${PYROBENCH:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
fi
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null; }
done

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
source bench/nginx.sh
pids+=("$(start_nginx "$port" "$tmp")")
sleep 1
url="http://127.0.0.1:$port/"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nginx return 200, closed model, $connections connections, ${seconds}s each"
for round in 1 2 3; do
    ours=$(/usr/bin/time -o "$tmp/ours.time" -f '%U %S' "$bin" load "$url" --closed --connections "$connections" --duration "$seconds" --warmup 1 --json - |
        python3 -c 'import json,sys; r=json.load(sys.stdin); l=r["latency_ms"]; print(round(r["rate"]), l["p50"], l["p99"], sum(r["errors"].values()))')
    read -r our_rps our_p50 our_p99 our_errors <<<"$ours"
    read -r our_user our_sys <"$tmp/ours.time"
    theirs=$(/usr/bin/time -o "$tmp/wrk.time" -f '%U %S' wrk -t2 -c"$connections" -d"$((seconds + 1))s" --latency "$url" |
        awk '/Requests\/sec/ {rps = $2} / requests in / {n = $1} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} END {print rps, p50, p99, n}')
    read -r wrk_rps wrk_p50 wrk_p99 wrk_requests <<<"$theirs"
    read -r wrk_user wrk_sys <"$tmp/wrk.time"
    awk -v r="$round" -v o="$our_rps" -v w="$wrk_rps" -v op50="$our_p50" -v op99="$our_p99" \
        -v wp50="$wrk_p50" -v wp99="$wrk_p99" -v e="$our_errors" \
        -v ou="$our_user" -v os="$our_sys" \
        -v wu="$wrk_user" -v ws="$wrk_sys" -v wn="$wrk_requests" -v secs="$seconds" 'BEGIN {
        # The whole run over all its requests, warm-up included: ours sent about its
        # rate times duration + 1 s of warm-up.
        printf "round %d: pyrobench load %d req/s (p50 %.3f ms, p99 %.3f ms, %d errors, %.1f us CPU/request), wrk %d req/s (p50 %s, p99 %s, %.1f us CPU/request): ratio %.2f\n",
            r, o, op50, op99, e, (ou + os) / (o * (secs + 1)) * 1e6, w, wp50, wp99, (wu + ws) / wn * 1e6, o / w }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
