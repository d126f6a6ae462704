#!/usr/bin/env bash
# box-spread.sh: row 9, how connections spread over the instances of a listening group (issue 20),
# run inside the project's systemd sandbox (as root, in /srv/bench-spread in the box).
# Usage: box-spread.sh RUNS WRK_SECONDS NPM_DIR SMOKE
#
# The same unmodified app for every subject: examples/unmodified/server.js (Node.js's hello world,
# which binds 127.0.0.1:3000 itself) at 4 instances on the machine's 2 CPUs.
#   pandora shared socket:      the units pandora-gen writes for a group that also lists a UNIX path
#                               (`listen = [ "3000", "/run/spread-shared.sock" ]`, which the app never
#                               binds): one APP-web.socket whose fd every instance gets, and accepts
#                               from (one accept queue, whoever is awake takes). Until issue 20 this
#                               was what every listening group got.
#   pandora ReusePort sockets:  the units pandora-gen writes for `listen = [ "3000" ]`: a template
#                               APP-web@.socket with ReusePort=yes, and each instance APP-web@N.service
#                               Requires=, After= and Sockets= its own APP-web@N.socket. systemd still
#                               holds every socket across restarts; the kernel picks the socket by a
#                               hash of each connection's addresses and ports.
#   pm2 cluster:                `pm2 start server.js -i 4` (God accepts, hands out round robin).
# For each: lib.sh's wrk_spread (req/s and requests per instance, from each instance's wchar), with
# keep-alive (wrk -t2 -c16: 16 connections for the whole run; and, not with SMOKE, -c64) and with a new
# connection per request (-H "Connection: close", -c16); wrk_spread's -c32 is overridden by the -c16
# or -c64 after it (wrk keeps the last).
#
# Then, for the two pandora subjects, an instance goes away under a client: spread-client.js (written
# below) opens a new connection for a GET every 2 ms (open loop: it does not wait for answers, so
# connections keep arriving while an instance is gone, as they do from many users), with a 5 s
# timeout. 1 s into it, instance 1 is either restarted (`systemctl restart APP-web@1.service`, which
# returns once the new instance listens) or its node process is killed (`kill -9`; the agent exits
# and systemd restarts the instance), and the client runs 1.5 s more. Once per subject, instance 1 is
# also stopped (`systemctl stop`, as a scale-down would) and left stopped while the client runs:
# the notes say whether anything waited on its socket and whether the socket started it again. Recorded per run: failed
# requests (refused, reset, non-200, or no answer in 5 s; the notes name each), requests answered
# after more than 25 ms ("delayed": 5 to 10 times the steady worst on this machine), the worst
# latency, and the restart command's time or when the killed instance's unit was active again.
# Loopback only. Prints lib.sh's TSV lines on stdout.
# With SMOKE=true: one restart and one kill per pandora subject; pm2 only if a full run installed it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
# shellcheck disable=SC2034 # runs and wrk_seconds are read by lib.sh's wrk_spread
runs=$1 wrk_seconds=$2 npm_dir=$3 smoke=${4:-false}
src=$(cd "$here/.." && pwd)
# Not in /tmp: a unit may have PrivateTmp=yes, and would not see its app there.
work=/srv/bench-spread
export PM2_HOME=/tmp/pm2 HOME=/root
scale=4
url=http://127.0.0.1:3000/
subject_a="pandora shared socket"
subject_b="pandora ReusePort sockets"
subject_c="pm2 cluster"
mkdir -p "$work"

client_pid=''
pm2_started=false
cleanup() {
    [[ -z $client_pid ]] || kill -TERM "$client_pid" 2>/dev/null || true
    pandora-gen --remove shared >/dev/null 2>&1 || true
    systemctl stop reuse.target 'reuse-web@*' >/dev/null 2>&1 || true
    if $pm2_started; then pm2 delete spread >/dev/null 2>&1 || true; pm2 kill >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    skip 9 pandora "wrk is not installed"
    exit 0
fi

# The restart test's client. One line per request on stdout once it stops: START_US LATENCY_US
# RESULT (ok, status-N, an error code such as ECONNREFUSED, or timeout).
cat >"$work/spread-client.js" <<'JS'
'use strict';
const http = require('http');
const port = Number(process.argv[2]), every = Number(process.argv[3]);
const us = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const out = [];
let sent = 0, open = 0, stopping = false;
const t0 = us();
function one() {
    const start = us();
    let done = false, timer;
    open++;
    const finish = result => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        out.push(`${start} ${us() - start} ${result}`);
        if (--open === 0 && stopping) end();
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, res => {
        res.resume();
        res.on('error', e => finish(e.code || 'error'));
        res.on('end', () => finish(res.statusCode === 200 ? 'ok' : `status-${res.statusCode}`));
    });
    req.on('error', e => finish(e.code || 'error'));
    timer = setTimeout(() => { finish('timeout'); req.destroy(); }, 5000);
}
// Open loop at a fixed rate: each tick sends what is due since the start, however late the tick.
const tick = setInterval(() => {
    const due = Math.floor((us() - t0) / (every * 1000));
    while (sent < due) { sent++; one(); }
}, 1);
function end() { process.stdout.write(out.join('\n') + '\n'); process.exit(0); }
process.on('SIGTERM', () => { clearInterval(tick); stopping = true; if (open === 0) end(); });
JS

