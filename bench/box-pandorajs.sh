#!/usr/bin/env bash
# box-pandorajs.sh: rows 2, 3, 4 and 5 for Pandora.js 1.11 (npm `pandora`), inside the sandbox, as
# root, in the box's private /tmp (after box-rows.sh and box-pm2.sh, like them); only those of
# $BENCH_ROWS (bench/run --only; unset: all).
# Usage: box-pandorajs.sh RUNS WRK_SECONDS NPM_DIR
# Environment: BARE_PSS_KB, the Pss of one bare `node app.js` of examples/hello (box-rows.sh's bare
# unit at 4 instances); measured here the same way (4 at once) when unset.
#
# How Pandora.js 1.11 runs an app (from its sources in NPM_DIR/node_modules/pandora/dist):
#   - `pandora start --name NAME DIR` is a CLI that hands DIR (a directory holding a procfile.js) to
#     a daemon (daemon/DaemonBootstrap.js), spawning it first when its unix socket does not answer.
#     It returns when the daemon replies "NAME started successfully!", which the daemon only sends
#     once every process of the app has sent it process_ready: that is "ready" for row 3.
#   - Each procfile.js process is one node process forked by the daemon
#     (application/ProcessBootstrap.js), which loads Pandora.js (IPC hub, logger service, metrics
#     hooks) and then require()s the entry in that same process: at scale 1 there is no separate
#     wrapper process, Pandora.js's wrapper is inside the app's own process. At scale N > 1 that
#     process becomes a cluster master (application/ScalableMaster.js) that cluster.fork()s N
#     workers, each a ProcessBootstrap that require()s the entry, and re-forks a worker that dies
#     (3rd/fork.js). `cluster()` in a procfile.js is a service of the `worker` process: its workers
#     share the port through Node.js's cluster module, as pm2's cluster mode does.
#   - `pandora stop NAME` stops the app and, when it was the last one, the daemon too
#     (clearCliExit); `pandora exit` stops every app and the daemon.
#   So the supervisor's memory is the daemon's whole process tree, less the bare app it runs.
# Prints lib.sh's TSV lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 wrk_seconds=$2 npm_dir=$3
src=$(cd "$here/.." && pwd)
work=/tmp/bench-pjs
pjs_bin=$npm_dir/node_modules/.bin/pandora
pjs_lib=$npm_dir/node_modules/pandora/dist
port=8082

if [[ ! -x $pjs_bin ]]; then
    for row in 2 3 4 5; do skip "$row" Pandora.js "Pandora.js not installed in $npm_dir"; done
    exit 0
fi

# Pandora.js writes its logs to ~/logs (default.js: logsDir = homedir()/logs) and spawn-wrap's shims
# to ~/.pandora-tmp-cache; the daemon's pid file, the unix sockets of its messengers and the
# procfile structure files go to PANDORA_TMP_DIR, else os.tmpdir(). All of it into the box's /tmp.
export HOME=$work/home PANDORA_TMP_DIR=$work/run
rm -rf "$work"
mkdir -p "$HOME" "$PANDORA_TMP_DIR" "$work/hello1" "$work/hello4" "$work/web"
# The CLI reads a package.json in its working directory (app name, a "pandora" config key): none here.
cd "$work"
cli_log=$work/cli.log
pid_file=$PANDORA_TMP_DIR/nodejs_pandora.pid

# The apps, as procfile.js files. hello is Pandora.js's own hello example (examples/hello/procfile
# says the same in pandora's format): one process running app.js with ENV_VAR1. web is
# examples/cluster's app.js through cluster() at 2 workers; app.js listens on $PORT off systemd.
for scale in 1 4; do
    cp "$src/examples/hello/app.js" "$work/hello$scale/"
    cat >"$work/hello$scale/procfile.js" <<PROCFILE
