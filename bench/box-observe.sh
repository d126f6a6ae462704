#!/usr/bin/env bash
# box-observe.sh: row 6, the logging and metrics figures, run inside the project's systemd sandbox by
# bench/run (as root, in /srv/bench/observe in the box). Usage: box-observe.sh RUNS LINES
#   logging: a child writes LINES lines to stdout as fast as it can; lines/s from `systemctl start`
#            until the last line is readable in the journal, under pandora-agent (the default: the
#            agent reads the output; and the log format "text": the child writes to a journal stream)
#            and, the physical limit, as a bare unit with StandardOutput=journal; every line is counted;
#            and the CPU time the agent and journald spent meanwhile
#   bus:     round trips per second of one sd-bus client doing sequential Get calls of a Metrics1
#            property, and Agent1.Metrics() calls, on the box's system bus; and `busctl get-property`
#            in a loop, a process and a connection per call, as a user at a shell gets it
#   statsd:  a child sends LINES statsd lines, one datagram each, to $PANDORA_METRICS_SOCKET as fast
#            as the agent takes them; lines/s, and the agent's counter, read over the bus, says whether
#            all arrived
# Prints lib.sh's TSV lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
runs=$1 lines=$2
# Not in /tmp: a unit may have PrivateTmp=yes, and would not see its scripts there.
work=/srv/bench/observe
mkdir -p "$work"
# Bus calls per run: enough for a rate that one slow call doesn't move, and quick in smoke mode.
calls=$((lines / 10 > 100 ? lines / 10 : 100))

# The flooding child, the same for both subjects. seq writes in full stdio buffers, as fast as the
# reader takes them; the child then stays, so that its exit (and a restart by systemd) is no part of it.
cat >"$work/flood.sh" <<'EOF'
#!/bin/sh
seq 1 "$1"
exec sleep infinity
EOF

# The statsd child: LINES datagrams of one counter line each, as an unbatched statsd client sends them.
# The socket blocks, as Python's and most clients' do, so a full queue slows it down instead of dropping
# lines: what it measures is how fast the agent takes them. When the last send returns, at most
# net.unix.max_dgram_qlen datagrams (512, as on a systemd host) are still unread, so the
# child's own clock times the agent's ingestion, without a bus client polling the agent meanwhile. It
# leaves when it started and ended sending and how many sends failed in DONE, and then stays.
cat >"$work/statsd.py" <<'EOF'
import os, socket, sys, time
n, done = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(os.environ["PANDORA_METRICS_SOCKET"])
errors = 0
t0 = time.time()
for _ in range(n):
    try:
        s.send(b"bench:1|c")
    except OSError:
        errors += 1
t1 = time.time()
with open(done + ".new", "w") as f:
    f.write("%.6f %.6f %d\n" % (t0, t1, errors))
os.rename(done + ".new", done)
time.sleep(1e9)
EOF

# The bus client: sd-bus from libsystemd0 (what busctl and the agent use) through ctypes, so nothing
# beyond python3 and systemd is needed. One connection, opened before the clock starts; N calls one
# after the other. A call's time is the client marshalling it, dbus-daemon routing it to the agent and
# the reply back, and the agent answering; ctypes adds a few µs per call.
#   bus.py get NAME N:              N Gets of Metrics1.UptimeUSec, prints calls/s
#   bus.py metrics NAME N:          N calls of Agent1.Metrics() (every indicator), prints calls/s
#   bus.py settle NAME WANT SECS:   polls Metrics1.StatsdLines every 10 ms until it is WANT or has not
#                                   changed for SECS; prints it
cat >"$work/bus.py" <<'EOF'
import ctypes, os, sys, time
sd = ctypes.CDLL("libsystemd.so.0")
p = ctypes.c_void_p
sd.sd_bus_open_system.argtypes = [ctypes.POINTER(p)]
sd.sd_bus_get_property_trivial.argtypes = [p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                           ctypes.c_char_p, p, ctypes.c_char, p]
sd.sd_bus_message_new_method_call.argtypes = [p, ctypes.POINTER(p), ctypes.c_char_p, ctypes.c_char_p,
                                              ctypes.c_char_p, ctypes.c_char_p]
sd.sd_bus_call.argtypes = [p, p, ctypes.c_uint64, p, ctypes.POINTER(p)]
sd.sd_bus_message_unref.argtypes = [p]
sd.sd_bus_message_unref.restype = p
bus = p()
if sd.sd_bus_open_system(ctypes.byref(bus)) < 0:
    sys.exit("cannot connect to the system bus")
mode, name = sys.argv[1], sys.argv[2].encode()
value = ctypes.c_uint64()

def get(prop):
    r = sd.sd_bus_get_property_trivial(bus, name, b"/io/pandora/Metrics", b"io.pandora.Metrics1",
                                       prop, None, b"t", ctypes.byref(value))
    if r < 0:
        sys.exit("Get %s failed: %s" % (prop.decode(), os.strerror(-r)))
    return value.value

