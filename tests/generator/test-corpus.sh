#!/usr/bin/env bash
# The annotated corpus: every cases/<name>.procfile goes through `pandora-gen --output` and is checked
# against the `##` comment lines it carries (libconfig ignores them), as in quadlet's test suite. The
# assertions are listed in README.md. Every case that exits 0 must also pass `systemd-analyze verify`
# with an empty stderr.
# Usage: test-corpus.sh PANDORA_GEN [CASE.procfile...]   (TAP; scratch files under $MESON_BUILD_ROOT)
set -uo pipefail

gen=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
    cases=("$@")
else
    cases=("$here"/cases/*.procfile)
fi
scratch=$(mktemp -d "${MESON_BUILD_ROOT:-$PWD}/corpus.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/.bin" "$scratch/.empty" "$scratch/.links"
unset DEFAULT_WORKER_COUNT PANDORA_AGENT_PATH PANDORA_PROCFILE_DIRS SYSTEMD_SCOPE

# Splits $1 into the array `words` as a shell would, without expanding anything: '...' is literal,
# "..." takes \" and \\, a backslash outside quotes takes the next character. Fails on an open quote.
split_words() {
    local s=$1 c word='' quote='' have=false i=0

    words=()
    while [ $i -lt ${#s} ]; do
        c=${s:i:1}
        i=$((i + 1))
        if [ "$quote" = "'" ]; then
            if [ "$c" = "'" ]; then quote=''; else word+=$c; fi
        elif [ "$quote" = '"' ]; then
            if [ "$c" = '"' ]; then
                quote=''
            elif [ "$c" = "\\" ] && [[ ${s:i:1} == [\"\\] ]]; then
                word+=${s:i:1}
                i=$((i + 1))
            else
                word+=$c
            fi
        else
            case $c in
            ' ' | $'\t') $have && words+=("$word"); word='' have=false ;;
            "'" | '"') quote=$c have=true ;;
            \\) word+=${s:i:1}; i=$((i + 1)); have=true ;;
            *) word+=$c have=true ;;
            esac
        fi
    done
    $have && words+=("$word")
    [ -z "$quote" ]
}

# Sets the array `values` to every value of key $3 in section [$2] of unit file $1, in order.
key_values() {
    local line section=''

    values=()
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        '' | '#'* | ';'*) ;;
        '['*']') section=${line:1:-1} ;;
        *=*) [ "$section" = "$2" ] && [ "${line%%=*}" = "$3" ] && values+=("${line#*=}") ;;
        esac
    done <"$1"
}

# Runs one assertion (its name, then its arguments) against the current case; `found` says what is
# there, for the message when it fails. Paths are relative to the output directory $out.
check() {
    local op=$1 v
    shift
    found=''
    case $op in
    assert-exit)
        found="exit status $rc"
        [ "$rc" = "$1" ] ;;
    assert-stderr-contains)
        found="stderr: $(cat "$err")"
        grep -qF -- "$1" "$err" ;;
    assert-unit-exists)
        named+=("$1")
        found="no file $1"
        [ -f "$out/$1" ] && [ ! -L "$out/$1" ] && found="$1 exists" ;;
    assert-first-line)
        named+=("$1")
        found="first line: $(head -n 1 "$out/$1" 2>&1)"
        [ "$(head -n 1 "$out/$1" 2>/dev/null)" = "$2" ] ;;
    assert-key-is | assert-key-contains)
        named+=("$1")
        found="no file $1"
        [ -f "$out/$1" ] || return 1
        key_values "$out/$1" "$2" "$3"
        found="[$2] $3= ${values[*]@Q}"
        if [ "$op" = assert-key-is ]; then
            shift 3
            [ "${values[*]@Q}" = "${*@Q}" ]
        else
            for v in "${values[@]}"; do [[ $v == *"$4"* ]] && return 0; done
            return 1
        fi ;;
    assert-symlink)
        named+=("$1")
        found="$1 -> $(readlink "$out/$1" 2>&1)"
        [ -L "$out/$1" ] && [ "$(readlink "$out/$1")" = "$2" ] ;;
    assert-no-other-files)
        found=$(cd "$out" 2>/dev/null && find . -type f -o -type l | sed 's|^\./||' | sort |
                grep -vxF -f <(printf '%s\n' "${named[@]}") | tr '\n' ' ')
        found="not named: $found"
        [ "$found" = "not named: " ] ;;
    *)
        found="unknown assertion"
        return 1 ;;
    esac
}

# Prints test point $((n + 1)): $1 0 when it passed, $2 its description, $3 a TODO reason or "",
# $4 the diagnostics for a failure. An unexpected failure makes the exit status 1.
n=0
status=0
tap() {
    local directive=''

    n=$((n + 1))
    [ -n "$3" ] && directive=" # TODO $3"
    if [ "$1" = 0 ]; then
        echo "ok $n - ${2//#/\\#}$directive"
        return
    fi
    echo "not ok $n - ${2//#/\\#}$directive"
    printf '%s\n' "$4" | sed 's/^/#   /'
    [ -n "$3" ] || status=1
}

# Runs the assertion on line $1 of the case, text $2 (after "## " or "##! "), negated when $3 is true,
# a known failure when $4 is not empty.
assert() {
    local label=$2 ok

    if ! split_words "$2"; then
        words=(unterminated-quote)
    fi
    words=("${words[@]//@CASE@/"$casedir"}")
    words=("${words[@]//@AGENT@/"$agent"}")
    check "${words[@]}"
    ok=$?
    if $3; then
        ok=$((!ok))
        label="! $2"
    fi
    tap $ok "$name:$1: $label" "$4" "found: $found"
}

# systemd-analyze verify loads the units as the system manager would, in a private mount namespace:
# it creates /tmp/systemd-analyze-*, /tmp/systemd-temporary-*, and creates or touches
# /run/systemd/systemd-units-load, so /tmp and /run are fresh tmpfs there. It searches only $1 and the
# distribution's units, and runs no environment generators. Templates are checked through instance 1.
# verify reads FILE:NAME as "FILE under the name NAME", so a name with ':' is passed that way, through
# a link whose path has none.
verify() {
    local units=() f unit

    for f in "$1"/*; do
        if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
        unit=${f##*/}
        [[ $unit == *@.service ]] && unit=${unit%@.service}@1.service
        if [[ $unit == *:* ]]; then
            ln -s "$f" "$scratch/.links/${#units[@]}"
            units+=("$scratch/.links/${#units[@]}:$unit")
        else
            units+=("$1/$unit")
        fi
    done
    SYSTEMD_UNIT_PATH=$1:/usr/lib/systemd/system:/lib/systemd/system \
        SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$scratch/.empty \
        unshare --user --map-root-user --mount sh -c \
        'mount -n -t tmpfs tmpfs /tmp && mount -n -t tmpfs tmpfs /run && exec systemd-analyze verify "$@"' \
        sh "${units[@]}"
    rm -f "$scratch"/.links/*
}

no_verify=''
if ! command -v systemd-analyze >/dev/null; then
    no_verify='systemd-analyze is not installed'
elif ! unshare --user --map-root-user --mount true 2>/dev/null; then
    no_verify="no private mount namespace for systemd-analyze"
elif [[ $scratch == /tmp/* || $scratch == /run/* ]]; then
    no_verify='the scratch directory would be hidden under the private /tmp and /run'
fi

# One test point per `##` line but the settings, plus the exit status (unless asserted) and verify.
count=0
for file in "${cases[@]}"; do
    count=$((count + 2 + $(grep -c '^##' "$file") -
             $(grep -cE '^##!? (env|agent|todo|todo-verify|assert-exit) ' "$file")))
done
echo "1..$count"

for file in "${cases[@]}"; do
    name=$(basename "$file" .procfile)
    casedir=$(cd "$(dirname "$file")" && pwd)
    out=$scratch/$name
    err=$scratch/$name.stderr
    agent=$scratch/.bin/pandora-agent
    env=()
    todo_verify=''
    lines=()
    lineno=0

    # The settings first; the assertions are kept with their line numbers.
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        case $line in
        '## env '*)
            split_words "${line#'## env '}"
            for w in "${words[@]}"; do
                if [[ $w != [A-Za-z_]*=* ]]; then
                    echo "Bail out! $name:$lineno: '$w' is not NAME=VALUE"
                    exit 1
                fi
                env+=("${w//@CASE@/"$casedir"}")
            done ;;
        '## agent '*) split_words "${line#'## agent '}" && agent=$scratch/.bin/${words[0]} ;;
        '## todo-verify '*) todo_verify=${line#'## todo-verify '} ;;
        '##'*) lines+=("$lineno" "$line") ;;
        esac
    done <"$file"
    mkdir -p "$(dirname "$agent")"
    printf '#!/bin/sh\nexit 0\n' >"$agent"
    chmod +x "$agent"

    env "${env[@]}" PANDORA_AGENT_PATH="$agent" "$gen" --output "$out" "$file" >/dev/null 2>"$err"
    rc=$?

    named=()
    todo=''
    last=()
    if ! grep -qE '^##!? assert-exit ' "$file"; then
        check assert-exit 0
        tap $? "$name: exits 0" '' "$found, stderr: $(cat "$err")"
    fi
    for ((i = 0; i < ${#lines[@]}; i += 2)); do
        line=${lines[i + 1]}
        case $line in
        '## todo '*) todo=${line#'## todo '}; continue ;;
        '##! '*) negate=true text=${line#'##! '} ;;
        '## '*) negate=false text=${line#'## '} ;;
        *) negate=false text=$line ;;
        esac
        # What no assertion names is only known after all the others.
        if [[ $text == assert-no-other-files* ]]; then
            last+=("${lines[i]}" "$text" "$negate" "$todo")
        else
            assert "${lines[i]}" "$text" "$negate" "$todo"
        fi
        todo=''
    done
    for ((i = 0; i < ${#last[@]}; i += 4)); do
        assert "${last[@]:i:4}"
    done

    if [ "$rc" != 0 ]; then
        echo "ok $((n += 1)) - $name: systemd-analyze verify # SKIP pandora-gen exited $rc"
    elif [ -n "$no_verify" ]; then
        echo "ok $((n += 1)) - $name: systemd-analyze verify # SKIP $no_verify"
    else
        verify "$out" >/dev/null 2>"$scratch/$name.verify"
        vrc=$?
        [ $vrc = 0 ] && [ ! -s "$scratch/$name.verify" ]
        tap $? "$name: systemd-analyze verify" "$todo_verify" "exit status $vrc, stderr:
$(cat "$scratch/$name.verify")"
    fi
done
exit $status
