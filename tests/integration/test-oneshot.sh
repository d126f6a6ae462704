#!/bin/bash
# One-shot work (issue 16, item 1) under the box's real systemd:
# - an entry that exits 0 on its own ends its instance successfully: the unit is inactive with
#   Result=success, no restart under Restart=on-failure, and the journal says it finished;
# - a service with ready = "exited" runs to completion before the services after it and the entry
#   start (a migration before the server); its non-zero exit fails the start.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

show() { sandbox_run systemctl show -p "$2" --value "$1"; }
finished_id=4c6a2e9f1b7d4a3e8f5c0b2d9a7e1f64

tap_plan 14
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

# --- an entry that runs once
printf 'app = "once";\nfork = { migrate = "/bin/sh -c '"'"'echo migrated; exit 0'"'"'"; };\n' | sandbox_write /srv/once/procfile
sandbox_run pandora-gen /srv/once/procfile >/dev/null
sandbox_run systemctl start once.target
inactive() { [[ $(show once-migrate@1.service ActiveState) == inactive ]]; }
tap_ok "an entry that exits 0 ends its instance" sandbox_wait 10 inactive
tap_is "$(show once-migrate@1.service Result) $(show once-migrate@1.service NRestarts)" "success 0" \
    "Result=success and no restart"
tap_ok "the journal says the entry finished, with its MESSAGE_ID" sh -c '[ -n "$1" ]' _ \
    "$(sandbox_run journalctl PANDORA_APP=once MESSAGE_ID=$finished_id -o cat)"

# --- a migration service before the server
write_app() {
    printf 'app = "mig";\nprocesses = { web = { entry = "/bin/sh -c '"'"'cat /srv/mig/state; exec sleep 600'"'"'"; }; };\nservices = {\n    migrate = { process = "web"; exec = "%s"; ready = "exited"; };\n};\n' "$1" |
        sandbox_write /srv/mig/procfile
}
write_app "/bin/sh -c 'sleep 1; echo migrated >/srv/mig/state'"
sandbox_run pandora-gen /srv/mig/procfile >/dev/null
tap_ok "a ready = \"exited\" service runs before the entry" sandbox_run systemctl start mig.target
tap_is "$(show mig-web@1.service ActiveState)" active "the instance is active once the migration finished"
entry_saw() { sandbox_run journalctl PANDORA_APP=mig -o cat | grep -qx migrated; }
tap_ok "the entry started after the migration wrote its state" sandbox_wait 5 entry_saw
write_app "/bin/sh -c 'exit 4'"
sandbox_run pandora-gen /srv/mig/procfile >/dev/null
sandbox_run systemctl restart mig-web@1.service 2>/dev/null || true
tap_ok "a failing migration fails the start" sh -c '[ "$1" != active ]' _ "$(show mig-web@1.service ActiveState)"
failed_line() {
    sandbox_run journalctl PANDORA_APP=mig -o cat | grep -q "Service 'migrate' failed to start: exited with status 4"
}
tap_ok "and the journal says why" sandbox_wait 5 failed_line

# --- systemctl stop APP.target waits until every instance has stopped (issue 16, item 6)
printf 'app = "slow";\nprocesses = { web = { scale = 2; stop_timeout_ms = 10000;\n    entry = "/bin/sh -c '"'"'trap \\"sleep 1.5; exit 0\\" TERM; while :; do sleep 0.1; done'"'"'"; }; };\n' |
    sandbox_write /srv/slow/procfile
sandbox_run pandora-gen /srv/slow/procfile >/dev/null
sandbox_run systemctl start slow.target
stopped_after=$(sandbox_run sh -c 's=$(date +%s%N); systemctl stop slow.target; e=$(date +%s%N)
    echo "$(( (e - s) / 1000000 )) $(systemctl show -p ActiveState --value slow-web@1.service slow-web@2.service | grep . | sort -u | tr "\n" " ")"')
tap_diag "systemctl stop slow.target: $stopped_after"
tap_ok "systemctl stop APP.target returns only once its instances have stopped" \
    sh -c '[ "${1%% *}" -ge 1400 ] && [ "${1#* }" = "inactive " ]' _ "$stopped_after"
# --- a scheduled job (issue 17, item 5): its timer, started with the app, runs it; each run ends cleanly
printf 'app = "jobs";\nprocesses = { report = { entry = "/bin/sh -c '"'"'echo report done'"'"'"; schedule = "*:*:0/2"; }; };\n' |
    sandbox_write /srv/jobs/procfile
sandbox_run pandora-gen /srv/jobs/procfile >/dev/null
tap_ok "the app with a schedule starts" sandbox_run systemctl start jobs.target
tap_is "$(show jobs-report.timer ActiveState)" active "its timer is armed"
runs() { (( $(sandbox_run journalctl PANDORA_APP=jobs MESSAGE_ID=$finished_id -o cat | wc -l) >= 2 )); }
tap_ok "the timer runs the job, and again: each run finished with status 0" sandbox_wait 10 runs
tap_is "$(show jobs-report@1.service Result) $(show jobs-report@1.service NRestarts)" "success 0" \
    "the last run's Result=success"
tap_done