def metrics():
    m, reply = p(), p()
    r = sd.sd_bus_message_new_method_call(bus, ctypes.byref(m), name, b"/io/pandora/Agent",
                                          b"io.pandora.Agent1", b"Metrics")
    if r >= 0:
        r = sd.sd_bus_call(bus, m, 0, None, ctypes.byref(reply))
    sd.sd_bus_message_unref(m)
    sd.sd_bus_message_unref(reply)
    if r < 0:
        sys.exit("Metrics() failed: %s" % os.strerror(-r))

if mode in ("get", "metrics"):
    n = int(sys.argv[3])
    get(b"UptimeUSec")          # the first call also resolves the name's owner
    t0 = time.monotonic()
    for _ in range(n):
        if mode == "get":
            get(b"UptimeUSec")
        else:
            metrics()
    print("%.1f" % (n / (time.monotonic() - t0)))
else:
    want, quiet = int(sys.argv[3]), float(sys.argv[4])
    last, changed = -1, time.monotonic()
    while True:
        v = get(b"StatsdLines")
        if v != last:
            last, changed = v, time.monotonic()
        if v >= want or time.monotonic() - changed > quiet:
            break
        time.sleep(0.01)
    print(last)
EOF

# Whatever happens, nothing of this row keeps running (or flooding the journal) after it.
cleanup() {
    systemctl stop obslog.target obsmet.target obsbare.service 2>/dev/null || true
    rm -f /run/systemd/system/obsbare.service
}
trap cleanup EXIT

# fresh_journal: rotates and drops the archived files, so that every flood starts on an empty journal
# file, as the first does, and the box's 1.1 GiB runtime journal never rotates or vacuums in one.
fresh_journal() {
    journalctl --rotate >/dev/null 2>&1 || true
    journalctl --vacuum-files=1 >/dev/null 2>&1 || true
}

# cpu_ms PID: the CPU time (user + system) PID has used so far, in ms (clock ticks: 10 ms steps).
cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# flood SUBJECT UNIT: row 6 logging, RUNS times. The clock runs from `systemctl start` until the last
# line ("$lines", which no other line of the unit is) can be read from the journal, polled every 10 ms
# by the invocation, which tells this start's lines from earlier ones. Then all lines are counted. The
# CPU times are taken at the same moment: the agent's (the unit's MainPID, which is the agent under
# pandora and the flooding shell, asleep, in the bare unit) since it started, and journald's since
# `systemctl start`, for LINES lines (the polling journalctl adds a little to journald's, for both).
flood() {
    local subject=$1 unit=$2 i t0 inv ms got total deadline main jpid j0 agent_ms journald_ms
    jpid=$(systemctl show -P MainPID systemd-journald.service)
    for ((i = 0; i < runs; i++)); do
        systemctl stop "$unit"
        fresh_journal
        j0=$(cpu_ms "$jpid")
        t0=$EPOCHREALTIME
        systemctl start "$unit"
        inv=$(systemctl show -P InvocationID "$unit")
        main=$(systemctl show -P MainPID "$unit")
        ms=
        deadline=$((SECONDS + 60 + lines / 1000))
        while ((SECONDS < deadline)); do
            if [[ -n $(journalctl -q -o cat -n1 _SYSTEMD_INVOCATION_ID="$inv" MESSAGE="$lines") ]]; then
                ms=$(ms_since "$t0")
                agent_ms=$(cpu_ms "$main") journald_ms=$(($(cpu_ms "$jpid") - j0))
                break
            fi
            sleep 0.01
        done
        [[ -n $ms ]] || say "$subject: the last line did not arrive within $((60 + lines / 1000)) s"
        # Whatever is still on its way is in the journal after --sync: count then, each line once.
        journalctl --sync
        read -r got total < <(journalctl -q -o cat _SYSTEMD_INVOCATION_ID="$inv" |
            awk '/^[0-9]+$/ { n++; if (!seen[$0]++) u++ } END { print u + 0, n + 0 }')
        if ((got < lines)); then
            say "$subject: $((lines - got)) of $lines lines lost"
            record 6 "$subject lost lines" "$lines" lines $((lines - got))
        fi
        say "$subject: $got of $lines lines in ${ms:-(never)} ms"
        ((total == got)) || say "$subject: $((total - got)) lines arrived more than once"
        if [[ -n $ms ]]; then
            record 6 "$subject" "$lines" lines/s "$(awk -v n="$lines" -v ms="$ms" 'BEGIN { printf "%.0f", n / ms * 1000 }')"
            say "$subject: CPU until then: main process $agent_ms ms, journald $journald_ms ms"
            # The bare unit's main process is the shell that ran seq: no supervisor to count.
            [[ $subject == bare* ]] || record 6 "$subject: agent CPU" "$lines" "ms CPU" "$agent_ms"
            record 6 "$subject: journald CPU" "$lines" "ms CPU" "$journald_ms"
        fi
    done
    systemctl stop "$unit"
}

