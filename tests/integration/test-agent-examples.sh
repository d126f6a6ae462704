#!/bin/bash
# The examples under systemctl: examples/cluster (Node.js, app.js at fd 3) as a scaled worker group
# behind one socket, where every instance answers on the shared port, also after one was killed with
# SIGKILL and restarted; and examples/http-service, the C module, answering and logging each request
# with PANDORA_SERVICE, then stopping cleanly.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

# workers_seen PORT N [WANT]: asks PORT up to N times, one connection each, and prints the sorted
# worker numbers that answered; stops early once all of WANT (space-separated) answered.
workers_seen() {
    sandbox_run python3 -c '
import re, sys, urllib.request
port, n, want = sys.argv[1], int(sys.argv[2]), set(sys.argv[3].split())
seen = set()
for _ in range(n):
    body = urllib.request.urlopen("http://127.0.0.1:%s/" % port, timeout=5).read().decode()
    seen.update(re.findall(r"worker (\S+)", body))
    if want and want <= seen:
        break
print(" ".join(sorted(seen)))
' "$1" "$2" "${3:-}"
}

tap_plan 10
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

if sandbox_run sh -c 'command -v node' >/dev/null; then
    # examples/cluster/procfile, with its directory and a fixed scale.
    tap_ok "install cluster.procfile" agent_install_procfile cluster <<EOF2
app = "cluster";
dir = "$MESON_SOURCE_ROOT/examples/cluster";
cluster = [ "./app.js" ];
processes = { worker = { scale = 3; listen = [ "8080" ]; restart_delay_ms = 100; }; };
EOF2
    tap_ok "systemctl start cluster.target" sandbox_run systemctl start cluster.target
    tap_is "$(workers_seen 8080 300 "1 2 3")" "1 2 3" "every instance answers on the shared port 8080"
    node_pid=$(agent_children cluster-worker@2.service)
    sandbox_run kill -KILL "$node_pid"
    tap_ok "worker 2 is restarted after kill -9 of its node" \
        sandbox_wait 10 agent_prop_is cluster-worker@2.service NRestarts 1
    sandbox_wait 10 agent_prop_is cluster-worker@2.service ActiveState active || true
    tap_ok "and serves again" grep -qw 2 <<<"$(workers_seen 8080 300 2)"
else
    for name in "install cluster.procfile" "systemctl start cluster.target" "every instance answers" \
        "worker 2 restarts" "and serves again"; do
        tap_skip "$name" "node is not installed"
    done
fi

tap_ok "install hello.procfile" agent_install_procfile hello <<EOF2
app = "hello";
services = {
    httpServer = {
        process = "background";
        module = "$MESON_BUILD_ROOT/examples/http-service.so";
        config = { port = 1338; };
    };
};
EOF2
tap_ok "systemctl start hello.target" sandbox_run systemctl start hello.target
tap_is "$(sandbox_run curl -s http://127.0.0.1:1338/)" "Hello pandora" "the module answers"
sandbox_run systemctl stop hello.target
# The agent's lifecycle entries name the service too, under the process's SYSLOG_IDENTIFIER.
tap_ok "its request is in the journal under PANDORA_SERVICE=httpServer, and it stopped cleanly" \
    test "$(agent_journal hello-background@1.service PANDORA_SERVICE=httpServer SYSLOG_IDENTIFIER=httpServer)" == "$(printf '%s\n' \
        'Listening on the configured port' 'GET / HTTP/1.1')" -a \
        "$(agent_prop hello-background@1.service ExecMainStatus)" == 0
tap_done
