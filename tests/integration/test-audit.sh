#!/bin/bash
# The generator and command-line findings of issue 19's audit, against a real systemd:
#   1. an app can't replace the host's own units: multi-user, default, basic, systemd (journald's socket)
#      are refused, and so is a unit that exists on the host (serial-getty@.service); the host's
#      multi-user.target, default.target and systemd-journald.socket are unchanged afterwards;
#   2. two apps whose unit names collide: the second install is refused; two such procfiles in the
#      search path are both skipped by the generator, which names the pair and generates the others;
#      --remove of one leaves the other's running instance alone;
#   9. the longest app name whose units load installs, a longer one or one starting with '-' is refused;
#   3. a value systemd reads verbatim that ends in a backslash is refused; tricky ones arrive intact;
#   6. a FIFO named *.procfile is skipped at once, and a FIFO given as procfile is refused at once;
#   7. a unit systemd refuses as it loads it makes pandora-gen exit non-zero with systemd's reason, and
#      user = "root:root" is refused before;
#   5. (the mode part) a 0600 procfile is installed as 0600;
#   and issue 15's message for a running app: apply it with pandora-gen --reload.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

generator=/usr/local/lib/systemd/system-generators/pandora-generator

# install PROCFILE_TEXT [OPTIONS...]: writes /srv/app/procfile and runs pandora-gen on it; sets $status
# and $out (stdout and stderr).
gen_install() {
    local text=$1
    shift
    sandbox_write /srv/app/procfile <<<"$text"
    status=0
    out=$(sandbox_run pandora-gen "$@" /srv/app/procfile 2>&1) || status=$?
    tap_diag "$out"
}

# show UNIT PROPERTY: the property's value, as systemctl show prints it.
show() {
    sandbox_run systemctl show -p "$2" --value "$1"
}

# refused TEXT NAME: pandora-gen exits 1 on the procfile with an error containing TEXT, and writes nothing.
refused() {
    [[ $status == 1 && $out == *"$1"* ]] || { echo "exit $status: $out"; return 1; }
    [[ -z $(sandbox_run find /run/pandora -name "$2.procfile" 2>/dev/null) ]] || { echo "installed"; return 1; }
}

tap_plan 39
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
sandbox_run mkdir -p /srv/app

# --- 1. The host's own units -------------------------------------------------------------------------
before_default=$(sandbox_run systemctl get-default)
before_multi=$(show multi-user.target FragmentPath)
before_socket=$(show systemd-journald.socket FragmentPath)
for app in multi-user default basic; do
    gen_install "app = \"$app\"; processes = { web = { entry = \"/bin/sleep infinity\"; }; };"
    tap_ok "app '$app' is refused at validation" \
        refused "/srv/app/procfile:1: app: '$app' is reserved: '<app>.target' would replace systemd's special" "$app"
done
gen_install 'app = "systemd";
processes = { journald = { entry = "/bin/sleep infinity"; listen = [ "/run/j.sock" ]; }; };'
tap_ok "app 'systemd' (journald with a socket) is refused" \
    refused "/srv/app/procfile:1: app: 'systemd' is reserved: 'systemd' and 'systemd-*' name systemd's own units" systemd
gen_install 'app = "serial"; processes = { getty = { entry = "/bin/sleep infinity"; }; };'
tap_ok "an app whose template would shadow the host's serial-getty@.service is refused" \
    refused "'serial' would replace serial-getty@1.service, which exists already (loaded, /lib/systemd/system/serial-getty@.service)" serial
sandbox_run systemctl daemon-reload
tap_is "$(sandbox_run systemctl get-default)" "$before_default" "default.target is unchanged"
tap_is "$(show multi-user.target FragmentPath)" "$before_multi" "multi-user.target is unchanged"
tap_is "$(show systemd-journald.socket FragmentPath) $(show systemd-journald.socket ActiveState)" \
    "$before_socket active" "systemd-journald.socket is unchanged and listening"

