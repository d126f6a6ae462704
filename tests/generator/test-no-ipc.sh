#!/usr/bin/env bash
# The generator does no IPC (systemd.generator(7)): the library that generator mode runs on
# (generator/, built by meson without libsystemd) must neither include a <systemd/...> header nor
# reference any sd_* symbol, and the command line's library (cli/), which does talk to systemd, must.
# Usage: test-no-ipc.sh LIBPANDORA_GENERATOR LIBPANDORA_CLI SOURCE_ROOT
set -uo pipefail

generator_lib=$1 cli_lib=$2 source_root=$3
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '# %s\n' "$2"; }

undefined() { nm --undefined-only "$1" | awk '$1 == "U" { print $2 }' | sort -u; }

defined=$(nm --defined-only "$generator_lib")
if grep -q ' T generator_run$' <<<"$defined"; then
    ok "the generator library defines generator_run"
else
    not_ok "the generator library defines generator_run"
fi

sd=$(undefined "$generator_lib" | grep '^sd_' | tr '\n' ' ')
if [ -z "$sd" ]; then
    ok "the generator library references no sd_* symbol"
else
    not_ok "the generator library references no sd_* symbol" "found: $sd"
fi

headers=$(grep -rln '#include <systemd/' "$source_root/generator" "$source_root/common" 2>/dev/null | tr '\n' ' ')
if [ -z "$headers" ]; then
    ok "generator/ and common/ include no <systemd/...> header"
else
    not_ok "generator/ and common/ include no <systemd/...> header" "found in: $headers"
fi

# The check above must be able to see a bus call where there is one: the command line has them.
cli_undefined=$(undefined "$cli_lib")
if grep -qx 'sd_bus_call_method' <<<"$cli_undefined"; then
    ok "the command line's library does call sd-bus (the check sees bus calls)"
else
    not_ok "the command line's library does call sd-bus (the check sees bus calls)"
fi

echo "1..$n"
exit $failed
