#!/bin/bash
# The README's first command, tools/demo.sh, run as a newcomer runs it (in the sandbox, reusing this
# build): every unit of the demo app becomes active, the port is answered by several web
# instances, the journal lines carry their writers, and the app is removed at the end.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tap_plan 6
status=0
out=$(PANDORA_DEMO_SANDBOX=1 PANDORA_BUILD_DIR=${MESON_BUILD_ROOT:?run under meson} \
    "$source_dir/tools/demo.sh" 2>&1) || status=$?
tap_diag "$out"
tap_is "$status" "0" "tools/demo.sh exits 0"
tap_is "$(grep -cE '^full[-.].* loaded active (running|active) ' <<<"$out")" "10" \
    "all 10 units of the demo app are active (the target, 5 instances, 4 instances' sockets)"
answered=$(sed -n 's/^instances that answered: //p' <<<"$out")
tap_ok "several web instances answered ($answered)" test "$(wc -w <<<"$answered")" -ge 4
tap_ok "journal lines name process and instance" grep -qE '^web\.[1-4] ' <<<"$out"
tap_is "$(grep -c 'removed (stopped)$' <<<"$out")" "11" "--remove stops every unit (10, and the stop helper; the start helper is not running)"
tap_ok "it ends by naming the test command" grep -qx 'demo: done. The whole test suite: sudo tools/test.sh' <<<"$out"
tap_done