# app_dir NAME [EXTRA_LISTEN]: a directory with server.js and a procfile of app NAME at $scale under
# listen 3000 (and EXTRA_LISTEN, a quoted libconfig string, when given).
app_dir() {
    mkdir -p "$work/$1"
    cp "$src/examples/unmodified/server.js" "$work/$1/"
    cat >"$work/$1/procfile" <<PROCFILE
app = "$1";
processes = { web = { entry = "./server.js"; scale = $scale; listen = [ "3000"${2:+, $2} ]; }; };
PROCFILE
}

# instances PREFIX: PREFIX@1.service ... PREFIX@$scale.service.
instances() {
    local i
    for ((i = 1; i <= scale; i++)); do printf '%s@%d.service ' "$1" "$i"; done
}

# app_instances PREFIX: one word per instance, the pids of its app (the agent's descendants).
app_instances() {
    local i main
    for ((i = 1; i <= scale; i++)); do
        main=$(systemctl show -P MainPID "$1@$i.service")
        descendants "$main" | paste -sd' '
    done
}

# spread SUBJECT INSTANCE...: wrk_spread in both modes, and (not with $smoke) keep-alive with 64
# connections: with ReusePort the kernel spreads connections, not requests, so with keep-alive the
# spread depends on how many connections there are to hash.
spread() {
    local subject=$1
    shift
    wrk_spread 9 "$subject, keep-alive" "$scale" "$url" "$@" -- -c16 || true
    $smoke || wrk_spread 9 "$subject, keep-alive, 64 connections" "$scale" "$url" "$@" -- -c64 || true
    wrk_spread 9 "$subject, a connection per request" "$scale" "$url" "$@" -- -c16 -H "Connection: close" || true
}

# client_report LOG EVENT_US: "REQUESTS FAILED DELAYED WORST_MS STEADY_WORST_MS REASONS" of the
# client's LOG, STEADY_WORST_MS over the requests started before EVENT_US, REASONS the failures as
# RESULT@+MS after EVENT_US (start of the request), at most 8, comma-separated.
client_report() {
    awk -v ev="$2" '
        { n++; lat = $2 / 1000
          if ($3 != "ok") { f++; if (nr++ < 8) r = r (r ? "," : "") sprintf("%s@%+.0fms", $3, ($1 - ev) / 1000) }
          else if (lat > 25) d++
          if (lat > worst) worst = lat
          if ($1 < ev && lat > steady) steady = lat }
        END { printf "%d %d %d %.1f %.1f %s\n", n, f, d, worst, steady, (r ? r : "-") }' "$1"
}

# away SUBJECT APP HOW RUN: one restart test on APP-web@1 (HOW: restart or kill), recorded as
# "SUBJECT, HOW".
away() {
    local subject=$1 app=$2 how=$3 run=$4 unit=$2-web@1.service log=$work/$2-$3-$4.log label t0 ev cmd_ms='' victim sock
    local n failed delayed worst steady reasons
    case $how in
    restart) label="$subject, systemctl restart of one instance" ;;
    kill) label="$subject, kill -9 of one instance" ;;
    *) label="$subject, systemctl stop of one instance" ;;
    esac
    node "$work/spread-client.js" 3000 2 >"$log" &
    client_pid=$!
    sleep 1
    if [[ $how == restart ]]; then
        ev=${EPOCHREALTIME/[.,]/}
        systemctl restart "$unit"
        t0=${EPOCHREALTIME/[.,]/}
        cmd_ms=$(awk -v a="$t0" -v b="$ev" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
    elif [[ $how == stop ]]; then
        ev=${EPOCHREALTIME/[.,]/}
        systemctl stop "$unit"
    else
        victim=$(descendants "$(systemctl show -P MainPID "$unit")" | head -n 1)
        ev=${EPOCHREALTIME/[.,]/}
        kill -KILL "$victim"
    fi
    sleep 1.5
    kill -TERM "$client_pid"
    wait "$client_pid" || true
    client_pid=''
    read -r n failed delayed worst steady reasons <<<"$(client_report "$log" "$ev")"
    if [[ $how == stop ]]; then
        sock=$app-web.socket
        [[ $app == shared ]] || sock=$app-web@1.socket
        note 9 "$label: $n requests (one every 2 ms), $failed failed ($reasons), $delayed answered after" \
            "> 25 ms, worst $worst ms (before the stop: $steady ms); 1.5 s after the stop the instance is" \
            "$(systemctl is-active "$unit") (NRestarts $(systemctl show -P NRestarts "$unit"))," \
            "$sock is $(systemctl is-active "$sock")"
        systemctl start "$unit"
        wait_for 10 systemctl is-active --quiet "$unit" || say "$unit is not active again"
        sleep 0.5
        return 0
    fi
    record 9 "$label" "$scale" "failed requests" "$failed"
    record 9 "$label" "$scale" "delayed > 25 ms" "$delayed"
    record 9 "$label" "$scale" "ms worst latency" "$worst"
    note 9 "$label, run $run: $n requests (one every 2 ms), $failed failed ($reasons), $delayed answered" \
        "after > 25 ms, worst $worst ms (before the event: $steady ms); $([[ $how == restart ]] &&
        echo "systemctl restart took $cmd_ms ms" || echo "unit active again +$(active_after "$unit" "$ev") ms")"
    wait_for 10 systemctl is-active --quiet "$unit" || say "$unit is not active again"
    sleep 0.5
}

