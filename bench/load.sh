#!/usr/bin/env bash
# load.sh: row 8, procfile load. Usage: load.sh BUILD SCRATCH RUNS SIZE...
# For each SIZE (settings, as libconfig counts them) and each shape of mkprocfile.py that the row
# shows, times RUNS loads of the same file by:
#   pandora-agent   `pandora-agent --procfile F --process none`: procfile_load() whole (parse, dev
#                   overlay check, resolution), then it exits because there is no process `none`
#   pandora-gen     `pandora-gen --dry-run F >/dev/null`: the generator's load plus rendering and
#                   printing every unit
#   libconfig       config_read_file() alone (libconfig-read.py), the parse pandora's load starts with;
#                   once only above 10,000 settings
# The commands' times include their process start-up (about 1 ms); libconfig's is timed in-process.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
build=$1 scratch=$2 runs=$3
shift 3
agent=$build/agent/pandora-agent gen=$build/cli/pandora-gen
mkdir -p "$scratch"

# shape: the mkprocfile.py shape; what: its name in the table
for size in "$@"; do
    for pair in app-env:"env group" processes:"processes"; do
        shape=${pair%%:*} what=${pair#*:}
        file=$scratch/$shape-$size.procfile
        "$here/mkprocfile.py" "$shape" "$size" "$file"
        # The agent must fail at the process, not at the file: anything else is not a full load.
        out=$("$agent" --procfile "$file" --process none 2>&1 || true)
        if [[ $out != *"no such process 'none'"* ]]; then
            skip 8 "pandora-agent, $what" "$size settings: the procfile did not load: $(tail -n 1 <<<"$out")"
            continue
        fi
        for ((i = 0; i < runs; i++)); do
            t0=$EPOCHREALTIME
            "$agent" --procfile "$file" --process none 2>/dev/null || true
            record 8 "pandora-agent, $what" "$size" ms "$(ms_since "$t0")"
            t0=$EPOCHREALTIME
            "$gen" --dry-run "$file" >/dev/null
            record 8 "pandora-gen --dry-run, $what" "$size" ms "$(ms_since "$t0")"
        done
        # libconfig alone is quadratic in a group's members (28 s at 50,000 variables, about 2 minutes
        # at 100,000): above 10,000 settings it runs once.
        peer_runs=$runs
        ((size <= 10000)) || peer_runs=1
        if ! ms=$("$here/libconfig-read.py" "$file" "$peer_runs" 2>&1); then
            skip 8 "libconfig, $what" "libconfig-read.py failed: $(tail -n 1 <<<"$ms")"
            continue
        fi
        while read -r m; do record 8 "libconfig, $what" "$size" ms "$m"; done <<<"$ms"
        rm -f "$file"
    done
done
