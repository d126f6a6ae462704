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
