#!/bin/bash
# Unmodified apps scale (issue 14): servers that bind() and listen() on their own port, as their
# official docs write them, run at scale > 1 under pandora. With `listen`, every instance's bind() of
# the declared address gets the socket systemd holds for that instance (APP-web@N.socket, one per
# instance with ReusePort=; libpandora-listen.so, preloaded by the agent), so each serves a socket
# that outlives its restarts; without `listen`, the
# instances share the port with SO_REUSEPORT and the agent says so once per instance. Apps (under
# listen/): Node.js's hello world, Express's hello world (Debian's node-express), `python3 -m
# http.server`, `npm start` (a shell between npm and node), and a plain POSIX C server.
#
# What is checked, from outside the unmodified apps:
# - right after `systemctl start APP.target` returns, every instance is active and its server process
#   already holds its instance's socket at a fd of its own, and the very first request is answered; a
#   server that binds a second late (behind `sh -c 'sleep 1; exec ...'`) holds the start up until it
#   listens, and with ready = "started" (the control) it does not;
# - the box has exactly one listening socket per instance on the port, each held by systemd, 40
#   requests all get 200 and the body, and no instance restarted;
# - without `listen`, at scale 4: four listening sockets of their own on the port, one per instance,
#   and one SO_REUSEPORT line in each instance's journal;
# - kill -9 of one instance's server, then `systemctl restart` of every instance in turn, under a
#   client loop: no request refused or timed out;
# - a port the group does not declare gets a socket of its own, and a client the app starts is given
#   no socket on the declared port;
# - EADDRINUSE against another program is reported with MESSAGE_ID=3c1b6f5e0d2a4e7f9b8c1d2e3f4a5b6c and
#   the port; with share_listen = false nothing is shared and the server's own EADDRINUSE shows;
# - an entry that never listens fails its start after start_timeout_ms, and the journal names the
#   address it was waiting for.
#
# Servers' processes are found in their instance's cgroup by command line; a socket is identified by its
# inode, read from /proc/PID/fd and /proc/net/tcp{,6} in the box. All traffic stays on the box's
# loopback, every loop is bounded in count and time.
# shellcheck disable=SC2016,SC2317 # in-box scripts are expanded by the box's bash; checks are run by
# tap_ok and sandbox_wait, which call the helpers
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

apps=$(cd "$(dirname "$0")/listen" && pwd)
c_server=${MESON_BUILD_ROOT:-}/tests/integration/c-server
in_use_id=3c1b6f5e0d2a4e7f9b8c1d2e3f4a5b6c
node_regex='^node (server|app)\.js'

# ---------------------------------------------------------------------------------------------
# Sockets and processes in the box

# listen_inodes PORT: the inodes of the box's TCP sockets listening on local PORT (IPv4 and IPv6),
# one per line.
listen_inodes() {
    sandbox_run awk -v port="$(printf '%04X' "$1")" '
        $4 == "0A" { n = split($2, a, ":"); if (a[n] == port) print $10 }' /proc/net/tcp /proc/net/tcp6 |
        sort -u
}

# shared_inode PORT: the one socket listening on PORT (at scale 1, the instance's socket unit's); fails
# when there is none, or more than one (an instance that bound a socket of its own).
shared_inode() {
    local inodes
    inodes=$(listen_inodes "$1")
    [[ -n $inodes && $inodes != *$'\n'* ]] || return 1
    echo "$inodes"
}

# unit_pids UNIT: the pids in UNIT's cgroup.
unit_pids() {
    local cg
    cg=$(agent_prop "$1" ControlGroup)
    [[ -n $cg ]] || return 1
    sandbox_run cat "/sys/fs/cgroup$cg/cgroup.procs"
}

