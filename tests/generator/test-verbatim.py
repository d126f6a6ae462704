#!/usr/bin/env python3
# The property of issue 19, finding 3: no procfile value changes how systemd splits a unit. Random and
# adversarial values go into every setting that systemd reads verbatim (WorkingDirectory= from `dir` or
# the procfile's directory, User=, Group=, ListenStream= socket paths, SourcePath= and Description= from
# the procfile's path, and the app name in Description=, SyslogIdentifier= and every unit name). For each
# procfile `pandora-gen --output` either
#   - refuses it, with one message that names the file and the setting (or the path) and writes nothing, or
#   - writes units in which, read back line by line as systemd reads them (continuations, comments,
#     stripped whitespace, specifiers, C unquoting), every directive is intact: no line joins the next,
#     no directive is added or lost, and each value is exactly the one the procfile meant;
# and `systemd-analyze verify` of every unit written prints nothing on stderr.
# Values that can't be written (control characters, a trailing backslash, leading or trailing spaces,
# invalid UTF-8) must be refused. A list of tricky values that systemd can take must be accepted.
#
# Usage: test-verbatim.py PANDORA_GEN   (TAP; scratch under $MESON_BUILD_ROOT)
# Environment: PANDORA_PROPERTY_SEED (default 19), PANDORA_PROPERTY_CASES (default 400).

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

GEN = os.path.realpath(sys.argv[1])
SEED = int(os.environ.get("PANDORA_PROPERTY_SEED", "19"))
CASES = int(os.environ.get("PANDORA_PROPERTY_CASES", "400"))
SCRATCH = tempfile.mkdtemp(prefix="verbatim.", dir=os.environ.get("MESON_BUILD_ROOT", os.getcwd()))
rng = random.Random(SEED)

# Pieces values are made of: what splits lines, quotes, escapes, specifiers, variables, comments, paths.
PIECES = [
    b"a", b"Z", b"0", b"9", b"_", b"-", b".", b"..", b"/", b"//", b" ", b"  ", b"\\", b"\\\\", b"%", b"%%",
    b"%i", b"%n", b"$", b"$HOME", b"${X}", b'"', b"'", b";", b"#", b"=", b"[", b"]", b":", b"@", b"*",
    b"\n", b"\t", b"\r", b"\x7f", b"\x01", b"\xc3\xa9", b"\xe2\x82\xac", b"\xff", b"\xc3", b"\\\n",
    b"\nExecStartPre=/bin/true", b"\\x41", b"web", b"srv", b"shop",
]

# Tricky values that systemd takes verbatim: each must be accepted and arrive intact.
GOOD = {
    "dir": [b"/srv/50% off $HOME \"q\" \\ x; y", b"/srv/#not-a-comment", b"/srv/;x", b"/srv/a\\b",
            b"/srv/\xc3\xa9t\xc3\xa9", b"/srv/a b/c", b"../shared/./x//", b"/srv/%i%n%%", b"/srv/x=y",
            b"/srv/[x]", b"/srv/a\\\\b"],
    "user": [b"root", b"www-data", b"_apt", b"x-", b"0", b"65534", b"4294967294"],
    "group": [b"root", b"adm", b"A_b-9"],
    "listen": [b"/run/a b%.sock", b"/run/x\\y.sock", b"/run/#x;y", b"/run/\xc3\xa9.sock", b"/run/$HOME"],
    "app": [b"a\\x2db", b"x.y:z", b"my-app_1", b"x-"],
    "procdir": [b"my app", b"50%", b"a\\b", b"#x", b";y", b"\xc3\xa9", b"x=y", b"$HOME"],
}

KINDS = ["dir", "user", "group", "listen", "app", "procdir", "all"]


def random_value():
    v = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
    r = rng.random()
    if r < 0.25:
        v += b"\\"
    elif r < 0.35:
        v = b" " + v
    elif r < 0.45:
        v += b" "
    return v


def libconfig_string(v):
    """v as a libconfig string literal: every byte that is not plain printable ASCII as \\xNN."""
    out = []
    for b in v:
        c = bytes([b])
        if c == b'"':
            out.append(b'\\"')
        elif c == b"\\":
            out.append(b"\\\\")
        elif b < 0x20 or b >= 0x7f:
            out.append(b"\\x%02x" % b)
        else:
            out.append(c)
    return b'"' + b"".join(out) + b'"'


def normalize(path):
    """procfile_path_normalize(): lexical, as path.resolve() does."""
    parts = []
    for p in path.split(b"/"):
        if p in (b"", b"."):
            continue
        if p == b"..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return b"/" + b"/".join(parts)


