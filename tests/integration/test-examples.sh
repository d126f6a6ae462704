#!/bin/bash
# examples/hello as its README runs it: pandora-gen installs it, the one instance of processA starts, and
# its entry prints the procfile's ENV_VAR1 into the journal with the instance's fields.
# (examples/cluster and examples/http-service: test-agent-examples.sh; examples/full: test-demo.sh and
# test-dev.sh.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tap_plan 5
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
tap_ok "pandora-gen examples/hello/procfile" sandbox_run pandora-gen "$source_dir/examples/hello/procfile"
tap_ok "systemctl start hello.target" sandbox_run systemctl start hello.target
tap_is "$(sandbox_run systemctl show -p ActiveState --value hello-processA@1.service)" "active" \
    "hello-processA@1.service is active"
# hello_logged: the entry's line, with the instance's fields.
hello_logged() {
    sandbox_run journalctl PANDORA_APP=hello PANDORA_PROCESS=processA PANDORA_INSTANCE=1 -o cat --no-pager |
        grep -qx 'ENV_VAR1 is some-value'
}
tap_ok "its entry prints ENV_VAR1, logged with the instance's fields" sandbox_wait 5 hello_logged
tap_done
