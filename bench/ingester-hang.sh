#!/usr/bin/env bash
# Memory of the ingester in hang mode while it holds many open connections, each with a
# request it read and will never answer.
#
#   bench/ingester-hang.sh [CONNECTIONS]      (default 10000)
#   PORT_BASE=19260 bench/ingester-hang.sh    (ingest +0, control +1)
#
# Target: under 200 MB RSS with 10,000 connections held.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-10000}
port=${PORT_BASE:-18140}
want=$((connections + 1024))
hard=$(ulimit -Hn)
ulimit -n $((want < hard ? want : hard))

cargo build --release --quiet
bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
"$bin" ingester --port "$port" --control-port $((port + 1)) --mode hang 2>/dev/null &
ingester=$!
trap 'kill $ingester 2>/dev/null || true' EXIT
sleep 0.5
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$ingester/status"; }
echo "idle RSS: $(rss) MB"

python3 - "$connections" "$ingester" "$port" <<'PY'
import socket, sys, time, json, urllib.request
n, pid, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def rss_mb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
body = b"a;b;c 1\n" * 100
request = (b"POST /ingest?name=hang-bench HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n" % len(body)) + body
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    held.append(s)
deadline = time.time() + 60
while time.time() < deadline:
    stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/stats"))
    if stats["by_status"].get("hang", 0) >= n:
        break
    time.sleep(0.2)
print(f"held {len(held)} connections; the ingester reports {stats['by_status'].get('hang', 0)} hung requests, {stats['bytes']} body bytes read")
time.sleep(1)
print(f"RSS while holding {len(held)} connections: {rss_mb():.1f} MB (target < 200 MB)")
PY
