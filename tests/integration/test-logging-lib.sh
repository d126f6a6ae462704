# shellcheck shell=bash
# test-logging-lib.sh: helpers the logging tests share, on top of sandbox.sh and test-agent-lib.sh
# (which the test sources first). Not a test itself.

# The MESSAGE_IDs of agent/log/ids.h (and units/pandora.catalog), for the tests that source this.
# shellcheck disable=SC2034
id_starting=80e52aef21cd4ffebe025867602c5362
id_started=11f9bc7c0ee5451e8f40a1d3a5450107
id_failed=e5e49b3d2250463fa0cb3d046c3e83c2
id_stopping=3487d2ace4ec49ba972612b9a1d0fb09
id_stopped=7c5d7d01777f4943891d7f85652d9470
id_ready=5fefab1d7876459a92e3099621d31bc4
id_exited=bc8b7940f1c64b8fb14625816ebaf442
id_timeout=e210050ec27a4e8ca9a9a25a9b9534e9

# log_json ARGS...: the entries of this boot matching ARGS, as journalctl -o json writes them (every
# field whole: --all), after a sync.
log_json() {
    sandbox_run journalctl --sync
    sandbox_run journalctl -b -o json --all --no-pager "$@"
}

# log_has_entry MESSAGE SPEC... <<<JSON: whether the first entry of JSON (journalctl -o json lines on
# stdin) whose MESSAGE is MESSAGE matches every SPEC: FIELD=VALUE (exactly that value, once), FIELD=* (present),
# FIELD=# (a number) or !FIELD (absent). Binary fields, which journalctl writes as arrays of bytes,
# compare as their bytes. Prints what differs.
log_has_entry() {
    python3 -c '
import json, sys
entries = [json.loads(l) for l in sys.stdin if l.strip()]
message, specs = sys.argv[1], sys.argv[2:]

def text(v):
    if isinstance(v, list) and all(isinstance(b, int) for b in v):
        return bytes(v).decode("utf-8", "surrogateescape")
    return v

mine = [e for e in entries if text(e.get("MESSAGE")) == message]
if not mine:
    sys.exit("no entry with MESSAGE=%r among %d" % (message, len(entries)))
e, bad = mine[0], []
for spec in specs:
    if spec.startswith("!"):
        if spec[1:] in e:
            bad.append("%s=%r is there" % (spec[1:], text(e[spec[1:]])))
        continue
    name, want = spec.split("=", 1)
    got = text(e.get(name))
    ok = (got not in (None, "") if want == "*" else
          isinstance(got, str) and got.isdigit() if want == "#" else got == want)
    if not ok:
        bad.append("%s=%r, expected %r" % (name, got, want))
if bad:
    sys.exit("%r: %s" % (message, "; ".join(bad)))
' "$@"
}

# log_wait_message SECONDS MESSAGE ARGS...: waits until an entry matching ARGS has MESSAGE.
log_wait_message() {
    local seconds=$1 message=$2
    shift 2
    sandbox_wait "$seconds" _log_has_message "$message" "$@"
}

_log_has_message() {
    local message=$1
    shift
    sandbox_run journalctl --sync
    sandbox_run journalctl -b -o cat --no-pager "$@" | grep -qxF -- "$message"
}