# --- 9. Names that can't be installed ----------------------------------------------------------------
# The longest app that loads with a process "w": its instances live in system-<app>\x2dw.slice, which
# must fit in 255 characters (237 + 4 + 1 = 242 escaped).
long=$(printf 'x%.0s' {1..237})
gen_install "app = \"$long\"; processes = { w = { entry = \"/bin/sleep infinity\"; }; };"
tap_is "$status $(show "$long-w@1.service" LoadState)" "0 loaded" "a 237-character app installs and its units load"
out=$(sandbox_run pandora-gen --remove "$long" 2>&1) || true
gen_install "app = \"${long}y\"; processes = { w = { entry = \"/bin/sleep infinity\"; }; };"
tap_ok "one character more is refused at validation" \
    refused "processes.w: unit name prefix '${long}y-w' is too long: systemd puts the instances into the slice" "${long}y"
gen_install "app = \"${long}yyyyyz\"; processes = { w = { entry = \"/bin/sleep infinity\"; }; };"
tap_ok "a 243-character app is refused at validation" refused "app: '${long}yyyyyz' is too long" "${long}yyyyyz"
gen_install 'app = "-x"; processes = { w = { entry = "/bin/sleep infinity"; }; };'
tap_ok "an app starting with '-' is refused at validation" refused "app: '-x' can't start with '-'" -x

# --- 2. Two apps, one unit name ----------------------------------------------------------------------
gen_install 'app = "a-b"; processes = { c = { entry = "/bin/sleep infinity"; }; };'
tap_is "$status" 0 "app a-b (process c) installs"
tap_ok "a-b.target starts" sandbox_run systemctl start a-b.target
gen_install 'app = "a"; processes = { b-c = { entry = "/bin/sleep infinity"; }; };'
tap_ok "app a (process b-c) is refused: a-b-c@.service is a-b's" \
    refused "'a' would make a-b-c@.service, which /run/pandora/a-b.procfile makes too" a
tap_is "$(show a-b-c@1.service ActiveState)" active "a-b's instance still runs"

# Such a pair in the search path anyway (copied in by hand, or installed before pandora-gen refused it):
# the generator makes neither, says which, and makes the others.
printf 'app = "a";\nprocesses = { b-c = { entry = "/bin/sleep infinity"; }; };\n' |
    sandbox_write /run/pandora/a.procfile
printf 'app = "other";\nprocesses = { w = { entry = "/bin/sleep infinity"; }; };\n' |
    sandbox_write /run/pandora/other.procfile
sandbox_run mkdir -p /run/audit-gen
status=0
err=$(sandbox_run "$generator" /run/audit-gen 2>&1) || status=$?
tap_diag "$err"
tap_is "$status" 1 "the generator exits 1 for the colliding pair"
tap_ok "it names the pair and the unit" grep -qF \
    "pandora-generator: /run/pandora/a-b.procfile and /run/pandora/a.procfile both make a-b-c@.service: generating neither, ignoring both" <<<"$err"
listing=" $(sandbox_run ls /run/audit-gen | tr '\n' ' ')"
tap_diag "generated:$listing"
tap_ok "it generates the others, and neither of the pair" \
    eval '[[ $listing == *" other.target "* && $listing == *" other-w@.service "* && $listing != *" a-b"* && $listing != *" a."* ]]'
sandbox_run systemctl daemon-reload
tap_is "$(show a-b-c@1.service ActiveState)" active "a-b's instance runs on after the reload"
out=$(sandbox_run pandora-gen --remove a 2>&1) || true
tap_diag "$out"
tap_is "$(show a-b-c@1.service ActiveState)" active "--remove a leaves a-b's instance alone"
tap_ok "--remove a says why" grep -qF "a-b-c@1.service is not from 'a'" <<<"$out"
sandbox_run rm -f /run/pandora/a-b.procfile /run/pandora/other.procfile
sandbox_run systemctl stop a-b.target 'a-b-c@*.service'

# --- 3. Values systemd reads verbatim ----------------------------------------------------------------
gen_install 'app = "esc"; processes = { web = { entry = "/bin/sleep infinity"; user = "root";
    group = "root\\"; }; };'
tap_ok "a group ending in a backslash is refused" \
    refused "/srv/app/procfile:2: processes.web.group: must not end with a backslash" esc
gen_install 'app = "esc"; dir = "/srv/app/x\\"; processes = { web = { entry = "/bin/sleep infinity"; }; };'
tap_ok "a dir ending in a backslash is refused" refused "/srv/app/procfile:1: dir: must not end with a backslash" esc
gen_install 'app = "esc"; processes = { web = { entry = "/bin/sleep infinity";
    listen = [ "/run/esc/a.sock", "/run/esc/b\\" ]; }; };'
