#!/usr/bin/env bash
# box-rows.sh: rows 2, 3 and 5, run inside the project's systemd sandbox by bench/run (as root, in
# /srv/bench in the box, whose / is a throwaway overlay). Usage: box-rows.sh RUNS WRK_SECONDS NPM_DIR
#   row 2: Pss per instance of pandora-agent (examples/hello at scale 1 and 4), of pm2, and of the
#          bare node app in a plain unit (the physical limit: no supervisor at all)
#   row 3: `systemctl start APP.target` until all 4 instances are active, against a bare unit and
#          `pm2 start -i 4`
#   row 5: wrk against examples/cluster's app.js at 2 instances on pandora's shared socket, and
#          against examples/unmodified/server.js (Node.js's hello world, which binds 127.0.0.1:3000
#          itself) at 2 instances under `listen = [ "3000" ]`, with keep-alive and with a new
#          connection per request; with the requests each instance served (lib.sh's wrk_spread)
# pm2's and Pandora.js's rows 2 to 5 are box-pm2.sh's and box-pandorajs.sh's, called at the end with
# the bare node's Pss. Only the rows in $BENCH_ROWS (bench/run --only; unset: all) are measured.
# Prints lib.sh's TSV lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 wrk_seconds=$2 npm_dir=$3
src=$(cd "$here/.." && pwd)
# Not in /tmp: a unit may have PrivateTmp=yes, and would not see its app there.
work=/srv/bench
mkdir -p "$work"

# instances PREFIX N: prints PREFIX@1.service ... PREFIX@N.service.
instances() {
    local i
    for ((i = 1; i <= $2; i++)); do printf '%s@%d.service ' "$1" "$i"; done
}

# hello_app NAME SCALE: installs examples/hello as app NAME at SCALE with pandora-gen.
hello_app() {
    mkdir -p "$work/$1"
    cp "$src/examples/hello/app.js" "$work/$1/"
    sed -e "s/^app = .*/app = \"$1\";/" -e "s/scale = 1;/scale = $2;/" \
        "$src/examples/hello/procfile" >"$work/$1/procfile"
    pandora-gen "$work/$1/procfile" >/dev/null
}

# bare_app SCALE: the same app as plain units, bare@N.service, wanted by bare.target.
bare_app() {
    cat >/run/systemd/system/bare@.service <<UNIT
[Unit]
PartOf=bare.target
[Service]
Type=simple
Environment=ENV_VAR1=some-value
WorkingDirectory=$work/hello
ExecStart=/usr/bin/node ./app.js
StandardOutput=journal
UNIT
    { echo "[Unit]"; echo "Wants=$(instances bare "$1")"; } >/run/systemd/system/bare.target
    systemctl daemon-reload
}

# sandboxed_bare_app SCALE: bare_app's units with the sandbox pandora gives its instances by default
# (the hardening lines of hello4's generated unit), bare-sandboxed@N.service under bare-sandboxed.target:
# what systemd's sandbox costs a unit that has no supervisor, so row 3 can tell it from pandora's own.
# Type=exec: a Type=simple unit is active at fork, before its child has set the sandbox up at all.
sandboxed_bare_app() {
    local keys='^(NoNewPrivileges|Restrict[A-Za-z]*|Private[A-Za-z]*|Protect[A-Za-z]*|SystemCall[A-Za-z]*|CapabilityBoundingSet|LockPersonality|MemoryDenyWriteExecute|KeyringMode|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|UMask|RemoveIPC)='
    { sed -e 's/^PartOf=bare.target/PartOf=bare-sandboxed.target/' -e 's/^Type=simple/Type=exec/' \
        /run/systemd/system/bare@.service
      systemctl cat hello4-processA@.service | grep -E "$keys"; } >/run/systemd/system/bare-sandboxed@.service
    { echo "[Unit]"; echo "Wants=$(instances bare-sandboxed "$1")"; } >/run/systemd/system/bare-sandboxed.target
    systemctl daemon-reload
}

# start_latency SUBJECT TARGET PREFIX N: row 3 for a target of N instances.
start_latency() {
    local i t0 units
    units=$(instances "$3" "$4")
    for ((i = 0; i < runs; i++)); do
        systemctl stop "$2"
        t0=$EPOCHREALTIME
        systemctl start "$2"
        # shellcheck disable=SC2086
        wait_active $units
        record 3 "$1" 4 ms "$(ms_since "$t0")"
    done
}

# unit_memory SUBJECT TARGET PREFIX N WHICH: row 2, Pss per instance of each unit's main process
# (WHICH=main) or of its child (WHICH=child, the app under pandora-agent), summed and divided by N.
unit_memory() {
    local i u pid sum units
    units=$(instances "$3" "$4")
    for ((i = 0; i < runs; i++)); do
        systemctl restart "$2"
        # shellcheck disable=SC2086
        wait_active $units
        sleep 1
        sum=0
        for u in $units; do
            pid=$(systemctl show -P MainPID "$u")
            [[ $5 == child ]] && pid=$(awk "{ print \$1 }" "/proc/$pid/task/$pid/children")
            sum=$((sum + $(pss_kb "$pid")))
        done
        last_kb=$((sum / $4))
        record 2 "$1" "$4" kB "$last_kb"
    done
}

bare_kb=
if want 2 || want 3; then
    say "row 2/3: pandora and bare units"
    hello_app hello 1
    hello_app hello4 4
    bare_app 4
