#!/bin/bash
# Structured logging under a real systemd (issue 5): every entry of an instance, whether the agent, a
# module or a child's stdout/stderr wrote it, carries PANDORA_APP/PROCESS/INSTANCE, PANDORA_SERVICE when
# a service wrote it, SYSLOG_IDENTIFIER and PRIORITY, read back with `journalctl -o json`. Children's
# lines: stdout and stderr at 6 (systemd's default for a unit's stderr), "<N>" prefixes and JSON
# loggers' levels and keys (nested ones flattened), a partial line sent after the idle time, a child's
# last words before the agent's message about its exit. Each lifecycle event has its MESSAGE_ID and
# fields, and `journalctl -x` explains a failed service. Then the journalctl commands README's "Logs"
# section documents, the stderr fallback, and bunyan's and winston's own output (Debian's node-bunyan
# and node-winston): logger.error(err) keeps its stack, one entry, and a colourised level is read.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"
# shellcheck source-path=SCRIPTDIR source=test-logging-lib.sh
source "$(dirname "$0")/test-logging-lib.sh"

unit=shop-web@1.service
module=${MESON_BUILD_ROOT:-}/tests/integration/logging-module.so

tap_plan 48
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_write /etc/shop/cache.sh <<'EOF'
echo "plain stdout line"
echo "plain stderr line" >&2
echo "<4>warning via prefix"
echo '{"level":50,"time":1700000000000,"pid":7,"msg":"pino error","reqId":"abc-1","nested":{"a":1}}'
echo '{"level":"warn","message":"winston warn","user id":42,"ok":true}'
printf 'partial line without newline'
exec sleep 1000
EOF
sandbox_write /etc/shop/entry.sh <<'EOF'
echo entry-out
echo entry-err >&2
exec sleep 1000
EOF
[[ -f $module ]] || tap_bail "no $module: run under meson"
tap_ok "install shop.procfile" agent_install_procfile shop <<EOF
app = "shop";
processes = { web = { entry = "/bin/sh /etc/shop/entry.sh"; stop_timeout_ms = 5000; }; };
services = {
    cache = { process = "web"; exec = "/bin/sh /etc/shop/cache.sh"; };
    logger = { process = "web"; module = "$module"; dependencies = [ "cache" ]; };
    stubborn = {
        process = "web";
        exec = "/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'";
        dependencies = [ "logger" ];
        stop_timeout_ms = 300;
    };
};
EOF
tap_ok "systemctl start shop.target" sandbox_run systemctl start shop.target

# --- children's output, while the instance runs
tap_ok "a partial line arrives after the idle time, while its writer still runs" \
    log_wait_message 5 "partial line without newline" SYSLOG_IDENTIFIER=cache
json=$(log_json PANDORA_APP=shop)
common=(PANDORA_APP=shop PANDORA_PROCESS=web PANDORA_INSTANCE=1 "_SYSTEMD_UNIT=$unit")
tap_ok "stdout: PRIORITY=6, SYSLOG_IDENTIFIER and PANDORA_SERVICE the service, SYSLOG_PID the child" \
    log_has_entry "plain stdout line" "${common[@]}" PRIORITY=6 SYSLOG_IDENTIFIER=cache \
    PANDORA_SERVICE=cache SYSLOG_PID=# <<<"$json"
tap_ok "stderr: PRIORITY=6, as systemd logs a unit's stderr (issue 16)" \
    log_has_entry "plain stderr line" "${common[@]}" PRIORITY=6 SYSLOG_IDENTIFIER=cache PANDORA_SERVICE=cache <<<"$json"
tap_ok "a <4> prefix sets PRIORITY=4 and is stripped" \
    log_has_entry "warning via prefix" "${common[@]}" PRIORITY=4 PANDORA_SERVICE=cache <<<"$json"
tap_ok "a pino line: msg is MESSAGE, level 50 is PRIORITY=3, other values are PANDORA_JSON_*, nested ones too" \
    log_has_entry "pino error" "${common[@]}" PRIORITY=3 PANDORA_SERVICE=cache \
    PANDORA_JSON_REQID=abc-1 PANDORA_JSON_PID=7 PANDORA_JSON_TIME=1700000000000 PANDORA_JSON_NESTED_A=1 \
    '!PANDORA_JSON_MSG' '!PANDORA_JSON_LEVEL' <<<"$json"
tap_ok "a winston line: message is MESSAGE, level \"warn\" is PRIORITY=4, 'user id' is PANDORA_JSON_USER_ID" \
    log_has_entry "winston warn" "${common[@]}" PRIORITY=4 PANDORA_JSON_USER_ID=42 PANDORA_JSON_OK=true <<<"$json"
tap_ok "the partial line: PRIORITY=6" \
    log_has_entry "partial line without newline" "${common[@]}" PRIORITY=6 PANDORA_SERVICE=cache <<<"$json"
