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
