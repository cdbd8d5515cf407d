#!/usr/bin/env bash
# The load generator against targets whose latency is known, on loopback:
#
#  1. Latency accuracy: the ingester in slow mode answers after 20 ms; at 200 requests/s the
#     open model should report p50 within 1 ms of 20 ms and p99 under 25 ms.
#  2. Coordinated omission: the same target, 100 requests/s for 10 s, stopped (SIGSTOP)
#     for 1 s in the middle. The open model should report p99 near 1 s. A closed-model tool
#     (pyrobench load --closed, and wrk with the same connections) reports about 20 ms.
#
#   bench/load-accuracy.sh                  (PORT_BASE=19420: ingest, control +0, +1)
#   PYROBENCH=path/to/pyrobench bench/load-accuracy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
port_base=${PORT_BASE:-19420}
bin=${PYROBENCH:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
fi
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$bin" ingester --port "$port_base" --control-port $((port_base + 1)) --mode slow --delay-ms 20 2>/dev/null &
ingester=$!
pids+=("$ingester")
sleep 1
url="http://127.0.0.1:$port_base/ingest?name=load&format=folded"
printf 'main;work 1\n' >"$tmp/body"
load() { "$bin" load "$url" --body "$tmp/body" --content-type text/plain "$@"; }
# Stops the target for 1 s, 6 s from now (5 s into a window after 1 s of warm-up).
stall() { (sleep 6; kill -STOP "$ingester"; sleep 1; kill -CONT "$ingester") & }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. latency accuracy: slow mode 20 ms, open model 200 requests/s, 10 s"
load --rate 200 --duration 10 --warmup 2 --connections 10
echo "== 2a. a 1 s stall in a 10 s window at 100 requests/s, open model"
stall
load --rate 100 --duration 10 --warmup 1 --connections 10
echo "== 2b. the same stall, closed model, 2 connections (about 100 requests/s)"
stall
load --closed --duration 10 --warmup 1 --connections 2
echo "== 2c. the same stall, wrk, 2 connections, 11 s"
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "main;work 1\n"
wrk.headers["Content-Type"] = "text/plain"
LUA
(sleep 5; kill -STOP "$ingester"; sleep 1; kill -CONT "$ingester") &
wrk -t1 -c2 -d11s --latency -s "$tmp/post.lua" "$url" | grep -E "Latency|50%|90%|99%|Requests/sec"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
