#!/usr/bin/env bash
# The main job: build pyrobench, make the offline base images the benchmarks need, and run
# scripts/default.rhai over every folder in benchmarks/.
#
#   ./run-all.sh [pyrobench options...]      e.g. ./run-all.sh --runs 5
#
# Results go to run-all.json (set PYROBENCH_JSON to change it).
set -euo pipefail
cd "$(dirname "$0")"

cargo build --release --quiet
bin=target/x86_64-unknown-linux-gnu/release/pyrobench

# Every debian:<suite>-slim named by a benchmark's FROM line, made offline if missing.
mapfile -t suites < <(grep -hoE '^FROM[[:space:]]+debian:[a-z]+-slim' benchmarks/*/Dockerfile \
    | sed -E 's/.*debian:([a-z]+)-slim/\1/' | sort -u)
if [ "${#suites[@]}" -gt 0 ]; then
    scripts/base-image.sh "${suites[@]}"
fi

benchmarks=()
for dir in benchmarks/*/; do
    [ -f "$dir/Dockerfile" ] && benchmarks+=("${dir%/}")
done

exec "$bin" scripts/default.rhai "${benchmarks[@]}" --json "${PYROBENCH_JSON:-run-all.json}" "$@"
