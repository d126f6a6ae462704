#!/bin/bash
# Production settings (issue 17) under the box's real systemd:
# - every instance runs hardened by default, and still serves: Node's unmodified hello world and
#   `python3 -m http.server` under "default" and "strict", with the settings systemd shows, an app
#   writing under its dir, /tmp private to the instance, /etc read-only, and `writable` paths;
# - `systemd-analyze security` of the generated units within each profile's bar (4.0 and 2.0);
# - resource limits as systemd shows them;
# - env_file: dotenv values reach the app, the procfile's env wins over them, a "-" file may be
#   missing, a missing or malformed file fails the start with FILE:LINE in the journal.
# Loopback only, every wait bounded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

source_dir=$(cd "$(dirname "$0")/../.." && pwd)

# app APP PORT ENTRY HARDENING [MORE]: /srv/APP/procfile with one web group listening on PORT.
app() {
    printf 'app = "%s";\nprocesses = { web = { entry = "%s"; listen = [ "%s" ]; hardening = "%s"; %s }; };\n' \
        "$1" "$3" "$2" "$4" "${5:-}" | sandbox_write "/srv/$1/procfile"
}

install_start() { sandbox_run pandora-gen "/srv/$1/procfile" >/dev/null && sandbox_run systemctl start "$1.target"; }
show() { sandbox_run systemctl show -p "$2" --value "$1"; }
answers() { [[ $(sandbox_run curl -s --max-time 5 "http://127.0.0.1:$1/${3:-}") == *"$2"* ]]; }

# score UNIT: systemd-analyze security's overall exposure of a loaded unit, as a number.
score() {
    sandbox_run systemd-analyze security --no-pager "$1" 2>/dev/null |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a <= b) }'; }

tap_plan 36
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_write /srv/node/server.js <"$source_dir/examples/unmodified/server.js"
sandbox_run sh -c 'mkdir -p /srv/py /var/lib/pyout && echo "hello from python" >/srv/py/index.html'

# --- default: Node's hello world, and what the profile sets
app node 3000 ./server.js default
tap_ok "node under hardening = default starts" install_start node
tap_ok "and serves" answers 3000 "Hello World"
tap_is "$(show node-web@1.service ProtectSystem)" full "ProtectSystem=full"
tap_is "$(show node-web@1.service PrivateTmp)" yes "PrivateTmp=yes"
tap_is "$(show node-web@1.service NoNewPrivileges)" yes "NoNewPrivileges=yes"
tap_ok "exposure of the default profile is at most 4.0 ($(score node-web@1.service))" \
    at_most "$(score node-web@1.service)" 4.0

# --- strict: python3 -m http.server writing a log under its dir and a writable path
app py 8000 "/bin/sh -c 'echo started >/srv/py/started.log; echo w >/var/lib/pyout/w; exec /usr/bin/python3 -m http.server 8000'" \
    strict 'writable = [ "/var/lib/pyout" ];'
tap_ok "python under hardening = strict starts" install_start py
tap_ok "and serves" answers 8000 "hello from python" index.html
tap_is "$(sandbox_run cat /srv/py/started.log)" started "it wrote under its dir"
tap_is "$(sandbox_run cat /var/lib/pyout/w)" w "and in a writable path"
tap_is "$(show py-web@1.service ProtectSystem)" strict "ProtectSystem=strict"
tap_ok "exposure of the strict profile is at most 2.0 ($(score py-web@1.service))" \
    at_most "$(score py-web@1.service)" 2.0
tap_ok "under strict the app can't write /etc" sandbox_run sh -c \
    'pid=$(systemctl show -p MainPID --value py-web@1.service); ! nsenter -t "$pid" -m sh -c "echo x >/etc/strict-test" 2>/dev/null'

# --- off, and limits
app off 3001 ./server.js off 'memory_max = "256M"; memory_high = "200M"; cpu_quota = "50%"; cpu_weight = 50; tasks_max = 64; nofile = 4096;'
sandbox_run sh -c 'sed "s/3000/3001/" /srv/node/server.js >/srv/off/server.js'
tap_ok "hardening = off with limits starts" install_start off
tap_is "$(show off-web@1.service ProtectSystem)" no "off sets no sandboxing"
tap_is "$(show off-web@1.service MemoryMax) $(show off-web@1.service MemoryHigh)" "268435456 209715200" \
    "MemoryMax and MemoryHigh"
tap_is "$(show off-web@1.service CPUQuotaPerSecUSec) $(show off-web@1.service CPUWeight)" "500ms 50" "CPUQuota and CPUWeight"
tap_is "$(show off-web@1.service TasksMax) $(show off-web@1.service LimitNOFILE)" "64 4096" "TasksMax and LimitNOFILE"

# --- env_file
sandbox_write /srv/envapp/.env <<'EOF_ENV'
# the app's settings
export GREETING="hello \"env\""
FROM_FILE='single $quoted'
OVERRIDDEN=from-file
EOF_ENV
printf 'app = "envapp";\nprocesses = { job = { entry = "/bin/sh -c '"'"'echo GREETING=$GREETING FROM_FILE=$FROM_FILE OVERRIDDEN=$OVERRIDDEN; sleep 600'"'"'"; env_file = [ ".env", "-.env.local" ]; env = { OVERRIDDEN = "from-procfile"; }; }; };\n' |
    sandbox_write /srv/envapp/procfile
tap_ok "an app with env_file starts (a missing -.env.local is fine)" install_start envapp
envline() { sandbox_run journalctl PANDORA_APP=envapp -o cat | grep '^GREETING='; }
sandbox_wait 5 envline >/dev/null || true
tap_is "$(envline)" 'GREETING=hello "env" FROM_FILE=single $quoted OVERRIDDEN=from-procfile' \
    "dotenv values reach the app, the procfile's env wins"
