#!/usr/bin/env bash
# box-pm2.sh: rows 2, 3 and 5 for pm2 5, inside the sandbox (after box-rows.sh, whose /tmp/bench
# apps it reuses). Usage: box-pm2.sh RUNS WRK_SECONDS NPM_DIR
# The God daemon is started (`pm2 ping`) before anything is timed, as systemd is already up for
# pandora. Row 2 is (God's Pss + each worker's Pss - bare node's Pss) / workers: what pm2 adds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 wrk_seconds=$2 npm_dir=$3
export PM2_HOME=/tmp/pm2 HOME=/root
pm2() { "$npm_dir/node_modules/.bin/pm2" "$@"; }
work=/tmp/bench

pm2 ping >/dev/null
bare_pss=${BARE_PSS_KB:-0}

say "row 3/2: pm2 start -i 4"
cd "$work/hello"
for ((i = 0; i < runs; i++)); do
    t0=$EPOCHREALTIME
    pm2 start app.js -i 4 --name hello >/dev/null
    until [[ $(online_pids hello | wc -l) -eq 4 ]]; do sleep 0.01; done
    record 3 pm2 4 ms "$(ms_since "$t0")"
    sleep 1
    god=$(cat "$PM2_HOME/pm2.pid")
    sum=$(pss_kb "$god")
    for pid in $(online_pids hello); do sum=$((sum + $(pss_kb "$pid") - bare_pss)); done
    record 2 "pm2 (God + workers - bare node)" 4 kB "$((sum / 4))"
    pm2 delete hello >/dev/null
done

say "row 5: pm2 cluster, 2 instances"
cd "$work/web"
PORT=8081 pm2 start app.js -i 2 --name web >/dev/null
until [[ $(online_pids web | wc -l) -eq 2 ]]; do sleep 0.05; done
until curl -fs http://127.0.0.1:8081/ >/dev/null 2>&1; do sleep 0.05; done
for ((i = 0; i < runs; i++)); do
    rps=$(wrk -t2 -c32 -d"${wrk_seconds}s" http://127.0.0.1:8081/ | awk '/^Requests\/sec:/ { print $2 }')
    record 5 "pm2 cluster" 2 req/s "$rps"
done
pm2 kill >/dev/null
