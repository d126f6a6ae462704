#!/bin/bash
# pandora-agent on D-Bus under a real systemd and dbus (issue 6): every instance owns
# io.pandora.<app>.<process>.i<N>; its indicators read with busctl get-property and all at once with
# Metrics(); a child's statsd lines to $PANDORA_METRICS_SOCKET show in Metrics() and under its service's
# object; an unprivileged user reads but can't call the root-only Refresh(); an instance restarted after
# a child's kill -9 reports Restarts = 1; and the agent is back on the bus right after dbus restarts.
# shellcheck disable=SC2016,SC2317 # checks are eval'd by tap_ok and sandbox_wait, which call the helpers
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

bus_name=io.pandora.met.web.i1
unit=met-web@1.service

# bus_get OBJECT INTERFACE PROPERTY: the property's value as busctl prints it, without the type.
bus_get() {
    sandbox_run busctl get-property "$bus_name" "$1" "$2" "$3" | cut -d' ' -f2-
}

# metric PROPERTY: one indicator of io.pandora.Metrics1.
metric() {
    bus_get /io/pandora/Metrics io.pandora.Metrics1 "$1"
}

# metrics_json: Metrics() as {key: value}.
metrics_json() {
    sandbox_run busctl call "$bus_name" /io/pandora/Agent io.pandora.Agent1 Metrics --json=short |
        python3 -c 'import json, sys; d = json.load(sys.stdin)["data"][0]; print(json.dumps({k: v["data"] for k, v in d.items()}))'
}

# json_get KEY: the value of KEY in the JSON object on stdin, or "none".
json_get() {
    python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], "none"))' "$1"
}

# bus_has_name NAME: whether NAME is on the box's system bus now.
bus_has_name() {
    sandbox_run busctl list --no-pager --acquired | awk '{print $1}' | grep -qxF "$1"
}

# restarts_is N: whether the instance's Restarts indicator is N (for sandbox_wait across the restart).
restarts_is() {
    [[ $(metric Restarts 2>/dev/null) == "$1" ]]
}

tap_plan 17
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

# A statsd client in python3 (no nc -U in the box): three good lines in one datagram, one malformed.
sandbox_write /srv/met/send.py <<'EOF'
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
path = os.environ["PANDORA_METRICS_SOCKET"]
s.sendto(b"requests:3|c\ntemperature:42.5|g\nlatency:12|ms", path)
s.sendto(b"requests:2|c|@0.5", path)
s.sendto(b"not a statsd line", path)
time.sleep(1000)
EOF
tap_ok "install met.procfile" agent_install_procfile met <<'EOF'
app = "met";
processes = {
    web = {
        entry = "/bin/sleep 1000";
        scale = 2;
        restart_delay_ms = 100;
    };
};
services = {
    stats = { process = "web"; exec = "/usr/bin/python3 /srv/met/send.py"; };
    victim = { process = "web"; exec = "/bin/sleep 1000"; };
};
EOF

sandbox_run systemctl start met.target
tap_ok "busctl list shows a name per instance" \
    sandbox_wait 10 eval 'bus_has_name io.pandora.met.web.i1 && bus_has_name io.pandora.met.web.i2'
tap_ok "the instance is running" sandbox_wait 10 eval '[[ $(bus_get /io/pandora/Agent io.pandora.Agent1 State) == "\"running\"" ]]'
tap_is "$(bus_get /io/pandora/Agent io.pandora.Agent1 App) $(bus_get /io/pandora/Agent io.pandora.Agent1 Unit)" \
    '"met" "met-web@1.service"' "Agent1 names the app and the unit"

props="ServicesRunning=$(metric ServicesRunning) Restarts=$(metric Restarts)"
tap_is "$props" "ServicesRunning=2 Restarts=0" "get-property: ServicesRunning and Restarts"
# Sampled values are 10 s old at most; Refresh() (root) samples now, with every child running.
sandbox_run busctl call "$bus_name" /io/pandora/Agent io.pandora.Agent1 Refresh
tap_ok "get-property: uptime, RSS, cgroup tasks, host memory, log entries, loop iterations are real numbers" eval '
    (( $(metric UptimeUSec) > 0 && $(metric MemoryRSSBytes) > 0 && $(metric CgroupTasks) >= 4 &&
       $(metric HostMemoryTotalBytes) > 0 && $(metric LogEntriesInfo) > 0 && $(metric LoopIterations) > 0 ))'