fi
if want 3; then
    sandboxed_bare_app 4
    hello_app hello4off 4
    sed -i 's/^processes = {/hardening = "off";\nprocesses = {/' "$work/hello4off/procfile"
    pandora-gen "$work/hello4off/procfile" >/dev/null
fi
if want 2; then
    unit_memory pandora-agent hello.target hello-processA 1 main
    unit_memory pandora-agent hello4.target hello4-processA 4 main
    unit_memory "node app.js (under pandora-agent)" hello4.target hello4-processA 4 child
    systemctl stop hello.target hello4.target
    unit_memory "bare unit: node app.js" bare.target bare 4 main
    bare_kb=$last_kb
    systemctl stop bare.target
fi
if want 3; then
    start_latency "bare unit (Type=simple)" bare.target bare 4
    systemctl stop bare.target
    start_latency "bare unit, pandora's default sandbox (Type=exec)" bare-sandboxed.target bare-sandboxed 4
    systemctl stop bare-sandboxed.target
    start_latency pandora hello4.target hello4-processA 4
    systemctl stop hello4.target
    start_latency 'pandora, hardening = "off"' hello4off.target hello4off-processA 4
    systemctl stop hello4off.target
fi

# app_instances PREFIX N: one word per instance of PREFIX@1..N, the pids of its app (the agent's
# descendants: node, and whatever node forks), for wrk_spread.
app_instances() {
    local i main
    for ((i = 1; i <= $2; i++)); do
        main=$(systemctl show -P MainPID "$1@$i.service")
        descendants "$main" | paste -sd' '
    done
}

if want 5; then
    say "row 5: pandora cluster, 2 instances on one socket"
    mkdir -p "$work/web"
    cp "$src/examples/cluster/app.js" "$work/web/"
    cat >"$work/web/procfile" <<'PROCFILE'
app = "web";
processes = { worker = { entry = "./app.js"; scale = 2; listen = [ "8080" ]; }; };
PROCFILE
    pandora-gen "$work/web/procfile" >/dev/null
    systemctl start web.target
    # shellcheck disable=SC2046
    wait_active $(instances web-worker 2)
    if ! command -v wrk >/dev/null; then
        skip 5 pandora "wrk is not installed"
    else
        mapfile -t inst < <(app_instances web-worker 2)
        wrk_spread 5 pandora 2 http://127.0.0.1:8080/ "${inst[@]}" || true
    fi
    systemctl stop web.target

    # Node.js's hello world as nodejs.org gives it, byte for byte: it binds 127.0.0.1:3000 itself,
    # and pandora-agent's interposed bind() hands it the unit's socket (pandora-agent(8), LISTEN
    # SHARING). pm2 runs the same file in cluster mode (box-pm2.sh); the app's fixed port is why the
    # socket unit is removed again before pm2 starts.
    say "row 5: pandora, examples/unmodified/server.js at 2 instances (listen = [ \"3000\" ])"
    mkdir -p "$work/unmodified"
    cp "$src/examples/unmodified/server.js" "$work/unmodified/"
    cat >"$work/unmodified/procfile" <<'PROCFILE'
app = "unmod";
processes = { web = { entry = "./server.js"; scale = 2; listen = [ "3000" ]; }; };
PROCFILE
    pandora-gen "$work/unmodified/procfile" >/dev/null
    systemctl start unmod.target
    # shellcheck disable=SC2046
    wait_active $(instances unmod-web 2)
    if ! command -v wrk >/dev/null; then
        skip 5 "pandora, unmodified server.js" "wrk is not installed"
    elif ! curl -fs --max-time 5 http://127.0.0.1:3000/ >/dev/null; then
        skip 5 "pandora, unmodified server.js" "no answer on 127.0.0.1:3000 after systemctl start"
    else
        mapfile -t inst < <(app_instances unmod-web 2)
        say "instances' pids: ${inst[*]}; restarts: $(systemctl show -P NRestarts unmod-web@1.service unmod-web@2.service | paste -sd/)"
        wrk_spread 5 "pandora, unmodified server.js, keep-alive" 2 http://127.0.0.1:3000/ "${inst[@]}" || true
        wrk_spread 5 "pandora, unmodified server.js, a connection per request" 2 http://127.0.0.1:3000/ \
            "${inst[@]}" -- -H "Connection: close" || true
    fi
    pandora-gen --remove unmod >/dev/null
fi

for_rows() { # for_rows SUBJECT REASON ROW...: skip each ROW that was asked for.
    local subject=$1 reason=$2 row
    shift 2
    for row in "$@"; do want "$row" && skip "$row" "$subject" "$reason"; done
    return 0
}
if want 2 || want 3 || want 5; then
    if [[ -x $npm_dir/node_modules/.bin/pm2 ]]; then
        BARE_PSS_KB=$bare_kb "$here/box-pm2.sh" "$runs" "$wrk_seconds" "$npm_dir"
    else
        for_rows pm2 "pm2 not installed in $npm_dir" 2 3 5
    fi
fi
if want 2 || want 3 || want 4 || want 5; then
    if [[ -x $npm_dir/node_modules/.bin/pandora ]]; then
        BARE_PSS_KB=$bare_kb "$here/box-pandorajs.sh" "$runs" "$wrk_seconds" "$npm_dir"
    else
        for_rows Pandora.js "Pandora.js not installed in $npm_dir" 2 3 4 5
    fi
fi
