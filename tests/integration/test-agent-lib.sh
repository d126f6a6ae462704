# shellcheck shell=bash
# test-agent-lib.sh: helpers the pandora-agent integration tests share, on top of sandbox.sh (which
# the test sources first). Not a test itself.

# agent_install_procfile APP: writes stdin to /etc/pandora/APP.procfile in the box and reloads, so
# that the installed generator writes APP's units.
agent_install_procfile() {
    sandbox_write "/etc/pandora/$1.procfile" && sandbox_run systemctl daemon-reload
}

# agent_prop UNIT PROPERTY: one property of UNIT, as systemctl show prints its value.
agent_prop() {
    sandbox_run systemctl show -p "$2" --value "$1"
}

# agent_prop_is UNIT PROPERTY VALUE: whether UNIT's PROPERTY is VALUE now (for sandbox_wait).
agent_prop_is() {
    [[ $(agent_prop "$1" "$2") == "$3" ]]
}

# agent_prop_at_least UNIT PROPERTY N: whether UNIT's numeric PROPERTY is at least N.
agent_prop_at_least() {
    local v
    v=$(agent_prop "$1" "$2")
    [[ -n $v ]] && ((v >= $3))
}

# agent_journal UNIT [ARGS...]: the messages of UNIT's journal, one per line, after a sync.
agent_journal() {
    local unit=$1
    shift
    sandbox_run journalctl --sync
    sandbox_run journalctl -b -u "$unit" -o cat --no-pager "$@"
}

# agent_children UNIT: the pids of the children of UNIT's main process (the agent's services).
agent_children() {
    local main
    main=$(agent_prop "$1" MainPID)
    sandbox_run cat "/proc/$main/task/$main/children" | tr -s ' ' '\n' | sed '/^$/d'
}

# sample NAME [LABELS]: the value of one sample of the last scrape of pandora-exporter ($text), or
# "none".
sample() {
    local key=$1
    [[ -z ${2:-} ]] || key+="{$2}"
    awk -v key="$key" '$1 == key { print $2; found = 1 } END { if (!found) print "none" }' <<<"$text"
}

# json_check APP PYTHON: runs the python3 statement(s) on d, `pandora-gen --status --json APP`'s
# document; fails on a false assert.
json_check() {
    local json
    json=$(sandbox_run pandora-gen --status --json "$1") || true
    python3 -c "import json, sys
d = json.loads(sys.argv[1])
$2" "$json"
}

# tap_skip NAME REASON: one result that did not run.
tap_skip() {
    _tap_count=$((_tap_count + 1))
    echo "ok $_tap_count - $1 # SKIP $2"
}
