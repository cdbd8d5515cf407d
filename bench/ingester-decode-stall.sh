#!/usr/bin/env bash
# How long the control port takes to answer GET /health while the ingest port decodes big
# uploads: UPLOADERS clients each sending, again and again, a gzip push whose one gzipped
# profile inflates to PROFILE_MIB (within the default 128 MiB budget, so each is decoded).
#
#   bench/ingester-decode-stall.sh [SECONDS] [UPLOADERS] [PROFILE_MIB]   (default 10, 4, 100)
#   PORT_BASE=19250 bench/ingester-decode-stall.sh                      (ingest +0, control +1)
#   PYROBENCH=path/to/pyrobench bench/ingester-decode-stall.sh          (another build)
#
# Target: /health answers within 100 ms at the worst.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
uploaders=${2:-4}
profile_mib=${3:-100}
port_base=${PORT_BASE:-18050}

bin=${PYROBENCH:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
fi
"$bin" ingester --port "$port_base" --control-port $((port_base + 1)) 2>/dev/null &
ingester=$!
trap 'kill $ingester 2>/dev/null || true' EXIT
sleep 1
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$port_base" "$seconds" "$uploaders" "$profile_mib" <<'PY'
import gzip, http.client, sys, threading, time

port, seconds, uploaders, profile_mib = (int(a) for a in sys.argv[1:])

def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field(tag, payload):
    return bytes([tag]) + varint(len(payload)) + payload

# Sample { value: [1] } as field 2 of Profile, repeated to the size asked.
profile = gzip.compress(b"\x12\x02\x10\x01" * (profile_mib * 1024 * 1024 // 4), compresslevel=1)
label = field(0x0A, b"service_name") + field(0x12, b"stall-bench")
series = field(0x0A, label) + field(0x12, field(0x0A, profile))
body = gzip.compress(field(0x0A, series))
headers = {"content-type": "application/proto", "content-encoding": "gzip"}

deadline = time.monotonic() + seconds
uploads, statuses = [], {}
def upload():
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.monotonic()
        conn.request("POST", "/push.v1.PusherService/Push", body, headers)
        status = conn.getresponse().status
        uploads.append(time.monotonic() - started)
        statuses[status] = statuses.get(status, 0) + 1
        conn.close()

threads = [threading.Thread(target=upload) for _ in range(uploaders)]
for t in threads:
    t.start()
time.sleep(0.5)
health = []
while time.monotonic() < deadline:
    conn = http.client.HTTPConnection("127.0.0.1", port + 1, timeout=60)
    started = time.monotonic()
    conn.request("GET", "/health")
    conn.getresponse().read()
    health.append(time.monotonic() - started)
    conn.close()
    time.sleep(0.01)
for t in threads:
    t.join()

def ms(values, q):
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]

print(f"upload: {len(body)} bytes on the wire, one profile inflating to {profile_mib} MiB; "
      f"{uploaders} uploaders, {seconds} s")
print(f"uploads: {len(uploads)} answered {statuses}, each p50 {ms(uploads, 0.5):.0f} ms, "
      f"max {ms(uploads, 1):.0f} ms")
worst = ms(health, 1)
print(f"GET /health while decoding: {len(health)} asked, p50 {ms(health, 0.5):.1f} ms, "
      f"p99 {ms(health, 0.99):.1f} ms, max {worst:.1f} ms (target <= 100 ms: "
      f"{'met' if worst <= 100 else 'NOT met'})")
PY
echo "peak RSS of the ingester: $(awk '/VmHWM/ {print $2, $3}' /proc/$ingester/status)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