# Absent values read as UINT64_MAX or nan, and are named by Absent. Here only those may be absent that
# need two samples, a newer kernel (memory.peak), or the memory controller on cgroup v2 (a hybrid host).
maybe_absent='CPUUsagePercent|CgroupCPUUsagePercent|CgroupMemoryPeakBytes'
sandbox_run grep -qw memory /sys/fs/cgroup/cgroup.controllers || maybe_absent+='|CgroupMemoryCurrentBytes'
absent=$(bus_get /io/pandora/Metrics io.pandora.Metrics1 Absent | tr ' ' '\n' | sed '1d; s/"//g' |
    { grep -vxE "$maybe_absent" || true; } | tr '\n' ' ')
tap_is "$absent" "" "no other indicator is absent"

json=$(metrics_json)
n=$(python3 -c 'import json, sys; print(sum(1 for k in json.loads(sys.argv[1]) if ":" not in k))' "$json")
tap_ok "Metrics() returns the built-in indicators in one call ($n)" test "$n" -ge 30
n_list=$(sandbox_run busctl call "$bus_name" /io/pandora/Metrics io.pandora.Metrics1 List | cut -d' ' -f2)
tap_ok "List() names at least 30 indicators ($n_list)" test "$n_list" -ge 30

socket=$(for pid in $(agent_children "$unit"); do
    sandbox_run cat "/proc/$pid/environ" | tr '\0' '\n' | sed -n 's/^PANDORA_METRICS_SOCKET=//p'
done | sort | tr '\n' ' ')
tap_is "$socket" "/run/pandora-agent/met-web@1/metrics-entry.sock /run/pandora-agent/met-web@1/metrics-stats.sock /run/pandora-agent/met-web@1/metrics-victim.sock " \
    "each child has its own PANDORA_METRICS_SOCKET under the unit's runtime directory"

# The child sends at start; wait until all of it arrived.
sandbox_wait 10 eval '[[ $(metrics_json | json_get stats:requests) == 7 ]]' || true
json=$(metrics_json)
got=$(for k in stats:requests stats:temperature stats:latency.count stats:latency.sum StatsdLines StatsdMalformed; do
    printf '%s=%s ' "$k" "$(json_get "$k" <<<"$json")"
done)
tap_is "$got" "stats:requests=7 stats:temperature=42.5 stats:latency.count=1 stats:latency.sum=12.0 StatsdLines=4 StatsdMalformed=1 " \
    "the child's statsd lines show in Metrics(), the malformed one counted"
tap_is "$(sandbox_run busctl get-property "$bus_name" /io/pandora/service/stats io.pandora.Service1 State Starts Counters)" \
    "$(printf '%s\n' 's "running"' 't 1' 'a{sv} 6 "requests" x 7 "temperature" d 42.5 "latency.count" t 1 "latency.sum" d 12 "latency.min" d 12 "latency.max" d 12')" \
    "the service's object has its state, starts and counters"

nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
tap_ok "an unprivileged user reads properties and calls Metrics()" eval '
    sandbox_run "${nobody[@]}" busctl get-property "$bus_name" /io/pandora/Metrics io.pandora.Metrics1 UptimeUSec >/dev/null &&
    sandbox_run "${nobody[@]}" busctl call "$bus_name" /io/pandora/Agent io.pandora.Agent1 Metrics >/dev/null'
denied=$(sandbox_run "${nobody[@]}" busctl call "$bus_name" /io/pandora/Agent io.pandora.Agent1 Refresh 2>&1) && denied=allowed
tap_ok "but can't call the root-only Refresh(), which root can ($denied)" eval '
    [[ $denied == *"Access denied"* ]] && sandbox_run busctl call "$bus_name" /io/pandora/Agent io.pandora.Agent1 Refresh'

main=$(agent_prop "$unit" MainPID) victim=
for pid in $(agent_children "$unit"); do
    [[ $(sandbox_run cat "/proc/$pid/environ" | tr '\0' '\n') == *PANDORA_SERVICE=victim* ]] && victim=$pid
done
sandbox_run kill -9 "$victim"
tap_ok "after kill -9 of a child the restarted instance reports Restarts = 1" \
    sandbox_wait 15 eval '[[ $(agent_prop "$unit" MainPID) != "$main" ]] && restarts_is 1'

start=$EPOCHREALTIME
sandbox_run systemctl restart dbus.service
sandbox_wait 10 bus_has_name "$bus_name" || true
elapsed_ms=$(( (${EPOCHREALTIME//[.,]/} - ${start//[.,]/}) / 1000 ))
tap_ok "after systemctl restart dbus the name is back within 2 s ($elapsed_ms ms)" eval '
    bus_has_name "$bus_name" && bus_has_name io.pandora.met.web.i2 && ((elapsed_ms < 2000)) && restarts_is 1'
tap_done
