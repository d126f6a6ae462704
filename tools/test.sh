#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: installs what is missing, builds from scratch with
# warnings as errors, then runs
#   1. the unit suite (cmocka),
#   2. the integration suite (a real systemd booted as PID 1 of fresh namespaces; needs root),
#   3. the unit suite under valgrind,
#   4. the unit suite built with ASan and UBSan.
# Ends with one line "N passed, N failed" and a non-zero exit status on any failure.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_root=${PANDORA_TEST_BUILD_ROOT:-$source_dir/build-test}
cd "$source_dir"

"$source_dir/tools/install-deps.sh"

passed=0
failed=0
failures=()

# Adds the counts of the meson test log of build dir $1 to the totals.
count_results() {
    local log=$1/meson-logs/testlog.json counts
    [ -f "$log" ] || return 0
    counts=$(python3 - "$log" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += 1
    else:
        bad += 1
print(ok, bad)
PY
)
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
}

# Runs one stage: NAME BUILD_DIR MESON_TEST_ARGS...
stage() {
    local name=$1 dir=$2
    shift 2
    echo "=== $name"
    if ! meson test -C "$dir" --print-errorlogs "$@"; then
        failures+=("$name")
    fi
    count_results "$dir"
}

rm -rf "$build_root"
mkdir -p "$build_root"

meson setup "$build_root/default" --werror >/dev/null
meson compile -C "$build_root/default"
stage "unit" "$build_root/default" --suite unit
if [ "$(id -u)" -eq 0 ]; then
    stage "integration" "$build_root/default" --suite integration
else
    echo "=== integration: needs root (it boots systemd in fresh namespaces)" >&2
    failures+=("integration (not root)")
fi
stage "unit under valgrind" "$build_root/default" --suite unit --setup valgrind

meson setup "$build_root/sanitize" --werror -Db_sanitize=address,undefined -Db_lundef=false \
    -Dman=disabled >/dev/null
meson compile -C "$build_root/sanitize"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 stage "unit under ASan+UBSan" "$build_root/sanitize" --suite unit

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed stages: ${failures[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ] && [ "$failed" -eq 0 ]
