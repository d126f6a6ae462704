#!/bin/bash
# pandora-gen's command line against a real systemd: installing a procfile brings up every instance
# under the real agent, a scaled group shares one socket and every instance answers on it, a new scale
# leaves exactly the new number of instances, a broken procfile changes nothing, --persistent with
# autostart links the app from multi-user.target, --remove takes everything away, and an address
# another program listens on is named at install.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

here=$(cd "$(dirname "$0")" && pwd)

# write_procfile SCALE: the app as the test installs it, with web scaled to SCALE.
write_procfile() {
    sandbox_write /srv/shop/procfile <<EOF_PROCFILE
app = "shop";
processes = {
        web = {
                entry = "/usr/bin/python3 $here/http-instance.py";
                scale = $1;
                listen = [ "8080" ];
        };
        jobs = { entry = "/bin/sleep infinity"; };
};
EOF_PROCFILE
}

# active_instances: the app's service instances that systemd has active, sorted, on one line.
active_instances() {
    sandbox_run systemctl list-units --no-legend --plain --state=active 'shop-*@*.service' |
        awk '{print $1}' | LC_ALL=C sort | tr '\n' ' '
}

# who_answers N: N requests to the shared port; prints the distinct answers, sorted, on one line.
who_answers() {
    sandbox_run python3 -c '
import sys, urllib.request
seen = set()
for _ in range(int(sys.argv[1])):
    seen.add(urllib.request.urlopen("http://127.0.0.1:8080/", timeout=5).read().decode().strip())
print(" ".join(sorted(seen)))
' "$1"
}

fails_to_start() { ! sandbox_run systemctl start "$1" 2>/dev/null; }

tap_plan 24
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
tap_ok "the real agent is installed" sandbox_run test -x /usr/local/bin/pandora-agent

sandbox_run mkdir -p /srv/shop
write_procfile 3
out=$(sandbox_run pandora-gen /srv/shop/procfile 2>&1) || true
tap_diag "$out"
tap_ok "pandora-gen names the next command" grep -qx 'next: systemctl start shop.target' <<<"$out"
tap_ok "the copy names its origin" sandbox_run grep -qx '# pandora-origin: /srv/shop/procfile' \
    /run/pandora/shop.procfile
tap_ok "systemctl start shop.target" sandbox_run systemctl start shop.target
tap_is "$(active_instances)" \
    "shop-jobs@1.service shop-web@1.service shop-web@2.service shop-web@3.service " \
    "two groups, one scaled to 3: 4 instances active"
tap_is "$(sandbox_run systemctl show -p ActiveState --value shop-web@1.socket shop-web@2.socket shop-web@3.socket |
    tr -s '\n' ' ')" "active active active " "each instance's socket listens"
tap_is "$(who_answers 30)" "web 1 web 2 web 3" "every web instance answers on the shared port"
restart_often() {
    local i
    for ((i = 1; i <= 7; i++)); do
        sandbox_run systemctl restart shop.target || { echo "restart $i failed"; return 1; }
    done
}
tap_ok "systemctl restart shop.target 7 times in a row (more than systemd's default 5 starts in 10 s)" \
    restart_often

write_procfile 2
tap_ok "pandora-gen with scale 2" sandbox_run pandora-gen /srv/shop/procfile
tap_is "$(active_instances)" "shop-jobs@1.service shop-web@1.service shop-web@2.service " \
    "scale 2 leaves exactly 2 web instances"
write_procfile 4
tap_ok "pandora-gen with scale 4" sandbox_run pandora-gen /srv/shop/procfile
tap_is "$(active_instances)" \
    "shop-jobs@1.service shop-web@1.service shop-web@2.service shop-web@3.service shop-web@4.service " \
    "scale 4 on a running app starts the new instances"

