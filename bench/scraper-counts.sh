#!/usr/bin/env bash
# The standalone scraper against pull targets whose answers are known, on loopback:
# one serves a gzipped pprof profile of 7 samples on every scrape, one answers 500, one
# answers garbage. Scraped every second for about 6 s; prints what each target served and
# what the ingester counted, which must match exactly for the good target.
#
#   bench/scraper-counts.sh            (PORT_BASE=19460: targets +0..+2, ingest +3, control +4)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${PORT_BASE:-19460}
bin=${PYROBENCH:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# Each target counts what it served in $tmp/<port>.
cat >"$tmp/target.py" <<'PY'
import gzip, http.server, sys
port, kind, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
profile = gzip.compress(b"\x12\x02\x10\x01" * 7)  # 7 x Sample { value: [1] }
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, body = {"good": (200, profile), "error": (500, b"failed\n"),
                        "garbage": (200, b"not a profile at all")}[kind]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(log, "a") as f:
            f.write(self.path + "\n")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
PY
for i in 0 1 2; do
    kind=(good error garbage)
    python3 "$tmp/target.py" $((base + i)) "${kind[$i]}" "$tmp/$i" &
    pids+=($!)
done
sleep 0.5
"$bin" ingester --port $((base + 3)) --control-port $((base + 4)) \
    --scrape 127.0.0.1:$base --scrape 127.0.0.1:$((base + 1)) --scrape 127.0.0.1:$((base + 2)) \
    --scrape-interval-s 1 --scrape-seconds 0.5 2>/dev/null &
pids+=($!)
sleep 6.3
curl -s -X PUT "localhost:$((base + 4))/scrape" -d '{"targets":[]}' >/dev/null
sleep 0.3
served() { [ -f "$tmp/$1" ] && wc -l <"$tmp/$1" || echo 0; }
curl -s "localhost:$((base + 4))/stats" | python3 -c "
import json, sys
s = json.load(sys.stdin)
good, error, garbage = (int(x) for x in sys.argv[1:4])
f = s.get('scrape_failures', {})
print(f'served: good {good}, 500 {error}, garbage {garbage}')
print(f'counted: scrapes {s[\"scrapes\"]}, profiles {s[\"profiles\"]}, samples {s[\"samples\"]}, failures {f}, in flight {s[\"in_flight\"]}')
ok = s['profiles'] == good and s['samples'] == 7 * good and f.get('status_500', 0) == error and f.get('decode', 0) == garbage
print('exact' if ok else 'MISMATCH')
" "$(served 0)" "$(served 1)" "$(served 2)"
