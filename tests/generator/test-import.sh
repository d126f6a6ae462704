#!/usr/bin/env bash
# pandora-gen --import (issue 16, item 5), without systemd: import/procfile.js, a Pandora.js procfile using
# every part of the API (processes, fork, cluster, scale, env, args, nodeArgs, order, services with
# dependencies and config, a pandora.dev branch, calls the API does not have) must become exactly
# import/expected.procfile, which pandora-gen --dry-run then takes without a word; a procfile.js that
# throws or does not parse is reported with its file, line and Node's message; without node in PATH,
# --import says so; a conversion the loader refuses is not printed; and a procfile.js handed to any
# other mode is recognised and the conversion named. The cases that run Node.js are skipped without it.
# Usage: test-import.sh PANDORA_GEN              (TAP; scratch under $MESON_BUILD_ROOT)
#        test-import.sh --update PANDORA_GEN     (rewrites import/expected.procfile)
set -uo pipefail

update=false
if [ "${1:-}" = --update ]; then update=true; shift; fi
gen=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
export PANDORA_IMPORT_SCRIPT=${PANDORA_IMPORT_SCRIPT:-$here/../../cli/import/recorder.js}
scratch=$(mktemp -d "${MESON_BUILD_ROOT:-$PWD}/import.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
unset SYSTEMD_SCOPE PANDORA_DEV
export DEFAULT_WORKER_COUNT=2 PANDORA_AGENT_PATH=/usr/bin/pandora-agent
mkdir -p "$scratch/nobin"

# shellcheck source-path=SCRIPTDIR source=tap.sh
source "$(dirname "$0")/tap.sh"
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP no node in PATH"; }
# is FILE TEXT: FILE holds exactly TEXT (and a newline), else the difference is shown.
is() { diff -u <(printf '%s\n' "$2") "$1" | sed 's/^/# /' && [ "${PIPESTATUS[0]}" = 0 ]; }
empty() { [ ! -s "$1" ] || { sed 's/^/# /' "$1"; return 1; }; }
# run ARGS...: pandora-gen's stdout, stderr and exit status in $scratch/{out,err} and $status.
run() { status=0; "$gen" "$@" >"$scratch/out" 2>"$scratch/err" || status=$?; }

cp -r "$here/import" "$scratch/shop"
rm -f "$scratch/shop/expected.procfile"
js=$scratch/shop/procfile.js
have_node=false
command -v node >/dev/null && have_node=true

if $update; then
    $have_node || { echo "node is needed for --update" >&2; exit 1; }
    "$gen" --import "$js" >"$here/import/expected.procfile" || exit 1
    echo "rewrote $here/import/expected.procfile" >&2
    exit 0
fi

# The realistic procfile.js, converted; then what was printed, saved as its procfile, loads.
if $have_node; then
    run --import "$js"
    check "--import exits 0" test "$status" = 0
    check "--import prints nothing on stderr" empty "$scratch/err"
    check "--import prints exactly import/expected.procfile" \
        is "$scratch/out" "$(cat "$here/import/expected.procfile")"
    cp "$scratch/out" "$scratch/shop/procfile"
    run --dry-run "$scratch/shop/procfile"
    check "the conversion loads with --dry-run, exit 0" test "$status" = 0
    check "... with nothing on stderr" empty "$scratch/err"
    check "... and makes the app's units" grep -qx -e '---shop-web@.service---' "$scratch/out"
    check "... for every process that starts" test "$(grep -c '^---shop-.*@.service---$' "$scratch/out")" = 5
else
    for d in "--import exits 0" "--import prints nothing on stderr" "--import prints exactly import/expected.procfile" \
        "the conversion loads with --dry-run, exit 0" "... with nothing on stderr" "... and makes the app's units" \
        "... for every process that starts"; do skip "$d"; done
fi

# procfile.js throwing, or not JavaScript Node.js can parse: the file, the line, Node's message.
printf 'module.exports = function (pandora) {\n  pandora.fork("web", "./web.js");\n  throw new Error("no database configured");\n};\n' \
    >"$scratch/throws.js"
printf 'module.exports = function (pandora) {\n  pandora.fork("web", "./web.js"\n};\n' >"$scratch/broken.js"
printf 'module.exports = function (pandora) {\n  pandora.process("web").entry("./web.js").scale(5000);\n};\n' \
    >"$scratch/toobig.js"
printf 'console.log("loaded");\nmodule.exports = function (pandora) {\n  pandora.fork("web.v2", "./web.js");\n};\n' \
    >"$scratch/badname.js"
if $have_node; then
    run --import "$scratch/throws.js"
    check "a procfile.js that throws: exit 1" test "$status" = 1
    check "... nothing on stdout" empty "$scratch/out"
    check "... the file, the line and Node's message" \
        is "$scratch/err" "pandora-gen: $scratch/throws.js:3: Node.js: Error: no database configured"
    run --import "$scratch/broken.js"
    check "a procfile.js Node.js can't parse: exit 1, its line and Node's message" \
        is "$scratch/err" "pandora-gen: $scratch/broken.js:2: Node.js: SyntaxError: missing ) after argument list"
    run --import "$scratch/toobig.js"
    check "a conversion the loader refuses: exit 1" test "$status" = 1
    check "... nothing on stdout" empty "$scratch/out"
    check "... the loader's message" \
        is "$scratch/err" "pandora-gen: $scratch/toobig.js (converted):7: processes.web.scale: must be at most 1000"
    run --import "$scratch/badname.js"
    check "a name pandora can't take: exit 1, what to rename, procfile.js's own output on stderr" \
        is "$scratch/err" "loaded
pandora-gen: $scratch/badname.js: process 'web.v2': a pandora name starts with a letter and holds only letters, digits, '-' and '_'; rename it in procfile.js"
else
    for d in "a procfile.js that throws: exit 1" "... nothing on stdout" "... the file, the line and Node's message" \
        "a procfile.js Node.js can't parse: exit 1, its line and Node's message" "a conversion the loader refuses: exit 1" \
        "... nothing on stdout" "... the loader's message" \
        "a name pandora can't take: exit 1, what to rename, procfile.js's own output on stderr"; do skip "$d"; done
fi

# Without node in PATH (this needs no node at all).
status=0
PATH=$scratch/nobin "$gen" --import "$js" >"$scratch/out" 2>"$scratch/err" || status=$?
check "no node in PATH: exit 1" test "$status" = 1
check "... nothing on stdout" empty "$scratch/out"
check "... the message" is "$scratch/err" \
    "pandora-gen: $js: --import runs it with Node.js, and there is no 'node' in \$PATH; install Node.js (only --import needs it)"

# procfile.js handed to the other modes: recognised, with the command that converts it (as typed).
recognised="this is a Pandora.js procfile (JavaScript); convert it with:"
cd "$scratch/shop" || exit 1
run --dry-run procfile.js
check "--dry-run procfile.js: exit 1" test "$status" = 1
check "... recognised, the conversion named" is "$scratch/err" \
    "pandora-gen: $js: $recognised pandora-gen --import procfile.js > procfile"
run procfile.js
check "installing procfile.js: recognised before anything is installed, exit 1" \
    is "$scratch/err" "pandora-gen: $js: $recognised pandora-gen --import procfile.js > procfile"
run --output "$scratch/units" "$js"
check "--output with an absolute path: the procfile goes next to it" \
    is "$scratch/err" "pandora-gen: $js: $recognised pandora-gen --import $js > $scratch/shop/procfile"
check "... and nothing is written" test ! -e "$scratch/units"
cp procfile.js "$scratch/shop's.procfile"
run --dry-run "../shop's.procfile"
check "a procfile.js under another name, by its text; the names quoted for the shell" is "$scratch/err" \
    "pandora-gen: $scratch/shop's.procfile: $recognised pandora-gen --import '../shop'\\''s.procfile' > ../procfile"
printf 'app = "shop";\nprocesses = { web = { entry = ; }; };\n' >"$scratch/plain.procfile"
run --dry-run "$scratch/plain.procfile"
check "a libconfig syntax error stays one" is "$scratch/err" "pandora-gen: $scratch/plain.procfile:2: syntax error"

echo "1..$n"
exit $failed
