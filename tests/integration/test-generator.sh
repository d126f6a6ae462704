#!/bin/bash
# pandora-gen as a real systemd generator: installed by `meson install` into the box's generator
# directory, it turns /etc/pandora/*.procfile into units at daemon-reload. A bad procfile is skipped
# and the good ones are still generated; the procfile's env (GREETING, with %, quotes, a backslash, $
# and a newline) stays out of the unit systemd loaded: test-secrets checks it reaches the app.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

golden=$(cd "$(dirname "$0")/../generator/golden/shop" && pwd)

# environment_of UNIT: the unit's Environment= list from systemd over the bus, as JSON.
environment_of() {
    local path
    path=$(sandbox_run busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
        org.freedesktop.systemd1.Manager LoadUnit s "$1" | cut -d'"' -f2)
    sandbox_run busctl get-property --json=short org.freedesktop.systemd1 "$path" \
        org.freedesktop.systemd1.Service Environment
}

# only_pandoras JSON: whether the list holds pandora's own variables and nothing else.
# shellcheck disable=SC2317 # called through tap_ok
only_pandoras() {
    python3 -c '
import json, sys
env = json.loads(sys.argv[1])["data"]
print("Environment=", env, file=sys.stderr)
sys.exit(0 if env and all(e.startswith("PANDORA_") for e in env) else 1)
' "$1"
}

tap_plan 10
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

tap_ok "the generator is installed" sandbox_run test -x /usr/local/lib/systemd/system-generators/pandora-generator
tap_ok "write /etc/pandora/shop.procfile" sandbox_write /etc/pandora/shop.procfile <"$golden/procfile"
printf 'processes = { broken = { scale = -1; }; };\n' | sandbox_write /etc/pandora/broken.procfile
# No `app`: the generator names it after the file.
printf 'dir = "/srv/blog";\nfork = { site = "/bin/sleep 1000"; };\n' | sandbox_write /etc/pandora/blog.procfile
tap_ok "systemctl daemon-reload" sandbox_run systemctl daemon-reload

units=$(sandbox_run systemctl list-unit-files --no-legend 'shop*' | awk '{print $1 " " $2}' | LC_ALL=C sort)
tap_is "$units" "$(printf '%s\n' 'shop-background@.service generated' 'shop-down.service generated' \
    'shop-up.service generated' 'shop-web@.service generated' \
    'shop-web@.socket generated' 'shop.target generated')" "the app's units are generated"
tap_is "$(sandbox_run systemctl show -p Wants --value shop.target | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "shop-background@1.service shop-web@1.service shop-web@1.socket shop-web@2.service shop-web@2.socket shop-web@3.service shop-web@3.socket " \
    "shop.target wants every instance and each one's socket"
tap_is "$(sandbox_run systemctl list-unit-files --no-legend 'broken*' | wc -l)" "0" \
    "the broken procfile gets no units"
tap_is "$(sandbox_run systemctl list-unit-files --no-legend 'blog*' | awk '{print $1}' | LC_ALL=C sort | tr '\n' ' ')" \
    "blog-down.service blog-site@.service blog-up.service blog.target " "a procfile without app is named after its file"

env_json=$(environment_of shop-web@2.service)
tap_ok "PANDORA_INSTANCE is the instance" grep -q '"PANDORA_INSTANCE=2"' <<<"$env_json"
tap_ok "the procfile's env is not in the unit" only_pandoras "$env_json"
tap_done
