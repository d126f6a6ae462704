#!/usr/bin/env bash
# box-recovery.sh: row 4, recovery after `kill -9` of one worker, run inside the project's systemd
# sandbox (as root, in /srv/bench-recovery in the box). Usage: box-recovery.sh RUNS NPM_DIR
#
# examples/cluster/app.js at 2 instances, with a client loop running: pandora's socket-shared group
# against `pm2 start -i 2` (cluster mode). Each run kills the app's node process of one instance
# (under pandora the agent's child, not the agent: that is the process a user's bug or the OOM
# killer takes) and times from the kill until a response comes from that instance's new pid, i.e.
# until the replacement serves. The same loop counts the requests that failed meanwhile.
#
# The client loop is bench/client-loop.js: two chains of sequential GETs, a new connection each,
# any error, non-200 or 1 s without an answer counting as a failed request; two, so that a request
# the killed worker leaves hanging does not hide the replacement's first answer.
# Node.js rather than curl in a loop: a fork per request would cost more CPU than the app on this
# 2-CPU machine and make the loop coarse, while Node.js is on every box that runs the app anyway.
# It logs, with a µs wall-clock time, the first response from every pid it has not seen before and
# every failure, so that "served again" is read from the client's own side, with no second client.
#
# Under pandora the entry's death stops the instance (agent/lifecycle.c, lifecycle_task_stopped),
# the agent exits 1 and systemd restarts the unit after RestartSec= (the procfile's
# restart_delay_ms, 100 ms by default; systemd arms that timer with sd-event's default accuracy,
# so the restart comes 100 to 350 ms after the exit). "pandora (unit active again)" is recorded
# too, from systemd's ActiveEnterTimestamp rather than by polling, which would steal CPU from the
# restart; the agent is ready once the entry has exec'd, so the unit is active before node serves.
# Prints lib.sh's TSV lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 npm_dir=$2
src=$(cd "$here/.." && pwd)
# Not in /tmp: a unit may have PrivateTmp=yes, and would not see its app there.
work=/srv/bench-recovery
export PM2_HOME=/tmp/pm2 HOME=/root
mkdir -p "$work/app"
cp "$src/examples/cluster/app.js" "$work/app/"


client_pid=
stop_client() {
    if [[ -n $client_pid ]]; then
        kill -TERM "$client_pid" 2>/dev/null || true
        wait "$client_pid" 2>/dev/null || true
        client_pid=
    fi
}