def must_refuse_verbatim(v):
    """What can never be written verbatim: unit_verbatim_problem()'s rules, restated."""
    if any(b < 0x20 or b == 0x7f for b in v):
        return True
    try:
        v.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return v.endswith(b"\\") or v.startswith(b" ") or v.endswith(b" ")


# ---------------------------------------------------------------------------------------------------------
# Reading a unit back as systemd 252's config parser does (conf-parser.c, systemd.syntax(7)).

def read_unit(data):
    """Returns (directives, physical): directives as (section, key, value) after joining continuations;
    physical counts the non-empty, non-comment lines, each of which must be one directive or header."""
    directives, section, continuation, physical = [], None, None, 0
    for raw in data.split(b"\n"):
        line = raw.strip(b" \t\n\r")
        if line[:1] in (b"#", b";"):
            continue                    # also inside a continuation: the comment block is skipped
        if line:
            physical += 1
        if continuation is not None:
            line = continuation + line
            continuation = None
        escaped = False
        for b in line:
            escaped = (not escaped) and b == 0x5c
        if escaped:
            continuation = line[:-1] + b" "
            continue
        if not line:
            continue
        if line.startswith(b"[") and line.endswith(b"]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition(b"=")
        directives.append((section, key.strip(b" \t"), value.strip(b" \t") if sep else None))
    if continuation is not None:
        directives.append((section, b"<continuation at end of file>", continuation))
    return directives, physical


def specifiers(v):
    """Only '%%' may remain in a value pandora writes: every '%' it writes is doubled."""
    out, i = [], 0
    while i < len(v):
        if v[i:i + 1] == b"%":
            if v[i + 1:i + 2] != b"%":
                raise ValueError("a lone '%' would expand as a specifier: %r" % v)
            out.append(b"%")
            i += 2
        else:
            out.append(v[i:i + 1])
            i += 1
    return b"".join(out)


CUNESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"\\": b"\\", b'"': b'"', b"'": b"'", b"s": b" "}


def unquote(v):
    """One word as Environment= and LogExtraFields= take it: double-quoted with C escapes and specifiers
    (what pandora writes from procfile values), or a bare word of pandora's own ("PANDORA_INSTANCE=%i"),
    taken as it is."""
    if not v.startswith(b'"'):
        if any(c in v for c in b' "\\'):
            raise ValueError("a bare word with a space, quote or backslash: %r" % v)
        return v
    if not v.endswith(b'"') or len(v) < 2:
        raise ValueError("not one quoted word: %r" % v)
    body, out, i = v[1:-1], [], 0
    while i < len(body):
        c = body[i:i + 1]
        if c == b'"':
            raise ValueError("an unescaped quote ends the word early: %r" % v)
        if c == b"\\":
            n = body[i + 1:i + 2]
            if n == b"x":
                out.append(bytes([int(body[i + 2:i + 4], 16)]))
                i += 4
                continue
            out.append(CUNESCAPES[n])
            i += 2
            continue
        out.append(c)
        i += 1
    return specifiers(b"".join(out))


# A directive's name: what systemd's parser takes as a key. Which directives pandora writes grows with
# its features; that no value adds or swallows one is checked by counting lines and directives.
DIRECTIVE = re.compile(rb"[A-Z][A-Za-z0-9]*\Z")
SECTIONS = {b"Unit", b"Service", b"Socket"}


def values(directives, section, key):
    return [v for s, k, v in directives if s == section and k == key]