tap_ok "a socket path ending in a backslash is refused" \
    refused "/srv/app/procfile:2: processes.web.listen: '/run/esc/b\\' must not end with a backslash" esc
sandbox_run mkdir -p '/srv/50% off $HOME "q" \ x; y'
gen_install 'app = "esc"; dir = "../app/../50% off $HOME \"q\" \\ x; y";
processes = { web = { entry = "/bin/sleep infinity"; group = "root"; listen = [ "/run/esc/a b%.sock" ]; }; };'
tap_is "$status" 0 "tricky values that systemd can take are installed"
tap_is "$(show esc-web@1.service WorkingDirectory)" '/srv/50% off $HOME "q" \ x; y' \
    "WorkingDirectory= arrives intact (and normalised)"
tap_is "$(show esc-web@1.service Group)" root "Group= is not swallowed"
tap_ok "PANDORA_APP is not swallowed" grep -q 'PANDORA_APP=esc' <<<"$(show esc-web@1.service Environment)"
tap_is "$(show esc-web.socket Listen)" "/run/esc/a b%.sock (Stream)" "ListenStream= arrives intact"

# --- 6. Not a regular file ---------------------------------------------------------------------------
sandbox_run mkfifo /run/pandora/fifo.procfile
status=0
err=$(sandbox_run timeout 10 "$generator" /run/audit-gen2 2>&1) || status=$?
tap_ok "the generator skips a FIFO at once, with a message" \
    grep -qF "/run/pandora/fifo.procfile: not a regular file, ignoring" <<<"$err"
tap_ok "daemon-reload does not hang on it" sandbox_run timeout 20 systemctl daemon-reload
tap_is "$(show esc.target LoadState)" loaded "and the other apps' units are still loaded"
sandbox_run mkfifo /srv/app/fifo
status=0
err=$(sandbox_run timeout 10 pandora-gen /srv/app/fifo 2>&1) || status=$?
tap_is "$status: $err" "1: pandora-gen: /srv/app/fifo: not a regular file" "a FIFO as procfile is refused at once"

# --- 7. A unit systemd refuses as it loads it --------------------------------------------------------
gen_install 'app = "bad"; processes = { web = { entry = "/bin/sleep infinity"; user = "root:root"; }; };'
tap_ok "user = \"root:root\", which systemd refuses, is refused at validation" \
    refused "/srv/app/procfile:1: processes.web.user: 'root:root' is not a user name or ID that systemd takes" bad
# Validation now refuses what the audit used (user = "root:root"); an administrator's drop-in that leaves
# the service without ExecStart= is refused by systemd only as it loads the unit.
sandbox_run mkdir -p /etc/systemd/system/bad-web@.service.d
printf '[Service]\nExecStart=\n' | sandbox_write /etc/systemd/system/bad-web@.service.d/audit.conf
gen_install 'app = "bad"; processes = { web = { entry = "/bin/sleep infinity"; }; };'
tap_ok "pandora-gen exits 1 with systemd's reason for a unit that did not load" \
    eval '[[ $status == 1 && $out == *"bad-web@1.service: bad-setting: Unit bad-web@1.service has a bad unit file setting."* ]]'

# --- 5. The installed copy's mode --------------------------------------------------------------------
sandbox_write /srv/app/procfile <<<'app = "secret"; processes = { web = { entry = "/bin/sleep infinity"; }; };'
sandbox_run chmod 600 /srv/app/procfile
sandbox_run pandora-gen /srv/app/procfile >/dev/null
tap_is "$(sandbox_run stat -c %a /run/pandora/secret.procfile)" 600 "a 0600 procfile is installed as 0600"

# --- issue 15: the message for a running app ---------------------------------------------------------
sandbox_run systemctl start secret.target
gen_install 'app = "secret"; processes = { web = { entry = "/bin/sleep infinity"; scale = 2; }; };'
tap_ok "a running app is told to apply the edit with --reload" \
    grep -qF "secret.target is running; its running instances keep their old settings until they restart: apply it with no downtime: pandora-gen --reload secret" <<<"$out"
tap_done