say "row 6: logging throughput, $lines lines"
cat >"$work/procfile" <<PROCFILE
app = "obslog";
processes = {
    flood = { entry = "/bin/sh $work/flood.sh $lines"; restart = "no"; };
    textflood = { entry = "/bin/sh $work/flood.sh $lines"; restart = "no"; log_format = "text"; };
};
PROCFILE
pandora-gen "$work/procfile" >/dev/null
# The same child as a plain unit. The generated units lift journald's rate limit with
# LogRateLimitIntervalSec=1us (systemd 252 does not pass 0 on); the bare unit gets the same.
cat >/run/systemd/system/obsbare.service <<UNIT
[Service]
Type=simple
ExecStart=/bin/sh $work/flood.sh $lines
StandardOutput=journal
LogRateLimitIntervalSec=1us
UNIT
systemctl daemon-reload
flood pandora-agent obslog-flood@1.service
# log_format = "text" (issue 20): the child writes to a journal stream of its own, the agent reads
# nothing.
flood "pandora-agent (log format text)" obslog-textflood@1.service
flood "bare unit (StandardOutput=journal)" obsbare.service
fresh_journal

say "row 6: metrics over the bus, $calls calls; statsd, $lines lines"
mkdir -p "$work/met"
cat >"$work/met/procfile" <<PROCFILE
app = "obsmet";
processes = { web = { entry = "/bin/sleep infinity"; restart = "no"; }; };
services = { stats = { process = "web"; exec = "/usr/bin/python3 $work/statsd.py $lines $work/met/done"; }; };
PROCFILE
pandora-gen "$work/met/procfile" >/dev/null
unit=obsmet-web@1.service name=io.pandora.obsmet.web.i1
if ! python3 -c 'import ctypes; ctypes.CDLL("libsystemd.so.0")' 2>/dev/null; then
    skip 6 "Metrics1 Get round trips" "python3 with ctypes and libsystemd.so.0 are needed for the bus client"
    skip 6 "Agent1 Metrics() round trips" "python3 with ctypes and libsystemd.so.0 are needed for the bus client"
    skip 6 "statsd counter lines" "python3 with ctypes and libsystemd.so.0 are needed for the bus client"
else
    for ((i = 0; i < runs; i++)); do
        rm -f "$work/met/done"
        systemctl restart "$unit"
        wait_active "$unit"
        # The child starts sending as soon as the agent started it, and says when it is done.
        deadline=$((SECONDS + 60 + lines / 1000))
        until [[ -e $work/met/done ]] || ((SECONDS >= deadline)); do sleep 0.01; done
        if [[ -e $work/met/done ]]; then
            read -r t0 t1 errors <"$work/met/done"
            # The last few datagrams may still be queued: let the agent's count settle first.
            python3 "$work/bus.py" settle "$name" "$lines" 1 >/dev/null || true
            counter=$(busctl get-property "$name" /io/pandora/service/stats io.pandora.Service1 Counters |
                awk '{ for (i = 1; i < NF; i++) if ($i == "\"bench\"") print $(i + 2) }') || true
            counter=${counter:-0}
            malformed=$(busctl get-property "$name" /io/pandora/Metrics io.pandora.Metrics1 StatsdMalformed |
                cut -d' ' -f2) || true
            say "statsd: $counter of $lines lines in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }') ms" \
                "($errors sends failed, $malformed malformed)"
            if ((counter < lines)); then
                say "statsd: $((lines - counter)) of $lines lines lost"
                record 6 "statsd counter lost lines" "$lines" lines $((lines - counter))
            fi
            record 6 "statsd counter lines" "$lines" lines/s \
                "$(awk -v n="$counter" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
        else
            say "statsd: the child did not finish sending $lines lines within $((60 + lines / 1000)) s"
            skip 6 "statsd counter lines" "the statsd child did not finish within $((60 + lines / 1000)) s"
        fi
        # The entry and the statsd child are idle now: only the calls run.
        for pair in "get:Metrics1 Get round trips" "metrics:Agent1 Metrics() round trips"; do
            if rate=$(python3 "$work/bus.py" "${pair%%:*}" "$name" "$calls"); then
                record 6 "${pair#*:}" "$calls" calls/s "$rate"
            else
                skip 6 "${pair#*:}" "the bus client failed (see its message above)"
            fi
        done
        # The issue's own figure: what a user typing busctl gets, a process and a connection per call.
        n=$((calls / 20 > 50 ? calls / 20 : 50))
        t0=$EPOCHREALTIME
        for ((k = 0; k < n; k++)); do
            busctl get-property "$name" /io/pandora/Metrics io.pandora.Metrics1 UptimeUSec >/dev/null
        done
        record 6 "busctl get-property (a process per call)" "$n" calls/s \
            "$(awk -v n="$n" -v ms="$(ms_since "$t0")" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
    done
fi
