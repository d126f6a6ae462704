#!/bin/bash
# Runs as PID 1 of the fresh namespaces that sandbox.sh creates with unshare(1), builds the box's
# root file system and execs systemd into it. Never run it by hand: every mount it makes is only
# harmless because it lives in a private mount namespace that dies with the box.
#
# Usage: sandbox-init.sh STATE_DIR NAME CGROUP
#   STATE_DIR  host directory owned by this box; its "fs" subdirectory is the mount point of the
#              tmpfs holding the overlay's upper layer
#   NAME       box name, used as its hostname (the container= value is always pandora-sandbox)
#   CGROUP     host path of the empty cgroup2 directory that becomes the box's cgroup root
# Environment: PANDORA_STAGE (optional `meson install --destdir` tree copied into the root),
#              MESON_BUILD_ROOT / MESON_SOURCE_ROOT (optional, bound read-only at the same path).
set -euo pipefail
# set -e alone exits silently; say where, into console.log, which sandbox_boot shows on failure.
trap 'echo "sandbox-init.sh: line $LINENO: exit status $?" >&2' ERR

state=$1
name=$2
cgroup=$3
layers=$state/fs
root=$layers/root

# Enter the box's cgroup, then make it the root of a new cgroup namespace, so that systemd finds
# itself alone at the top of its tree. Doing it here rather than before unshare(1) --fork leaves
# unshare and script(1), which stay in the host's PID namespace, in a sibling cgroup: in the box's
# root they would be processes systemd cannot move, and would keep it from enabling controllers.
if [[ -z ${_SANDBOX_CGROUPNS:-} ]]; then
    echo $$ >"$cgroup/cgroup.procs"
    _SANDBOX_CGROUPNS=1 exec unshare --cgroup "$0" "$@"
fi

# Tell sandbox.sh our PID as the host sees it: the host's /proc is still mounted here, and the
# shell's own redirection (no fork) makes /proc/self this very process, about to become systemd.
while read -r key value; do
    if [[ $key == NSpid: ]]; then
        echo "${value%%[[:space:]]*}" >"$state/pid.new"
        mv "$state/pid.new" "$state/pid"
    fi
done </proc/self/status

# Everything the box changes must land in memory: systemd-tmpfiles-setup of a box booted on the
# real root empties the host's /tmp. The overlay shows the host's / read-only underneath and sends
# every write to the tmpfs, which vanishes with this mount namespace.
mount -t tmpfs -o mode=0755 "$name" "$layers"
mkdir "$layers/upper" "$layers/work" "$root"
mount -t overlay -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" overlay "$root"

# The box's own network namespace starts with the kernel's datagram queue of 10, which a systemd host
# never has: PID 1 raises it to 512 as it boots, but cannot in the box, whose /proc/sys is read-only
# (below). journald's native socket and the agent's statsd socket queue with it. The setting is per
# network namespace: the host's stays what it is.
echo 512 >/proc/sys/net/unix/max_dgram_qlen

# A /proc of the new PID namespace; /proc/sys read-only so that nothing in the box (procps.service,
# systemd-sysctl, ...) can change the host kernel's settings. Units that write there are skipped by
# their own ConditionPathIsReadWrite=/proc/sys, which is how systemd expects a container to look.
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
for p in sys sysrq-trigger; do
    [[ -e $root/proc/$p ]] || continue   # no sysrq-trigger without CONFIG_MAGIC_SYSRQ
    mount --bind "$root/proc/$p" "$root/proc/$p"
    mount -o remount,bind,ro "$root/proc/$p"
done

# A read-only sysfs (the udev units are conditioned on a writable /sys) with the box's own cgroup2
# on top: thanks to the cgroup namespace its root is the directory sandbox.sh made for this box.
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$root/sys/fs/cgroup"