module.exports = (pandora) => {
  pandora.fork('processA', './app.js').env({ ENV_VAR1: 'some-value' }).scale($scale);
};
PROCFILE
done
cp "$src/examples/cluster/app.js" "$work/web/"
cat >"$work/web/procfile.js" <<PROCFILE
module.exports = (pandora) => {
  pandora.cluster('./app.js');
  pandora.process('worker').scale(2).env({ PORT: '$port' });
};
PROCFILE

# pjs ARGS...: the Pandora.js CLI, its output appended to cli.log (it is chatty, and Node.js 20
# prints a deprecation warning for pandora-metrics' process.binding). Its own request timeout is
# 300 s; 60 s is plenty here.
pjs() {
    echo "\$ pandora $*" >>"$cli_log"
    timeout 60 "$pjs_bin" "$@" >>"$cli_log" 2>&1
}

# last_cli_line: for skip reasons, the first error line of the last command in cli.log, else its
# last line that is not a stack frame or Node.js's own noise.
last_cli_line() {
    awk '/^\$ / { n = 0; delete l; next }
         /DEP0111|trace-deprecation|^Node\.js v|^[ \t]+at |^[ \t]*\^?[ \t]*$/ { next }
         { l[++n] = $0 }
         END {
             for (i = 1; i <= n; i++) if (l[i] ~ /[Ee]rror|failed/) { print l[i]; exit }
             print (n ? l[n] : "no output")
         }' "$cli_log"
}

# daemon_up: starts the daemon if it is not running, through Pandora.js's own barrierDaemon(), which
# `pandora start` calls first. pm2's God is pinged before timing in the same way.
daemon_up() {
    echo '$ barrierDaemon()' >>"$cli_log"
    timeout 60 node -e '
        require(process.argv[1]).barrierDaemon().then(() => process.exit(0),
            err => { console.error(err); process.exit(1); });' "$pjs_lib/daemon/DaemonHandler.js" \
        >>"$cli_log" 2>&1
}

