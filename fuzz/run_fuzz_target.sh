#!/usr/bin/env bash
# run_fuzz_target.sh TARGET SEED_DIR SECONDS [CORPUS_DIR]
# Runs one libFuzzer target for SECONDS from its seed corpus (fixtures/fuzz/<target>/, never
# written to; new inputs go to CORPUS_DIR, default a scratch directory removed afterwards) and
# prints one line: executions, coverage (edges), features, corpus size, time. On a crash, leak or
# timeout it prints the end of libFuzzer's output and the path of the crashing input: add that
# input to fixtures/fuzz/<target>/ (it is then a regression test: every run starts from it).
set -uo pipefail
target=$1 seeds=$2 seconds=$3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pc-fuzz-XXXXXX")
corpus=${4:-$scratch/corpus}
mkdir -p "$corpus"
name=$(basename "$target")
# Replies and files up to 64 KiB: nesting past the limit (128) fits many times over.
"$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$scratch/" "$corpus" "$seeds" >"$scratch/log" 2>&1
status=$?
executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$scratch/log" | grep -o '[0-9]*$')
last=$(grep -E '^#[0-9]+' "$scratch/log" | tail -n 1)
coverage=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
features=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
units=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
echo "$name: ${executions:-?} executions, coverage ${coverage:-?} edges, ${features:-?} features," \
  "corpus ${units:-?}, ${seconds} s, exit $status"
if ((status != 0)); then
  tail -n 80 "$scratch/log"
  ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-* 2>/dev/null |
    sed 's/^/crashing input (kept): /'
  exit "$status"
fi
rm -rf "$scratch"