tap_ok "the entry's stdout: SYSLOG_IDENTIFIER is the process, no PANDORA_SERVICE" \
    log_has_entry entry-out "${common[@]}" PRIORITY=6 SYSLOG_IDENTIFIER=web SYSLOG_PID=# '!PANDORA_SERVICE' <<<"$json"
tap_ok "the entry's stderr: PRIORITY=6" \
    log_has_entry entry-err "${common[@]}" PRIORITY=6 SYSLOG_IDENTIFIER=web '!PANDORA_SERVICE' <<<"$json"

# --- a module's pandora_log() and pandora_log_fields()
tap_ok "pandora_log(): PANDORA_SERVICE, SYSLOG_IDENTIFIER, PRIORITY and CODE_*" \
    log_has_entry "module logger says 42" "${common[@]}" PRIORITY=5 PANDORA_SERVICE=logger \
    SYSLOG_IDENTIFIER=logger CODE_FILE=* CODE_LINE=# CODE_FUNC=logging_start <<<"$json"
tap_ok "pandora_log_fields(): its FIELD=value pairs too, an invalid name left out" \
    log_has_entry "module entry with fields" "${common[@]}" PRIORITY=4 PANDORA_SERVICE=logger \
    ORDER_ID=1234 CODE_FUNC=logging_start <<<"$json"

# --- lifecycle events while starting
tap_ok "starting: its MESSAGE_ID, PANDORA_SERVICE, SYSLOG_IDENTIFIER the process, PRIORITY=6" \
    log_has_entry "Starting service 'cache' (1/4)" "${common[@]}" MESSAGE_ID=$id_starting \
    PANDORA_SERVICE=cache SYSLOG_IDENTIFIER=web PRIORITY=6 <<<"$json"
tap_ok "started: its MESSAGE_ID and PANDORA_DURATION_USEC" \
    log_has_entry "Started service 'logger'" "${common[@]}" MESSAGE_ID=$id_started \
    PANDORA_SERVICE=logger SYSLOG_IDENTIFIER=web PRIORITY=6 PANDORA_DURATION_USEC=# <<<"$json"
tap_ok "the entry's events name no service" \
    log_has_entry "Started entry '/bin/sh'" "${common[@]}" MESSAGE_ID=$id_started \
    SYSLOG_IDENTIFIER=web '!PANDORA_SERVICE' <<<"$json"
tap_ok "instance ready: its MESSAGE_ID and how long starting took" \
    log_has_entry "Instance ready: 3 services and the entry running" "${common[@]}" \
    MESSAGE_ID=$id_ready PANDORA_DURATION_USEC=# PRIORITY=6 '!PANDORA_SERVICE' <<<"$json"

# --- the journalctl commands of README's "Logs" section, while it runs
follow=$SANDBOX_DIR/follow.txt
sandbox_run timeout 20 journalctl -f -n 0 -o cat PANDORA_APP=shop >"$follow" 2>/dev/null &
follow_pid=$!
sleep 1  # journalctl -f has opened the journal and seeked to its end
sandbox_run systemctl stop shop.target
tap_ok "journalctl -f PANDORA_APP=shop follows the instance stopping" \
    sandbox_wait 10 grep -qxF "Stopped service 'cache'" "$follow"
kill "$follow_pid" 2>/dev/null || true
wait "$follow_pid" 2>/dev/null || true
sandbox_run journalctl --sync
tap_ok "journalctl -u 'shop-*' has the children's lines and the agent's" \
    grep -qxF "plain stdout line" <(sandbox_run journalctl -b -o cat -u 'shop-*')
tap_ok "journalctl PANDORA_APP=shop has the entry's and the module's lines" \
    test "$(sandbox_run journalctl -b -o cat PANDORA_APP=shop | grep -cxF -e entry-out -e 'module logger says 42')" -eq 2
tap_is "$(sandbox_run journalctl -b -o cat PANDORA_APP=shop PANDORA_SERVICE=cache -p err | sort)" \
    "pino error" "journalctl PANDORA_APP=shop PANDORA_SERVICE=cache -p err: cache's errors only, not its stderr"

# --- lifecycle events while stopping
json=$(log_json PANDORA_APP=shop)
tap_ok "stopping: its MESSAGE_ID" \
    log_has_entry "Stopping service 'cache'" "${common[@]}" MESSAGE_ID=$id_stopping \
    PANDORA_SERVICE=cache SYSLOG_IDENTIFIER=web PRIORITY=6 <<<"$json"
tap_ok "stopped: its MESSAGE_ID, how the child ended and how long stopping took" \
    log_has_entry "Stopped service 'cache'" "${common[@]}" MESSAGE_ID=$id_stopped \
    PANDORA_SERVICE=cache EXIT_CODE=killed EXIT_STATUS=15 PANDORA_DURATION_USEC=# PRIORITY=6 <<<"$json"
