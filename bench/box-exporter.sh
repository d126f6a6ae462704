#!/usr/bin/env bash
# box-exporter.sh: pandora-exporter's scrape time at 1, 10 and 100 instances (issue 18: well under
# 100 ms at 100), inside the project's systemd sandbox.
#
#   sudo bench/box-exporter.sh [--runs N]    from the host: builds (PANDORA_BUILD_DIR, default
#                                            build-bench/), boots a sandbox with the build installed,
#                                            runs itself inside and prints min/median/max per size
#   box-exporter.sh --in-box RUNS            inside a box (as bench/run runs its box-*.sh): prints
#                                            lib.sh's TSV lines on stdout
#
# For each size an app of one process at that scale (entry and one exec service, both sleep; each
# instance a pandora-agent on the bus) runs alone; after every instance is active and one warm-up
# scrape, RUNS scrapes are timed: curl's total time for GET /metrics on the loopback socket (the whole
# answer, so systemd's and the agents' replies and the rendering), and the exporter's own
# pandora_exporter_scrape_duration_seconds of the same scrape (the reading alone).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
sizes=(1 10 100)

in_box() {
    local runs=$1 n text url=http://127.0.0.1:9687/metrics
    mkdir -p /etc/pandora
    systemd-sysusers
    systemctl start pandora-exporter.socket
    for n in "${sizes[@]}"; do
        say "exporter: $n instance(s)"
        cat >"/etc/pandora/ex$n.procfile" <<EOF
app = "ex$n";
processes = { web = { entry = "/bin/sleep infinity"; scale = $n; }; };
services = { side = { process = "web"; exec = "/bin/sleep infinity"; }; };
EOF
        systemctl daemon-reload
        systemctl start "ex$n.target"
        mapfile -t units < <(for ((i = 1; i <= n; i++)); do echo "ex$n-web@$i.service"; done)
        wait_active "${units[@]}" || { skip exporter pandora-exporter "ex$n did not start"; continue; }
        # Every agent on the bus, one warm-up scrape (the service starts at the first connection).
        wait_for 20 bash -c "[[ \$(curl -s $url | grep -c '^pandora_uptime_seconds{app=\"ex$n\"') == $n ]]" ||
            say "exporter: not every agent of ex$n answered before the clock started"
        for ((r = 0; r < runs; r++)); do
            text=$(curl -sS -w '\ncurl_seconds %{time_total}\n' "$url")
            record exporter "scrape (curl, whole answer)" "$n" ms \
                "$(awk '$1 == "curl_seconds" { printf "%.3f", $2 * 1000 }' <<<"$text")"
            record exporter "reading (pandora_exporter_scrape_duration_seconds)" "$n" ms \
                "$(awk '$1 == "pandora_exporter_scrape_duration_seconds" { printf "%.3f", $2 * 1000 }' <<<"$text")"
            record exporter "bytes" "$n" B "$(($(wc -c <<<"$text")))"
        done
        systemctl stop "ex$n.target"
        rm -f "/etc/pandora/ex$n.procfile"
    done
}

on_host() {
    local runs=5 src build
    while [[ $# -gt 0 ]]; do
        case $1 in
        --runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "usage: box-exporter.sh [--runs N]" >&2; exit 2; }
                runs=$2; shift ;;
        *) echo "usage: box-exporter.sh [--runs N]" >&2; exit 2 ;;
        esac
        shift
    done
    [[ $EUID -eq 0 ]] || { echo "box-exporter.sh: run as root (the systemd sandbox)" >&2; exit 1; }
    src=$(cd "$here/.." && pwd)
    build=${PANDORA_BUILD_DIR:-$src/build-bench}
    [[ -d $build/meson-private ]] || meson setup "$build" "$src" >/dev/null
    meson compile -C "$build" >/dev/null
    (
        # shellcheck source=../tests/integration/sandbox.sh
        source "$src/tests/integration/sandbox.sh"
        export MESON_BUILD_ROOT=$build MESON_SOURCE_ROOT=$src
        sandbox_boot || { echo "box-exporter.sh: the systemd sandbox did not boot" >&2; exit 1; }
        sandbox_run "$here/box-exporter.sh" --in-box "$runs"
    ) | awk -F'\t' '
        $1 == "m" { key = $3 "\t" $4 "\t" $5; v[key] = v[key] " " $6; if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
        $1 == "skip" { print "not measured: " $3 ": " $4 }
        END {
            printf "%-52s %5s %9s %9s %9s %s\n", "subject", "size", "min", "median", "max", "unit"
            for (i = 0; i < n; i++) {
                split(order[i], k, "\t"); m = split(substr(v[order[i]], 2), x, " ")
                for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (x[b] + 0 < x[a] + 0) { t = x[a]; x[a] = x[b]; x[b] = t }
                med = m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
                printf "%-52s %5s %9s %9s %9s %s\n", k[1], k[2], x[1], med, x[m], k[3]
            }
        }'
}

if [[ ${1:-} == --in-box ]]; then
    in_box "${2:-5}"
else
    on_host "$@"
fi
