#!/usr/bin/env bash
# pyrobench against hyperfine on `docker run`, same workload, same number of runs, side by
# side: how wide is each tool's uncertainty about the overhead?
#
#   bench/vs-hyperfine.sh [REPEATS] [RUNS] [WORK] [OVERHEAD_PCT]
#       default 3 repeats of 10 runs per side, CALIBRATION_WORK=300, +5% on the main thread
#
# The workload is benchmarks/calibration, whose "profiling" adds a known OVERHEAD_PCT of
# work. hyperfine times `docker run --rm` of each variant (Debian's hyperfine package) and
# reports the ratio of means as "R ± S"; S is the figure a user reads as the uncertainty.
# pyrobench reports the overhead with a 95% interval (Hodges-Lehmann on the runs). The
# target: pyrobench's interval at most half as wide as hyperfine's ±, compared as
# half-widths, i.e. half-width(pyrobench) <= S / 2.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
runs=${2:-10}
work=${3:-300}
pct=${4:-5}

command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 1; }
cargo build --release --quiet
bin=target/x86_64-unknown-linux-gnu/release/pyrobench
scripts/base-image.sh bookworm >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The tag pyrobench gives the folder (its name and a hash of its path), built if need be.
printf 'print(build_image("benchmarks/calibration").tag);\n' >"$tmp/tag.rhai"
image=$("$bin" "$tmp/tag.rhai" 2>/dev/null | tail -n 1)
cat >"$tmp/compare.rhai" <<RHAI
let image = build_image("benchmarks/calibration");
let env = #{ CALIBRATION_WORK: "$work", CALIBRATION_OVERHEAD_PCT: "$pct" };
let result = compare(image, [
    #{ name: "baseline", env: env },
    #{ name: "profiled", profiling: true, env: env },
], #{ runs: param("runs", 10), warmup: 1 });
save(result);
RHAI

base_cmd="docker run --rm -e CALIBRATION_WORK=$work -e CALIBRATION_OVERHEAD_PCT=$pct $image"
prof_cmd="docker run --rm -e CALIBRATION_WORK=$work -e CALIBRATION_OVERHEAD_PCT=$pct -e PYROSCOPE_AGENT_BENCHMARK_ENABLE_PROFILING=1 $image"

printf 'workload: calibration, CALIBRATION_WORK=%s, known overhead +%s%% (main thread), %s runs per side\n\n' "$work" "$pct" "$runs"
printf '%-4s | %-44s | %-44s | %-44s | %-22s | %s\n' rep "pyrobench wall overhead [95% CI] (half-width)" "pyrobench CPU overhead [95% CI] (half-width)" "pyrobench CPU, paired by round" "hyperfine wall ± S" "half-width / S"
for rep in $(seq "$repeats"); do
    "$bin" "$tmp/compare.rhai" --set runs="$runs" --json "$tmp/pyro.json" >/dev/null 2>&1
    hyperfine --style none --runs "$runs" --warmup 1 --export-json "$tmp/hf.json" \
        "$base_cmd" "$prof_cmd" >/dev/null 2>&1
    jq -r --arg rep "$rep" --slurpfile hf "$tmp/hf.json" '
        .benchmarks[0].scenarios[1].overhead as $o
        | ($hf[0].results[0]) as $a | ($hf[0].results[1]) as $b
        | ($b.mean / $a.mean) as $ratio
        | ($ratio * ((($a.stddev / $a.mean) | . * .) + (($b.stddev / $b.mean) | . * .) | sqrt) * 100) as $s
        | (($o.wall_ci_pct[1] - $o.wall_ci_pct[0]) / 2) as $wh
        | (($o.cpu_ci_pct[1] - $o.cpu_ci_pct[0]) / 2) as $ch
        | (($o.cpu_paired_ci_pct[1] - $o.cpu_paired_ci_pct[0]) / 2) as $ph
        | [$rep,
           "\($o.wall_pct | . * 10 | round / 10)% [\($o.wall_ci_pct[0] | . * 10 | round / 10), \($o.wall_ci_pct[1] | . * 10 | round / 10)] (±\($wh | . * 100 | round / 100))",
           "\($o.cpu_pct | . * 10 | round / 10)% [\($o.cpu_ci_pct[0] | . * 10 | round / 10), \($o.cpu_ci_pct[1] | . * 10 | round / 10)] (±\($ch | . * 100 | round / 100))",
           "\($o.cpu_paired_pct | . * 10 | round / 10)% [\($o.cpu_paired_ci_pct[0] | . * 10 | round / 10), \($o.cpu_paired_ci_pct[1] | . * 10 | round / 10)] (±\($ph | . * 100 | round / 100))",
           "\(($ratio - 1) * 100 | . * 10 | round / 10)% ± \($s | . * 100 | round / 100)",
           "wall \($wh / $s | . * 100 | round / 100), CPU \($ch / $s | . * 100 | round / 100), paired CPU \($ph / $s | . * 100 | round / 100)"]
        | "\(.[0])    | \(.[1] | . + " " * (44 - length)) | \(.[2] | . + " " * (44 - length)) | \(.[3] | . + " " * (44 - length)) | \(.[4] | . + " " * (22 - length)) | \(.[5])"
    ' "$tmp/pyro.json"
done
echo
echo "hyperfine's S is its ± on the ratio of mean docker-run times (error propagation of the"
echo "two standard deviations); its CPU columns are the docker client's, so it has no CPU figure."
echo "Target: half-width / S <= 0.5."