def check_units(out, case):
    """Every unit of out read back: returns a list of problems."""
    problems = []
    app, proc = case["app"], b"web"
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name)
        if os.path.isdir(path) or os.path.islink(path):
            continue
        with open(path, "rb") as f:
            directives, physical = read_unit(f.read())
        if physical != len(directives) + len({s for s, _, _ in directives if s is not None}):
            problems.append("%s: %d lines but %d directives: a line joined the next" %
                            (name, physical, len(directives)))
        for s, k, v in directives:
            if s not in SECTIONS or not DIRECTIVE.match(k) or v is None:
                problems.append("%s: [%r] %r=%r is no directive" % (name, s, k, v))
        want_source = [case["procfile"]]
        try:
            got = [specifiers(v) for v in values(directives, b"Unit", b"SourcePath")]
            if got != want_source:
                problems.append("%s: SourcePath= %r, not %r" % (name, got, want_source))
            if name.endswith(".target"):
                want = [b"pandora app " + app + b" (" + case["procfile"] + b")"]
                got = [specifiers(v) for v in values(directives, b"Unit", b"Description")]
                if got != want:
                    problems.append("%s: Description= %r, not %r" % (name, got, want))
            if name.endswith("@.service"):
                checks = [
                    (b"WorkingDirectory", [case["dir"]]),
                    (b"User", [case["user"]] if case["user"] is not None else []),
                    (b"Group", [case["group"]] if case["group"] is not None else []),
                    (b"SyslogIdentifier", [app + b"-" + proc]),
                ]
                for key, want in checks:
                    got = [specifiers(v) for v in values(directives, b"Service", key)]
                    if got != want:
                        problems.append("%s: %s= %r, not %r" % (name, key.decode(), got, want))
                env = [unquote(v) for v in values(directives, b"Service", b"Environment")]
                for want in (b"PANDORA_APP=" + app, b"PANDORA_PROCESS=" + proc):
                    if want not in env:
                        problems.append("%s: no Environment= %r in %r" % (name, want, env))
                extra = [unquote(v) for v in values(directives, b"Service", b"LogExtraFields")]
                if extra != [b"PANDORA_APP=" + app, b"PANDORA_PROCESS=" + proc, b"PANDORA_INSTANCE=%i"]:
                    problems.append("%s: LogExtraFields= %r" % (name, extra))
            if name.endswith(".socket"):
                got = [specifiers(v) for v in values(directives, b"Socket", b"ListenStream")]
                if got != case["listen"]:
                    problems.append("%s: ListenStream= %r, not %r" % (name, got, case["listen"]))
        except (ValueError, KeyError) as e:
            problems.append("%s: %s" % (name, e))
    return problems


# ---------------------------------------------------------------------------------------------------------
# Cases.

def make_case(n, kind, value):
    """A procfile that puts value into the setting kind (the others plain; "all": tricky good values in
    every setting at once); returns the case, or None when the case can't be made."""
    pick = (lambda k: value if kind == k else rng.choice(GOOD[k]) if kind == "all" else None)
    case = {"n": n, "kind": kind, "value": value, "app": pick("app") or b"c%d" % n,
            "user": pick("user"), "group": pick("group"), "listen": [],
            "setting": {"dir": b"dir", "user": b"processes.web.user", "group": b"processes.web.group",
                        "listen": b"processes.web.listen", "app": b"app"}.get(kind)}
    if kind == "all":
        case["app"] = b"c%d" % n
    home = os.path.join(SCRATCH.encode(), b"case%d" % n)
    procdir = os.path.join(home, value) if kind == "procdir" else home
    dir_value = pick("dir")
    socket = pick("listen")
    if socket is not None:
        case["listen"] = [b"/run/p%d.sock" % n, socket if socket.startswith(b"/") else b"/run/" + socket]
    web = [b'entry = "/bin/true";']
    if case["user"] is not None:
        web.append(b"user = " + libconfig_string(case["user"]) + b";")
    if case["group"] is not None:
        web.append(b"group = " + libconfig_string(case["group"]) + b";")
    if case["listen"]:
        web.append(b"listen = [ " + b", ".join(libconfig_string(a) for a in case["listen"]) + b" ];")
    text = b"app = " + libconfig_string(case["app"]) + b";\n"
    if dir_value is not None:
        text += b"dir = " + libconfig_string(dir_value) + b";\n"
    text += b"processes = {\n    web = { " + b" ".join(web) + b" };\n};\n"
    try:
        os.makedirs(procdir, exist_ok=True)
    except OSError:
        return None
    procfile = os.path.join(procdir, b"procfile")
    with open(procfile, "wb") as f:
        f.write(text)
    case["text"] = text
    case["procfile"] = normalize(procfile)
    case["dir"] = normalize(os.path.join(procdir, dir_value) if dir_value is not None else procdir)
    return case


def verbatim_values(case):
    """The values of the case that systemd reads verbatim, as they reach the unit."""
    vs = [case["procfile"], case["dir"], case["app"]] + case["listen"]
    vs += [v for v in (case["user"], case["group"]) if v is not None]
    if case["kind"] == "dir":
        vs.append(case["value"])
    return vs


n_test = 0
failed = False


def tap(ok, description, diagnostics=""):
    global n_test, failed
    n_test += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n_test, description.replace("#", "\\#")))
    if not ok:
        failed = True
        for line in diagnostics.splitlines():
            print("#   " + line)


