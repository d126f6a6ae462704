#!/bin/bash
# The box itself: systemd 252 comes up as PID 1 of its namespaces, knows it is in a container, and
# answers on the bus. Everything else in the integration suite stands on this.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"

tap_plan 7
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

tap_is "$(sandbox_run systemctl is-system-running)" running "systemctl is-system-running says running"
tap_is "$(sandbox_run cat /proc/1/comm)" systemd "PID 1 in the box is systemd"
# container=pandora-sandbox is not a name systemd knows, hence "container-other"; what matters is
# that it detects a container, so that units with ConditionVirtualization=!container stay off.
tap_is "$(sandbox_run systemd-detect-virt --container || true)" container-other \
    "systemd-detect-virt -c sees a container"
tap_is "$(sandbox_run cat /run/systemd/container)" pandora-sandbox \
    "PID 1 took container= from its environment"
tap_is "$(sandbox_run systemctl list-units --failed --no-legend --plain)" "" "no unit failed"
# Goes through dbus.socket, so this also checks that the system bus gets activated.
tap_is "$(sandbox_run busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1 \
    org.freedesktop.systemd1.Manager Virtualization)" 's "container-other"' \
    "busctl reaches systemd over the system bus"
tap_done