tap_ok "stop timeout: its MESSAGE_ID, PRIORITY=4" \
    log_has_entry "Service 'stubborn' did not stop within 300 ms, killing it" "${common[@]}" \
    MESSAGE_ID=$id_timeout PANDORA_SERVICE=stubborn PRIORITY=4 <<<"$json"
tap_ok "an unclean stop: the stopped MESSAGE_ID, EXIT_STATUS=9, PRIORITY=4" \
    log_has_entry "Stopped service 'stubborn' uncleanly: killed by signal KILL" "${common[@]}" \
    MESSAGE_ID=$id_stopped EXIT_CODE=killed EXIT_STATUS=9 PRIORITY=4 <<<"$json"
tap_ok "a module's stop: the stopped MESSAGE_ID, no EXIT_CODE" \
    log_has_entry "Stopped service 'logger'" "${common[@]}" MESSAGE_ID=$id_stopped \
    PANDORA_SERVICE=logger '!EXIT_CODE' <<<"$json"

# --- a child that exits on its own: its last words first, then the event
tap_ok "install exits.procfile" agent_install_procfile exits <<'EOF'
app = "exits";
processes = { web = { entry = "/bin/sleep 1000"; restart_delay_ms = 60000; }; };
services = { quitter = { process = "web"; exec = "/bin/sh -c 'sleep 0.3; echo last words; exit 3'"; }; };
EOF
sandbox_run systemctl start exits.target
tap_ok "the instance fails when quitter exits" \
    log_wait_message 10 "Service 'quitter' stopped on its own: exited with status 3" PANDORA_APP=exits
json=$(log_json PANDORA_APP=exits)
tap_ok "child exited: its MESSAGE_ID, EXIT_CODE=exited, EXIT_STATUS=3, PRIORITY=3" \
    log_has_entry "Service 'quitter' stopped on its own: exited with status 3" \
    PANDORA_APP=exits PANDORA_SERVICE=quitter MESSAGE_ID=$id_exited EXIT_CODE=exited EXIT_STATUS=3 PRIORITY=3 <<<"$json"
tap_is "$(agent_journal exits-web@1.service | grep -E "^(last words|Service 'quitter' stopped)" | head -n 2)" \
    "$(printf '%s\n' "last words" "Service 'quitter' stopped on its own: exited with status 3")" \
    "the child's last line comes before the agent's message about its exit"

# --- a service that fails to start, explained by the catalog
tap_ok "install bad.procfile" agent_install_procfile bad <<'EOF'
app = "bad";
processes = { web = { restart_delay_ms = 60000; }; };
services = { server = { process = "web"; exec = "/nonexistent/bin/server"; }; };
EOF
sandbox_run systemctl start bad.target || true
failure="Service 'server' failed to start: can't execute '/nonexistent/bin/server': No such file or directory"
tap_ok "the failure is logged" log_wait_message 10 "$failure" PANDORA_APP=bad
json=$(sandbox_run journalctl -b -o json MESSAGE_ID=$id_failed)
tap_ok "journalctl -o json MESSAGE_ID=<failed>: PANDORA_SERVICE, ERRNO, PRIORITY=3" \
    log_has_entry "$failure" PANDORA_APP=bad PANDORA_PROCESS=web PANDORA_INSTANCE=1 \
    PANDORA_SERVICE=server SYSLOG_IDENTIFIER=web ERRNO=2 PRIORITY=3 MESSAGE_ID=$id_failed <<<"$json"
tap_ok "the catalog is installed and indexed" sandbox_run journalctl --update-catalog
explained=$(sandbox_run journalctl -b -x -o short --no-pager MESSAGE_ID=$id_failed)
tap_ok "journalctl -x shows the catalog's subject, with the entry's fields" \
    grep -qF "Subject: server of bad-web@1 failed" <<<"$explained"
tap_ok "and its text, naming what to look at" \
    grep -qF "journalctl PANDORA_APP=bad SYSLOG_IDENTIFIER=server" <<<"$explained"
tap_ok "journalctl --list-catalog lists all 8 ids" test "$(sandbox_run journalctl --list-catalog |
    grep -cE "^($id_starting|$id_started|$id_failed|$id_stopping|$id_stopped|$id_ready|$id_exited|$id_timeout) ")" -eq 8

