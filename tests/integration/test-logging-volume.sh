#!/bin/bash
# Nothing of a child's output is lost (issue 5): 100,000 lines written as fast as a child can arrive in
# the journal all, in order, exactly once; a line of 100 KiB arrives whole, in pieces of journald's line
# limit (48 KiB) cut at UTF-8 character boundaries; invalid UTF-8 and NUL bytes arrive as they were.
# With the log format "text" (issue 20: the children write to journal streams of their own, which the
# agent never reads) the same flood arrives whole and in order, every line with PANDORA_APP,
# PANDORA_PROCESS, PANDORA_INSTANCE, the unit and the service as SYSLOG_IDENTIFIER; "<N>" prefixes and
# stderr_priority still set PRIORITY; and a child's last lines come before the agent's message about its
# exit.
#
# journald's own rate limit (10,000 per 30 s, scaled up by free space: about 35,000 here) would drop
# most of a flood. The procfile's log_rate_limit lifts it for the app "flood"; without one (the app
# "flood0") the units carry LogRateLimitIntervalSec=1us, a window no burst fills (systemd 252 does not
# pass a 0 on to journald).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"
# shellcheck source-path=SCRIPTDIR source=test-logging-lib.sh
source "$(dirname "$0")/test-logging-lib.sh"

lines=100000

tap_plan 14
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_write /etc/flood/bytes.py <<'EOF'
import os, sys
out = sys.stdout.buffer
out.write(b"0123456789" * 10240 + b"\n")                # 102400 bytes of ASCII
out.write(b"x" + "\u20ac".encode() * 34133 + b"\n")     # 1 + 3 * 34133 bytes: 48 KiB falls inside a character
out.write(b"bad \xff\xfe utf8 \xc3\x28 end\n")
out.write(b"nul\x00byte\n")
out.flush()
os.execv("/bin/sleep", ["sleep", "1000"])
EOF
tap_ok "install flood.procfile" agent_install_procfile flood <<EOF
app = "flood";
log_rate_limit = { interval_s = 1; burst = 1000000; };
processes = { web = { entry = "/bin/sleep 1000"; }; };
services = {
    flood = { process = "web"; exec = "/bin/sh -c 'seq 1 $lines; exec sleep 1000'"; };
    bytes = { process = "web"; exec = "/usr/bin/python3 /etc/flood/bytes.py"; };
};
EOF
tap_ok "systemctl start flood.target" sandbox_run systemctl start flood.target

# flood_lines APP: the messages of APP's service "flood", after a sync.
flood_lines() {
    sandbox_run journalctl --sync
    sandbox_run journalctl -b -o cat --no-pager PANDORA_APP="$1" SYSLOG_IDENTIFIER=flood
}
# shellcheck disable=SC2317 # called through sandbox_wait
flood_complete() {
    [[ $(flood_lines "$1" | wc -l) -ge $lines ]]
}
sandbox_wait 60 flood_complete flood || true
tap_ok "all $lines lines arrive, in order, exactly once" diff <(seq 1 "$lines") <(flood_lines flood)
# How long from the first line's entry to the last's, as journald stamped them.
tap_diag "$(log_json PANDORA_APP=flood SYSLOG_IDENTIFIER=flood --output-fields=MESSAGE | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin]
us = int(e[-1]["__REALTIME_TIMESTAMP"]) - int(e[0]["__REALTIME_TIMESTAMP"])
print("%d lines in %.3f s: %.0f lines/s" % (len(e), us / 1e6, len(e) / (us / 1e6)))
')"

# check_bytes long|binary: the pieces of each long line, joined, are the line, each at most 48 KiB of
# valid UTF-8; or the binary lines are what was written.
# shellcheck disable=SC2317 # called through tap_ok
check_bytes() {
    log_json PANDORA_APP=flood SYSLOG_IDENTIFIER=bytes | python3 -c '
import json, sys
def raw(v):
    return bytes(v) if isinstance(v, list) else v.encode()
got = [raw(json.loads(l)["MESSAGE"]) for l in sys.stdin if l.strip()]
want = [b"0123456789" * 10240, b"x" + "\u20ac".encode() * 34133, b"bad \xff\xfe utf8 \xc3\x28 end", b"nul\x00byte"]
sizes = [len(m) for m in got]
print("entries of sizes", sizes, file=sys.stderr)
if sys.argv[1] == "long":
    ascii, euro = got[0:3], got[3:6]
    for p in euro:
        p.decode("utf-8")        # raises when a cut fell inside a character
    sys.exit(0 if b"".join(ascii) == want[0] and sizes[0:3] == [49152, 49152, 4096] and
             b"".join(euro) == want[1] and all(len(p) <= 49152 for p in euro) else 1)
sys.exit(0 if got[6:8] == want[2:4] else 1)
' "$1"
}
tap_ok "a 100 KiB line arrives whole, in pieces of 48 KiB cut between UTF-8 characters" check_bytes long
tap_ok "invalid UTF-8 and a NUL byte arrive as they were" check_bytes binary
tap_ok "systemctl stop flood.target" sandbox_run systemctl stop flood.target