installed=$(sandbox_run cat /run/pandora/shop.procfile)
printf 'app = "shop";\nprocesses = { web = { scale = -1; }; };\n' | sandbox_write /srv/shop/procfile
status=0
err=$(sandbox_run pandora-gen /srv/shop/procfile 2>&1) || status=$?
tap_is "$status: $err" \
    "1: pandora-gen: /srv/shop/procfile:2: processes.web.scale: must be an integer >= 0 or \"auto\"" \
    "a broken procfile is refused with file, line and field"
tap_is "$(sandbox_run cat /run/pandora/shop.procfile)" "$installed" "the installed copy is untouched"
tap_is "$(active_instances)" \
    "shop-jobs@1.service shop-web@1.service shop-web@2.service shop-web@3.service shop-web@4.service " \
    "the running app is untouched"

out=$(sandbox_run pandora-gen --remove shop 2>&1) || true
tap_diag "$out"
tap_is "$(sandbox_run systemctl list-units --all --no-legend --plain 'shop*' | wc -l)" "0" \
    "--remove stops and unloads every unit"
tap_ok "--remove deletes the installed copy" sandbox_run test ! -e /run/pandora/shop.procfile

# Persistent, with autostart: the generator links the app from multi-user.target.
write_procfile 1
sandbox_run sed -i '1a autostart = true;' /srv/shop/procfile
tap_ok "pandora-gen --persistent" sandbox_run pandora-gen --persistent /srv/shop/procfile
tap_is "$(sandbox_run systemctl show -p WantedBy --value shop.target)" "multi-user.target" \
    "an autostart app in /etc/pandora is wanted by multi-user.target"

# Addresses another program already listens on: pandora-gen names them and the program at install
# (and still installs: the warning is all it can do), the target fails to start on the taken port (a
# UNIX path systemd takes over), and once the port is free the app starts and a new install, its own
# socket holding them, warns of nothing.
sandbox_run systemd-run --quiet --unit=squat-tcp /usr/bin/python3 -m http.server 8090 --bind 127.0.0.1
sandbox_run systemd-run --quiet --unit=squat-unix /usr/bin/python3 -c \
    'import socket, time; s = socket.socket(socket.AF_UNIX); s.bind("/run/busy.sock"); s.listen(); time.sleep(600)'
listening() { sandbox_run sh -c 'ss -Hlnt "sport = :8090" | grep -q . && test -S /run/busy.sock'; }
sandbox_wait 10 listening || true
printf 'app = "busy";\nprocesses = {\n  web = { entry = "/bin/sleep infinity"; ready = "started";\n    listen = [ "127.0.0.1:8090", "/run/busy.sock", "8091" ]; };\n};\n' |
    sandbox_write /srv/busy/procfile
tcp_pid=$(sandbox_run systemctl show -p MainPID --value squat-tcp.service)
unix_pid=$(sandbox_run systemctl show -p MainPID --value squat-unix.service)
err=$(sandbox_run pandora-gen /srv/busy/procfile 2>&1 >/dev/null) && status=0 || status=$?
tap_is "$status
$err" "0
pandora-gen: warning: /srv/busy/procfile:3: processes.web.listen: 127.0.0.1:8090 is already in use (by python3, pid $tcp_pid): busy-web.socket can't listen there, and no instance starts, until it is free
pandora-gen: warning: /srv/busy/procfile:3: processes.web.listen: /run/busy.sock is already in use (by python3, pid $unix_pid): busy-web.socket will take the path over, and its clients will reach this app" \
    "a taken address is named at install, with its program, and the app is installed"
tap_ok "the target fails to start" fails_to_start busy.target
sandbox_run systemctl stop squat-tcp.service
sandbox_run systemctl reset-failed
tap_ok "once they are free, it starts" sandbox_run systemctl start busy.target
err=$(sandbox_run pandora-gen /srv/busy/procfile 2>&1 >/dev/null) && status=0 || status=$?
tap_is "$status:$err" "0:" "its own socket holding them, a new install warns of nothing"
tap_done
