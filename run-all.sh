#!/usr/bin/env bash
# The main job: build pyrobench, make the offline base images the benchmarks need, and run
# scripts/default.rhai over every batch folder in benchmarks/ and scripts/service.rhai over
# every service folder.
#
#   ./run-all.sh [pyrobench options...]      e.g. ./run-all.sh --runs 5
#
# Results go to run-all.json and run-all-services.json (set PYROBENCH_JSON and
# PYROBENCH_SERVICES_JSON to change them).
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

# Batch folders go to the default comparison, service folders (LABEL io.pyrobench.kind=service)
# to scripts/service.rhai.
batch=()
services=()
for dir in benchmarks/*/; do
    [ -f "$dir/Dockerfile" ] || continue
    # The label may sit on a continuation line of a multi-line LABEL.
    if grep -qE '(^|[[:space:]])io\.pyrobench\.kind=service([[:space:]]|$)' "$dir/Dockerfile"; then
        services+=("${dir%/}")
    else
        batch+=("${dir%/}")
    fi
done

status=0
if [ "${#batch[@]}" -gt 0 ]; then
    "$bin" scripts/default.rhai "${batch[@]}" --json "${PYROBENCH_JSON:-run-all.json}" "$@" || status=$?
fi
# An interrupt stops everything; a breached threshold or a failure still lets the services run.
[ "$status" -eq 130 ] && exit 130
if [ "${#services[@]}" -gt 0 ]; then
    "$bin" scripts/service.rhai "${services[@]}" \
        --json "${PYROBENCH_SERVICES_JSON:-run-all-services.json}" "$@" || status=$?
fi
exit "$status"
