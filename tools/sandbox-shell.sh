#!/usr/bin/env bash
# An interactive shell inside the project's systemd sandbox (tests/integration/sandbox.sh) with a
# build of pandora installed, for what needs a running systemd where there is none: `pandora-gen
# --dev`, installing an app, systemctl and journalctl. The box goes away when the shell exits.
#
# Usage: sudo tools/sandbox-shell.sh
# Environment: PANDORA_BUILD_DIR (default: build/), set up with meson when missing and compiled.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${PANDORA_BUILD_DIR:-$source_dir/build}

if [[ $EUID -ne 0 ]]; then
    echo "sandbox-shell: run as root (sudo tools/sandbox-shell.sh): the box needs namespaces" >&2
    exit 1
fi
[[ -d $build_dir/meson-private ]] || meson setup "$build_dir" "$source_dir" >/dev/null
meson compile -C "$build_dir" >/dev/null

# sandbox_boot installs the build in MESON_BUILD_ROOT into the box and binds both trees read-only.
export MESON_BUILD_ROOT=$build_dir MESON_SOURCE_ROOT=$source_dir
unset PANDORA_STAGE
# shellcheck source-path=SCRIPTDIR source=../tests/integration/sandbox.sh
source "$source_dir/tests/integration/sandbox.sh"
sandbox_boot || { echo "sandbox-shell: the box did not boot (see above)" >&2; exit 1; }

cat >&2 <<EOF_HINT
sandbox-shell: a systemd box with this build installed; it goes away when the shell exits.
sandbox-shell: $source_dir is read-only here; copy an app to edit it, for example:
    cp -r $source_dir/examples/full /srv/full && pandora-gen --dev /srv/full/procfile
EOF_HINT
status=0
sandbox_run bash -l || status=$?
exit "$status"
