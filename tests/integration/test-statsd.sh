#!/bin/bash
# statsd as clients send it (issue 16, item 3), under a real systemd and dbus: an app's service sends
# hot-shots' lines to its $PANDORA_METRICS_SOCKET (counters with a sample rate and DogStatsD tags, a
# gauge and its delta, a timing, a histogram, distributions, a set, a name with a space and a '/', a
# decrement and an event, which are refused), and the values are read back over D-Bus: Metrics() and
# the service's Counters. The client is the real hot-shots (npm, protocol "uds" with its unix-dgram
# module) when it can be installed on the host into the build tree, which the box sees; otherwise its
# exact datagram, recorded from hot-shots 17.1.1, sent by python3. Where the agent logs malformed lines
# and ticks the sets' interval, the test also checks the journal and a set's return to 0.
# shellcheck disable=SC2016,SC2317 # checks are eval'd by tap_ok and sandbox_wait, which call the helpers
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

bus_name=io.pandora.sd.web.i1
unit=sd-web@1.service
hot_shots_version=17.1.1
source_root=${MESON_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

# metrics_json: Metrics() as {key: value}.
metrics_json() {
    sandbox_run busctl call "$bus_name" /io/pandora/Agent io.pandora.Agent1 Metrics --json=short |
        python3 -c 'import json, sys; d = json.load(sys.stdin)["data"][0]; print(json.dumps({k: v["data"] for k, v in d.items()}))'
}

# metrics_get KEY...: "KEY=value " for each KEY of one Metrics() call ("none" when absent).
metrics_get() {
    metrics_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("".join("%s=%s " % (k, d.get(k, "none")) for k in sys.argv[1:]))' "$@"
}

# metric_is KEY VALUE: whether Metrics() has KEY at VALUE now (for sandbox_wait).
metric_is() {
    [[ $(metrics_get "$1") == "$1=$2 " ]]
}

# hot_shots_dir: where hot-shots is installed for the box (the build tree is bound into it).
hot_shots_dir=${MESON_BUILD_ROOT:-$PWD}/tests/integration/statsd-hot-shots

# hot_shots_usable: whether hot-shots and the unix-dgram module it needs for "uds" load from there.
hot_shots_usable() {
    node -e 'require(process.argv[1] + "/hot-shots"); require(process.argv[1] + "/unix-dgram")' \
        "$hot_shots_dir/node_modules" 2>/dev/null
}

# Install the real client on the host (the box has no network); the recorded datagram otherwise.
client=recorded
if command -v node >/dev/null && command -v npm >/dev/null; then
    if ! hot_shots_usable; then
        mkdir -p "$hot_shots_dir"
        timeout 180 npm install --prefix "$hot_shots_dir" --no-audit --no-fund --no-save --prefer-offline \
            "hot-shots@$hot_shots_version" >"$hot_shots_dir/npm.log" 2>&1 || true
    fi
    hot_shots_usable && client=hot-shots
fi
[[ $client == hot-shots ]] || tap_diag "hot-shots can't be installed here (see $hot_shots_dir/npm.log): its recorded datagram stands in"

# What the agent must do with it: the core logs reports and ticks sets once it calls these.
reports_wired=false ticks_wired=false
grep -qs statsd_socket_set_report "$source_root"/agent/core/*.c && reports_wired=true
grep -qs statsd_socket_set_tick "$source_root"/agent/core/*.c && ticks_wired=true

tap_plan 9
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
if [[ $client == hot-shots ]] && ! sandbox_run sh -c 'command -v node' >/dev/null; then
    client=recorded
    tap_diag "no node in the box: hot-shots' recorded datagram stands in"
fi

# The client: hot-shots, used as its README says, with the calls below; or python3 sending the
# datagram hot-shots 17.1.1 sent for exactly these calls (one buffered flush, after 1 s).
# Both start 0.2 s into an interval of the sets (10 s of CLOCK_MONOTONIC, the agent's clock too), so
# that the test reads the set well before the next interval empties it.
sandbox_write /srv/sd/app.js <<EOF
const StatsD = require('$hot_shots_dir/node_modules/hot-shots');
// Sampled calls are always sent, so that the counts are exact.
Math.random = () => 0;
// hrtime is CLOCK_MONOTONIC; hot-shots flushes 1 s after this, at 1.2 s into the interval.
setTimeout(main, Number((10200n - process.hrtime.bigint() / 1000000n % 10000n) % 10000n));
function main() {
const statsd = new StatsD({
    protocol: 'uds',
    path: process.env.PANDORA_METRICS_SOCKET,
    globalTags: { env: 'test' },
    errorHandler: (e) => { console.error('hot-shots: ' + e); process.exit(1); },
});
statsd.increment('requests');
statsd.increment('requests', 2, 0.5, ['route:/api']);
statsd.gauge('queue', 42);
statsd.gaugeDelta('queue', -3);
statsd.timing('db', 12);
statsd.histogram('size', 7);
statsd.distribution('latency', 30, ['route:/api']);
statsd.distribution('latency', 10);
statsd.set('users', 'alice');
statsd.unique('users', 'bob');
statsd.set('users', 'alice');
statsd.increment('GET /api users');
statsd.decrement('oops');
statsd.event('deploy', 'v2');
}
setInterval(() => {}, 1 << 30);
EOF
sandbox_write /srv/sd/send.py <<'EOF'
import os, socket, time
datagram = (b"requests:1|c|#env:test\nrequests:2|c|@0.5|#env:test,route:/api\nqueue:42|g|#env:test\n"
            b"queue:-3|g|#env:test\ndb:12|ms|#env:test\nsize:7|h|#env:test\n"
            b"latency:30|d|#env:test,route:/api\nlatency:10|d|#env:test\nusers:alice|s|#env:test\n"
            b"users:bob|s|#env:test\nusers:alice|s|#env:test\nGET /api users:1|c|#env:test\n"
            b"oops:-1|c|#env:test\n_e{6,2}:deploy|v2|#env:test")
# hot-shots sends 1 s after its first call.
time.sleep((11.2 - time.monotonic() % 10) % 10 or 10)
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(datagram, os.environ["PANDORA_METRICS_SOCKET"])
time.sleep(1000)
EOF
if [[ $client == hot-shots ]]; then
    exec_line="/usr/bin/node /srv/sd/app.js"
else
    exec_line="/usr/bin/python3 /srv/sd/send.py"
fi
tap_ok "install sd.procfile ($client)" agent_install_procfile sd <<EOF
app = "sd";
processes = { web = { entry = "/bin/sleep 1000"; }; };
services = {
    stats = { process = "web"; exec = "$exec_line"; };
};
EOF
sandbox_run systemctl start sd.target
tap_ok "the instance is running" sandbox_wait 15 eval \
    '[[ $(sandbox_run busctl get-property "$bus_name" /io/pandora/Agent io.pandora.Agent1 State 2>/dev/null) == "s \"running\"" ]]'

# The client sends at most 11.2 s after it started: wait until all of it arrived.
sandbox_wait 25 metric_is StatsdLines 12 || true
tap_is "$(metrics_get StatsdLines StatsdMalformed)" "StatsdLines=12 StatsdMalformed=2 " \
    "$client: 12 lines taken; the decrement and the event counted as malformed"
tap_is "$(metrics_get stats:requests stats:queue stats:users stats:GET_-api_users)" \
    "stats:requests=5 stats:queue=39.0 stats:users=2.0 stats:GET_-api_users=1 " \
    "counter with its sample rate, gauge with its delta, set of distinct values, sanitised name"
tap_is "$(metrics_get stats:db.count stats:db.sum stats:size.count stats:size.sum stats:latency.count \
        stats:latency.sum stats:latency.min stats:latency.max)" \
    "stats:db.count=1 stats:db.sum=12.0 stats:size.count=1 stats:size.sum=7.0 stats:latency.count=2 stats:latency.sum=40.0 stats:latency.min=10.0 stats:latency.max=30.0 " \
    "timing, histogram and distributions as timings"
tap_is "$(sandbox_run busctl get-property "$bus_name" /io/pandora/service/stats io.pandora.Service1 Counters)" \
    'a{sv} 16 "requests" x 5 "queue" d 39 "users" d 2 "GET_-api_users" x 1 "db.count" t 1 "db.sum" d 12 "db.min" d 12 "db.max" d 12 "size.count" t 1 "size.sum" d 7 "size.min" d 7 "size.max" d 7 "latency.count" t 2 "latency.sum" d 40 "latency.min" d 10 "latency.max" d 30' \
    "the service's Counters: the set as a gauge"

# journal_has TEXT...: whether the unit's journal has a line holding every TEXT.
journal_has() {
    local line
    while IFS= read -r line; do
        local t all=true
        for t in "$@"; do
            [[ $line == *"$t"* ]] || all=false
        done
        $all && return 0
    done < <(agent_journal "$unit")
    return 1
}

if $reports_wired; then
    # The two malformed lines share a datagram: the first is logged at once, the second a second
    # later by the rate limit's timer.
    tap_ok "both malformed lines are in the journal with their reasons, rate-limited" sandbox_wait 5 eval '
        journal_has "oops:-1|c|#env:test" "a counter can'"'"'t go down" &&
        journal_has "_e{6,2}:deploy|v2|#env:test" "DogStatsD events and service checks are not supported"'
    tap_diag "$(agent_journal "$unit" | grep -F statsd || true)"
else
    tap_skip "malformed lines in the journal" "the agent does not set a statsd report handler yet"
fi

if $ticks_wired; then
    # The set counts the current interval (10 s, on multiples of 10 s of CLOCK_MONOTONIC): at the next
    # one it reads 0, while the counters keep their values.
    tap_ok "at the next interval the set reads 0 again, the counter keeps its count" sandbox_wait 12 eval '
        [[ $(metrics_get stats:users stats:requests) == "stats:users=0.0 stats:requests=5 " ]]'
else
    tap_skip "the set's return to 0 at the next interval" "the agent does not tick the statsd sets yet"
fi
tap_done
