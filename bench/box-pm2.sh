#!/usr/bin/env bash
# box-pm2.sh: rows 2, 3 and 5 for pm2 5, inside the sandbox (after box-rows.sh, whose /srv/bench
# apps it reuses). Usage: box-pm2.sh RUNS WRK_SECONDS NPM_DIR
# Row 5 runs examples/cluster's app.js and examples/unmodified/server.js (unchanged) with -i 2.
# The God daemon is started (`pm2 ping`) before anything is timed, as systemd is already up for
# pandora. Row 2 is (God's Pss + each worker's Pss - bare node's Pss) / workers: what pm2 adds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 wrk_seconds=$2 npm_dir=$3
export PM2_HOME=/tmp/pm2 HOME=/root
pm2() { "$npm_dir/node_modules/.bin/pm2" "$@"; }
work=/srv/bench

pm2 ping >/dev/null
bare_pss=${BARE_PSS_KB:-0}

if want 2 || want 3; then
    say "row 3/2: pm2 start -i 4"
    cd "$work/hello"
    for ((i = 0; i < runs; i++)); do
        t0=$EPOCHREALTIME
        pm2 start app.js -i 4 --name hello >/dev/null
        until [[ $(online_pids hello | wc -l) -eq 4 ]]; do sleep 0.01; done
        want 3 && record 3 pm2 4 ms "$(ms_since "$t0")"
        if want 2; then
            sleep 1
            god=$(cat "$PM2_HOME/pm2.pid")
            sum=$(pss_kb "$god")
            for pid in $(online_pids hello); do sum=$((sum + $(pss_kb "$pid") - bare_pss)); done
            record 2 "pm2 (God + workers - bare node)" 4 kB "$((sum / 4))"
        fi
        pm2 delete hello >/dev/null
    done
fi

# two_online NAME: whether pm2 lists 2 workers of NAME online.
two_online() {
    [[ $(online_pids "$1" | wc -l) -eq 2 ]]
}

# pm2_up NAME PORT: waits until NAME has 2 workers online and answers on PORT.
pm2_up() {
    wait_for 20 two_online "$1" && wait_for 20 curl -fs --max-time 1 "http://127.0.0.1:$2/" >/dev/null
}

if want 5; then
    # wrk_spread's instances: one pid per worker. The God daemon is the cluster master: it accepts
    # every connection and hands it to a worker (Node.js's round robin, the default on Linux).
    say "row 5: pm2 cluster, 2 instances"
    cd "$work/web"
    PORT=8081 pm2 start app.js -i 2 --name web >/dev/null
    if pm2_up web 8081; then
        mapfile -t inst < <(online_pids web)
        wrk_spread 5 "pm2 cluster" 2 http://127.0.0.1:8081/ "${inst[@]}" || true
    else
        skip 5 "pm2 cluster" "the app did not answer on port 8081 within 20 s"
    fi
    pm2 delete web >/dev/null

    say "row 5: pm2 cluster, examples/unmodified/server.js at 2 instances"
    cd "$work/unmodified"
    pm2 start server.js -i 2 --name unmod >/dev/null
    if pm2_up unmod 3000; then
        mapfile -t inst < <(online_pids unmod)
        wrk_spread 5 "pm2 cluster, unmodified server.js, keep-alive" 2 http://127.0.0.1:3000/ "${inst[@]}" || true
        wrk_spread 5 "pm2 cluster, unmodified server.js, a connection per request" 2 http://127.0.0.1:3000/ \
            "${inst[@]}" -- -H "Connection: close" || true
    else
        skip 5 "pm2 cluster, unmodified server.js" "the app did not answer on 127.0.0.1:3000 within 20 s"
    fi
fi
pm2 kill >/dev/null
