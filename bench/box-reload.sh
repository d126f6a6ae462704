#!/usr/bin/env bash
# box-reload.sh: row 7, reload under load (issue 15), run inside the project's systemd sandbox (as
# root, in /srv/bench-reload in the box). Usage: box-reload.sh RUNS NPM_DIR SMOKE
#
# The same unmodified app for both subjects: examples/unmodified/server.js (Node.js's hello world,
# which binds 127.0.0.1:3000 itself) at 2 instances. The new version is a copy with only the reply
# changed (sed 's/Hello World/Hello v2/'); the runs alternate v1 -> v2 -> v1 ...
#   pandora: `listen = [ "3000" ]`, scale 2; each run rewrites the procfile's entry (./server.js or
#            ./v2.js) and runs `pandora-gen --reload PROCFILE` (install, then each instance hands
#            over to a new generation of its children, one at a time; systemd keeps the socket).
#   pm2:     `pm2 start server.js -i 2` (cluster mode); each run replaces server.js's content with
#            the other version (pm2 keeps the script path it was started with) and runs
#            `pm2 reload NAME`.
# Each run, for each mode (keep-alive, and a new connection per request: wrk -H "Connection: close"):
#   1. steady state: a window of the load around `sleep STEADY`, no reload;
#   2. right after, the same window around the reload command (wrk starts, 0.2 s later the command,
#      0.2 s after it returns no new request is sent, 0.1 s later wrk stops and prints);
#   3. 10 GETs must all answer with the new reply.
# The load is wrk -t1 -c4 with wrk-reload.lua, which paces each connection (2 ms before each
# request: at most ~2,000 req/s), so that the machine has CPU to spare and the latency is the
# handover's, not a saturated CPU's queueing. Recorded per run: failed requests during the reload
# window (requests sent and never answered, counted by wrk-reload.lua, and responses >= 400; wrk's
# own socket errors go into the notes: with keep-alive they also count idle connections that the
# old process closed, with no request on them), p99 and max
# latency in the steady window and in the reload window, their ratio (p99 reload / p99 steady), and
# the reload command's wall time (pm2's includes its CLI's Node.js start-up, ~0.3 s; pandora-gen is
# C). The steady window's failures go into the notes.
# With SMOKE=true: 1 s steady windows and the connection-per-request mode only.
# Prints lib.sh's TSV lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 npm_dir=$2 smoke=${3:-false}
src=$(cd "$here/.." && pwd)
# Not in /tmp: a unit may have PrivateTmp=yes, and would not see its app there.
work=/srv/bench-reload
export PM2_HOME=/tmp/pm2 HOME=/root
lua=$here/wrk-reload.lua
url=http://127.0.0.1:3000/
steady=2
modes=(keep-alive close)
if $smoke; then steady=1 modes=(close); fi

