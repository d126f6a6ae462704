# shellcheck shell=bash
# sandbox.sh: boots a real systemd as PID 1 of fresh namespaces (a "box") for pandora's integration
# tests, drives it from the host, and prints TAP. Source it from a test, as root:
#
#     source "$(dirname "$0")/sandbox.sh"
#     tap_plan 2
#     sandbox_boot || tap_bail "the box did not boot"
#     tap_is "$(sandbox_run systemctl is-system-running)" running "the box is running"
#     tap_done
#
# The box sees the host's / through an overlay whose writes go to a tmpfs, and has its own /proc,
# /sys (read-only), /dev, /run, /tmp, cgroup, PID, mount, UTS, IPC and network namespaces. Nothing
# it does is visible on the host, and all of it goes away with SIGKILL to its PID 1.
#
# Variables set by sandbox_boot, for the test to read:
#   SANDBOX_PID     host PID of the box's PID 1 (systemd); /proc/$SANDBOX_PID/root is its root
#   SANDBOX_NAME    the box's name and hostname, unique per boot
#   SANDBOX_DIR     the box's state directory on the host; console.log there has PID 1's output
#   SANDBOX_CGROUP  host path of the box's cgroup2 directory: payload/ below it is the box's
#                   cgroup root, supervisor/ holds the script(1) and unshare(1) that run it
# Environment read by sandbox_boot:
#   PANDORA_SANDBOX_DIR      where state directories are made (default: $MESON_BUILD_ROOT, else $PWD)
#   PANDORA_STAGE            a `meson install --destdir` tree copied into the box's / before boot;
#                            unset under meson: the build in MESON_BUILD_ROOT is installed into one
#   PANDORA_SANDBOX_TIMEOUT  seconds to wait for the box to be running (default: 30)
#   MESON_BUILD_ROOT, MESON_SOURCE_ROOT  bound read-only into the box at the same paths

