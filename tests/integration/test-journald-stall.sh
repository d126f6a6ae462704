#!/bin/bash
# The agent never waits for journald (issue 19, finding 4). journald is stopped (SIGSTOP) for 20 s while
# a child of an instance with `watchdog_ms = 3000;` writes a burst of 200,000 lines: all the while the
# agent answers `busctl get-property` within 1 s and its loop keeps turning, the child is made to wait in
# write() (back-pressure: the agent's queue is bounded, the pipe is left unread), and the watchdog does
# not fire. After SIGCONT every line arrives, in order, exactly once, with its fields.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

lines=200000
stall_s=20
unit=stall-web@1.service
bus_name=io.pandora.stall.web.i1

tap_plan 13
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

# The burst waits for /run/stall/go, then writes as fast as it can, saying how far it got every 5,000
# lines in /run/stall/progress.
sandbox_write /etc/stall/burst.py <<'EOF'
import os, sys, time
n = int(sys.argv[1])
while not os.path.exists("/run/stall/go"):
    time.sleep(0.05)
out = sys.stdout.buffer
pad = b"x" * 50
def progress(i):
    with open("/run/stall/progress.tmp", "w") as f:
        f.write("%d\n" % i)
    os.rename("/run/stall/progress.tmp", "/run/stall/progress")
for i in range(1, n + 1):
    out.write(b"%07d %s\n" % (i, pad))
    if i % 5000 == 0:
        out.flush()
        progress(i)
out.flush()
progress(n)
os.execv("/bin/sleep", ["sleep", "1000"])
EOF
sandbox_run mkdir -p /run/stall
tap_ok "install stall.procfile (watchdog_ms = 3000)" agent_install_procfile stall <<EOF
app = "stall";
log_rate_limit = { interval_s = 1; burst = 1000000; };
processes = { web = { entry = "/bin/sleep 1000"; watchdog_ms = 3000; restart_delay_ms = 100; }; };
services = { burst = { process = "web"; exec = "/usr/bin/python3 /etc/stall/burst.py $lines"; }; };
EOF
tap_ok "systemctl start stall.target" sandbox_run systemctl start stall.target

# bus_get OBJECT INTERFACE PROPERTY: the property's value, as busctl prints it without the type; fails
# when the agent does not answer within 1 s.
bus_get() {
    sandbox_run busctl --timeout=1 get-property "$bus_name" "$1" "$2" "$3" | cut -d' ' -f2-
}
# shellcheck disable=SC2317 # called through sandbox_wait
agent_running() {
    [[ $(bus_get /io/pandora/Agent io.pandora.Agent1 State) == '"running"' ]]
}
tap_ok "the instance is on the bus and running" sandbox_wait 15 agent_running
main_pid=$(agent_prop "$unit" MainPID)
iterations_before=$(bus_get /io/pandora/Metrics io.pandora.Metrics1 LoopIterations || echo 0)

# --- journald stopped, the burst begins
journald=$(agent_prop systemd-journald.service MainPID)
tap_ok "journald is stopped (SIGSTOP)" sandbox_run kill -STOP "$journald"
sandbox_run touch /run/stall/go
samples=0 slow=0 failed=0 max_ms=0
end=$((SECONDS + stall_s))
while ((SECONDS < end)); do
    t0=$(date +%s%N)
    if state=$(bus_get /io/pandora/Agent io.pandora.Agent1 State 2>/dev/null) && [[ $state == '"running"' ]]; then
        ms=$((($(date +%s%N) - t0) / 1000000))
        ((ms > max_ms)) && max_ms=$ms
        ((ms >= 1000)) && slow=$((slow + 1))
    else
        failed=$((failed + 1))
    fi
    samples=$((samples + 1))
    sleep 0.2
done
tap_diag "$samples get-property calls while journald was stopped, the slowest in $max_ms ms"
tap_is "$failed $slow" "0 0" "busctl get-property answers within 1 s throughout the $stall_s s"
iterations_after=$(bus_get /io/pandora/Metrics io.pandora.Metrics1 LoopIterations || echo 0)
tap_ok "the agent's loop keeps turning" test "${iterations_after:-0}" -gt "${iterations_before:-0}"
progress=$(sandbox_run cat /run/stall/progress 2>/dev/null || echo 0)
tap_diag "the burst had written $progress of $lines lines when journald was still stopped"
tap_ok "the child waits in write(): the agent stopped reading its pipe (back-pressure)" \
    test "$progress" -lt "$lines"
tap_ok "journald continues (SIGCONT)" sandbox_run kill -CONT "$journald"

# --- nothing lost, nothing killed
tap_is "$(agent_prop "$unit" MainPID) $(agent_prop "$unit" NRestarts) $(agent_prop "$unit" ActiveState)" \
    "$main_pid 0 active" "the instance was not killed: same agent, no restart, still active"

# burst_lines [FIELD=VALUE...]: the burst's messages, after a sync.
burst_lines() {
    sandbox_run journalctl --sync
    sandbox_run journalctl -b -o cat --no-pager PANDORA_APP=stall SYSLOG_IDENTIFIER=burst "$@"
}
# shellcheck disable=SC2317 # called through sandbox_wait
burst_complete() {
    [[ $(burst_lines | wc -l) -ge $lines ]]
}
sandbox_wait 90 burst_complete || true
tap_ok "all $lines lines arrive, in order, exactly once" \
    diff <(python3 -c 'import sys
for i in range(1, int(sys.argv[1]) + 1): print("%07d %s" % (i, "x" * 50))' "$lines") <(burst_lines)
tap_is "$(burst_lines PANDORA_PROCESS=web PANDORA_INSTANCE=1 PANDORA_SERVICE=burst PRIORITY=6 _SYSTEMD_UNIT=$unit | wc -l)" \
    "$lines" "every one with PANDORA_PROCESS, PANDORA_INSTANCE, PANDORA_SERVICE, PRIORITY and the unit"
tap_is "$(sandbox_run journalctl -b -o json --no-pager PANDORA_APP=stall SYSLOG_IDENTIFIER=burst | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l).get("SYSLOG_PID", "").isdigit()))')" \
    "$lines" "and its SYSLOG_PID"
tap_done