printf 'A=1\nnot valid\n' | sandbox_write /srv/envapp/.env
sandbox_run systemctl restart envapp-job@1.service 2>/dev/null || true
failed_line() { sandbox_run journalctl PANDORA_APP=envapp -o cat | grep -qx '/srv/envapp/.env:2: expected KEY=value'; }
tap_ok "a malformed .env fails the start with FILE:LINE: message" sandbox_wait 5 failed_line
# --- stderr_priority
printf 'app = "errs";\nprocesses = { job = { entry = "/bin/sh -c '"'"'echo plain-stderr >&2; sleep 600'"'"'"; stderr_priority = "err"; }; };\nservices = { quiet = { process = "job"; exec = "/bin/sh -c '"'"'echo quiet-stderr >&2; sleep 600'"'"'"; stderr_priority = "info"; }; };\n' |
    sandbox_write /srv/errs/procfile
tap_ok "an app with stderr_priority starts" install_start errs
prio_of() { sandbox_run journalctl PANDORA_APP=errs MESSAGE="$1" -o export | sed -n 's/^PRIORITY=//p' | head -n1; }
logged_both() { [[ -n $(prio_of plain-stderr) && -n $(prio_of quiet-stderr) ]]; }
sandbox_wait 5 logged_both || true
tap_is "$(prio_of plain-stderr) $(prio_of quiet-stderr)" "3 6" "stderr at the process's \"err\", a service's own \"info\" wins"

# --- an unprivileged instance publishes its metrics; no other user may own or take its names
sandbox_run useradd --system --no-create-home --shell /usr/sbin/nologin shopuser
printf 'app = "pol";\nprocesses = { web = { entry = "/bin/sleep infinity"; user = "shopuser"; }; };\n' |
    sandbox_write /srv/pol/procfile
request_name_as_nobody() {
    sandbox_run setpriv --reuid=nobody --regid=nogroup --clear-groups dbus-send --system --print-reply \
        --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.RequestName \
        "string:$1" uint32:0 2>&1
}
policy_written() {
    sandbox_run pandora-gen /srv/pol/procfile >/dev/null &&
        sandbox_run grep -q '<policy user="shopuser">' /etc/dbus-1/system.d/pandora-app-pol.conf
}
tap_ok "pandora-gen writes the app's D-Bus policy" policy_written
tap_ok "before it starts, another user can't own its name" grep -q AccessDenied <<<"$(request_name_as_nobody io.pandora.pol.web.i1)"
sandbox_run systemctl start pol.target
tap_is "$(sandbox_run ps -o user= -p "$(show pol-web@1.service MainPID)")" shopuser "the instance runs as its user"
published() { sandbox_run busctl get-property io.pandora.pol.web.i1 /io/pandora/Metrics io.pandora.Metrics1 ServicesRunning >/dev/null; }
tap_ok "and publishes its metrics under its bus name" sandbox_wait 10 published
tap_ok "while it runs, another user can't take any of its process's names" \
    grep -q AccessDenied <<<"$(request_name_as_nobody io.pandora.pol.web.i2)"
policy_removed() {
    sandbox_run pandora-gen --remove pol >/dev/null && ! sandbox_run test -e /etc/dbus-1/system.d/pandora-app-pol.conf
}
tap_ok "--remove takes the policy away" policy_removed

# --- memory_restart and memory_max
sandbox_write /srv/mem/grow.py <<'EOF_PY'
import http.server
hog = []
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/grow":
            hog.append(bytearray(96 * 1024 * 1024))
        body = b"mem ok\n"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", 3002), H).serve_forever()
EOF_PY
app mem 3002 "/usr/bin/python3 -u grow.py" default 'memory_restart = "64M"; env = { PANDORA_METRICS_INTERVAL_MS = "300"; };'
tap_ok "an app with memory_restart starts" install_start mem
agent_pid=$(show mem-web@1.service MainPID)
sandbox_run curl -s --max-time 5 http://127.0.0.1:3002/grow >/dev/null
memory_restarted() {
    [[ $(sandbox_run busctl get-property io.pandora.mem.web.i1 /io/pandora/Metrics io.pandora.Metrics1 MemoryRestarts) == "t 1" ]]
}
tap_ok "memory above memory_restart: one graceful restart (MemoryRestarts = 1)" sandbox_wait 10 memory_restarted
tap_ok "with its MESSAGE_ID in the journal" sh -c '[ -n "$1" ]' _ \
    "$(sandbox_run journalctl PANDORA_APP=mem MESSAGE_ID=7e9d4b2c5a1f4e8d9c3b6a0f2d5e8c17 -o cat)"
tap_is "$(show mem-web@1.service MainPID) $(show mem-web@1.service NRestarts)" "$agent_pid 0" \
    "the agent stayed, systemd restarted nothing"
tap_ok "the new generation serves" answers 3002 "mem ok"
app oom 3003 "/usr/bin/python3 -c 'x = bytearray(256 * 1024 * 1024); import time; time.sleep(600)'" default \
    'memory_max = "64M"; restart_delay_ms = 500;'
if sandbox_run grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    sandbox_run pandora-gen /srv/oom/procfile >/dev/null
    sandbox_run systemctl start --no-block oom.target
    oom_restarted() { (( $(show oom-web@1.service NRestarts) >= 1 )); }
    tap_ok "above memory_max the kernel kills it and systemd restarts it" sandbox_wait 15 oom_restarted
    sandbox_run pandora-gen --remove oom >/dev/null || true
else
    # A hybrid host binds the memory controller to cgroup v1: systemd can't enforce MemoryMax= here.
    tap_skip "above memory_max the kernel kills it and systemd restarts it" "no cgroup v2 memory controller on this host"
fi

tap_done