SANDBOX_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SANDBOX_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# When the host's PID 1 is systemd, it owns the cgroup tree and would fight over a directory we
# made behind its back; it only hands a subtree over to a unit with Delegate=yes. So re-run the
# calling test in a delegated scope, and make the box's cgroup below that scope. The flag stops the
# re-run from doing it again. Only when sourced from a script: an interactive shell has no script
# to re-run, and sandbox_boot refuses instead.
if [[ $(cat /proc/1/comm 2>/dev/null) == systemd && -z ${PANDORA_SANDBOX_DELEGATED:-} &&
      ${#BASH_SOURCE[@]} -gt 1 ]]; then
    export PANDORA_SANDBOX_DELEGATED=1
    exec systemd-run --scope -p Delegate=yes --quiet -- "$BASH" "${BASH_SOURCE[-1]}" "$@"
fi

# ---------------------------------------------------------------------------------------------
# TAP

_tap_count=0
_tap_failed=0
_tap_planned=

# tap_plan N: prints the plan; call it once, first.
tap_plan() {
    _tap_planned=$1
    echo "1..$1"
}

# tap_diag MSG...: prints MSG as TAP diagnostics, one "# " line per line of MSG.
tap_diag() {
    local line
    while IFS= read -r line; do
        echo "# $line"
    done <<<"$*"
}

# _tap_result STATUS NAME: records and prints one result.
_tap_result() {
    _tap_count=$((_tap_count + 1))
    if [[ $1 -eq 0 ]]; then
        echo "ok $_tap_count - $2"
    else
        _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_count - $2"
    fi
}

# tap_ok NAME CMD...: one result, passing when CMD exits 0. CMD's stdout goes to stderr so that it
# cannot break the TAP stream. Always returns 0, so that a failure does not stop the test under
# `set -e`: the remaining checks still run and tap_done reports.
tap_ok() {
    local name=$1
    shift
    local r=0
    "$@" >&2 || r=$?
    _tap_result "$r" "$name"
    if [[ $r -ne 0 ]]; then
        tap_diag "command failed with status $r: $*"
    fi
}

# tap_is GOT EXPECTED NAME: one result, passing when the two strings are equal.
tap_is() {
    if [[ $1 == "$2" ]]; then
        _tap_result 0 "$3"
    else
        _tap_result 1 "$3"
        tap_diag "     got: '$1'"$'\n'"expected: '$2'"
    fi
}

# tap_bail MSG: aborts the whole test (the EXIT trap still tears the box down).
tap_bail() {
    echo "Bail out! $*"
    exit 1
}

# tap_done: checks the plan and exits 0 only when every planned check ran and passed.
tap_done() {
    if [[ -n $_tap_planned && $_tap_count -ne $_tap_planned ]]; then
        tap_diag "planned $_tap_planned checks but ran $_tap_count"
        exit 1
    fi
    if [[ $_tap_failed -ne 0 ]]; then
        tap_diag "failed $_tap_failed of $_tap_count"
        exit 1
    fi
    exit 0
}

# ---------------------------------------------------------------------------------------------
# The box: helpers

# Harness messages are TAP diagnostics on stderr: readable by hand and in meson's test log.
_sandbox_log() {
    tap_diag "sandbox: $*" >&2
}

# Prints the mount point of the cgroup2 hierarchy: /sys/fs/cgroup/unified on a hybrid host,
# /sys/fs/cgroup on a pure v2 one. Fields after the " - " separator are type, source, options.
_sandbox_cgroup2_mount() {
    awk '{
        for (i = 7; i < NF; i++)
            if ($i == "-") {
                if ($(i + 1) == "cgroup2") { print $5; exit }
                break
            }
    }' /proc/self/mountinfo
}

# Hands the controllers this cgroup has on to its children, so that systemd in the box can use
# them too. Best effort: none on a hybrid host (they are all on v1), and none below a cgroup that
# has processes of its own, as the delegated scope on a systemd host has (this shell).
_sandbox_enable_controllers() {
    local c controllers=()
    read -r -a controllers <"$SANDBOX_CGROUP/cgroup.controllers" || true
    for c in "${controllers[@]}"; do
        echo "+$c" >"$SANDBOX_CGROUP/cgroup.subtree_control" 2>/dev/null || true
    done
}

# _sandbox_alive PID: whether PID exists and is not a zombie.
_sandbox_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# _sandbox_owns PID: whether PID is a process in the box's cgroup tree, and not one that merely
# reused the PID of a box that died earlier.
_sandbox_owns() {
    local line
    line=$(grep -m1 '^0::' "/proc/$1/cgroup" 2>/dev/null) || return 1
    [[ ${line#0::} == "$_sandbox_cgroup_rel"/* ]]
}

# sandbox_wait SECONDS CMD...: runs CMD (quietly) every 50 ms until it succeeds; returns non-zero if
# SECONDS pass first. The one way the tests wait for the box to reach a state.
sandbox_wait() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# _sandbox_wait_exited PID: waits, for at most about 5 s, until PID has exited; a zombie
# counts, since only its parent (this shell, in `wait`) can reap it.
_sandbox_wait_exited() {
    local i
    for ((i = 0; i < 500; i++)); do
        _sandbox_alive "$1" || return 0
        sleep 0.01
    done
    return 1
}

# _sandbox_wait_reaped PID: waits, for at most about 5 s, until PID has exited and been reaped.
_sandbox_wait_reaped() {
    local i
    for ((i = 0; i < 500; i++)); do
        [[ -e /proc/$1 ]] || return 0
        sleep 0.01
    done
    return 1
}

# _sandbox_kill_tree: SIGKILLs every process in the box's cgroup tree.
_sandbox_kill_tree() {
    if [[ -e $SANDBOX_CGROUP/cgroup.kill ]]; then
        echo 1 >"$SANDBOX_CGROUP/cgroup.kill"
        return
    fi
    # Kernels before 5.14 have no cgroup.kill.
    local pid
    find "$SANDBOX_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
        kill -KILL "$pid" 2>/dev/null || true
    done
}

# Prints the seconds since START (an $EPOCHREALTIME), to the millisecond.
_sandbox_elapsed() {
    local now=$EPOCHREALTIME
    local ms=$(( (${now//[.,]/} - ${1//[.,]/}) / 1000 ))
    printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# Prints the command line that enters the box, NUL-separated, for `timeout` and friends, which
# cannot run a shell function. Root and working directory are those of the box's PID 1 (/):
# nsenter --wd=DIR would open DIR on the host, before entering, and leave the command there.
#
# nsenter ignores SIGINT/SIGTERM/SIGHUP, the command gets them back: on ^C or meson's timeout the
# command dies and nsenter, still there, reaps it. Were nsenter to die first, the command would be
# orphaned to the host's init (its parent's PID namespace decides), and the box's PID 1 could not
# finish dying before that init reaped it, which a minimal init (as on our CI) does only lazily.
_sandbox_enter() {
    printf '%s\0' env --ignore-signal=INT,TERM,HUP nsenter --target "$SANDBOX_PID" --all --root --wd \
        env -i --default-signal=INT,TERM,HUP \
        PATH="$SANDBOX_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" SYSTEMD_PAGER=
}

# Prints what helps to understand a box that did not come up: its failed units with their logs,
# and the end of PID 1's console.
_sandbox_report_failure() {
    if [[ -n ${SANDBOX_PID:-} ]] && _sandbox_alive "$SANDBOX_PID"; then
        local units unit failed enter
        mapfile -d '' enter < <(_sandbox_enter)
        units=$(timeout -k 1 5 "${enter[@]}" systemctl list-units --failed --no-legend --plain 2>&1) || true
        _sandbox_log "failed units:"$'\n'"${units:-(none)}"
        mapfile -t failed < <(awk '/\./ { print $1 }' <<<"$units")
        for unit in "${failed[@]}"; do
            _sandbox_log "journal of $unit:"$'\n'"$(timeout -k 1 5 "${enter[@]}" journalctl -b -u "$unit" \
                -n 20 -o short-monotonic 2>&1)"
        done
    fi
    if [[ -s $SANDBOX_DIR/script.log ]]; then
        _sandbox_log "script(1) said:"$'\n'"$(cat "$SANDBOX_DIR/script.log")"
    fi
    if [[ -s $SANDBOX_DIR/console.log ]]; then
        _sandbox_log "end of $SANDBOX_DIR/console.log:"$'\n'"$(tail -n 30 "$SANDBOX_DIR/console.log")"
    fi
}

# ---------------------------------------------------------------------------------------------
# The box: what tests call

# sandbox_boot: boots a box and waits until `systemctl is-system-running` says running. Installs
# sandbox_destroy as the EXIT trap (replacing any other) and a SIGINT trap that exits. Returns 0
# with SANDBOX_* set, or prints why on stderr (failed units, PID 1's console), tears the box down
# and returns 1.
sandbox_boot() {
    if [[ $EUID -ne 0 ]]; then
        _sandbox_log "must run as root"
        return 1
    fi
    if [[ -n ${SANDBOX_PID:-} ]]; then
        _sandbox_log "a box is already up (PID $SANDBOX_PID); one per test"
        return 1
    fi
    if [[ $(cat /proc/1/comm 2>/dev/null) == systemd && -z ${PANDORA_SANDBOX_DELEGATED:-} ]]; then
        _sandbox_log "the host runs systemd: run under 'systemd-run --scope -p Delegate=yes'" \
            "with PANDORA_SANDBOX_DELEGATED=1"
        return 1
    fi
    local cgroup2 self
    cgroup2=$(_sandbox_cgroup2_mount)
    if [[ -z $cgroup2 ]]; then
        _sandbox_log "no cgroup2 hierarchy mounted; systemd in the box needs one"
        return 1
    fi
    self=$(sed -n 's/^0:://p' /proc/self/cgroup)

    # Callers write `sandbox_boot || ...`, which turns off `set -e` in here: check each step.
    local parent=${PANDORA_SANDBOX_DIR:-${MESON_BUILD_ROOT:-$PWD}}
    # Not under /tmp: the host's /tmp is exactly what a misbehaving box would wreck.
    mkdir -p "$parent" && SANDBOX_DIR=$(mktemp -d "$parent/sandbox.XXXXXX") || return 1
    SANDBOX_NAME=pandora-${SANDBOX_DIR##*/sandbox.}-$$
    _sandbox_cgroup_rel=${self%/}/$SANDBOX_NAME
    SANDBOX_CGROUP=$cgroup2$_sandbox_cgroup_rel
    trap sandbox_destroy EXIT
    # ^C stops sandbox_run's command but not nsenter (see _sandbox_enter), so bash would carry on
    # with the test: make it end the test, through the EXIT trap.
    trap 'exit 130' INT
    if ! mkdir "$SANDBOX_DIR/fs" "$SANDBOX_CGROUP" "$SANDBOX_CGROUP"/{supervisor,payload}; then
        sandbox_destroy
        return 1
    fi
    _sandbox_enable_controllers

    local stage=${PANDORA_STAGE:-}
    if [[ -n $stage && ! -d $stage ]]; then
        _sandbox_log "PANDORA_STAGE='$stage' is not a directory, nothing installed into the box"
        stage=
    elif [[ -n $stage ]]; then
        stage=$(cd "$stage" && pwd)
    fi
    # Under meson, install the build being tested into the box, so that every test runs exactly
    # what `meson install` ships (generators, units, man pages) without a step of its own.
    if [[ -z $stage && -n ${MESON_BUILD_ROOT:-} && -d $MESON_BUILD_ROOT/meson-private ]]; then
        stage=$SANDBOX_DIR/stage
        if ! meson install -C "$MESON_BUILD_ROOT" --destdir "$stage" --no-rebuild --quiet \
                >"$SANDBOX_DIR/install.log" 2>&1; then
            _sandbox_log "meson install into the box failed: $(tail -n 5 "$SANDBOX_DIR/install.log")"
            sandbox_destroy
            return 1
        fi
    fi

    local start=$EPOCHREALTIME
    # Only this subshell moves into the box's cgroup, not the test's shell: the tree then holds
    # the box alone and empties when it dies. sandbox-init.sh moves on into payload/ and makes it
    # the root of its cgroup namespace. script(1) gives the box a pseudo-terminal for /dev/console
    # and copies it into console.log.
    #
    # Teardown is sandbox_destroy's alone, in an order that leaves no zombie behind (PID 1 first,
    # so that unshare(1) reaps it): setsid keeps the signals meant for the test (meson's SIGTERM
    # to the test's process group on timeout, ^C) away from script(1), which would otherwise
    # take the box down from the top, orphaning its PID 1 to a host init that may never reap it.
    # Should this shell die without running its EXIT trap (SIGKILL), --pdeathsig kills script,
    # the terminal hangs up, unshare dies of the SIGHUP and --kill-child SIGKILLs the box.
    local cmd
    cmd=$(printf '%q ' exec unshare --pid --fork --kill-child --mount --propagation private \
        --uts --ipc --net "$SANDBOX_LIB_DIR/sandbox-init.sh" "$SANDBOX_DIR" "$SANDBOX_NAME" \
        "$SANDBOX_CGROUP/payload")
    (
        echo "$BASHPID" >"$SANDBOX_CGROUP/supervisor/cgroup.procs"
        export PANDORA_STAGE=$stage SHELL=$BASH
        exec setsid setpriv --pdeathsig KILL \
            script --quiet --flush --command "$cmd" "$SANDBOX_DIR/console.log"
    ) </dev/null >/dev/null 2>"$SANDBOX_DIR/script.log" &
    _sandbox_script_pid=$!

    local deadline=$((SECONDS + ${PANDORA_SANDBOX_TIMEOUT:-30}))
    # The namespaces are usable once sandbox-init.sh, having written its PID, has exec'd
    # systemd: before, the box's root is still being assembled.
    local pid
    while :; do
        pid=$(cat "$SANDBOX_DIR/pid" 2>/dev/null) || true
        if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == systemd ]]; then
            SANDBOX_PID=$pid
            break
        fi
        if ! _sandbox_alive "$_sandbox_script_pid" || ((SECONDS >= deadline)); then
            _sandbox_log "the box's init did not start systemd"
            _sandbox_report_failure
            sandbox_destroy
            return 1
        fi
        sleep 0.01
    done

    # is-system-running --wait blocks while the box is starting, but fails at once while PID 1
    # does not listen yet; then try again.
    local state enter left
    mapfile -d '' enter < <(_sandbox_enter)
    while :; do
        left=$((deadline - SECONDS))
        state=$(timeout -k 1 "$((left > 0 ? left : 1))" \
            "${enter[@]}" systemctl is-system-running --wait 2>/dev/null) || true
        if [[ $state == running ]]; then
            break
        fi
        if [[ $state == degraded || $state == maintenance || $state == stopping ]] ||
           ((SECONDS >= deadline)); then
            _sandbox_log "the box is '${state:-unreachable}', not running"
            _sandbox_report_failure
            sandbox_destroy
            return 1
        fi
        sleep 0.02
    done
    _sandbox_log "$SANDBOX_NAME running in $(_sandbox_elapsed "$start") s (PID $SANDBOX_PID, $SANDBOX_DIR)"
}

# sandbox_run CMD...: runs CMD in the box, as root, in / with a clean environment. Passes stdin,
# stdout and stderr through and returns CMD's exit status.
sandbox_run() {
    local enter
    mapfile -d '' enter < <(_sandbox_enter)
    "${enter[@]}" "$@"
}

# sandbox_write PATH [MODE]: writes stdin to PATH in the box, making its parent directories, and
# chmods it to MODE if given. Returns non-zero if any of that fails.
sandbox_write() {
    # shellcheck disable=SC2016 # expanded by the shell in the box
    sandbox_run sh -c '
        mkdir -p -- "$(dirname -- "$1")" && cat >"$1" && { [ -z "$2" ] || chmod "$2" "$1"; }
    ' sh "$1" "${2:-}"
}

# sandbox_destroy: kills the box and waits until its processes are gone and reaped, then removes
# its cgroup and state directories. Its mounts existed only in its own mount namespace, which died
# with it. Idempotent; safe to call when sandbox_boot failed half-way, and as the EXIT trap.
sandbox_destroy() {
    local pid1=${SANDBOX_PID:-} i
    if [[ -z $pid1 && -n ${SANDBOX_DIR:-} ]]; then
        pid1=$(cat "$SANDBOX_DIR/pid" 2>/dev/null) || true
    fi
    if [[ -n ${SANDBOX_CGROUP:-} && -d $SANDBOX_CGROUP ]]; then
        # SIGKILL to PID 1 takes its whole PID namespace along, sandbox_run's processes included.
        # unshare(1) then reaps it and exits, and script(1) reaps unshare and exits, so that once
        # script is gone nothing of the box is left, not even a zombie.
        if [[ -n $pid1 ]] && _sandbox_owns "$pid1"; then
            kill -KILL "$pid1" 2>/dev/null || true
        fi
        if [[ -n ${_sandbox_script_pid:-} ]] && ! _sandbox_wait_exited "$_sandbox_script_pid"; then
            _sandbox_log "script(1) did not exit, killing what is left in $SANDBOX_CGROUP"
        fi
        # Whatever is still there (the box died before PID 1 was known, a stuck supervisor).
        if grep -qx 'populated 1' "$SANDBOX_CGROUP/cgroup.events" 2>/dev/null; then
            _sandbox_kill_tree
        fi
        if [[ -n ${_sandbox_script_pid:-} ]]; then
            wait "$_sandbox_script_pid" 2>/dev/null || true
        fi
        if [[ -n $pid1 ]] && ! _sandbox_wait_reaped "$pid1"; then
            _sandbox_log "the box's PID 1 ($pid1) is still there"
        fi
        # systemd in the box made its slices and scopes below the box's root: leaves first. A
        # cgroup can stay busy for a moment after its last process is reaped, so retry briefly.
        for ((i = 0; i < 200; i++)); do
            find "$SANDBOX_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
            [[ -d $SANDBOX_CGROUP ]] || break
            sleep 0.01
        done
        if [[ -d $SANDBOX_CGROUP ]]; then
            _sandbox_log "could not remove $SANDBOX_CGROUP"
        fi
    fi
    # On the host, fs/ was only ever an empty mount point. --one-file-system all the same, so
    # that a mistake cannot reach further.
    if [[ -n ${SANDBOX_DIR:-} && -d $SANDBOX_DIR ]]; then
        rm -rf --one-file-system -- "$SANDBOX_DIR"
    fi
    SANDBOX_PID=
    SANDBOX_CGROUP=
    SANDBOX_DIR=
    _sandbox_script_pid=
    return 0
}
