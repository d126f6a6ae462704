#!/bin/bash
# When things go wrong, pandora-agent leaves the decision to systemd: a service that can't start makes
# the agent roll back what it started and exit 1, and systemd restarts the instance per Restart=,
# counting in NRestarts; an exec child killed with SIGKILL fails the instance, which systemd restarts;
# a module built for another ABI is refused before anything starts, with a message that says so; a
# child that stops sending WATCHDOG=1 lets the unit's watchdog fire; a procfile edited since the last
# daemon-reload is named in the journal.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

tap_plan 16
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

# 1. A service that can't start: 'ok' starts, 'bad' can't be executed, 'ok' is stopped again.
tap_ok "install flaky.procfile" agent_install_procfile flaky <<'EOF2'
app = "flaky";
processes = { web = { restart_delay_ms = 100; }; };
services = {
    ok = { process = "web"; exec = "/bin/sleep 1000"; };
    bad = { process = "web"; exec = "/nonexistent/bin/server"; dependencies = [ "ok" ]; };
};
EOF2
sandbox_run systemctl start --no-block flaky.target
tap_ok "systemd restarts the instance: NRestarts reaches 2" sandbox_wait 15 agent_prop_at_least flaky-web@1.service NRestarts 2
journal=$(agent_journal flaky-web@1.service)
tap_ok "the journal says why 'bad' failed" grep -qxF \
    "Service 'bad' failed to start: can't execute '/nonexistent/bin/server': No such file or directory" <<<"$journal"
tap_is "$(grep -E "^(Starting|Started|Stopping|Stopped) service" <<<"$journal" | head -n 5)" "$(printf '%s\n' \
    "Starting service 'ok' (1/2)" "Started service 'ok'" "Starting service 'bad' (2/2)" "Stopping service 'ok'" \
    "Stopped service 'ok'")" "the started service is rolled back"
tap_is "$(agent_prop flaky-web@1.service ExecMainStatus)" 1 "the agent exits 1"
sandbox_run systemctl stop flaky.target 'flaky-web@*.service'

# 2. kill -9 of an exec child: the instance fails and is restarted.
tap_ok "install phoenix.procfile" agent_install_procfile phoenix <<'EOF2'
app = "phoenix";
processes = { web = { entry = "/bin/sleep 1000"; restart_delay_ms = 100; }; };
services = { svc = { process = "web"; exec = "/bin/sleep 1001"; }; };
EOF2
sandbox_run systemctl start phoenix.target
svc_pid=$(sandbox_run pgrep -f -x '/bin/sleep 1001')
sandbox_run kill -KILL "$svc_pid"
tap_ok "after kill -9 of its child the instance is restarted (NRestarts=1)" \
    sandbox_wait 10 agent_prop_is phoenix-web@1.service NRestarts 1
tap_ok "and runs again" sandbox_wait 10 agent_prop_is phoenix-web@1.service ActiveState active
tap_ok "the journal names the signal" grep -qxF "Service 'svc' stopped on its own: killed by signal KILL" \
    <<<"$(agent_journal phoenix-web@1.service)"

# 3. A module for another ABI is refused before anything starts.
agent_install_procfile badabi <<EOF2
app = "badabi";
processes = { background = { restart = "no"; }; };
services = {
    first = { process = "background"; exec = "/bin/sleep 1000"; };
    old = { process = "background"; module = "$MESON_BUILD_ROOT/tests/unit/test-agent-module-abi99.so"; };
};
EOF2
sandbox_run systemctl start badabi.target || true
sandbox_wait 10 agent_prop_is badabi-background@1.service ActiveState failed || true
journal=$(agent_journal badabi-background@1.service)
tap_ok "the journal says the module was built for ABI 99" grep -qF \
    "services.old.module: '$MESON_BUILD_ROOT/tests/unit/test-agent-module-abi99.so' was built for service ABI 99, this agent implements ABI 1" \
    <<<"$journal"
tap_is "$(agent_prop badabi-background@1.service ExecMainStatus) $(grep -c '^Starting service' <<<"$journal" || true)" \
    "6 0" "the agent exits 6 (not configured) without starting anything"

# 4. A child that sent WATCHDOG=1 once and then no more: the agent stops pinging and systemd's
# watchdog restarts the instance.
agent_install_procfile dog <<'EOF2'
app = "dog";
processes = { web = { watchdog_ms = 1000; restart_delay_ms = 100; }; };
services = { sleepy = { process = "web"; exec = "/bin/sh -c 'systemd-notify WATCHDOG=1; exec sleep 1000'"; }; };
EOF2
sandbox_run systemctl start dog.target
tap_ok "a child that stops pinging gets the instance restarted by the watchdog" \
    sandbox_wait 15 agent_prop_at_least dog-web@1.service NRestarts 1
tap_ok "the journal names the child" grep -qxF \
    "Service 'sleepy' sent no WATCHDOG=1 for more than 1000 ms, letting the instance's watchdog expire" \
    <<<"$(agent_journal dog-web@1.service)"
sandbox_run systemctl stop dog.target 'dog-web@*.service'

# 5. The procfile changed after the units were generated: the instance runs, and says so. (Its env
# can't drift: the agent hands the procfile's env to the children, the unit holds none of it.)
printf 'app = "drift";\nprocesses = { web = { entry = "/bin/sleep 1000"; scale = 1; }; };\n' |
    agent_install_procfile drift
printf 'app = "drift";\nprocesses = { web = { entry = "/bin/sleep 1000"; scale = 2; }; };\n' |
    sandbox_write /etc/pandora/drift.procfile
tap_ok "an instance of an edited procfile still starts" sandbox_run systemctl start drift-web@1.service
tap_ok "and the journal says what changed" grep -qF \
    "changed since the units were generated (scale is 2 in the procfile but 1 in the unit)" \
    <<<"$(agent_journal drift-web@1.service)"
tap_done
