#!/bin/bash
# pandora-gen's command line against a real systemd: installing a procfile brings up every instance
# under the real agent, a scaled group shares one socket and every instance answers on it, a new scale
# leaves exactly the new number of instances, a broken procfile changes nothing, --persistent with
# autostart links the app from multi-user.target, and --remove takes everything away.
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

tap_plan 19
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
tap_is "$(sandbox_run systemctl show -p ActiveState --value shop-web.socket)" "active" "the socket listens"
tap_is "$(who_answers 30)" "web 1 web 2 web 3" "every web instance answers on the shared port"

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
tap_done