wrk_pid='' last_log='' window_us=0 window_status=0
stop_file=$work/stop
pm2_started=false
cleanup() {
    [[ -z $wrk_pid ]] || kill -INT "$wrk_pid" 2>/dev/null || true
    pandora-gen --remove rel >/dev/null 2>&1 || true
    if $pm2_started; then pm2 delete rel >/dev/null 2>&1 || true; pm2 kill >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    skip 7 pandora "wrk is not installed"
    exit 0
fi

# wrk_args MODE: wrk's arguments for MODE (keep-alive or close), without -d.
wrk_args() {
    local -a a=(-t1 -c4 --timeout 5s -s "$lua")
    [[ $1 == close ]] && a+=(-H "Connection: close")
    printf '%s\n' "${a[@]}"
}

# mode_name MODE: the words used in the subjects.
mode_name() {
    [[ $1 == close ]] && echo "a connection per request" || echo "keep-alive"
}

# bench_line OUT: wrk-reload.lua's "bench ..." line of wrk's output OUT, without the word.
bench_line() {
    awk '$1 == "bench" { $1 = ""; print substr($0, 2) }' <<<"$1"
}

# answers_all TEXT: 10 GETs, every one answered with TEXT (the reply's first line).
answers_all() {
    local i body
    for ((i = 0; i < 10; i++)); do
        body=$(curl -s --max-time 5 "$url") || return 1
        [[ $body == "$1" ]] || return 1
    done
}

# us_ms US: microseconds as milliseconds with 3 decimals.
us_ms() {
    printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# window MODE LOG COMMAND...: wrk under MODE's load while COMMAND runs: wrk starts, COMMAND starts
# 0.2 s later, 0.2 s after it returns no connection sends again (the stop file), 0.1 s later wrk is
# stopped (SIGINT: it prints its summary as at the end of -d). wrk's output goes to LOG.wrk,
# COMMAND's to LOG.out; sets window_us (COMMAND's wall time) and window_status (its exit status).
window() {
    local mode=$1 log=$2 t0
    local -a args
    shift 2
    mapfile -t args < <(wrk_args "$mode")
    rm -f "$stop_file"
    BENCH_STOP_FILE=$stop_file wrk "${args[@]}" -d60s "$url" >"$log.wrk" 2>&1 &
    wrk_pid=$!
    sleep 0.2
    t0=$EPOCHREALTIME
    window_status=0
    "$@" >"$log.out" 2>&1 || window_status=$?
    window_us=$(( ${EPOCHREALTIME//[.,]/} - ${t0//[.,]/} ))
    sleep 0.2
    touch "$stop_file"
    sleep 0.1
    kill -INT "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
    wrk_pid=''
}

# lost SENT ANSWERED: the requests wrk sent that got no answer. wrk calls the script's request()
# once more than it sends (SENT - ANSWERED is 1 in a window where nothing happens, with 1 or 2
# threads), hence the 1.
lost() {
    local n=$(($1 - $2 - 1))
    echo $((n < 0 ? 0 : n))
}

# reload_run SUBJECT MODE RUN EXPECT COMMAND...: one measurement: a steady window (sleep STEADY),
# then one around COMMAND (the reload), same load; records the row's figures. EXPECT is the reply
# the new version gives.
reload_run() {
    local subject=$1 mode=$2 run=$3 expect=$4 ratio label new log s_failed r_failed dur_us
    local s_n s_c s_r s_w s_s s_t s_p50 s_p99 s_max s_sent s_ans
    local r_n r_d r_c r_r r_w r_s r_t r_p50 r_p99 r_max r_sent r_ans
    shift 4
    label="$subject, $(mode_name "$mode")"
    log=$work/$subject-$mode-$run
    last_log=$log.out
    window "$mode" "$log-steady" sleep "$steady"
    read -r s_n _ s_c s_r s_w s_s s_t s_p50 s_p99 s_max s_sent s_ans <<<"$(bench_line "$(cat "$log-steady.wrk")")"
    if [[ -z ${s_ans:-} ]]; then
        skip 7 "$label" "wrk printed no figures in the steady window: $(tail -n 1 "$log-steady.wrk")"
        return 1
    fi
    window "$mode" "$log" "$@"
    dur_us=$window_us
    read -r r_n r_d r_c r_r r_w r_s r_t r_p50 r_p99 r_max r_sent r_ans <<<"$(bench_line "$(cat "$log.wrk")")"
    if [[ -z ${r_ans:-} ]]; then
        skip 7 "$label" "wrk printed no figures in the reload window: $(tail -n 1 "$log.wrk")"
        return 1
    fi
    if [[ $window_status -ne 0 ]]; then
        skip 7 "$label" "run $run: the reload exited $window_status: $(tail -n 2 "$log.out" | paste -sd' ')"
        return 1
    fi
    # Failed: never answered, or answered with a status >= 400.
    s_failed=$(( $(lost "$s_sent" "$s_ans") + s_s ))
    r_failed=$(( $(lost "$r_sent" "$r_ans") + r_s ))
    record 7 "$label: failed requests" 2 requests "$r_failed"
    record 7 "$label: p99 steady" 2 ms "$(us_ms "$s_p99")"
    record 7 "$label: p99 during reload" 2 ms "$(us_ms "$r_p99")"
    ratio=$(awk -v a="$r_p99" -v b="$s_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')
    record 7 "$label: p99 reload/steady" 2 x "$ratio"
    record 7 "$label: max steady" 2 ms "$(us_ms "$s_max")"
    record 7 "$label: max during reload" 2 ms "$(us_ms "$r_max")"
    record 7 "$label: reload duration" 2 ms "$(us_ms "$dur_us")"
    answers_all "$expect" && new=yes || new=NO
    note 7 "$label, run $run (to \"$expect\"): reload $(us_ms "$dur_us") ms;" \
        "steady window: $s_n requests, p50/p99/max $(us_ms "$s_p50")/$(us_ms "$s_p99")/$(us_ms "$s_max") ms, $s_failed failed," \
        "wrk's errors connect/read/write/status/timeout $s_c/$s_r/$s_w/$s_s/$s_t;" \
        "reload window $(us_ms "$r_d") ms: $r_n requests, p50/p99/max $(us_ms "$r_p50")/$(us_ms "$r_p99")/$(us_ms "$r_max") ms," \
        "$r_failed failed, wrk's errors $r_c/$r_r/$r_w/$r_s/$r_t; every answer afterwards the new one: $new"
    say "row 7: $label, run $run: reload $(us_ms "$dur_us") ms, p99 $(us_ms "$s_p99") -> $(us_ms "$r_p99") ms," \
        "max $(us_ms "$s_max") -> $(us_ms "$r_max") ms, failed $r_failed (steady $s_failed), wrk's read errors $r_r, new code: $new"
    sleep 0.5
}

mkdir -p "$work/pandora" "$work/pm2"
for d in pandora pm2; do
    cp "$src/examples/unmodified/server.js" "$work/$d/server.js"
    sed 's/Hello World/Hello v2/' "$src/examples/unmodified/server.js" >"$work/$d/v2.js"
done
cp "$work/pm2/server.js" "$work/pm2/v1.js"

# write_procfile ENTRY: the pandora app "rel", 2 instances of ENTRY sharing port 3000.
write_procfile() {
    printf 'app = "rel";\nprocesses = { web = { entry = "%s"; scale = 2; listen = [ "3000" ]; }; };\n' \
        "$1" >"$work/pandora/procfile"
}

say "row 7: pandora, pandora-gen --reload of examples/unmodified/server.js at 2 instances"
write_procfile ./server.js
pandora-gen "$work/pandora/procfile" >/dev/null
systemctl start rel.target
if ! wait_for 20 systemctl is-active --quiet rel-web@1.service rel-web@2.service ||
    ! wait_for 20 curl -fs --max-time 1 "$url" >/dev/null; then
    skip 7 pandora "rel.target did not answer on $url within 20 s"
else
    version=1
    for mode in "${modes[@]}"; do
        for ((i = 1; i <= runs; i++)); do
            if ((version == 1)); then version=2 entry=./v2.js expect="Hello v2"; else version=1 entry=./server.js expect="Hello World"; fi
            write_procfile "$entry"
            reload_run pandora "$mode" "$i" "$expect" pandora-gen --reload "$work/pandora/procfile" || break 2
        done
    done
    say "pandora: restarts $(systemctl show -P NRestarts rel-web@1.service rel-web@2.service | grep . | paste -sd/)" \
        "(0/0: every run was a handover); the last reload said: $(paste -sd' ' "$last_log" 2>/dev/null || true)"
fi
pandora-gen --remove rel >/dev/null

if [[ ! -x $npm_dir/node_modules/.bin/pm2 ]]; then
    skip 7 "pm2 cluster" "pm2 not installed in $npm_dir"
    exit 0
fi
pm2() { "$npm_dir/node_modules/.bin/pm2" "$@"; }
two_online() {
    [[ $(online_pids rel | wc -l) -eq 2 ]]
}
say "row 7: pm2 cluster, pm2 reload of examples/unmodified/server.js at -i 2"
pm2_started=true
pm2 ping >/dev/null
cd "$work/pm2"
pm2 start server.js -i 2 --name rel >/dev/null
if ! wait_for 20 two_online || ! wait_for 20 curl -fs --max-time 1 "$url" >/dev/null; then
    skip 7 "pm2 cluster" "pm2's workers did not answer on $url within 20 s"
    exit 0
fi
version=1
for mode in "${modes[@]}"; do
    for ((i = 1; i <= runs; i++)); do
        if ((version == 1)); then version=2 expect="Hello v2"; else version=1 expect="Hello World"; fi
        # Replaced, not rewritten in place: a worker starting meanwhile reads one whole version.
        cp "$work/pm2/v$version.js" "$work/pm2/next.js"
        mv -f "$work/pm2/next.js" "$work/pm2/server.js"
        reload_run "pm2 cluster" "$mode" "$i" "$expect" pm2 reload rel || break 2
    done
done