# The same flood with the units' default: no log_rate_limit.
agent_install_procfile flood0 <<EOF
app = "flood0";
processes = { web = { entry = "/bin/sleep 1000"; }; };
services = { flood = { process = "web"; exec = "/bin/sh -c 'seq 1 $lines; exec sleep 1000'"; }; };
EOF
sandbox_run systemctl start flood0.target
sandbox_wait 8 flood_complete flood0 || true
got=$(flood_lines flood0 | wc -l)
tap_is "$got" "$lines" "without log_rate_limit all $lines lines arrive too"
sandbox_run systemctl stop flood0.target

sandbox_write /etc/flood/mixed.sh <<'EOF'
echo plain
echo '<4>warned'
echo 'to stderr' >&2
echo '<2>critical on stderr' >&2
exec sleep 1000
EOF
agent_install_procfile textflood <<EOF
app = "textflood";
processes = { web = { entry = "/bin/sleep 1000"; stderr_priority = "err"; log_format = "text"; }; };
services = {
    flood = { process = "web"; exec = "/bin/sh -c 'seq 1 $lines; exec sleep 1000'"; };
    mixed = { process = "web"; exec = "/bin/sh /etc/flood/mixed.sh"; };
};
EOF
sandbox_run systemctl start textflood.target
sandbox_wait 60 flood_complete textflood || true
tap_ok "text: all $lines lines arrive, in order, exactly once" diff <(seq 1 "$lines") <(flood_lines textflood)
unit=textflood-web@1.service
inv=$(sandbox_run systemctl show -P InvocationID "$unit")
# every_line_has FIELD=VALUE...: every line of the flood has them; _N=COUNT: and there are COUNT lines.
# shellcheck disable=SC2317 # called through tap_ok
every_line_has() {
    log_json PANDORA_APP=textflood SYSLOG_IDENTIFIER=flood | python3 -c '
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[1:])
count = int(want.pop("_N"))
n = bad = 0
for l in sys.stdin:
    e = json.loads(l)
    n += 1
    bad += any(e.get(k) != v for k, v in want.items())
print("%d lines, %d without every field" % (n, bad), file=sys.stderr)
sys.exit(0 if n == count and bad == 0 else 1)
' "$@"
}
tap_ok "text: every line has PANDORA_PROCESS, PANDORA_INSTANCE, the unit, its invocation, PRIORITY" \
    every_line_has _N="$lines" PANDORA_PROCESS=web PANDORA_INSTANCE=1 _SYSTEMD_UNIT="$unit" \
    _SYSTEMD_INVOCATION_ID="$inv" _TRANSPORT=stdout PRIORITY=6
tap_is "$(sandbox_run journalctl -b -o cat --no-pager _SYSTEMD_UNIT="$unit" SYSLOG_IDENTIFIER=flood | wc -l)" \
    "$lines" "text: findable by unit and service (SYSLOG_IDENTIFIER) alone"
json=$(log_json PANDORA_APP=textflood SYSLOG_IDENTIFIER=mixed)
tap_ok "text: priorities from <N> and stderr_priority, the prefix removed" eval '
    log_has_entry plain PANDORA_INSTANCE=1 PRIORITY=6 _TRANSPORT=stdout <<<"$json" &&
    log_has_entry warned PANDORA_INSTANCE=1 PRIORITY=4 <<<"$json" &&
    log_has_entry "to stderr" PANDORA_INSTANCE=1 PRIORITY=3 <<<"$json" &&
    log_has_entry "critical on stderr" PANDORA_INSTANCE=1 PRIORITY=2 <<<"$json"'
# The agent never read them: none of the lines is an entry it wrote.
tap_is "$(sandbox_run journalctl -b -o cat --no-pager PANDORA_APP=textflood _TRANSPORT=journal SYSLOG_IDENTIFIER=flood | wc -l)" \
    0 "text: none of the lines went through the agent"
sandbox_run systemctl stop textflood.target

# A child that ends on its own: its last lines, still unread by journald when it exits (a burst), come
# before the agent's message about its exit.
agent_install_procfile textexit <<EOF
app = "textexit";
processes = { web = { entry = "/bin/sh -c 'seq 1 20000; exit 3'"; restart = "no"; log_format = "text"; }; };
EOF
sandbox_run systemctl start textexit.target || true
# shellcheck disable=SC2317 # called through sandbox_wait
exit_logged() {
    [[ -n $(sandbox_run journalctl -b -o cat --no-pager PANDORA_APP=textexit MESSAGE_ID=$id_exited) ]]
}
sandbox_wait 60 exit_logged || true
sandbox_run journalctl --sync
tap_is "$(sandbox_run journalctl -b -o json --no-pager _SYSTEMD_UNIT=textexit-web@1.service | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin]
lines = [i for i, x in enumerate(e) if x.get("_TRANSPORT") == "stdout"]
exits = [i for i, x in enumerate(e) if x.get("MESSAGE_ID") == sys.argv[1]]
print(len(lines), "lines,", "exit message after the last" if exits and lines and exits[0] > lines[-1] else
      "exit message missing or before the last line")
' "$id_exited")" "20000 lines, exit message after the last" "text: the last lines come before the exit message"
tap_done
