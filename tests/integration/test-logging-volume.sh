#!/bin/bash
# Nothing of a child's output is lost (issue 5): 100,000 lines written as fast as a child can arrive in
# the journal all, in order, exactly once; a line of 100 KiB arrives whole, in pieces of journald's line
# limit (48 KiB) cut at UTF-8 character boundaries; invalid UTF-8 and NUL bytes arrive as they were.
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

tap_plan 8
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
tap_done