def run_case(case, must_accept):
    out = os.path.join(SCRATCH, "out%d" % case["n"])
    env = dict(os.environ, PANDORA_AGENT_PATH=AGENT)
    p = subprocess.run([GEN, "--output", out, case["procfile"]], env=env, capture_output=True)
    label = "case %d (%s %r)" % (case["n"], case["kind"], case["value"])
    if p.returncode == 0:
        problems = check_units(out, case)
        if any(must_refuse_verbatim(v) for v in verbatim_values(case)):
            problems.append("a value that can't be written verbatim was accepted")
        tap(not problems, label + ": accepted, every directive intact",
            "\n".join(problems) + "\nprocfile:\n" + case["text"].decode(errors="replace"))
        return out
    err = p.stderr.decode(errors="replace")
    located = (err.count("\n") == 1 and err.startswith("pandora-gen: ") and
               (case["setting"] is None or (": %s: " % case["setting"].decode()) in err or
                ": %s." % case["setting"].decode() in err))
    ok = p.returncode == 1 and located and not os.path.exists(out) and not must_accept
    tap(ok, label + (": refused with its setting" if not must_accept else ": accepted"),
        "exit %d, stderr: %s" % (p.returncode, err))
    return None


def verify(dirs):
    """systemd-analyze verify of every unit in dirs (templates through instance 1), in a private mount
    namespace as the corpus runner does it; returns (skip reason, exit status, stderr)."""
    if not shutil.which("systemd-analyze"):
        return "systemd-analyze is not installed", 0, ""
    if subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"],
                      capture_output=True).returncode != 0:
        return "no private mount namespace for systemd-analyze", 0, ""
    if SCRATCH.startswith(("/tmp/", "/run/")):
        return "the scratch directory would be hidden under the private /tmp and /run", 0, ""
    units = []
    links = os.path.join(SCRATCH, "links")
    os.makedirs(links, exist_ok=True)
    for d in dirs:
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.isdir(path) or os.path.islink(path):
                continue
            unit = name.replace("@.service", "@1.service")
            if ":" in unit:
                # verify reads FILE:NAME as "FILE under the name NAME": a name with ':' goes through a link.
                link = os.path.join(links, str(len(units)))
                os.symlink(path, link)
                units.append(link + ":" + unit)
            else:
                units.append(os.path.join(d, unit))
    env = dict(os.environ, SYSTEMD_UNIT_PATH=":".join(dirs) + ":/usr/lib/systemd/system:/lib/systemd/system",
               SYSTEMD_ENVIRONMENT_GENERATOR_PATH=os.path.join(SCRATCH, "empty"))
    os.makedirs(os.path.join(SCRATCH, "empty"), exist_ok=True)
    p = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                        'mount -n -t tmpfs tmpfs /tmp && mount -n -t tmpfs tmpfs /run && '
                        'exec systemd-analyze verify "$@"', "sh"] + units, env=env, capture_output=True)
    return None, p.returncode, p.stderr.decode(errors="replace")


AGENT = os.path.join(SCRATCH, "bin", "pandora-agent")
try:
    os.makedirs(os.path.dirname(AGENT))
    with open(AGENT, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(AGENT, 0o755)
    os.environ.pop("PANDORA_PROCFILE_DIRS", None)

    cases = []
    n = 0
    for kind in GOOD:
        for v in GOOD[kind]:
            cases.append((make_case(n, kind, v), True))
            n += 1
    for _ in range(CASES):
        kind = rng.choice(KINDS)
        value = random_value()
        if kind == "procdir" and (not value or b"/" in value or value in (b".", b"..") or b"\0" in value):
            value = b"d" + value.replace(b"/", b"")
        cases.append((make_case(n, kind, value), False))
        n += 1
    cases = [(c, good) for c, good in cases if c is not None]
    print("1..%d" % (len(cases) + 2))
    print("# seed %d, %d cases" % (SEED, len(cases)))

    accepted, apps = [], set()
    for case, good in cases:
        out = run_case(case, good)
        if out and case["app"] not in apps:
            apps.add(case["app"])
            accepted.append(out)
    random_accepted = sum(1 for c, good in cases if not good and os.path.exists(os.path.join(SCRATCH, "out%d" % c["n"])))
    tap(random_accepted >= CASES // 10, "of %d random cases, %d were accepted (enough to test the property)" %
        (CASES, random_accepted))
    skip, status, stderr = verify(accepted)
    if skip:
        print("ok %d - systemd-analyze verify of %d apps # SKIP %s" % (n_test + 1, len(accepted), skip))
    else:
        tap(status == 0 and not stderr.strip(), "systemd-analyze verify of %d apps: exit 0, empty stderr" %
            len(accepted), "exit %d, stderr:\n%s" % (status, stderr))
finally:
    shutil.rmtree(SCRATCH, ignore_errors=True)
sys.exit(1 if failed else 0)
