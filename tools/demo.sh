#!/usr/bin/env bash
# A newcomer's first command: installs what is missing, builds pandora, and runs the demo app
# (examples/full) under systemd: under the host's systemd where it is PID 1, otherwise inside the
# project's own systemd sandbox (tests/integration/sandbox.sh), as on containers and CI machines.
# It shows the units and their states, a request answered by each web instance, structured journal
# lines and metrics over D-Bus, then stops the app; --keep leaves it running (host only).
#
# Usage: sudo tools/demo.sh [--keep]
# Environment: PANDORA_BUILD_DIR (default: build/) to reuse a build directory; PANDORA_DEMO_SANDBOX=1
# to use the sandbox even where systemd is PID 1 (the test of this script does).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${PANDORA_BUILD_DIR:-$source_dir/build}
keep=false
[[ ${1:-} == --keep ]] && keep=true
cd "$source_dir"

if [[ $EUID -ne 0 ]]; then
    echo "demo: run as root (sudo tools/demo.sh): it installs packages and units" >&2
    exit 1
fi
"$source_dir/tools/install-deps.sh"
[[ -d $build_dir/meson-private ]] || meson setup "$build_dir" >/dev/null
meson compile -C "$build_dir" >/dev/null

# step TITLE: a heading, bold on a terminal.
step() {
    if [[ -t 1 ]]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi
}

# The demo itself, the same on the host and in the box; `run COMMAND...` (set below) runs a command
# on the host or in the box.
demo() {
    local app=examples/full
    step "pandora-gen $app/procfile   (validates, installs, reloads systemd)"
    run pandora-gen "$source_dir/$app/procfile"

    step "systemctl start full.target"
    run systemctl start full.target
    run systemctl list-units --no-pager --plain 'full*'

    step "curl http://127.0.0.1:8080/   (4 instances on one port, a socket each)"
    run python3 -c '
import urllib.request
seen = []
for _ in range(24):
    seen.append(urllib.request.urlopen("http://127.0.0.1:8080/", timeout=5).read().decode().strip())
print("answers:", ", ".join(seen))
print("instances that answered:", " ".join(sorted(set(seen))))'

    step "journalctl PANDORA_APP=full   (every entry says who wrote it)"
    sleep 1
    run journalctl PANDORA_APP=full -n 8 --no-pager \
        -o json --output-fields=PANDORA_PROCESS,PANDORA_INSTANCE,PANDORA_SERVICE,PRIORITY,MESSAGE |
        python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    who = "%s.%s" % (e.get("PANDORA_PROCESS", "?"), e.get("PANDORA_INSTANCE", "?"))
    if e.get("PANDORA_SERVICE"):
        who += "/" + e["PANDORA_SERVICE"]
    print("%-24s p%s  %s" % (who, e.get("PRIORITY", "?"), e.get("MESSAGE", "")))'

    step "busctl   (metrics of each instance over D-Bus)"
    if run busctl list --no-pager 2>/dev/null | grep -q '^io\.pandora\.'; then
        run busctl list --no-pager | awk '/^io\.pandora\./ {print $1}'
        run busctl call io.pandora.full.web.i1 /io/pandora/Agent io.pandora.Agent1 Metrics --json=short |
            python3 -c '
import json, sys
data = json.load(sys.stdin)["data"][0]
for name in ["UptimeUSec", "Restarts", "ServicesRunning", "MemoryRSSBytes", "OpenFDs", "CgroupTasks",
             "LogEntriesInfo", "LoopIterations", "HostLoad1"]:
    if name in data:
        print("  %-32s %s" % (name, data[name]["data"]))
print("  ... %d indicators in all" % len(data))'
        echo "the cache service's own counters (statsd lines from examples/full/cache.py):"
        run busctl get-property io.pandora.full.background.i1 /io/pandora/service/cache io.pandora.Service1 Counters
    else
        echo "(the agents publish no bus names yet)"
    fi

    if $keep; then
        step "left running: stop it with 'sudo pandora-gen --remove full'"
    else
        step "pandora-gen --remove full   (stops and removes every unit)"
        run pandora-gen --remove full
    fi
}

if [[ -z ${PANDORA_DEMO_SANDBOX:-} && -d /run/systemd/system && $(cat /proc/1/comm) == systemd ]]; then
    echo "demo: systemd is PID 1 here: installing pandora into /usr/local and running the demo app"
    meson install -C "$build_dir" --quiet
    run() { "$@"; }
    demo
else
    echo "demo: systemd is not PID 1 here: running the demo app in a systemd booted in a sandbox"
    $keep && echo "demo: --keep has no effect in the sandbox, which ends with this script" >&2
    keep=false
    # shellcheck source-path=SCRIPTDIR source=../tests/integration/sandbox.sh
    source "$source_dir/tests/integration/sandbox.sh"
    export MESON_BUILD_ROOT=$build_dir MESON_SOURCE_ROOT=$source_dir
    sandbox_boot
    run() { sandbox_run "$@"; }
    demo
fi
echo
echo "demo: done. The whole test suite: sudo tools/test.sh"
