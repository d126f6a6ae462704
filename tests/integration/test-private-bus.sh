#!/bin/bash
# An instance with dynamic_user = true (issue 17) under the box's real systemd and dbus: systemd gives it
# a user of its own (DynamicUser=yes), which dbus-daemon refuses, so the unit tells the agent
# PANDORA_BUS=private and the agent serves its objects on $RUNTIME_DIRECTORY/bus.sock instead:
# - the instance is active and runs as a dynamic user (uid 61184..65519), and is not on the system bus;
# - busctl --address=unix:path=.../bus.sock reads Agent1.State and GetManagedObjects, as root and as
#   another unprivileged user;
# - pandora-gen --status lists the instance running, with its memory, services and restarts, and so
#   does its --json; pandora-exporter's scrape has its series (up, an indicator, the service's statsd
#   counter) next to an ordinary instance's;
# - nobody else can put a socket in its place: another unprivileged user can create nothing in the
#   directory, nor remove or replace the socket.
# Loopback only, every wait bounded.
# shellcheck disable=SC2016,SC2317 # checks are eval'd by tap_ok and sandbox_wait
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

dir=/run/pandora-agent/dyn-web@1
sock=$dir/bus.sock
as_nobody() { sandbox_run setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# pbus [busctl ARGS...]: busctl on the instance's private socket.
pbus() { sandbox_run busctl --address="unix:path=$sock" "$@"; }
# state_is_running: whether Agent1.State, read on the socket as root, is "running".
state_is_running() {
    [[ $(pbus get-property io.pandora.dyn.web.i1 /io/pandora/Agent io.pandora.Agent1 State 2>&1) == 's "running"' ]]
}

tap_plan 16
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_run systemd-sysusers
sandbox_write /srv/dyn/send.py <<'EOF'
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"requests:1|c\nrequests:1|c", os.environ["PANDORA_METRICS_SOCKET"])
time.sleep(1000)
EOF
tap_ok "install dyn.procfile: a dynamic_user process and an ordinary one" agent_install_procfile dyn <<'EOF'
app = "dyn";
processes = {
    web = { entry = "/bin/sleep 1000"; dynamic_user = true; };
    plain = { entry = "/bin/sleep 1000"; };
};
services = {
    stats = { process = "web"; exec = "/usr/bin/python3 /srv/dyn/send.py"; };
};
EOF
tap_ok "the unit says DynamicUser=yes and PANDORA_BUS=private" eval '
    [[ $(agent_prop dyn-web@1.service DynamicUser) == yes &&
       $(agent_prop dyn-web@1.service Environment) == *PANDORA_BUS=private* ]]'
sandbox_run systemctl start dyn.target || true
sandbox_wait 10 agent_prop_is dyn-web@1.service ActiveState active || true
tap_is "$(agent_prop dyn-web@1.service ActiveState)" active "the instance is active"
uid=$(sandbox_run stat -c %u "/proc/$(agent_prop dyn-web@1.service MainPID)")
tap_ok "it runs as a dynamic user (uid $uid)" eval '[[ $uid =~ ^[0-9]+$ ]] && ((uid >= 61184 && uid <= 65519))'
tap_ok "its agent is not on the system bus" eval '
    ! sandbox_run busctl get-property io.pandora.dyn.web.i1 /io/pandora/Agent io.pandora.Agent1 State 2>/dev/null'

sandbox_wait 10 state_is_running || true
tap_ok "busctl --address=unix:path=$sock reads Agent1.State" state_is_running
tap_is "$(sandbox_run stat -c '%a %u' "$sock")" "666 $uid" "the socket is the dynamic user's, mode 0666"
tap_is "$(pbus get-property io.pandora.dyn.web.i1 /io/pandora/Agent io.pandora.Agent1 Unit)" 's "dyn-web@1.service"' \
    "its agent knows its unit, though ProtectProc=invisible hides /proc/1 from it"
tap_ok "... as another user too, and GetManagedObjects has Metrics1 and the service" eval '
    [[ $(as_nobody busctl --address="unix:path=$sock" get-property io.pandora.dyn.web.i1 /io/pandora/Agent \
           io.pandora.Agent1 Process) == "s \"web\"" ]] &&
    objects=$(as_nobody busctl --address="unix:path=$sock" call io.pandora.dyn.web.i1 /io/pandora \
           org.freedesktop.DBus.ObjectManager GetManagedObjects) &&
    [[ $objects == *"\"/io/pandora/Metrics\""* && $objects == *"\"/io/pandora/service/stats\""* ]]'

sandbox_wait 10 eval '[[ $(sandbox_run pandora-gen --status dyn 2>&1) == *"web@1 "*"running"* ]]' || true
out=$(sandbox_run pandora-gen --status dyn 2>&1) || true
tap_ok "pandora-gen --status: web@1 running, its restarts, memory and services" eval '
    grep -qE "^web@1 +running +[0-9]+ +[0-9hms]+ +0 +[0-9.]+% +[0-9.]+[BKMGT] +1/1 " <<<"$out"'
[[ $out == *"web@1"* ]] || tap_diag "$out"
tap_ok "--json: the agent answered, with its memory and the start systemd gave" json_check dyn '
i = [i for i in d["apps"][0]["instances"] if i["process"] == "web"][0]
assert i["state"] == "running" and i["agent"] is True, i
assert i["memory_bytes"] > 0 and i["restarts"] == 0 and i["uptime_seconds"] >= 0, i
assert i["services_ready"] == 1 and i["services_total"] == 1, i'

sandbox_run systemctl start pandora-exporter.socket
scrape_has_counter() {
    text=$(sandbox_run curl -sS --max-time 10 http://127.0.0.1:9687/metrics) &&
        [[ $(sample pandora_app_requests_total 'app="dyn",process="web",instance="1",service="stats"') == 2 ]]
}
sandbox_wait 15 scrape_has_counter || true
tap_is "$(sample pandora_instance_up 'app="dyn",process="web",instance="1"') $(
          sample pandora_instance_up 'app="dyn",process="plain",instance="1"')" "1 1" \
    "the exporter: pandora_instance_up for the dynamic-user instance and the ordinary one"
tap_ok "... its indicators and its service's statsd counter, read on the private socket" eval '
    [[ $(sample pandora_app_requests_total "app=\"dyn\",process=\"web\",instance=\"1\",service=\"stats\"") == 2 &&
       $(sample pandora_uptime_seconds "app=\"dyn\",process=\"web\",instance=\"1\"") != none &&
       $(sample pandora_uptime_seconds "app=\"dyn\",process=\"plain\",instance=\"1\"") != none ]]'

tap_ok "another user can create nothing in $dir" eval '
    ! as_nobody touch "$dir/x" 2>/dev/null &&
    ! as_nobody python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"$dir/y.sock\")" 2>/dev/null &&
    [[ -z $(sandbox_run find "$dir" -maxdepth 1 -name "[xy]*") ]]'
tap_ok "... nor remove or replace the socket" eval '
    ! as_nobody rm -f "$sock" 2>/dev/null && ! as_nobody mv "$sock" "$sock.old" 2>/dev/null &&
    sandbox_run test -S "$sock" && state_is_running'

tap_done
