# shellcheck shell=bash
# lib.sh: what every bench/ script shares. A measurement is one TSV line on stdout,
#     m    ROW SUBJECT SIZE UNIT VALUE
# and a row that could not be measured is
#     skip ROW SUBJECT REASON
# bench/report.py turns these lines into the table (min/median/max, ratios).

# record ROW SUBJECT SIZE UNIT VALUE: one sample.
record() {
    printf 'm\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5"
}

# skip ROW SUBJECT REASON...: a row or peer that is not measured, and why.
skip() {
    local row=$1 subject=$2
    shift 2
    printf 'skip\t%s\t%s\t%s\n' "$row" "$subject" "$*"
}

# say MSG...: progress on stderr, so that stdout stays data.
say() {
    echo "bench: $*" >&2
}

# ms_since START: milliseconds since START (an $EPOCHREALTIME), with 3 decimals.
ms_since() {
    local now=$EPOCHREALTIME
    local us=$(( ${now//[.,]/} - ${1//[.,]/} ))
    printf '%d.%03d' $((us / 1000)) $((us % 1000))
}

# pss_kb PID: the Pss of PID in kB, from /proc/PID/smaps_rollup.
pss_kb() {
    awk '/^Pss:/ { print $2; exit }' "/proc/$1/smaps_rollup"
}

# wait_for SECONDS CMD...: runs CMD every 5 ms until it succeeds (its stdout passes through); fails
# after SECONDS.
wait_for() {
    local deadline=$((${EPOCHREALTIME/[.,]/} + $1 * 1000000))
    shift
    until "$@"; do
        ((${EPOCHREALTIME/[.,]/} < deadline)) || return 1
        sleep 0.005
    done
}

# wait_active UNIT...: polls (every ms, inside the sandbox) until every UNIT is active; fails after
# ~20 s.
wait_active() {
    local i
    for ((i = 0; i < 20000; i++)); do
        systemctl is-active --quiet "$@" && return 0
        sleep 0.001
    done
    say "timed out waiting for $*"
    return 1
}

# online_pids NAME: the PIDs of pm2 app NAME's workers that are online, one a line. The caller
# defines pm2 (a function running its copy from the npm cache).
online_pids() {
    pm2 jlist 2>/dev/null | node -e '
        let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
            for (const p of JSON.parse(s))
                if (p.name === process.argv[1] && p.pm2_env.status === "online") console.log(p.pid);
        });' "$1"
}

# note ROW TEXT...: a line printed under the table, after the row's figures (what a row measured
# beyond min/median/max, such as the requests each instance served in each run).
note() {
    local row=$1
    shift
    printf 'note\t%s\t%s\n' "$row" "$*"
}

# want ROW: whether bench/run was asked for ROW ($BENCH_ROWS, comma-separated, from --only; unset
# or empty: every row).
want() {
    [[ -z ${BENCH_ROWS:-} || ,$BENCH_ROWS, == *,$1,* ]]
}

# descendants PID: PID's descendants (not PID itself), one a line.
descendants() {
    local c
    for c in $(cat "/proc/$1/task/"*/children 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}

# wchar PID...: the bytes PID... have written so far through write(2) and writev(2), sockets
# included (/proc/PID/io `wchar`), summed; fails when one of them is gone. Builtins only.
wchar() {
    local p k v sum=0 found
    for p in "$@"; do
        found=false
        while read -r k v; do
            [[ $k == wchar: ]] && { sum=$((sum + v)) found=true; break; }
        done 2>/dev/null <"/proc/$p/io" || return 1
        $found || return 1
    done
    echo "$sum"
}

# wrk_spread ROW SUBJECT SIZE URL INSTANCE... [-- WRK_ARG...]: row 5's measurement, $runs times
# (runs and wrk_seconds are the caller's): `wrk -t2 -c32 -d${wrk_seconds}s WRK_ARG... URL`,
# recorded as SUBJECT's req/s, and how the requests spread over the instances, recorded as
# "SUBJECT" in the unit max/min (the busiest instance's requests over the least busy one's) with a
# note of every instance's requests. Each INSTANCE is the space-separated pids of one instance's
# app processes.
#
# Requests per instance are counted from outside, for an app that is not changed in any way: each
# instance's wchar (/proc/PID/io: every byte it passed to write(2)/writev(2), its responses
# included) is read before and after the run, and wrk's request count is shared out in proportion.
# Every response of one app is the same bytes, so the shares are the instances' shares of the
# requests; the note gives the bytes per request this implies, which says what else was written
# (the response's own size when nothing else is; under Node.js's cluster module a worker also
# writes an ack to the master per connection it is handed). Reading /proc costs nothing during the
# run, so the spread is that of the very runs whose throughput is recorded.
# shellcheck disable=SC2154 # runs and wrk_seconds are the caller's
wrk_spread() {
    local row=$1 subject=$2 size=$3 url=$4 i j n r out rps total sum max min shares ratio
    local -a inst=() args=() before after
    shift 4
    while [[ $# -gt 0 && $1 != -- ]]; do inst+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    args=("$@")
    n=${#inst[@]}
    for ((i = 0; i < runs; i++)); do
        before=() after=()
        for ((j = 0; j < n; j++)); do
            # shellcheck disable=SC2086 # an instance is a list of pids
            before[j]=$(wchar ${inst[j]}) || { skip "$row" "$subject" "instance $((j + 1)) (pids ${inst[j]}) is gone"; return 1; }
        done
        out=$(wrk -t2 -c32 -d"${wrk_seconds}s" "${args[@]}" "$url") || true
        for ((j = 0; j < n; j++)); do
            # shellcheck disable=SC2086
            after[j]=$(wchar ${inst[j]}) || { skip "$row" "$subject" "instance $((j + 1)) (pids ${inst[j]}) died during wrk"; return 1; }
        done
        rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
        total=$(awk '/ requests in / { print $1 }' <<<"$out")
        if [[ -z $rps || -z $total ]]; then
            skip "$row" "$subject" "wrk printed no Requests/sec: $(tail -n 1 <<<"$out")"
            return 1
        fi
        record "$row" "$subject" "$size" req/s "$rps"
        sum=0
        for ((j = 0; j < n; j++)); do sum=$((sum + after[j] - before[j])); done
        if ((sum <= 0)); then
            skip "$row" "$subject" "the instances wrote nothing during the run"
            return 1
        fi
        shares='' max=0 min=-1
        for ((j = 0; j < n; j++)); do
            r=$((total * (after[j] - before[j]) / sum))
            shares+=${shares:+/}$r
            ((r > max)) && max=$r
            ((min < 0 || r < min)) && min=$r
        done
        ratio=$(awk -v a="$max" -v b="$min" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "inf" }')
        record "$row" "$subject" "$size" max/min "$ratio"
        note "$row" "$subject, run $((i + 1)): $total requests, per instance $shares (max/min $ratio)," \
            "$((sum / total)) bytes written per request$(awk '/^  Socket errors|^  Non-2xx/ { printf ", %s", $0 }' <<<"$out" | tr -s ' ')"
    done
}
