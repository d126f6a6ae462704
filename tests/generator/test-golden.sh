#!/usr/bin/env bash
# Golden-directory tests for pandora-gen: for every golden/<case>/procfile, `pandora-gen --output` must
# produce exactly golden/<case>/expected/ (file list, contents, symlink targets). Paths that depend on
# the checkout and the install prefix are written as @CASE@ and @AGENT@ in the expectations.
# Usage: test-golden.sh PANDORA_GEN AGENT_PATH   (TAP output)
#        test-golden.sh --update PANDORA_GEN AGENT_PATH   rewrites the expectations
set -euo pipefail

update=false
if [ "${1:-}" = "--update" ]; then
    update=true
    shift
fi
gen=$1
agent=$2
# The agent path under test is the one given here, not a developer's override.
unset PANDORA_AGENT_PATH
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${MESON_BUILD_ROOT:-$PWD}/golden.XXXXXX")
trap 'rm -rf "$work"' EXIT

cases=("$here"/golden/*/)
echo "1..${#cases[@]}"
n=0
status=0
for dir in "${cases[@]}"; do
    dir=${dir%/}
    name=${dir##*/}
    n=$((n + 1))
    out=$work/$name
    if ! "$gen" --output "$out" "$dir/procfile" 2>"$work/$name.stderr"; then
        echo "not ok $n - $name: pandora-gen failed"
        sed 's/^/# /' "$work/$name.stderr"
        status=1
        continue
    fi
    find "$out" -type f -exec sed -i -e "s|$dir|@CASE@|g" -e "s|$agent|@AGENT@|g" {} +
    if $update; then
        rm -rf "$dir/expected"
        cp -a "$out" "$dir/expected"
    fi
    if diff -ru --no-dereference "$dir/expected" "$out" >"$work/$name.diff"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name: output differs from golden/$name/expected"
        sed 's/^/# /' "$work/$name.diff"
        status=1
    fi
done
exit $status
