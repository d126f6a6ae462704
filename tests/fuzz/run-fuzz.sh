#!/usr/bin/env bash
# Runs a libFuzzer binary for a while from a copy of its seed corpus, so new inputs land in the build
# directory and never in the source tree. Usage: run-fuzz.sh FUZZER SEED_DIR WORK_DIR SECONDS
# A crash leaves its input as WORK_DIR/crash-*; copy it into the seed corpus to keep it as a regression.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
# Leaks inside libconfig itself are known and not ours (lsan.supp); every other leak is a finding.
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
mkdir -p "$work/corpus"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
exec "$fuzzer" -max_total_time="$seconds" -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus"
