#!/bin/bash
# Zero-downtime rolling reload (issue 15), under the box's real systemd, with Node's unmodified hello
# world (examples/unmodified/server.js) and a client loop running through every reload:
# - `pandora-gen --reload PROCFILE` at scale 4: every instance hands over to the new code one at a
#   time, the agents stay (MainPID and NRestarts unchanged), Reloads = 1 on the bus, then every answer
#   is the new one;
# - `systemctl reload` of one instance at scale 1: returns after the handover, journal entries with
#   their MESSAGE_IDs;
# - a new version that crashes at start, and one that never listens within reload_timeout_ms: the
#   reload exits 1 naming the instance and why, the old version still answers, ReloadFailures = 1;
# - a unit-level edit (watchdog_ms) takes the rolling-restart path and says so;
# - a second reload while one runs is refused.
# No request is refused (curl exit 7), answered with an error or cut (curl 52/56) by a handover: the
# old generation drains (its accept() takes nothing more, the new generation does) before it gets
# SIGTERM, which the unmodified hello world obeys at once. A rolling restart (the unit-level edit)
# stops an instance without that, so there one cut request per restart is allowed. Loopback only,
# every loop bounded.
# shellcheck disable=SC2016 # in-box scripts are expanded by the box's shell
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

source_dir=$(cd "$(dirname "$0")/../.." && pwd)

# write_procfile APP ENTRY SCALE [MORE]: /srv/APP/procfile, with a web group on port 3000.
write_procfile() {
    printf 'app = "%s";\nprocesses = { web = { entry = "%s"; scale = %s; listen = [ "3000" ];\n    reload_timeout_ms = 3000; %s }; };\n' \
        "$1" "$2" "$3" "${4:-}" | sandbox_write "/srv/$1/procfile"
}

# under_load COMMAND: runs COMMAND in the box while 150 sequential requests go to port 3000; prints
# "STATUS REFUSED CUT BAD", then COMMAND's output.
under_load() {
    sandbox_run sh -c '
        ( '"$1"' ) >/run/under-load.out 2>&1 & pid=$!
        i=0; refused=0; cut=0; bad=0
        while [ $i -lt 150 ]; do
            code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 5 http://127.0.0.1:3000/); rc=$?
            case $rc in 0) [ "$code" = 200 ] || bad=$((bad + 1)) ;; 7) refused=$((refused + 1)) ;;
                        52|56) cut=$((cut + 1)) ;; *) bad=$((bad + 1)) ;; esac
            i=$((i + 1))
        done
        wait $pid; status=$?
        echo "$status $refused $cut $bad"; cat /run/under-load.out'
}