# A private /dev with a few device nodes, like systemd-nspawn's: a bind of the host's /dev would
# let the box create /dev/log (systemd-journald-dev-log.socket's Symlinks=) and the like on the
# host's devtmpfs. No /dev/kmsg on purpose, so nothing in the box writes to the host's kernel log.
mount -t tmpfs -o mode=0755,nosuid,size=4m dev "$root/dev"
mknod -m 0666 "$root/dev/null" c 1 3
mknod -m 0666 "$root/dev/zero" c 1 5
mknod -m 0666 "$root/dev/full" c 1 7
mknod -m 0666 "$root/dev/random" c 1 8
mknod -m 0666 "$root/dev/urandom" c 1 9
mknod -m 0666 "$root/dev/tty" c 5 0
mkdir -m 0755 "$root/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mkdir -m 1777 "$root/dev/shm"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
# The console is the pseudo-terminal that sandbox.sh runs us on (through script(1), which copies it
# into console.log): systemd in a container logs there until journald is up, and whatever cannot
# reach the journal later (a dying PID 1, units with StandardOutput=tty) goes there too.
if console=$(tty); then
    touch "$root/dev/console"
    mount --bind "$console" "$root/dev/console"
fi

mount -t tmpfs -o mode=0755,nosuid,nodev run "$root/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$root/tmp"

# The build and source trees read-only at their own paths, so a test can run an uninstalled binary
# from the box without being able to write into the tree.
for dir in "${MESON_BUILD_ROOT:-}" "${MESON_SOURCE_ROOT:-}"; do
    if [[ -n $dir && -d $dir ]]; then
        mkdir -p "$root$dir"
        mount --bind "$dir" "$root$dir"
        mount -o remount,bind,ro "$root$dir"
    fi
done

# Install the project. tar rather than cp -a: the stage may hold lib/systemd/... (Debian's
# systemd.pc says /lib/systemd/system) while the box's /lib is a symlink to usr/lib, which
# --keep-directory-symlink keeps; --no-overwrite-dir keeps the stage dir's mode off the box's /.
if [[ -n ${PANDORA_STAGE:-} ]]; then
    tar -C "$PANDORA_STAGE" -cf - . | tar -C "$root" -xf - --keep-directory-symlink --no-overwrite-dir
    # The stage may ship shared libraries under /usr/local/lib; refresh the box's cache for them.
    ldconfig -r "$root"
fi

# Identity: an own machine ID (the journal's directory and the bus ID derive from it) and hostname.
tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
echo "$name" >"$root/etc/hostname"
hostname "$name"

# Configuration lives in the box's /run, which nothing outside ever sees.
units=$root/run/systemd/system
mkdir -p "$units" "$root/run/systemd/journald.conf.d"
cat >"$units/pandora-sandbox.target" <<EOF
[Unit]
Description=pandora integration sandbox
Wants=systemd-journald.service dbus.socket
AllowIsolate=yes
EOF

# Keep the journal in the box's /run: no flush to /var/log/journal, nothing persistent.
cat >"$root/run/systemd/journald.conf.d/pandora-sandbox.conf" <<EOF
[Journal]
Storage=volatile
EOF

# Units that would touch the host's kernel or devices. Most already skip themselves in a container
# with read-only /proc/sys and /sys; masking them makes that independent of their conditions.
masked=(
    systemd-sysctl.service
    systemd-binfmt.service
    proc-sys-fs-binfmt_misc.automount
    systemd-modules-load.service
    systemd-remount-fs.service
    systemd-udevd.service
    systemd-udevd-control.socket
    systemd-udevd-kernel.socket
    systemd-udev-trigger.service
    systemd-udev-settle.service
)
for unit in "${masked[@]}"; do
    ln -s /dev/null "$units/$unit"
done

cd "$root"
# `pivot_root . .` mounts the old root on top of the new one, where umount -l detaches it: no
# put_old directory needed, and nothing of the host's tree is left reachable from the box.
pivot_root . .
umount -l .
cd /
# Shared, as systemd makes / on a host (it leaves it alone in a container): the credentials of a
# unit (LoadCredential=) are mounted in a helper's mount namespace and reach the unit by propagation;
# with private mounts they land nowhere and the unit sees an empty, root-only directory. The host's
# mounts are not affected: unshare(1) made this namespace's copies private before anything here.
mount --make-rshared /

# Capabilities that reach past the namespaces to the one shared kernel: modules, the clock, the
# kernel log and audit. Root keeps the rest, as systemd-nspawn does. A clean environment, so that
# nothing of the caller's leaks into the box's manager.
dropped=-sys_module,-sys_time,-sys_rawio,-syslog,-wake_alarm,-block_suspend
dropped+=,-mac_admin,-mac_override,-audit_control,-audit_read
exec setpriv --bounding-set "$dropped" \
    env -i container=pandora-sandbox PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /lib/systemd/systemd --system --unit=pandora-sandbox.target
