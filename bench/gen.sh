#!/usr/bin/env bash
# gen.sh: row 1, generator time. Usage: gen.sh PANDORA_GEN SCRATCH RUNS SIZE...
# For each SIZE, times `pandora-gen --output` on an app of SIZE process types, RUNS times, and
# `foreman export systemd` on the equivalent Procfile at the sizes listed in $FOREMAN_SIZES.
# Each run writes into a fresh directory (pandora-gen creates its files with O_EXCL).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
gen=$1 scratch=$2 runs=$3
shift 3

for size in "$@"; do
    app=$scratch/app-$size
    "$here/mkapp.py" "$size" "$app"
    for ((i = 0; i < runs; i++)); do
        rm -rf "$scratch/out"
        t0=$EPOCHREALTIME
        "$gen" --output "$scratch/out" "$app/procfile"
        record 1 pandora-gen "$size" ms "$(ms_since "$t0")"
    done
    [[ " ${FOREMAN_SIZES:-} " == *" $size "* ]] || continue
    if ! command -v foreman >/dev/null; then
        skip 1 foreman "foreman is not installed (apt-get install ruby-foreman failed)"
        continue
    fi
    for ((i = 0; i < runs; i++)); do
        rm -rf "$scratch/out"
        t0=$EPOCHREALTIME
        foreman export systemd "$scratch/out" -f "$app/Procfile" -d "$app" -a bench >/dev/null
        record 1 foreman "$size" ms "$(ms_since "$t0")"
    done
done
rm -rf "$scratch/out"