# answers_all TEXT: 20 requests, every one answered with TEXT.
answers_all() {
    local i body
    for ((i = 0; i < 20; i++)); do
        body=$(sandbox_run curl -s --max-time 5 http://127.0.0.1:3000/) || return 1
        [[ $body == "$1" ]] || return 1
    done
}

prop() { sandbox_run systemctl show -p "$2" --value "$1"; }

bus_counter() {
    sandbox_run busctl get-property "io.pandora.$1.web.i$2" /io/pandora/Metrics io.pandora.Metrics1 "$3" |
        awk '{print $2}'
}

# load_ok RESULT HANDOVERS: the loop's figures are fine: no refusal, no error, at most HANDOVERS cuts.
load_ok() {
    local refused cut bad
    read -r _ refused cut bad <<<"$1"
    [[ $refused == 0 && $bad == 0 && $cut -le $2 ]]
}

tap_plan 32
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_write /srv/shop/server.js <"$source_dir/examples/unmodified/server.js"
sandbox_run sh -c 'cd /srv/shop && sed "s/Hello World/Hello v2/" server.js >v2.js &&
    sed "s/Hello World/Hello v3/" server.js >v3.js && echo "process.exit(3)" >crash.js &&
    echo "setInterval(() => {}, 1000)" >idle.js &&
    printf "#!/bin/sh\nsleep 2\nexec node v3.js\n" >slow.sh && chmod +x slow.sh'

# --- scale 4: pandora-gen --reload PROCFILE
write_procfile shop ./server.js 4
install_start() { sandbox_run pandora-gen "/srv/$1/procfile" >/dev/null && sandbox_run systemctl start "$1.target"; }
tap_ok "install and start shop at scale 4" install_start shop
pids_before=$(for i in 1 2 3 4; do prop "shop-web@$i.service" MainPID; done | tr '\n' ' ')
write_procfile shop ./v2.js 4
out=$(under_load 'pandora-gen --reload /srv/shop/procfile')
tap_diag "$out"
tap_is "$(head -n1 <<<"$out" | cut -d' ' -f1)" 0 "pandora-gen --reload PROCFILE exits 0"
tap_ok "no request refused, failed or cut during the reload of 4 instances" load_ok "$(head -n1 <<<"$out")" 0
tap_is "$(grep -c '^web@[1-4] ready' <<<"$out")" 4 "it reports each of the 4 instances ready, one at a time"
tap_ok "it ends with a summary" grep -qx 'shop: 4 instances run the new generation (0 by restart)' <<<"$out"
tap_ok "every answer is the new code" answers_all "Hello v2"
pids_after=$(for i in 1 2 3 4; do prop "shop-web@$i.service" MainPID; done | tr '\n' ' ')
tap_is "$pids_after" "$pids_before" "the agents stayed: same MainPIDs"
tap_is "$(for i in 1 2 3 4; do prop "shop-web@$i.service" NRestarts; done | sort -u)" 0 "no instance restarted"
tap_is "$(bus_counter shop 3 Reloads)" 1 "Reloads = 1 on the bus"

# --- failures keep the old generation
write_procfile shop ./crash.js 4
out=$(under_load 'pandora-gen --reload /srv/shop/procfile')
tap_diag "$out"
tap_is "$(head -n1 <<<"$out" | cut -d' ' -f1)" 1 "a version that crashes at start: --reload exits 1"
tap_ok "it names the instance and the exit" grep -q 'web@1: reload failed: the entry failed to start (exited with status 3)' <<<"$out"
tap_ok "no request refused or failed, the old version answering" load_ok "$(head -n1 <<<"$out")" 0
tap_ok "the old version still answers" answers_all "Hello v2"
tap_is "$(bus_counter shop 1 ReloadFailures)" 1 "ReloadFailures = 1 on instance 1"
write_procfile shop ./idle.js 4
out=$(under_load 'pandora-gen --reload /srv/shop/procfile')
tap_diag "$out"
tap_ok "a version that never listens: --reload exits 1 after reload_timeout_ms" \
    grep -q 'web@1: reload failed: the new generation was not ready within 3000 ms' <<<"$out"
tap_ok "the old version still answers after it" answers_all "Hello v2"
tap_is "$(sandbox_run journalctl PANDORA_APP=shop MESSAGE_ID=f3c8e1a7d2b94e6f8a5c0d9b7e4f1a26 -o cat | wc -l)" 2 \
    "the two aborts are in the journal with their MESSAGE_ID"

# --- a unit-level edit restarts one at a time
write_procfile shop ./v2.js 4 'watchdog_ms = 60000;'
out=$(under_load 'pandora-gen --reload /srv/shop/procfile')
tap_diag "$out"
tap_ok "watchdog_ms changed: it says so and restarts instances one at a time" \
    grep -q "web: watchdog_ms changed, which the unit sets, which a handover can't apply" <<<"$out"
tap_ok "and ends with 4 restarted" grep -qx 'shop: 4 instances run the new generation (4 by restart)' <<<"$out"
tap_ok "no request refused or failed during the rolling restart" load_ok "$(head -n1 <<<"$out")" 4

# --- scale 1: systemctl reload, and a second reload while one runs
tap_ok "pandora-gen --remove shop" sandbox_run pandora-gen --remove shop
write_procfile solo ./server.js 1
sandbox_run cp /srv/shop/v2.js /srv/shop/v3.js /srv/shop/slow.sh /srv/shop/server.js /srv/solo/
tap_ok "install and start solo at scale 1" install_start solo
pid_before=$(prop solo-web@1.service MainPID)
write_procfile solo ./v2.js 1
sandbox_run pandora-gen /srv/solo/procfile >/dev/null
out=$(under_load 'systemctl reload solo-web@1.service')
tap_diag "$out"
tap_ok "systemctl reload at scale 1: nothing refused, failed or cut" load_ok "$(head -n1 <<<"$out")" 0
tap_is "$(head -n1 <<<"$out" | cut -d' ' -f1)" 0 "systemctl reload returns 0 once the handover is done"
tap_ok "the new code answers" answers_all "Hello v2"
tap_is "$(prop solo-web@1.service MainPID)" "$pid_before" "the same agent runs"
reload_logged() {
    local id
    for id in 0b7e3d5a91c84f2e8d6a4c1b9e2f7a30 6d2c9a8e4b1f4c7a9e3d5b2a1c8f0e47 a41f6e2d8c3b4a5e9f7d1c0b2e8a6d93; do
        [[ -n $(sandbox_run journalctl PANDORA_APP=solo MESSAGE_ID=$id -o cat) ]] || return 1
    done
}
tap_ok "started, ready and reloaded are in the journal with their MESSAGE_IDs" reload_logged
write_procfile solo ./slow.sh 1
sandbox_run pandora-gen /srv/solo/procfile >/dev/null
out=$(sandbox_run sh -c 'systemctl reload solo-web@1.service & sleep 0.5
    pandora-gen --reload solo; echo "second: $?"; wait $!; echo "first: $?"' 2>&1)
tap_diag "$out"
tap_ok "a second reload while one runs is refused" grep -q 'web@1: a reload of this instance is already running' <<<"$out"
tap_ok "the second exits 1" grep -qx "second: 1" <<<"$out"
tap_ok "the first one completes" grep -qx "first: 0" <<<"$out"
tap_ok "and v3 answers" answers_all "Hello v3"
tap_done