pm2_started=false
cleanup() {
    stop_client
    systemctl stop rec.target 2>/dev/null || true
    if $pm2_started; then pm2 kill >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# start_client PORT LOG: the client loop in the background, logging to LOG (emptied first).
start_client() {
    : >"$2"
    node "$here/client-loop.js" "$1" "$2" &
    client_pid=$!
}

# log_pid LOG PID: prints the µs time of the client's first response from PID; fails if none yet.
# mapfile and a loop are builtins: polling every few ms forks nothing but sleep.
log_pid() {
    local line f lines
    mapfile -t lines <"$1"
    for line in "${lines[@]}"; do
        read -r -a f <<<"$line"
        if [[ ${f[0]} == pid && ${f[2]} == "$2" ]]; then
            echo "${f[1]}"
            return 0
        fi
    done
    return 1
}

# log_new_pid LOG WORKER OLD_PID...: prints "US PID" of the first response from a pid that is none
# of OLD_PID, from WORKER (app.js's instance name; "-" when it is not set, as under pm2).
log_new_pid() {
    local log=$1 worker=$2 line f lines
    shift 2
    mapfile -t lines <"$log"
    for line in "${lines[@]}"; do
        read -r -a f <<<"$line"
        [[ ${f[0]} == pid && ${f[3]} == "$worker" && " $* " != *" ${f[2]} "* ]] || continue
        echo "${f[1]} ${f[2]}"
        return 0
    done
    return 1
}

# unit_us UNIT PROPERTY: a timestamp property of UNIT in µs since the epoch.
unit_us() {
    local ts
    ts=$(systemctl show -P "$2" --timestamp=us+utc "$1")
    date -u -d "${ts#* }" +%s%6N
}

# ms_between US1 US2: US2 - US1 in ms with 3 decimals (both µs since the epoch).
ms_between() {
    local d=$(($2 - $1))
    printf '%d.%03d' $((d / 1000)) $((d % 1000))
}

# client_end LOG: prints "REQUESTS FAILED SECONDS REASONS": how many requests the loop made, how many
# failed, in how long, and the failures as REASON@+MS after the kill (kill_us), comma-separated.
client_end() {
    awk -v kill="$kill_us" '$1 == "start" { t0 = $2 } $1 == "end" { t1 = $2; n = $3; f = $4 }
         $1 == "fail" { r = r (r ? "," : "") sprintf("%s@%+.1fms", $3, ($2 - kill) / 1000) }
         END { printf "%d %d %.2f %s\n", n, f, (t1 - t0) / 1e6, (r ? r : "-") }' "$1"
}

child_of() {
    awk '{ print $1 }' "/proc/$1/task/$1/children"
}

kill_us=
# kill_now PID: kill -9 PID and note the time in kill_us.
kill_now() {
    kill_us=${EPOCHREALTIME/[.,]/}
    kill -KILL "$1"
}

say "row 4: pandora, kill -9 of one instance's app (examples/cluster at 2, shared socket)"
cat >"$work/app/procfile" <<'PROCFILE'
app = "rec";
processes = { worker = { entry = "./app.js"; scale = 2; listen = [ "8090" ]; }; };
PROCFILE
pandora-gen "$work/app/procfile" >/dev/null
systemctl start rec.target
unit=rec-worker@1.service
if ! wait_for 20 systemctl is-active --quiet "$unit" rec-worker@2.service; then
    skip 4 pandora "rec.target did not become active within 20 s"
else
    for ((i = 1; i <= runs; i++)); do
        log=$work/pandora-$i.log
        victim=$(child_of "$(systemctl show -P MainPID "$unit")")
        other=$(child_of "$(systemctl show -P MainPID rec-worker@2.service)")
        start_client 8090 "$log"
        # Steady: both instances answer the loop before the kill.
        if ! wait_for 10 log_pid "$log" "$victim" >/dev/null || ! wait_for 10 log_pid "$log" "$other" >/dev/null; then
            skip 4 pandora "the client loop did not get answers from both instances within 10 s"
            break
        fi
        kill_now "$victim"
        if ! served=$(wait_for 30 log_new_pid "$log" 1 "$victim"); then
            skip 4 pandora "instance 1 did not serve from a new pid within 30 s of the kill"
            break
        fi
        wait_for 10 systemctl is-active --quiet "$unit" ||
            { skip 4 pandora "$unit was not active again within 10 s"; break; }
        sleep 0.5
        stop_client
        read -r served_us new_pid <<<"$served"
        read -r n failed seconds reasons <<<"$(client_end "$log")"
        # systemd's own times of the restart: the agent's exit (the unit left "active"), the restart
        # job after RestartSec= (the unit "inactive" again), the new agent's fork, its READY=1.
        exited_us=$(unit_us "$unit" ActiveExitTimestamp)
        restart_us=$(unit_us "$unit" InactiveEnterTimestamp)
        started_us=$(unit_us "$unit" ExecMainStartTimestamp)
        active_us=$(unit_us "$unit" ActiveEnterTimestamp)
        # Serving again needs both: the unit active, and an answer from the new pid.
        back_us=$((served_us > active_us ? served_us : active_us))
        record 4 pandora 2 ms "$(ms_between "$kill_us" "$back_us")"
        record 4 "pandora (unit active again)" 2 ms "$(ms_between "$kill_us" "$active_us")"
        record 4 "pandora failed requests" 2 requests "$failed"
        say "pandora run $i, ms after the kill: agent exited +$(ms_between "$kill_us" "$exited_us")," \
            "restart job +$(ms_between "$kill_us" "$restart_us"), agent forked +$(ms_between "$kill_us" "$started_us")," \
            "unit active +$(ms_between "$kill_us" "$active_us"), pid $new_pid served +$(ms_between "$kill_us" "$served_us");" \
            "the loop made $n requests in $seconds s, $failed failed ($reasons)"
        # Steady again: the replacement has settled before the next kill.
        sleep 1
    done
fi
systemctl stop rec.target

pm2() { "$npm_dir/node_modules/.bin/pm2" "$@"; }
pm2_both_online() {
    [[ $(online_pids rec | wc -l) -eq 2 ]]
}
# pm2_lists_online PID: whether pm2 lists PID as an online worker of rec.
pm2_lists_online() {
    online_pids rec | grep -qx "$1"
}

if [[ ! -x $npm_dir/node_modules/.bin/pm2 ]]; then
    skip 4 "pm2 cluster" "pm2 not installed in $npm_dir"
    exit 0
fi
say "row 4: pm2 cluster, kill -9 of one of 2 workers"
pm2_started=true
pm2 ping >/dev/null
cd "$work/app"
PORT=8091 pm2 start app.js -i 2 --name rec >/dev/null
if ! wait_for 20 pm2_both_online; then
    skip 4 "pm2 cluster" "pm2 did not list 2 workers online within 20 s"
    exit 0
fi
for ((i = 1; i <= runs; i++)); do
    log=$work/pm2-$i.log
    mapfile -t pids < <(online_pids rec)
    victim=${pids[0]}
    start_client 8091 "$log"
    if ! wait_for 10 log_pid "$log" "${pids[0]}" >/dev/null || ! wait_for 10 log_pid "$log" "${pids[1]}" >/dev/null; then
        skip 4 "pm2 cluster" "the client loop did not get answers from both workers within 10 s"
        break
    fi
    kill_now "$victim"
    # Under pm2, app.js names no instance ("-"): a pid other than the two before is the replacement.
    if ! served=$(wait_for 30 log_new_pid "$log" - "${pids[@]}"); then
        skip 4 "pm2 cluster" "no worker with a new pid served within 30 s of the kill"
        break
    fi
    sleep 0.5
    stop_client
    read -r served_us new_pid <<<"$served"
    read -r n failed seconds reasons <<<"$(client_end "$log")"
    # Checked after the loop stopped: `pm2 jlist` is a Node.js process, too slow to time anything.
    if ! wait_for 10 pm2_lists_online "$new_pid"; then
        skip 4 "pm2 cluster" "pid $new_pid served, but pm2 did not list it online within 10 s"
        break
    fi
    record 4 "pm2 cluster" 2 ms "$(ms_between "$kill_us" "$served_us")"
    record 4 "pm2 cluster failed requests" 2 requests "$failed"
    say "pm2 run $i: pid $new_pid served at +$(ms_between "$kill_us" "$served_us") ms;" \
        "the loop made $n requests in $seconds s, $failed failed ($reasons)"
    # Beyond pm2's min_uptime (1 s): a worker that dies younger counts as an unstable restart.
    sleep 1.5
done
