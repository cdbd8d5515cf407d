#!/usr/bin/env bash
# Harness cost: the time pyrobench takes to measure one run (create, start, wait, inspect,
# read logs, remove) against `docker run --rm` of the same image and command, side by side.
#
#   bench/harness-cost.sh [ROUNDS] [RUNS_PER_ROUND]      (default 4 rounds of 5 runs)
#
# Rounds alternate between the two, so machine drift hits both alike. Prints the medians
# and their ratio; the target is a ratio of at most 1.3.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
per_round=${2:-5}

cargo build --release --quiet
bin=target/x86_64-unknown-linux-gnu/release/pyrobench
scripts/base-image.sh bookworm >/dev/null
work=(-e CALIBRATION_WORK=1)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The tag pyrobench gives the folder (its name and a hash of its path), built if need be.
printf 'print(build_image("benchmarks/calibration").tag);\n' >"$tmp/tag.rhai"
image=$("$bin" "$tmp/tag.rhai" 2>/dev/null | tail -n 1)
cat >"$tmp/harness.rhai" <<RHAI
let image = build_image("benchmarks/calibration");
run(image, #{ env: #{ CALIBRATION_WORK: "1" } });   // warm: init volume, network, image
for i in 0..param("runs", 5) {
    let started = now();
    let record = run(image, #{ env: #{ CALIBRATION_WORK: "1" } });
    if record.exit_code != 0 { throw "run failed"; }
    print(\`harness \${now() - started}\`);
}
RHAI

docker run --rm "${work[@]}" "$image" >/dev/null 2>&1 || "$bin" "$tmp/harness.rhai" --set runs=1 >/dev/null 2>&1
: >"$tmp/times"
for round in $(seq "$rounds"); do
    "$bin" "$tmp/harness.rhai" --set runs="$per_round" 2>/dev/null | awk '/^harness /{print "pyrobench", $2}' >>"$tmp/times"
    for i in $(seq "$per_round"); do
        start=$(date +%s.%N)
        docker run --rm "${work[@]}" "$image" >/dev/null 2>&1
        end=$(date +%s.%N)
        awk -v s="$start" -v e="$end" 'BEGIN {print "docker_run", e - s}' >>"$tmp/times"
    done
done

median() { grep "^$1 " "$tmp/times" | awk '{print $2}' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
pyro=$(median pyrobench)
plain=$(median docker_run)
n=$(grep -c '^pyrobench ' "$tmp/times")
printf 'runs per side:               %d\n' "$n"
printf 'pyrobench, one measured run: %.3f s (median)\n' "$pyro"
printf 'docker run --rm:             %.3f s (median)\n' "$plain"
awk -v p="$pyro" -v d="$plain" 'BEGIN {printf "ratio:                       %.2f (target <= 1.30)\n", p / d}'
