#!/bin/bash
# pandora for a user's own manager: the user generator reads ~/.config/pandora, and
# `pandora-gen --user` installs into $XDG_RUNTIME_DIR/pandora and reloads the user's manager.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

# as_user COMMAND...: runs a command in the box with root's user-manager environment.
as_user() {
    sandbox_run env XDG_RUNTIME_DIR=/run/user/0 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/0/bus "$@"
}

tap_plan 11
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

sandbox_run mkdir -p /root/.config/pandora /srv/blog
printf 'dir = "/srv/blog";\nautostart = true;\nfork = { site = "/bin/sleep infinity"; };\n' |
    sandbox_write /root/.config/pandora/blog.procfile
tap_ok "root's user manager starts" sandbox_run systemctl start user@0.service
tap_is "$(as_user systemctl --user list-unit-files --no-legend 'blog*' | awk '{print $1 " " $2}' | tr '\n' ' ')" \
    "blog-down.service generated blog-site@.service generated blog-up.service generated blog.target generated " \
    "the user generator reads ~/.config/pandora"
tap_is "$(as_user systemctl --user show -p WantedBy --value blog.target)" "default.target" \
    "autostart links the app from default.target"

printf 'app = "notes";\nfork = { editor = "/bin/sleep infinity"; };\n' | sandbox_write /srv/blog/procfile
out=$(as_user pandora-gen --user /srv/blog/procfile 2>&1) || true
tap_diag "$out"
tap_ok "pandora-gen --user installs into \$XDG_RUNTIME_DIR/pandora" \
    sandbox_run test -f /run/user/0/pandora/notes.procfile
tap_ok "it names the user's next command" grep -qx 'next: systemctl --user start notes.target' <<<"$out"
tap_ok "without linger it says how to keep the app running after logout" \
    grep -qF "loginctl enable-linger root" <<<"$out"
tap_ok "systemctl --user start notes.target" as_user systemctl --user start notes.target
tap_is "$(as_user systemctl --user show -p ActiveState --value notes-editor@1.service)" "active" \
    "the instance runs under the user's manager"
as_user pandora-gen --user --remove notes >/dev/null
tap_is "$(as_user systemctl --user list-units --all --no-legend --plain 'notes*' | wc -l)" "0" \
    "pandora-gen --user --remove takes it away"

printf 'app = "anon";\nprocesses = {\n  web = { entry = "/bin/sleep infinity"; dynamic_user = true; };\n};\n' |
    sandbox_write /srv/anon/procfile
out=$(as_user pandora-gen --user /srv/anon/procfile 2>&1) && status=0 || status=$?
tap_is "$status:$out" "1:pandora-gen: /srv/anon/procfile:3: processes.web.dynamic_user: only the system manager can run a process as a dynamic user, not --user" \
    "dynamic_user is refused in a --user install, with file:line:setting"
tap_done