# active_after UNIT US: ms from US to UNIT's ActiveEnterTimestamp.
active_after() {
    local ts us
    wait_for 10 systemctl is-active --quiet "$1" || { echo '?'; return 0; }
    ts=$(systemctl show -P ActiveEnterTimestamp --timestamp=us+utc "$1")
    us=$(date -u -d "${ts#* }" +%s%6N)
    awk -v a="$us" -v b="$2" 'BEGIN { printf "%.1f", (a - b) / 1000 }'
}

# restarts SUBJECT APP: the restart and kill tests, $runs each ($smoke: one each).
restarts() {
    local i n=$runs
    $smoke && n=1
    for ((i = 1; i <= n; i++)); do away "$1" "$2" restart "$i"; done
    for ((i = 1; i <= n; i++)); do away "$1" "$2" kill "$i"; done
    away "$1" "$2" stop 1
}

# up SUBJECT APP: starts APP.target and waits until every instance answers; fails with a skip.
up() {
    systemctl start "$2.target"
    # shellcheck disable=SC2046
    if ! wait_active $(instances "$2-web") || ! wait_for 20 curl -fs --max-time 1 "$url" >/dev/null; then
        skip 9 "$1" "$2.target did not answer on $url within 20 s"
        return 1
    fi
}

say "row 9: $subject_a (a group that also lists a UNIX path), examples/unmodified/server.js at $scale"
app_dir shared '"/run/spread-shared.sock"'
pandora-gen "$work/shared/procfile" >/dev/null
if up "$subject_a" shared; then
    mapfile -t inst < <(app_instances shared-web)
    spread "$subject_a" "${inst[@]}"
    restarts "$subject_a" shared
fi
pandora-gen --remove shared >/dev/null

say "row 9: $subject_b (a ReusePort=yes socket per instance, what pandora-gen writes for IP addresses)"
app_dir reuse
pandora-gen "$work/reuse/procfile" >/dev/null
if up "$subject_b" reuse; then
    say "sockets: $(systemctl show -P Listen reuse-web@1.socket) ReusePort=$(systemctl show -P ReusePort reuse-web@1.socket)," \
        "$(ss -Hltn 'sport = :3000' | wc -l) listening sockets on port 3000"
    mapfile -t inst < <(app_instances reuse-web)
    spread "$subject_b" "${inst[@]}"
    restarts "$subject_b" reuse
fi
pandora-gen --remove reuse >/dev/null

pm2() { "$npm_dir/node_modules/.bin/pm2" "$@"; }
online() { [[ $(online_pids spread | wc -l) -eq $scale ]]; }
if [[ ! -x $npm_dir/node_modules/.bin/pm2 ]]; then
    skip 9 "$subject_c" "pm2 not installed in $npm_dir"
    exit 0
fi
say "row 9: $subject_c, pm2 start server.js -i $scale"
pm2_started=true
pm2 ping >/dev/null
app_dir pm2
cd "$work/pm2"
pm2 start server.js -i "$scale" --name spread >/dev/null
if wait_for 20 online && wait_for 20 curl -fs --max-time 1 "$url" >/dev/null; then
    mapfile -t inst < <(online_pids spread)
    spread "$subject_c" "${inst[@]}"
else
    skip 9 "$subject_c" "pm2 did not answer on $url with $scale workers within 20 s"
fi
