#!/usr/bin/env bash
# Generator mode over a search path (issue 19, findings 2 and 6), without systemd: pandora-gen invoked as
# pandora-generator reads $PANDORA_PROCFILE_DIRS. Two procfiles whose units share a name (app "a" with
# process "b-c", app "a-b" with process "c": both make a-b-c@.service) are both skipped, the pair named
# once; a FIFO or a directory named *.procfile is skipped at once with a message instead of blocking the
# generator; every other app is still generated; the exit status says something failed.
# Usage: test-search-path.sh PANDORA_GEN   (TAP; scratch under $MESON_BUILD_ROOT)
set -uo pipefail

gen=$(realpath "$1")
scratch=$(mktemp -d "${MESON_BUILD_ROOT:-$PWD}/search-path.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
unset SYSTEMD_SCOPE DEFAULT_WORKER_COUNT
export PANDORA_AGENT_PATH=/usr/bin/pandora-agent PANDORA_PROCFILE_DIRS=$scratch/etc:$scratch/run
mkdir -p "$scratch/etc" "$scratch/run" "$scratch/bin" "$scratch/out"
ln -s "$gen" "$scratch/bin/pandora-generator"

# shellcheck source-path=SCRIPTDIR source=tap.sh
source "$(dirname "$0")/tap.sh"

printf 'app = "a";\nprocesses = { b-c = { entry = "w"; scale = 2; }; };\n' >"$scratch/run/a.procfile"
printf 'processes = { c = { entry = "w"; }; };\n' >"$scratch/run/a-b.procfile"
printf 'processes = { web = { entry = "w"; }; };\n' >"$scratch/etc/shop.procfile"
printf 'processes = { web = { entry = "w"; }; };\n' >"$scratch/run/zz.procfile"
mkfifo "$scratch/run/fifo.procfile"
mkdir "$scratch/etc/dir.procfile"

status=0
timeout 10 "$scratch/bin/pandora-generator" "$scratch/out" 2>"$scratch/stderr" || status=$?
sed 's/^/# /' "$scratch/stderr"
check "the generator exits 1 (not 124: nothing blocked it)" test "$status" = 1
check "the colliding pair is named once" test "$(grep -cF "$scratch/run/a-b.procfile and $scratch/run/a.procfile both make a-b-c@.service: generating neither, ignoring both" "$scratch/stderr")" = 1
check "the FIFO is skipped with a message" grep -qxF "pandora-generator: $scratch/run/fifo.procfile: not a regular file, ignoring" "$scratch/stderr"
check "the directory is skipped with a message" grep -qxF "pandora-generator: $scratch/etc/dir.procfile: not a regular file, ignoring" "$scratch/stderr"
check "nothing else is reported" test "$(wc -l <"$scratch/stderr")" = 3
# generated FILE...: the output directory holds each; none_of PATTERN: it holds nothing of that name.
generated() { for f in "$@"; do [ -e "$scratch/out/$f" ] || { echo "# no $f"; return 1; }; done; }
none_of() { [ -z "$(cd "$scratch/out" && find . -name "$1")" ] || { echo "# found $1"; return 1; }; }
check "the others are generated" generated shop.target shop-web@.service shop.target.wants/shop-web@1.service \
    zz.target zz-web@.service zz.target.wants/zz-web@1.service
check "neither of the pair is generated" none_of 'a-b*'
check "nor anything else of app a" none_of 'a.*' 

# Without the pair, everything is generated and the exit status is 0 (the FIFO is only a message).
rm -rf "$scratch/out" "$scratch/run/a-b.procfile" "$scratch/etc/dir.procfile"
mkdir "$scratch/out"
status=0
timeout 10 "$scratch/bin/pandora-generator" "$scratch/out" 2>"$scratch/stderr" || status=$?
check "without the pair the generator exits 0" test "$status" = 0
check "and generates app a" generated a-b-c@.service a.target

echo "1..$n"
exit $failed