# --- the journal unreachable: the agent falls back to stderr, which systemd sends to the journal
sandbox_write /etc/systemd/system/quiet-web@.service.d/no-journal.conf <<'EOF'
[Service]
InaccessiblePaths=/run/systemd/journal/socket
EOF
tap_ok "install quiet.procfile" agent_install_procfile quiet <<'EOF'
app = "quiet";
processes = { web = { entry = "/bin/sleep 1000"; }; };
services = { talk = { process = "web"; exec = "/bin/sh -c 'echo fallback line; echo fallback error >&2; exec sleep 1000'"; }; };
EOF
tap_ok "systemctl start quiet.target" sandbox_run systemctl start quiet.target
tap_ok "a child's line reaches the journal through the agent's stderr" \
    log_wait_message 5 "talk: fallback line" _SYSTEMD_UNIT=quiet-web@1.service
json=$(log_json _SYSTEMD_UNIT=quiet-web@1.service)
tap_ok "with its priority from the <N> prefix and the unit's fields" \
    log_has_entry "talk: fallback error" _TRANSPORT=stdout PRIORITY=6 PANDORA_APP=quiet \
    PANDORA_PROCESS=web SYSLOG_IDENTIFIER=quiet-web <<<"$json"
tap_ok "the agent's own messages too" \
    log_has_entry "pandora-agent: Instance ready: 1 service and the entry running" _TRANSPORT=stdout PRIORITY=6 <<<"$json"
sandbox_run systemctl stop quiet.target

# --- bunyan and winston as they are (Debian's node-bunyan and node-winston): logger.error(err)
sandbox_write /etc/loggers/app.js <<'EOF'
const bunyan = require('bunyan');
const winston = require('winston');
const berr = new Error('bunyan kaboom');
berr.code = 'E_KABOOM';
bunyan.createLogger({ name: 'loggers' }).error(berr);
winston.createLogger({
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.colorize(),
                                   winston.format.json()),
    transports: [new winston.transports.Console()],
}).error(new Error('winston kaboom'));
setInterval(() => {}, 1 << 30);
EOF
# check_stack MESSAGE FIELD <<<JSON: FIELD of the entry with MESSAGE is a stack of several lines,
# "Error: MESSAGE" and then "    at ..." frames.
# shellcheck disable=SC2317 # called through tap_ok
check_stack() {
    python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin if l.strip()]
e = [x for x in e if x.get("MESSAGE") == sys.argv[1]]
stack = e[0].get(sys.argv[2], "") if e else ""
stack = bytes(stack).decode() if isinstance(stack, list) else stack
lines = stack.split("\n")
print(repr(stack[:200]), file=sys.stderr)
sys.exit(0 if lines[0] == "Error: " + sys.argv[1] and len(lines) > 2 and
         all(l.startswith("    at ") for l in lines[1:]) else 1)
' "$@"
}
if sandbox_run test -f /usr/share/nodejs/bunyan/package.json -a -f /usr/share/nodejs/winston/package.json; then
    agent_install_procfile loggers <<'EOF'
app = "loggers";
processes = { web = { entry = "/bin/sleep 1000"; env = { NODE_PATH = "/usr/share/nodejs"; }; }; };
services = { node = { process = "web"; exec = "/usr/bin/node /etc/loggers/app.js"; }; };
EOF
    sandbox_run systemctl start loggers.target
    log_wait_message 10 "winston kaboom" PANDORA_APP=loggers SYSLOG_IDENTIFIER=node || true
    json=$(log_json PANDORA_APP=loggers SYSLOG_IDENTIFIER=node)
    tap_ok "bunyan's log.error(err): PRIORITY=3, the error's name, code and message as PANDORA_JSON_ERR_*" \
        log_has_entry "bunyan kaboom" PANDORA_SERVICE=node PRIORITY=3 PANDORA_JSON_ERR_NAME=Error \
        PANDORA_JSON_ERR_CODE=E_KABOOM "PANDORA_JSON_ERR_MESSAGE=bunyan kaboom" PANDORA_JSON_NAME=loggers <<<"$json"
    tap_ok "and its whole stack in PANDORA_JSON_ERR_STACK" check_stack "bunyan kaboom" PANDORA_JSON_ERR_STACK <<<"$json"
    tap_ok "winston's colourised level (\\e[31merror\\e[39m) is PRIORITY=3" \
        log_has_entry "winston kaboom" PANDORA_SERVICE=node PRIORITY=3 '!PANDORA_JSON_LEVEL' <<<"$json"
    tap_ok "and its stack in PANDORA_JSON_STACK" check_stack "winston kaboom" PANDORA_JSON_STACK <<<"$json"
    tap_is "$(sandbox_run journalctl -b -o cat --no-pager PANDORA_APP=loggers SYSLOG_IDENTIFIER=node | wc -l)" 2 \
        "each multi-line stack stays in its one entry"
    sandbox_run systemctl stop loggers.target
else
    for name in "bunyan's log.error(err)" "its stack" "winston's colourised level" "its stack" "one entry each"; do
        tap_skip "$name" "no node-bunyan or node-winston in /usr/share/nodejs (tools/install-deps.sh)"
    done
fi
tap_done
