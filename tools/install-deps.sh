#!/usr/bin/env bash
# Installs the Debian 12 packages pandora needs to build, test and run its demo. Idempotent: it only
# calls apt-get when something is missing, so the test and demo commands can always run it first.
set -euo pipefail

packages=(
    # build
    gcc libc6-dev pkg-config meson ninja-build
    libsystemd-dev libconfig-dev libcmocka-dev
    # man pages
    scdoc mandoc man-db
    # tests: the real-systemd sandbox and what the tests drive it with
    systemd dbus dbus-user-session util-linux procps python3 curl valgrind
    prometheus  # test-exporter.sh: promtool, and a Prometheus server that scrapes pandora-exporter
    # test-listen.sh: Express's hello world, unmodified, with Debian's Express
    node-express node-bunyan node-winston
)
# The examples and the demo are Node.js apps; a machine with its own node (nodesource, nvm) keeps it.
command -v node >/dev/null || packages+=(nodejs)
# test-listen.sh runs an app through `npm start`; nodesource's nodejs brings npm, Debian's does not.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (sudo) to install them" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's prometheus package enables and starts a server on :9090; the tests run their own in the
# sandbox, so a host with systemd gets it back off when this script installed it.
if [[ " ${missing[*]} " == *" prometheus "* && "$(cat /proc/1/comm 2>/dev/null)" == systemd ]]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
