#!/bin/bash
# Secrets (issue 19, finding 5) under the box's real systemd, read back as another unprivileged user:
# - a 0600 procfile is installed 0600, and an instance that runs as its own user still starts (the
#   agent reads the procfile through the unit's LoadCredential=procfile:);
# - the procfile's env and secret_env reach the children exactly as written (quotes, '%', '$', a
#   newline), and secret_env values are the files' text without their final newline;
# - none of those values is in a unit file, in `systemctl show` or `systemctl cat`, and another user
#   can read neither the installed copy, nor the credentials, nor the children's environment;
# - a missing secret file fails the start, and a name in both env and secret_env is refused.
# Loopback only, every wait bounded.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

as_nobody() { sandbox_run setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# leaks TEXT: whether TEXT holds any of the values the procfile means to keep to the app.
no_value_in() { ! grep -qE 'db-s3cret|api-k3y|procfile-t0ken|plain-v4lue' <<<"$1"; }
denied() { [[ $(as_nobody cat "$1" 2>&1) == *"Permission denied"* ]]; }
child_env() {
    local child
    child=$(agent_children sec-web@1.service | head -n1)
    [[ -n $child ]] && sandbox_run cat "/proc/$child/environ" | tr '\0' '\n'
}
child_env_has() { child_env | grep -qxF -- "$1"; }

tap_plan 17
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_run useradd --system --no-create-home --shell /usr/sbin/nologin secuser
printf 'db-s3cret\n\n' | sandbox_write /etc/sec/db-password 0600
printf 'api-k3y' | sandbox_write /srv/sec/keys/api 0600
sandbox_write /srv/sec/procfile 0600 <<'EOF'
app = "sec";
env = { PLAIN = "plain-v4lue"; ODD = "50% \"q\" $HOME %i\nline two"; };
secret_env = { API_KEY = "keys/api"; };
processes = {
    web = {
        entry = "/bin/sleep infinity";
        user = "secuser";
        env = { TOKEN = "procfile-t0ken"; };
        secret_env = { DB_PASSWORD = "/etc/sec/db-password"; };
    };
};
EOF

tap_ok "pandora-gen installs the app" sandbox_run pandora-gen /srv/sec/procfile
copy=$(sandbox_run systemctl show -p ExecStart --value sec-web@1.service | sed -n 's/.*--procfile \([^ ;]*\).*/\1/p')
tap_is "$(sandbox_run stat -c %a "$copy")" 600 "the installed copy keeps the procfile's mode"
tap_ok "the instance starts as its user though it can't read the copy" sandbox_run systemctl start sec.target
tap_is "$(sandbox_run ps -o user= -p "$(agent_prop sec-web@1.service MainPID)")" secuser "it runs as secuser"
sandbox_wait 5 child_env_has PLAIN=plain-v4lue || true
tap_ok "the child has the procfile's env" child_env_has PLAIN=plain-v4lue
tap_ok "a value with quotes, '%', '\$' and a newline arrives as written" \
    grep -qzF $'ODD=50% "q" $HOME %i\nline two\n' <<<"$(child_env)"
tap_ok "the app's secret_env (relative to dir) arrives" child_env_has API_KEY=api-k3y
tap_ok "the process's secret_env arrives without the file's final newlines" child_env_has DB_PASSWORD=db-s3cret

units=$(sandbox_run sh -c 'cat /run/systemd/generator/sec* /run/systemd/generator/sec*/* /etc/systemd/system/sec* 2>/dev/null' || true)
tap_ok "no unit file holds a value" no_value_in "$units"
tap_ok "systemctl show, as another user, shows no value" no_value_in "$(as_nobody systemctl show sec-web@1.service 2>&1)"
tap_ok "systemctl cat, as another user, shows no value" no_value_in "$(as_nobody systemctl cat sec-web@1.service 2>&1)"
tap_ok "another user can't read the installed copy" denied "$copy"
tap_ok "another user can't read the credentials" denied /run/credentials/sec-web@1.service/DB_PASSWORD
child=$(agent_children sec-web@1.service | head -n1)
tap_ok "another user can't read the child's environment" denied "/proc/$child/environ"

# A secret that is not there: systemd refuses to start the unit, the app never sees an empty value.
sandbox_run sed -i 's|/etc/sec/db-password|/etc/sec/missing|' /srv/sec/procfile
sandbox_run pandora-gen /srv/sec/procfile >/dev/null
sandbox_run systemctl stop sec.target
fails_to_start() { ! sandbox_run systemctl start "$1" 2>/dev/null; }
tap_ok "a missing secret file fails the start" fails_to_start sec-web@1.service

printf 'app = "dup";\nenv = { K = "a"; };\nprocesses = { web = { entry = "/bin/true";\n  secret_env = { K = "/etc/k"; }; }; };\n' |
    sandbox_write /srv/dup/procfile
out=$(sandbox_run pandora-gen /srv/dup/procfile 2>&1) && status=0 || status=$?
tap_is "$status:$out" \
    "1:pandora-gen: /srv/dup/procfile:3: processes.web.secret_env: 'K' is also in env: a variable is either a secret or a plain value" \
    "a name in both env and secret_env is refused with file:line:setting"

tap_done
