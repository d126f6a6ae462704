#!/bin/sh
# SPDX-License-Identifier: MIT
# The full example's weak-all service: one line every 10 seconds from every process that runs it.
# SIGTERM ends the sleep as well, so nothing is left for systemd to kill.
trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
while :; do
    sleep 10 &
    sleeper=$!
    wait "$sleeper"
    echo "heartbeat from $PANDORA_PROCESS.$PANDORA_INSTANCE"
done
