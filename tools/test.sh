#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: installs what is missing, builds from scratch with
# warnings as errors, then runs
#   1. the unit suite (cmocka),
#   2. the integration suite (a real systemd booted as PID 1 of fresh namespaces; needs root),
#   3. the unit suite under valgrind,
#   4. the benchmarks at their smoke sizes (they must run; their numbers never fail),
#   5. the unit suite built with ASan and UBSan.
# Ends with one line "N passed, N failed" and a non-zero exit status on any failure.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_root=${PANDORA_TEST_BUILD_ROOT:-$source_dir/build-test}
cd "$source_dir"

"$source_dir/tools/install-deps.sh"

passed=0
failed=0
failures=()

# Adds the subtest counts of the meson test log $1 to the totals.
count_results() {
    local log=$1 counts
    [ -n "$log" ] && [ -f "$log" ] || return 0
    counts=$(python3 - "$log" <<'PY'
import json, re, sys
# Counts TAP subtests (every test here speaks TAP); a test without any counts as one.
ok = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    out = r.get("stdout") or ""
    good = len(re.findall(r"^ok ", out, re.M))
    failed = len(re.findall(r"^not ok ", out, re.M))
    if good + failed == 0:
        good, failed = (1, 0) if r["result"] in ("OK", "EXPECTEDFAIL", "SKIP") else (0, 1)
    elif r["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") and failed == 0:
        failed = 1
    ok += good
    bad += failed
print(ok, bad)
PY
)
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
}

# Runs one stage: NAME BUILD_DIR MESON_TEST_ARGS...; each stage logs to a file of its own.
stage() {
    local name=$1 dir=$2 logbase
    shift 2
    logbase=stage-${name//[^a-zA-Z0-9]/-}
    echo "=== $name"
    if ! meson test -C "$dir" --print-errorlogs --logbase "$logbase" "$@"; then
        failures+=("$name")
    fi
    # meson appends the setup name (stage-x-valgrind.json) when --setup is given.
    count_results "$(ls "$dir/meson-logs/$logbase"*.json 2>/dev/null | head -n 1)"
}

rm -rf "$build_root"
mkdir -p "$build_root"

meson setup "$build_root/default" --werror
meson compile -C "$build_root/default"
stage "unit and generator" "$build_root/default" --suite unit --suite generator
if [ "$(id -u)" -eq 0 ]; then
    stage "integration" "$build_root/default" --suite integration
else
    echo "=== integration: needs root (it boots systemd in fresh namespaces)" >&2
    failures+=("integration (not root)")
fi
stage "unit under valgrind" "$build_root/default" --suite unit --setup valgrind

# The benchmarks are not tests (no number fails CI), but their tiny sizes run here so the suite keeps
# working.
echo "=== bench/run --smoke"
if [ "$(id -u)" -eq 0 ] && PANDORA_BUILD_DIR="$build_root/default" "$source_dir/bench/run" --smoke \
        >"$build_root/bench-smoke.log" 2>&1; then
    passed=$((passed + 1))
else
    echo "bench/run --smoke failed; see $build_root/bench-smoke.log" >&2
    tail -n 20 "$build_root/bench-smoke.log" >&2 || true
    failed=$((failed + 1))
    failures+=("bench smoke")
fi

meson setup "$build_root/sanitize" --werror -Db_sanitize=address,undefined -Db_lundef=false \
    -Dman=disabled
meson compile -C "$build_root/sanitize"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 stage "unit under ASan+UBSan" "$build_root/sanitize" --suite unit

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed stages: ${failures[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ] && [ "$failed" -eq 0 ]
