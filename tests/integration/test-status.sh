#!/bin/bash
# pandora-gen --status under a real systemd and dbus (issue 18): the table's exact columns and states
# for a running app (with its socket), an app with a failed instance (exit status 3, the reason and the
# last error line), a stopped app and one that is not installed (exit status 4); --json parsed by
# python3; the same rows for an unprivileged user; --watch printing again until interrupted.
# shellcheck disable=SC2016,SC2317,SC2034 # checks are eval'd by tap_ok and sandbox_wait
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

header="INSTANCE STATE PID UPTIME RESTARTS CPU MEMORY SERVICES LAST ERROR"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# status ARGS...: pandora-gen --status ARGS in the box; its output in $out, its exit status in $code.
status() {
    code=0
    out=$(sandbox_run "${status_as[@]}" pandora-gen --status "$@" 2>&1) || code=$?
}
status_as=()

# shape: $out with columns one space apart (their widths follow the values) and, in the rows of
# instances, the numbers made into their kind (PID → N, UPTIME → Ns, CPU → N%, MEMORY → NB), so that
# a table can be compared whole.
shape() {
    awk '{ $1 = $1 }
        $1 ~ /@/ && NF >= 9 {
            if ($3 ~ /^[0-9]+$/) $3 = "N"
            if ($4 ~ /^[0-9]+(s|m[0-9]+s|h[0-9]+m)$/) $4 = "Ns"
            if ($6 ~ /^[0-9.]+%$/) $6 = "N%"
            if ($7 ~ /^[0-9.]+[BKMGT]$/) $7 = "NB"
        }
        { print }' <<<"$out"
}

tap_plan 17
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

tap_ok "install run, fail, stop and idle" eval '
agent_install_procfile run <<EOF &&
app = "run";
processes = { web = { entry = "/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1"; scale = 2; listen = [ "127.0.0.1:8080" ]; }; };
services = { cache = { process = "web"; exec = "/bin/sleep 1000"; }; };
EOF
agent_install_procfile fail <<EOF &&
app = "fail";
processes = {
    web = { entry = "/bin/sleep 1000"; };
    bad = { entry = "/bin/sh -c '"'"'echo boom >&2; exit 3'"'"'"; restart = "no"; };
};
EOF
agent_install_procfile stop <<EOF &&
app = "stop";
processes = { web = { entry = "/bin/sleep 1000"; scale = 2; }; };
EOF
agent_install_procfile idle <<EOF
app = "idle";
processes = { web = { entry = "/bin/sleep 1000"; }; };
EOF'
sandbox_run systemctl start run.target fail.target || true
sandbox_wait 10 agent_prop_is fail-bad@1.service ActiveState failed || true
sandbox_wait 10 eval 'agent_prop_is run-web@1.service ActiveState active && agent_prop_is run-web@2.service ActiveState active' || true

status run
tap_is "$code" 0 "a running app: exit status 0"
tap_is "$(shape)" "$(printf '%s\n' 'run.target: active' "$header" \
    'web@1 running N Ns 0 N% NB 1/1 -' 'web@2 running N Ns 0 N% NB 1/1 -' \
    'SOCKET STATE LISTEN' 'run-web@1.socket listening 127.0.0.1:8080' \
    'run-web@2.socket listening 127.0.0.1:8080')" \
    "... its table: target, columns, one row per instance, each instance's socket listening"
pid=$(awk '$1 == "web@2" { print $3 }' <<<"$out")
tap_is "$pid" "$(agent_prop run-web@2.service MainPID)" "... the PID is the unit's main process"

status fail
tap_is "$code" 3 "an app with a failed instance: exit status 3"
tap_ok "... bad@1 failed, with the exit status and its last error line; web@1 running" eval '
    grep -qE "^bad@1 +failed \(exit status [0-9]+\) +- +- +0 +- +- +- +[^-]" <<<"$out" &&
    grep -qE "^web@1 +running " <<<"$out"'
last_error=$(awk '$1 == "bad@1" { sub(/.* - +/, ""); print }' <<<"$out")
tap_ok "... the last error says why: '$last_error'" eval '[[ $last_error == *"exited with status 3"* ]]'

sandbox_run systemctl start stop.target
sandbox_wait 10 agent_prop_is stop-web@2.service ActiveState active || true
sandbox_run systemctl stop stop.target
status stop
tap_is "$code:$(shape)" "3:$(printf '%s\n' 'stop.target: inactive' "$header" \
    'web@1 stopped - - 0 - - - -' 'web@2 stopped - - 0 - - - -')" \
    "a stopped app: its instances stopped, exit status 3"

status idle
tap_is "$code:$(shape)" "3:$(printf '%s\n' 'idle.target: inactive' "$header" 'web@1 stopped - - 0 - - - -')" \
    "an app installed and never started: its units are loaded to be read"

status nosuch
tap_is "$code:$out" "4:pandora-gen: no app 'nosuch' is installed (nosuch.target not found)" \
    "an app that is not installed: exit status 4"

status
tap_ok "every app at once, exit status 3 ($code)" eval '
    [[ $code == 3 ]] && grep -qx "fail.target: active" <<<"$out" && grep -qx "run.target: active" <<<"$out" &&
    grep -qx "stop.target: inactive" <<<"$out" && grep -qx "idle.target: inactive" <<<"$out"'

tap_ok "--json: the running app's document" json_check run '
a = d["apps"][0]
assert d["healthy"] is True and a["app"] == "run" and a["target"]["active_state"] == "active"
assert [i["unit"] for i in a["instances"]] == ["run-web@1.service", "run-web@2.service"]
for i in a["instances"]:
    assert i["state"] == "running" and i["reason"] is None and i["agent"] is True, i
    assert i["pid"] > 0 and i["restarts"] == 0 and i["uptime_seconds"] >= 0 and i["memory_bytes"] > 0, i
    assert i["services_ready"] == 1 and i["services_total"] == 1 and i["last_error"] is None, i
s = a["sockets"]
assert [k["unit"] for k in s] == ["run-web@1.socket", "run-web@2.socket"], s
for k in s:
    assert k["process"] == "web" and k["listening"] is True and k["listen"] == ["127.0.0.1:8080"], s'
tap_ok "--json: the failed instance's state, reason and last error" json_check fail '
assert d["healthy"] is False
bad = [i for i in d["apps"][0]["instances"] if i["process"] == "bad"][0]
assert bad["state"] == "failed" and bad["reason"].startswith("exit status ") and bad["pid"] is None, bad
assert bad["agent"] is False and bad["services_ready"] is None and bad["last_error"], bad'

status_as=("${nobody[@]}")
status run
status_as=()
tap_is "$code:$(shape | sed -n 3,4p)" "0:$(printf '%s\n' 'web@1 running N Ns 0 N% NB 1/1 -' 'web@2 running N Ns 0 N% NB 1/1 -')" \
    "an unprivileged user reads the same rows"

watch=$(sandbox_run timeout --preserve-status -s INT 5 pandora-gen --status --watch run 2>&1) && code=0 || code=$?
tap_ok "--watch prints again every 2 s until interrupted (exit status $code)" eval '
    (( $(grep -c "^run.target: active" <<<"$watch") >= 2 )) && [[ $code == 0 ]]'
tap_ok "--json and --watch only go with --status" eval '
    ! sandbox_run pandora-gen --json run 2>/dev/null && ! sandbox_run pandora-gen --status a b 2>/dev/null'
tap_done
