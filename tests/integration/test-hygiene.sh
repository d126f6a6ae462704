#!/bin/bash
# The box leaves the host as it found it: the host's /tmp survives even systemd-tmpfiles run in the
# box, nothing the box writes shows on the host, and after sandbox_destroy there is no mount,
# cgroup, process or state directory left. A box booted on the real root once emptied the host's
# /tmp; this test is there so that it cannot happen unnoticed again.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

token=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
marker=$(mktemp /tmp/pandora-hygiene.XXXXXX)
echo "$token" >"$marker"
trap 'rm -f -- "$marker"' EXIT

mounts_before=$(cat /proc/self/mountinfo)
dev_before=$(ls -A /dev)

# procs_in_ns NS: PIDs of the host's processes whose PID namespace is NS (a readlink of ns/pid).
procs_in_ns() {
    local p
    for p in /proc/[0-9]*; do
        if [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$1" ]]; then
            echo "${p#/proc/}"
        fi
    done
}

tap_plan 16
tap_ok "the box boots" sandbox_boot
# sandbox_boot put sandbox_destroy in the EXIT trap; keep removing the marker too.
trap 'sandbox_destroy; rm -f -- "$marker"' EXIT
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"
box_pidns=$(readlink "/proc/$SANDBOX_PID/ns/pid")
box_pid=$SANDBOX_PID
box_dir=$SANDBOX_DIR
box_cgroup=$SANDBOX_CGROUP

# What emptied the host's /tmp, on purpose this time; it must only reach the box's own /tmp.
tap_ok "systemd-tmpfiles --create --remove --boot runs in the box" \
    sandbox_run systemd-tmpfiles --create --remove --boot
tap_ok "the box does not see the host's /tmp" sandbox_run test ! -e "$marker"
canaries=("/pandora-canary-$token" "/etc/pandora-canary-$token" "/tmp/pandora-canary-$token")
# shellcheck disable=SC2016 # expanded by the shell in the box
tap_ok "writes in the box's /, /etc and /tmp" sandbox_run sh -c \
    'for f; do echo canary >"$f" || exit; done' sh "${canaries[@]}"
tap_ok "the box's writes stay in the box" \
    test ! -e "${canaries[0]}" -a ! -e "${canaries[1]}" -a ! -e "${canaries[2]}"
tap_is "$(cat /proc/self/mountinfo)" "$mounts_before" "the box's mounts are not visible on the host"
tap_is "$(ls -A /dev)" "$dev_before" "the box's /dev is not the host's (no /dev/log or the like)"

tap_ok "sandbox_destroy" sandbox_destroy
tap_is "$(cat "$marker" 2>&1)" "$token" "the marker in the host's /tmp survived"
tap_is "$(cat /proc/self/mountinfo)" "$mounts_before" "no mount left behind"
tap_is "$(ls -A /dev)" "$dev_before" "nothing left in the host's /dev"
tap_ok "no cgroup left behind ($box_cgroup)" test ! -e "$box_cgroup"
tap_is "$(procs_in_ns "$box_pidns")" "" "no process left in the box's PID namespace"
tap_ok "the box's PID 1 ($box_pid) is gone" test ! -e "/proc/$box_pid"
tap_ok "no state directory left behind ($box_dir)" test ! -e "$box_dir"
tap_ok "sandbox_destroy again is a no-op" sandbox_destroy
tap_done
