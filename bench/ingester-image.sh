#!/usr/bin/env bash
# Time to package the ingester image from the running binary: the first time (no image for
# this binary) and when cached (a new pyrobench process finds it). Hashing the binary is
# included in both.
#
#   bench/ingester-image.sh [REPEATS]      (default 3)
#
# Targets: at most 3 s the first time, at most 0.3 s when cached.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
cargo build --release --quiet
bin=$PWD/target/x86_64-unknown-linux-gnu/release/pyrobench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/package.rhai" <<'RHAI'
let started = now();
let tag = ingester_image();
print(`${tag} ${now() - started}`);
RHAI
for i in $(seq "$repeats"); do
    docker image ls -q pyrobench-ingester | sort -u | xargs -r docker rmi -f >/dev/null
    first=$("$bin" "$tmp/package.rhai" | awk '{print $2}')
    cached=$("$bin" "$tmp/package.rhai" | awk '{print $2}')
    printf 'first: %.3f s   cached: %.3f s\n' "$first" "$cached"
done
echo "targets: first <= 3 s, cached <= 0.3 s"