# daemon_pid: the running daemon's pid (its pid file can outlive it).
daemon_pid() {
    local pid
    pid=$(cat "$pid_file" 2>/dev/null) || return 1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# children PID: PID's child pids, one a line.
children() {
    cat "/proc/$1/task/"*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}

# tree PID: PID and all its descendants, one a line.
tree() {
    local c
    echo "$1"
    for c in $(children "$1"); do tree "$c"; done
}

# wait_gone SECONDS PID: waits until PID has exited; fails after SECONDS.
wait_gone() {
    local i
    for ((i = 0; i < $1 * 100; i++)); do
        kill -0 "$2" 2>/dev/null || return 0
        sleep 0.01
    done
    return 1
}

# stop_app NAME: `pandora stop NAME`, then waits for the daemon to be gone (stopping the last app
# makes it exit) so that the next run starts from the same state.
stop_app() {
    local d
    d=$(daemon_pid) || true
    pjs stop "$1" || say "pandora stop $1 failed: $(last_cli_line)"
    [[ -z $d ]] || wait_gone 15 "$d" || say "the daemon (pid $d) still runs 15 s after pandora stop"
}

# start_app NAME: `pandora start` of $work/NAME; fails unless the daemon said it started.
start_app() {
    pjs start --name "$1" "$work/$1" && tail -n 3 "$cli_log" | grep -q "^$1 started successfully"
}

client_pid='' bare_pids=()
cleanup() {
    local d p
    [[ -z $client_pid ]] || kill -TERM "$client_pid" 2>/dev/null || true
    for p in "${bare_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if d=$(daemon_pid); then
        pjs exit || true
        if ! wait_gone 15 "$d"; then
            say "the Pandora.js daemon survived pandora exit: killing its tree"
            for p in $(tree "$d"); do kill -KILL "$p" 2>/dev/null || true; done
        fi
    fi
}
trap cleanup EXIT

# Row 2 subtracts the bare app; box-rows.sh measured it at 4 instances in bare units (Pss
# shares the node binary's pages between the 4), so do the same when run on its own.
bare_pss=${BARE_PSS_KB:-}
if [[ -z $bare_pss ]] && want 2; then
    say "row 2: bare node app.js, 4 at once (BARE_PSS_KB unset)"
    for i in 1 2 3 4; do
        (cd "$work/hello1" && ENV_VAR1=some-value exec node app.js >/dev/null) &
        bare_pids+=($!)
    done
    sleep 1
    sum=0
    for p in "${bare_pids[@]}"; do sum=$((sum + $(pss_kb "$p"))); done
    bare_pss=$((sum / 4))
    kill "${bare_pids[@]}"
    wait "${bare_pids[@]}" 2>/dev/null || true
    bare_pids=()
fi

# memory SCALE: row 2 for the app running at SCALE: the daemon's tree (daemon, then at scale 1 the
# process that runs app.js inside Pandora.js, at scale N the cluster master and its N workers)
# less SCALE bare apps, per instance. Fails when the tree is not that shape.
memory() {
    local d pids p sum=0 parts='' want=$(($1 == 1 ? 2 : $1 + 2))
    d=$(daemon_pid) || { say "no daemon running"; return 1; }
    mapfile -t pids < <(tree "$d")
    if [[ ${#pids[@]} -ne $want ]]; then
        say "the daemon's tree has ${#pids[@]} processes, not $want: ${pids[*]}"
        return 1
    fi
    for p in "${pids[@]}"; do
        p=$(pss_kb "$p")
        sum=$((sum + p)) parts="$parts $p"
    done
    say "Pandora.js at scale $1: Pss kB of daemon, then its descendants:$parts; bare node $bare_pss"
    record 2 "Pandora.js (daemon + wrappers - bare node)" "$1" kB $(((sum - $1 * bare_pss) / $1))
}

if want 2 || want 3; then
say "row 3/2: Pandora.js, hello at 4 instances (daemon started first)"
for ((i = 0; i < runs; i++)); do
    if ! daemon_up; then
        want 3 && skip 3 Pandora.js "the daemon did not start: $(last_cli_line)"
        break
    fi
    t0=$EPOCHREALTIME
    if ! start_app hello4; then
        want 3 && skip 3 Pandora.js "pandora start of hello at 4 failed: $(last_cli_line)"
        break
    fi
    want 3 && record 3 Pandora.js 4 ms "$(ms_since "$t0")"
    if want 2; then
        # Settled, as box-rows.sh measures its units 1 s after they are active.
        sleep 1
        memory 4 || skip 2 Pandora.js "at scale 4, the daemon's process tree was not daemon, master, 4 workers"
    fi
    stop_app hello4
done
fi

if want 2; then
say "row 2: Pandora.js, hello at 1 instance"
for ((i = 0; i < runs; i++)); do
    if ! daemon_up || ! start_app hello1; then
        skip 2 Pandora.js "pandora start of hello at 1 failed: $(last_cli_line)"
        break
    fi
    sleep 1
    memory 1 || skip 2 Pandora.js "at scale 1, the daemon's process tree was not daemon and app process"
    stop_app hello1
done
fi

# Row 4's client loop is bench/client-loop.js, the one box-recovery.sh runs against pandora and pm2:
# "pid US PID WORKER" the first time a pid answers, "fail US REASON", and "end US REQUESTS FAILED".

# first_pid LOG PID...: prints "US PID" of the client's first answer from a pid that is not one of
# PID..., and fails when there is none yet. Builtins only: it is polled every few ms.
first_pid() {
    local log=$1 kind us pid
    shift
    while read -r kind us pid _; do
        [[ $kind == pid && " $* " != *" $pid "* ]] || continue
        echo "$us $pid"
        return 0
    done <"$log"
    return 1
}

# has_pid LOG PID: whether PID has answered the client.
has_pid() {
    local kind us pid
    while read -r kind us pid _; do
        [[ $kind == pid && $pid == "$2" ]] && return 0
    done <"$1"
    return 1
}

# served: whether the cluster app answers 200 on its port.
served() {
    curl -fs --max-time 1 "http://127.0.0.1:$port/" >/dev/null
}

want 4 || want 5 || exit 0
say "rows 5/4: Pandora.js, examples/cluster through cluster() at 2 workers"
if ! daemon_up || ! start_app web; then
    reason="pandora start of the cluster app failed: $(last_cli_line)"
    want 5 && skip 5 Pandora.js "$reason"
    want 4 && skip 4 Pandora.js "$reason"
    exit 0
fi
if ! wait_for 10 served; then
    reason="the cluster app did not answer on port $port within 10 s of its start"
    want 5 && skip 5 Pandora.js "$reason"
    want 4 && skip 4 Pandora.js "$reason"
    exit 0
fi

if ! want 5; then
    :
elif ! command -v wrk >/dev/null; then
    skip 5 Pandora.js "wrk is not installed"
else
    # wrk_spread's instances: the cluster master's 2 workers (the master accepts and hands each
    # connection to a worker, as under pm2).
    d=$(daemon_pid) || true
    mapfile -t masters < <([[ -z $d ]] || children "$d")
    mapfile -t workers < <([[ ${#masters[@]} -ne 1 ]] || children "${masters[0]}")
    if [[ ${#workers[@]} -ne 2 ]]; then
        skip 5 Pandora.js "the daemon's tree is not one cluster master with 2 workers (${masters[*]}: ${workers[*]})"
    else
        wrk_spread 5 Pandora.js 2 "http://127.0.0.1:$port/" "${workers[@]}" || true
    fi
fi

# Row 4: kill -9 of one worker (a cluster worker that runs app.js; the master that re-forks it is
# the daemon's child), timed until a pid other than the two workers' answers the client loop: the
# replacement serves. The loop is stopped 0.5 s after that.
want 4 || runs=0
for ((i = 1; i <= runs; i++)); do
    d=$(daemon_pid) || { skip 4 Pandora.js "the daemon is gone"; break; }
    mapfile -t masters < <(children "$d")
    master=${masters[0]:-}
    mapfile -t workers < <([[ -z $master ]] || children "$master")
    if [[ ${#masters[@]} -ne 1 || ${#workers[@]} -ne 2 ]]; then
        skip 4 Pandora.js "the daemon's tree is not one cluster master with 2 workers (${masters[*]}: ${workers[*]})"
        break
    fi
    log=$work/client-$i.log
    : >"$log"
    node "$here/client-loop.js" "$port" "$log" &
    client_pid=$!
    # Steady first: both workers answer the loop.
    if ! wait_for 10 has_pid "$log" "${workers[0]}" || ! wait_for 10 has_pid "$log" "${workers[1]}"; then
        skip 4 Pandora.js "the client loop did not get answers from both workers within 10 s"
        break
    fi
    kill_us=${EPOCHREALTIME/[.,]/}
    kill -KILL "${workers[0]}"
    if ! back=$(wait_for 30 first_pid "$log" "${workers[@]}"); then
        skip 4 Pandora.js "no new worker answered within 30 s of the kill"
        break
    fi
    sleep 0.5
    kill -TERM "$client_pid"
    wait "$client_pid" || true
    client_pid=''
    read -r back_us new_pid <<<"$back"
    requests='' failed=''
    read -r requests failed < <(awk '$1 == "end" { print $3, $4 }' "$log") || true
    if [[ -z ${failed:-} ]]; then
        skip 4 Pandora.js "the client loop did not report its count"
        break
    fi
    ms=$(((back_us - kill_us) / 1000)).$(printf '%03d' $(((back_us - kill_us) % 1000)))
    record 4 Pandora.js 2 ms "$ms"
    record 4 "Pandora.js failed requests" 2 requests "$failed"
    reasons=$(awk '$1 == "fail" { r = r (r ? "," : "") $3 } END { print r ? r : "-" }' "$log")
    say "Pandora.js run $i: new worker $new_pid answered +$ms ms after the kill of ${workers[0]};" \
        "$requests requests, $failed failed ($reasons)"
    # Settled before the next kill (cfork would stop re-forking after 60 deaths a minute anyway).
    sleep 1.5
done
stop_app web