# app_pid UNIT REGEX: the one process of UNIT whose command line (its words joined by spaces) matches
# the extended REGEX; fails unless there is exactly one.
app_pid() {
    local pids
    pids=$(unit_pids "$1") || return 1
    # shellcheck disable=SC2086 # one word per pid
    pids=$(sandbox_run bash -c '
        re=$1
        shift
        for pid; do
            cmdline=$(tr "\0" " " <"/proc/$pid/cmdline" 2>/dev/null) || continue
            [[ $cmdline =~ $re ]] && echo "$pid"
        done
        true' bash "$2" $pids)
    [[ -n $pids && $pids != *$'\n'* ]] || return 1
    echo "$pids"
}

# own_sockets PID: the inodes of the sockets PID holds at fds of its own, one per line: every socket
# fd except those systemd passed it (fd 3 and up, LISTEN_FDS of them, when LISTEN_PID names PID), so
# that a socket the process merely inherited does not count as one it bound.
own_sockets() {
    sandbox_run bash -c '
        pid=$1 last=2
        env=$(tr "\0" "\n" <"/proc/$pid/environ") || exit 1
        if grep -qx "LISTEN_PID=$pid" <<<"$env"; then
            n=$(sed -n "s/^LISTEN_FDS=//p" <<<"$env")
            last=$((2 + ${n:-0}))
        fi
        for f in /proc/$pid/fd/*; do
            fd=${f##*/}
            link=$(readlink "$f") || continue
            [[ $link == "socket:["*"]" ]] || continue
            ((fd >= 3 && fd <= last)) && continue
            link=${link#socket:\[}
            echo "${link%]}"
        done
        true' bash "$1"
}

# instance_inode UNIT PORT: the socket systemd passed UNIT's agent (from fd 3) that listens on PORT:
# the instance's own socket unit's.
instance_inode() {
    local main
    main=$(agent_prop "$1" MainPID)
    [[ $main != 0 ]] || return 1
    sandbox_run bash -c 'for f in /proc/$1/fd/*; do
            fd=${f##*/}; ((fd >= 3)) || continue
            link=$(readlink "$f") || continue
            [[ $link == "socket:["*"]" ]] && { link=${link#socket:\[}; echo "${link%]}"; }
        done; true' bash "$main" | grep -xFf <(listen_inodes "$2") | head -n1 | grep .
}

# listeners_per_instance PORT N: whether exactly N sockets listen on PORT, each held by systemd (PID
# 1): one per instance (ReusePort=), none an app's own.
listeners_per_instance() {
    local inodes held
    inodes=$(listen_inodes "$1")
    held=$(sandbox_run bash -c 'for f in /proc/1/fd/*; do readlink "$f"; done' | sed -n 's/^socket:\[\(.*\)\]$/\1/p')
    [[ $(grep -c . <<<"$inodes") == "$2" ]] || { echo "$(grep -c . <<<"$inodes") listeners on $1, not $2"; return 1; }
    grep -vxFf <(echo "$held") <<<"$inodes" | grep -q . && { echo "a listener on $1 is not systemd's"; return 1; }
    return 0
}

# holds_shared UNIT REGEX PORT: whether UNIT's server process (REGEX) holds the instance's socket of
# PORT at a fd of its own. Prints what it found otherwise.
holds_shared() {
    local shared pid
    if ! shared=$(instance_inode "$1" "$3"); then
        echo "$1: its agent holds no socket listening on port $3: $(listen_inodes "$3" | tr '\n' ' ')"
        return 1
    fi
    if ! pid=$(app_pid "$1" "$2"); then
        echo "$1: no single process matching '$2' among: $(unit_pids "$1" | tr '\n' ' ')"
        return 1
    fi
    if ! own_sockets "$pid" | grep -qx "$shared"; then
        echo "$1: pid $pid does not hold socket $shared of port $3 at a fd of its own"
        return 1
    fi
}

# all_hold_shared APP SCALE REGEX PORT: holds_shared for every instance APP-web@1..SCALE.
all_hold_shared() {
    local i
    for ((i = 1; i <= $2; i++)); do
        holds_shared "$1-web@$i.service" "$3" "$4" || return 1
    done
}

# own_listeners APP SCALE REGEX PORT: whether every instance's server holds a socket of its own that
# listens on PORT, each a different one, and the box has no other listener on PORT.
own_listeners() {
    local i pid listening mine seen=()
    listening=$(listen_inodes "$4")
    for ((i = 1; i <= $2; i++)); do
        pid=$(app_pid "$1-web@$i.service" "$3") || { echo "instance $i: no server process"; return 1; }
        mine=$(grep -xFf <(own_sockets "$pid") <<<"$listening") || { echo "instance $i: no listener"; return 1; }
        seen+=("$mine")
    done
    [[ $(printf '%s\n' "${seen[@]}" | sort -u | wc -l) -eq $2 && $(wc -l <<<"$listening") -eq $2 ]] ||
        { echo "listeners on $4: $(tr '\n' ' ' <<<"$listening"), held: ${seen[*]}"; return 1; }
}

# ---------------------------------------------------------------------------------------------
# Instances and requests

# all_instances_are APP SCALE STATE [NRESTARTS]: whether every instance APP-web@1..SCALE is in
# ActiveState STATE (and has restarted NRESTARTS times); prints the first that is not.
all_instances_are() {
    local i state
    for ((i = 1; i <= $2; i++)); do
        state="$(agent_prop "$1-web@$i.service" ActiveState) $(agent_prop "$1-web@$i.service" NRestarts)"
        if [[ $state != "$3 "${4:-*} ]]; then
            echo "$1-web@$i.service: ActiveState NRestarts = $state"
            return 1
        fi
    done
}

# request URL BODY: one request in the box, within 5 s; succeeds when it is answered 200 with BODY in
# the body, and says what came back otherwise.
request() {
    sandbox_run bash -c '
        answer=$(curl -s --max-time 5 -w "\n%{http_code}" "$1") || { echo "curl failed with status $?"; exit 1; }
        [[ ${answer##*$'"'\n'"'} == 200 && $answer == *"$2"* ]] || { echo "answer: $answer"; exit 1; }' \
        bash "$1" "$2"
}

# requests URL N BODY: N sequential requests in the box, each within 3 s; prints how many were answered
# 200 with BODY before the first that was not.
requests() {
    sandbox_run bash -c '
        for ((i = 0; i < $2; i++)); do
            answer=$(curl -s --max-time 3 -w "\n%{http_code}" "$1") || break
            [[ ${answer##*$'"'\n'"'} == 200 && $answer == *"$3"* ]] || break
        done
        echo "$i"' bash "$1" "$2" "$3"
}

# server_pids APP SCALE REGEX: the pid of every instance's server, space-separated ("-" for none).
server_pids() {
    local i out=()
    for ((i = 1; i <= $2; i++)); do
        out+=("$(app_pid "$1-web@$i.service" "$3" || echo -)")
    done
    echo "${out[*]}"
}

# same_servers APP SCALE REGEX PIDS: whether every instance is active with NRestarts=0 and the servers
# are PIDS (as server_pids printed them), none missing.
same_servers() {
    local now
    all_instances_are "$1" "$2" active 0 || return 1
    now=$(server_pids "$1" "$2" "$3")
    [[ $now == "$4" && $now != *-* ]] || { echo "servers were '$4', are '$now'"; return 1; }
}

# start APP: systemctl start APP.target in the box, within 60 s.
start() {
    sandbox_run timeout 60 systemctl start "$1.target"
}

# remove APP: pandora-gen --remove APP; succeeds when no unit of APP is left but, at most, an instance
# that failed, which systemd keeps listed (not-found, failed) until reset-failed.
remove() {
    local left
    sandbox_run pandora-gen --remove "$1" >&2 || return 1
    left=$(sandbox_run systemctl list-units --all --plain --no-legend "$1-*" "$1.target" |
        awk '!($2 == "not-found" && $3 == "failed")')
    [[ -z $left ]] || { echo "left: $left"; return 1; }
}

# write_procfile NAME: stdin to /srv/listen/NAME.procfile in the box.
write_procfile() {
    sandbox_write "/srv/listen/$1.procfile"
}

# app_checks APP PROCFILE PORT SCALE REGEX BODY: 9 checks of an unmodified server in a group with
# listen = [ "PORT" ] at SCALE: pandora-gen PROCFILE (a path in the box); systemctl start APP.target,
# and at once, without waiting, every instance active and its server process (command line matching
# REGEX) holding its instance's socket of PORT at a fd of its own: readiness waited for its listen();
# the first request answered with BODY; one systemd socket per instance on PORT; 40 requests; no instance
# restarted and no server replaced meanwhile; pandora-gen --remove APP.
app_checks() {
    local app=$1 procfile=$2 port=$3 scale=$4 regex=$5 body=$6 before
    tap_ok "$app: pandora-gen ${procfile#"$apps/"}" sandbox_run pandora-gen "$procfile"
    tap_ok "$app: systemctl start $app.target" start "$app"
    tap_ok "$app: right after start, all $scale instances are active" all_instances_are "$app" "$scale" active 0
    tap_ok "$app: right after start, every instance's server holds its instance's socket of port $port" \
        all_hold_shared "$app" "$scale" "$regex" "$port"
    tap_ok "$app: the first request right after start gets 200 and '$body'" \
        request "http://127.0.0.1:$port/" "$body"
    before=$(server_pids "$app" "$scale" "$regex")
    tap_ok "$app: port $port has one listening socket per instance, each systemd's" \
        listeners_per_instance "$port" "$scale"
    tap_is "$(requests "http://127.0.0.1:$port/" 40 "$body")" 40 "$app: 40 requests all get 200 and '$body'"
    tap_ok "$app: still all active, NRestarts=0, the same $scale servers ($before)" \
        same_servers "$app" "$scale" "$regex" "$before"
    tap_ok "$app: pandora-gen --remove $app" remove "$app"
}

# app_skip APP REASON: the 9 results of app_checks, skipped.
app_skip() {
    local name
    for name in "pandora-gen" "systemctl start" "right after start, all instances are active" \
        "right after start, every server holds its instance's socket" "the first request is answered" \
        "one listening socket per instance" "40 requests" "still all active" "pandora-gen --remove"; do
        tap_skip "$1: $name" "$2"
    done
}

# ---------------------------------------------------------------------------------------------

tap_plan 98
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
sandbox_run sh -c 'command -v node && command -v npm && command -v curl && command -v python3' >/dev/null ||
    tap_bail "node, npm, curl and python3 are needed in the box (tools/install-deps.sh installs them)"

# 1. Every app as its docs write it, with listen, at scale > 1 (9 checks each).
app_checks nodehello "$apps/node-hello/procfile" 3000 4 "$node_regex" "Hello World"
if sandbox_run test -d /usr/share/nodejs/express; then
    app_checks expresshello "$apps/express-hello/procfile" 3000 2 "$node_regex" "Hello World!"
else
    app_skip expresshello "no /usr/share/nodejs/express (Debian's node-express, tools/install-deps.sh)"
fi
app_checks pyhttp "$apps/python-http/procfile" 8000 2 '^/usr/bin/python3 -m http\.server 8000 $' \
    "Hello from python3 -m http.server"
# npm runs `sh -c "node server.js"`: the server is npm's grandchild.
app_checks npmstart "$apps/npm-start/procfile" 3001 2 "$node_regex" "Hello World"
if [[ -x $c_server ]]; then
    write_procfile cserver <<EOF
// The plain POSIX C server (listen/c-server.c, built by meson): bind(INADDR_ANY:3002) in 2 instances.
app = "cserver";
processes = { web = { scale = 2; entry = "$c_server"; listen = [ "3002" ]; }; };
EOF
    app_checks cserver /srv/listen/cserver.procfile 3002 2 "^${c_server//./\\.} $" "Hello World"
else
    app_skip cserver "no $c_server (built by tests/integration/meson.build)"
fi

# 2. Readiness where it shows: the server binds a second after its instance starts (a wrapper sleeps
# first, then execs it). With the default ready = "listening" systemctl start returns only once every
# server holds the shared socket; with ready = "started" (the control) it returns at once, before any
# server is there, which shows that the checks right after start can tell the two apart (9 checks).
for ready in listening started; do
    write_procfile "slow-$ready" <<EOF
app = "slow-$ready";
dir = "$apps/node-hello";
processes = {
    web = { scale = 2; entry = "/bin/sh -c 'sleep 1; exec node server.js'"; listen = [ "3000" ]; ready = "$ready"; };
};
EOF
done
# now_ms: the host's clock in milliseconds.
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "${t%???}"
}
tap_ok "slow-listening: pandora-gen (sh -c 'sleep 1; exec node server.js')" \
    sandbox_run pandora-gen /srv/listen/slow-listening.procfile
began=$(now_ms)
status=0
start slow-listening || status=$?
took=$(($(now_ms) - began))
tap_ok "slow-listening: systemctl start succeeds once the servers listen (status $status after $took ms)" \
    test "$status" -eq 0 -a "$took" -ge 1000
tap_ok "slow-listening: right after start, every instance's server holds its instance's socket of port 3000" \
    all_hold_shared slow-listening 2 "$node_regex" 3000
tap_ok "slow-listening: the first request right after start gets 200 and 'Hello World'" \
    request http://127.0.0.1:3000/ "Hello World"
tap_ok "slow-listening: pandora-gen --remove" remove slow-listening
tap_ok "slow-started: pandora-gen (the same with ready = \"started\")" \
    sandbox_run pandora-gen /srv/listen/slow-started.procfile
tap_ok "slow-started: systemctl start" start slow-started
tap_ok "slow-started: right after start, no server holds the socket yet (the control)" \
    eval '! holds_shared slow-started-web@1.service "$node_regex" 3000'
tap_ok "slow-started: pandora-gen --remove" remove slow-started

# 3. The Node.js hello world at scale 4 without listen: every instance binds a socket of its own with
# SO_REUSEPORT, and the agent says so once per instance, with a hint to declare the port (7 checks).
write_procfile reuse <<EOF
app = "reuse";
dir = "$apps/node-hello";
processes = { web = { scale = 4; entry = "node server.js"; }; };
EOF
# reuseport_said_once APP SCALE: whether every instance's journal has exactly one line that mentions
# SO_REUSEPORT and listen.
reuseport_said_once() {
    local i n
    for ((i = 1; i <= $2; i++)); do
        n=$(agent_journal "$1-web@$i.service" | grep SO_REUSEPORT | grep -c listen || true)
        [[ $n == 1 ]] || { echo "$1-web@$i.service: $n such lines"; return 1; }
    done
}
tap_ok "reuse: pandora-gen (no listen, scale 4)" sandbox_run pandora-gen /srv/listen/reuse.procfile
tap_ok "reuse: systemctl start reuse.target" start reuse
tap_ok "reuse: every instance's server holds a listening socket of its own on port 3000, 4 in all" \
    sandbox_wait 15 own_listeners reuse 4 "$node_regex" 3000
tap_ok "reuse: all 4 instances active, NRestarts=0" all_instances_are reuse 4 active 0
tap_is "$(requests http://127.0.0.1:3000/ 40 "Hello World")" 40 "reuse: 40 requests all get 200 and 'Hello World'"
tap_ok "reuse: every instance's journal says once that SO_REUSEPORT shares the port, and to declare listen" \
    sandbox_wait 5 reuseport_said_once reuse 4
tap_ok "reuse: pandora-gen --remove reuse" remove reuse

# 4. Restarts without refusals: a client loop against the Node.js hello world at scale 4 with listen
# while one instance's server is killed with SIGKILL and then every instance is restarted, one at a
# time (8 checks). No request may be refused or time out: the socket stays open and queues while an
# instance is down. A request that the dying server itself had already accepted can't be answered by
# anyone (the hello world has no SIGTERM handler, and SIGKILL is SIGKILL): in about 1 of 30 kills or
# restarts one is cut so, which is allowed, once per event.
tap_ok "nodehello again: pandora-gen" sandbox_run pandora-gen "$apps/node-hello/procfile"
tap_ok "nodehello again: systemctl start" start nodehello
client_log=$SANDBOX_DIR/client.log
# client_done_at_least N: whether the client loop has made N requests.
client_done_at_least() {
    (($(wc -l <"$client_log") >= $1))
}
sandbox_run timeout 120 bash -c '
    for ((i = 0; i < 2000; i++)); do
        [[ -e /run/listen-client.stop ]] && break
        curl -s -o /dev/null --max-time 5 -w "%{http_code} %{exitcode}\n" http://127.0.0.1:3000/ || true
        sleep 0.02
    done' >"$client_log" 2>&1 &
client_pid=$!
tap_ok "the client loop runs (20 requests)" sandbox_wait 20 client_done_at_least 20
victim=$(app_pid nodehello-web@2.service "$node_regex" || true)
sandbox_run kill -KILL "${victim:-0}" || true
# restarted_and_serving: instance 2 restarted once, active, and its new server holds its socket.
restarted_and_serving() {
    agent_prop_is nodehello-web@2.service NRestarts 1 &&
        agent_prop_is nodehello-web@2.service ActiveState active &&
        holds_shared nodehello-web@2.service "$node_regex" 3000
}
tap_ok "after kill -9 of instance 2's node ($victim), the instance is restarted and serves again" \
    sandbox_wait 15 restarted_and_serving
# restart_each: systemctl restart of every instance in turn; each must be serving again when it returns.
restart_each() {
    local i
    for ((i = 1; i <= 4; i++)); do
        sandbox_run timeout 30 systemctl restart "nodehello-web@$i.service" || { echo "restart of $i failed"; return 1; }
        holds_shared "nodehello-web@$i.service" "$node_regex" 3000 || return 1
    done
}
tap_ok "systemctl restart of each instance, one at a time, returns once its new server holds the socket" restart_each
sandbox_wait 20 client_done_at_least "$(($(wc -l <"$client_log") + 20))" || true
sandbox_run touch /run/listen-client.stop
wait "$client_pid" || true
# A line is "HTTP-code curl-status". 000 7 would be a refusal, 000 28 a timeout; 000 52 (empty reply)
# and 000 56 (reset) a connection that the dying server had accepted and not answered yet.
refused=$(grep -cvE '^(200 0|000 52|000 56)$' "$client_log" || true)
cut=$(grep -cE '^000 (52|56)$' "$client_log" || true)
tap_diag "client: $(wc -l <"$client_log") requests: $(sort "$client_log" | uniq -c | tr -s ' \n' ' ')"
tap_is "$refused" 0 "no request of the client loop was refused, timed out or answered other than 200"
tap_ok "at most one request per kill or restart was cut by the death of the server that accepted it ($cut of at most 5)" \
    test "$cut" -le 5
tap_ok "nodehello: pandora-gen --remove" remove nodehello

# 5. A port the group does not declare is left alone, and a program the app starts gets nothing on
# the declared one (8 checks): besides the Node.js hello world (listen = [ "3000" ]), a service runs
# python3's http.server on port 3005, and a shell service asks port 3000 once with curl and stays.
write_procfile undeclared <<EOF
app = "undeclared";
dir = "$apps/node-hello";
processes = { web = { entry = "node server.js"; listen = [ "3000" ]; }; };
services = {
    other = { process = "web"; exec = "/usr/bin/python3 -m http.server 3005 --bind 127.0.0.1"; };
    client = {
        process = "web";
        exec = "/bin/sh -c 'echo client got \$(curl -s -o /dev/null --max-time 10 -w %{http_code} http://127.0.0.1:3000/); exec sleep 1000'";
    };
};
EOF
py3005_regex='^/usr/bin/python3 -m http\.server 3005 '
# own_port_listener: whether the port-3005 server holds the one socket listening on 3005 at a fd of
# its own, and it is not the shared socket of port 3000.
own_port_listener() {
    local pid mine shared
    pid=$(app_pid undeclared-web@1.service "$py3005_regex") || { echo "no port-3005 server"; return 1; }
    mine=$(shared_inode 3005) || { echo "not one listener on 3005: $(listen_inodes 3005 | tr '\n' ' ')"; return 1; }
    shared=$(shared_inode 3000) || { echo "not one listener on 3000"; return 1; }
    own_sockets "$pid" | grep -qx "$mine" || { echo "pid $pid does not hold $mine"; return 1; }
    [[ $mine != "$shared" ]] || { echo "3005 got the shared socket $shared"; return 1; }
}
# port_inodes PORT: the inodes of every TCP socket in the box with PORT at either end, one per line.
port_inodes() {
    sandbox_run awk -v port="$(printf '%04X' "$1")" '
        FNR > 1 { n = split($2, a, ":"); m = split($3, b, ":"); if (a[n] == port || b[m] == port) print $10 }' \
        /proc/net/tcp /proc/net/tcp6 | sort -u
}
# client_clean: whether the client service's process holds no socket on port 3000 of its own.
client_clean() {
    local pid held
    pid=$(app_pid undeclared-web@1.service '^sleep 1000 $') || { echo "no client process"; return 1; }
    held=$(grep -xFf <(port_inodes 3000) <(own_sockets "$pid") || true)
    [[ -z $held ]] || { echo "client $pid holds socket(s) on port 3000: $held"; return 1; }
}
# client_said CODE: whether the client service logged that curl got CODE.
client_said() {
    agent_journal undeclared-web@1.service PANDORA_SERVICE=client | grep -qx "client got $1"
}
tap_ok "undeclared: pandora-gen" sandbox_run pandora-gen /srv/listen/undeclared.procfile
tap_ok "undeclared: systemctl start" start undeclared
tap_ok "undeclared: the port-3005 server has a listening socket of its own, not the shared one" \
    sandbox_wait 10 own_port_listener
tap_ok "undeclared: it answers on port 3005" request http://127.0.0.1:3005/ "Directory listing"
tap_ok "undeclared: the entry serves the shared socket of port 3000" \
    holds_shared undeclared-web@1.service "$node_regex" 3000
tap_ok "undeclared: the client the app started got 200 from port 3000" sandbox_wait 15 client_said 200
tap_ok "undeclared: the client holds no socket on port 3000 beyond the fds systemd passed" client_clean
tap_ok "undeclared: pandora-gen --remove" remove undeclared

# 6. EADDRINUSE: port 3010 is held by a python3 http.server of another unit; an app binding it is
# reported under MESSAGE_ID=3c1b6f5e0d2a4e7f9b8c1d2e3f4a5b6c, at scale 1 and at scale 2 (9 checks).
sandbox_run systemd-run --quiet --unit=squatter -p WorkingDirectory=/srv /usr/bin/python3 -m http.server 3010 || true
tap_ok "another unit's python3 -m http.server listens on port 3010" sandbox_wait 10 shared_inode 3010
# in_use_reported APP INSTANCES: whether every instance in INSTANCES (space-separated) has an entry
# with the address-in-use MESSAGE_ID that mentions 3010.
in_use_reported() {
    local i
    sandbox_run journalctl --sync
    for i in $2; do
        sandbox_run journalctl -b "MESSAGE_ID=$in_use_id" "_SYSTEMD_UNIT=$1-web@$i.service" -o cat --no-pager |
            grep -q 3010 || { echo "$1-web@$i.service: no such entry"; return 1; }
    done
}
for scale in 1 2; do
    write_procfile "taken$scale" <<EOF
app = "taken$scale";
dir = "/srv";
processes = { web = { scale = $scale; entry = "/usr/bin/python3 -m http.server 3010"; restart = "no"; }; };
EOF
    tap_ok "taken$scale: pandora-gen (no listen, scale $scale, binds port 3010)" \
        sandbox_run pandora-gen "/srv/listen/taken$scale.procfile"
    sandbox_run timeout 60 systemctl start "taken$scale.target" || true
    tap_ok "taken$scale: every instance fails (its server can't bind)" \
        sandbox_wait 15 all_instances_are "taken$scale" "$scale" failed
    tap_ok "taken$scale: the journal has MESSAGE_ID=$in_use_id naming port 3010 for every instance" \
        sandbox_wait 5 in_use_reported "taken$scale" "$(seq -s ' ' 1 "$scale")"
    tap_ok "taken$scale: pandora-gen --remove" remove "taken$scale"
done
sandbox_run systemctl stop squatter.service || true

# 7. share_listen = false: no interposer, so the Node.js hello world's own bind() of port 3000 fails
# against the socket unit's, as it would without pandora, and nothing reports it for the app (5 checks).
write_procfile unshared <<EOF
app = "unshared";
dir = "$apps/node-hello";
processes = {
    web = {
        scale = 2;
        entry = "node server.js";
        listen = [ "3000" ];
        share_listen = false;
        ready = "started";
        restart = "no";
    };
};
EOF
# own_eaddrinuse APP SCALE: whether every instance's server wrote EADDRINUSE on its stderr.
own_eaddrinuse() {
    local i
    sandbox_run journalctl --sync
    for ((i = 1; i <= $2; i++)); do
        sandbox_run journalctl -b "PANDORA_APP=$1" PANDORA_INSTANCE="$i" -o cat --no-pager |
            grep -q EADDRINUSE || { echo "$1-web@$i.service: no EADDRINUSE"; return 1; }
    done
}
tap_ok "unshared: pandora-gen (share_listen = false)" sandbox_run pandora-gen /srv/listen/unshared.procfile
tap_ok "unshared: systemctl start" start unshared
tap_ok "unshared: both servers fail with their own EADDRINUSE on stderr" sandbox_wait 15 own_eaddrinuse unshared 2
tap_is "$(sandbox_run journalctl -b "MESSAGE_ID=$in_use_id" PANDORA_APP=unshared -o cat --no-pager | wc -l)" 0 \
    "unshared: no MESSAGE_ID=$in_use_id entry: nothing interposed"
tap_ok "unshared: pandora-gen --remove" remove unshared

# 8. An entry that never listens: the start fails after start_timeout_ms, and the journal names the
# address it waited for (6 checks).
write_procfile silent <<EOF
app = "silent";
processes = {
    web = { entry = "/bin/sleep 1000"; listen = [ "3020" ]; start_timeout_ms = 2000; restart = "no"; };
};
EOF
tap_ok "silent: pandora-gen (an entry that never listens, start_timeout_ms = 2000)" \
    sandbox_run pandora-gen /srv/listen/silent.procfile
tap_is "$(agent_prop silent-web@1.service TimeoutStartUSec)" 2s "silent: the unit has TimeoutStartSec=2s"
began=$SECONDS
status=0
sandbox_run timeout 30 systemctl start silent-web@1.service || status=$?
took=$((SECONDS - began))
tap_ok "silent: systemctl start fails, within 10 s (status $status after $took s)" \
    test "$status" -ne 0 -a "$status" -ne 124 -a "$took" -lt 10
tap_is "$(agent_prop silent-web@1.service ActiveState)" failed "silent: the instance is failed"
tap_ok "silent: the journal names the address it waited for (port 3020)" \
    eval 'agent_journal silent-web@1.service | grep -i listen | grep -q 3020'
tap_ok "silent: pandora-gen --remove" remove silent

tap_done
