# shellcheck shell=bash
# tap.sh: the TAP results of the generator's shell tests (sourced; not a test itself). Each test
# prints its plan, calls check for each result, and ends with `exit $failed`.
n=0 failed=0

# check DESCRIPTION CMD...: one result, "ok" when CMD succeeds.
check() {
    local d=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; failed=1; fi
}
