#!/usr/bin/env python3
"""Turns bench/ TSV lines (see lib.sh) into the results table: min/median/max per row, subject and
size, the ratio to pandora, and the issue's target next to it. Never fails on a number.

Usage: report.py DATA.tsv HEADER.md OUT.md [PLOT.dat]
Prints the table, writes OUT.md (HEADER.md, the table, then the rows' notes), and PLOT.dat (size,
median ms of pandora-gen, median ms of foreman or "?") for gnuplot. $BENCH_ROWS (bench/run --only,
comma-separated) limits the table to those rows.
"""
import os
import statistics
import sys
from collections import OrderedDict

ROWS = {
    "1": ("Generator (`--output`)", "generator >= 50x faster than foreman export"),
    "2": ("Supervisor Pss per instance", "agent <= 1.5 MB (1536 kB) per instance"),
    "3": ("Start latency, 4 instances", "<= 50 ms"),
    "4": ("Recovery after kill -9", "no failed request"),
    "5": ("HTTP throughput, 2 instances",
          ">= 1.2x pm2 cluster (unmodified server.js: >= 2x); max/min <= 1.3"),
    "6": ("Logging and metrics", "logging >= 0.9x the bare unit; bus and statsd: recorded"),
    "7": ("Reload under load, 2 instances",
          "pandora: 0 failed requests, p99 during reload <= 2x steady"),
    "8": ("Procfile load (settings)", "50,000 settings well under 1 s"),
    "9": ("Spread over 4 instances",
          "max/min <= 1.3; req/s >= 2x pm2 cluster; no refused connection while one restarts"),
}
# For each row, how a peer compares with pandora: "peer/pandora" (lower is better for pandora's
# value, so >1 means pandora wins) or "pandora/peer" (higher is better).
# Which subjects are compared with pandora's (same size and unit): None for every other subject of the
# row, or the peers by name where the row also holds figures of pandora's own (row 4's failed
# requests and "unit active again", row 6's bus and statsd figures), which have no peer.
RATIO = {"1": ("pandora-gen", "peer/pandora", None), "2": ("pandora-agent", "peer/pandora", None),
         "3": ("pandora", "peer/pandora", None), "4": ("pandora", "peer/pandora", {"pm2 cluster", "Pandora.js"}),
         "5": ("pandora", "pandora/peer", {"pm2 cluster", "Pandora.js"}),
         "6": ("pandora-agent", "pandora/peer", {"bare unit (StandardOutput=journal)"}),
         "7": ("pandora", "peer/pandora", {"pm2 cluster"}),
         "8": ("pandora-agent", "peer/pandora", {"libconfig"}),
         "9": ("pandora shared socket", "peer/pandora", {"pandora ReusePort sockets", "pm2 cluster"})}


# Row 5 also runs the unmodified app: "PEER, WHAT" is compared with "pandora, WHAT" (PEER one of the
# row's peers above), in req/s only (the max/min spread has its target instead).
# Row 7 likewise: "pm2 cluster, MODE: FIGURE" against "pandora, MODE: FIGURE", in ms (latencies and
# the reload's duration), not its failed requests or ratios.
# Row 8 likewise: "libconfig, SHAPE" (its parse alone) against "pandora-agent, SHAPE" (the whole load).
PAIRED_UNITS = {"5": {"req/s"}, "7": {"ms"}, "8": {"ms"}}
# Row 9: "PEER, MODE" (the ReusePort sockets or pm2) against today's "pandora shared socket, MODE", in
# req/s only; "peer/pandora" there is peer / shared socket.
PAIRED_UNITS["9"] = {"req/s"}
# Row 6: pandora's second way of logging (the log format "text") against the bare unit, its ratio on its
# own line (pandora/peer, as the row's).
SECOND_BASE = {("6", "pandora-agent (log format text)", "lines/s"): "bare unit (StandardOutput=journal)"}


def base_of(row, subject, unit):
    """The subject that SUBJECT's figure is compared with, and in which direction, or None."""
    base_subject, direction, peers = RATIO.get(row, (None, None, None))
    if (row, subject, unit) in SECOND_BASE:
        return SECOND_BASE[(row, subject, unit)], "pandora/peer", True
    if not base_subject or subject == base_subject or "node app.js" in subject:
        return None
    if row in PAIRED_UNITS and ", " in subject:
        peer, what = subject.split(", ", 1)
        if unit in PAIRED_UNITS[row] and peers and peer in peers:
            return "%s, %s" % (base_subject, what), direction
        return None
    if row in PAIRED_UNITS and unit not in PAIRED_UNITS[row]:
        return None
    if peers is None or subject in peers:
        return base_subject, direction
    return None


def main():
    data, header, out = sys.argv[1:4]
    plot = sys.argv[4] if len(sys.argv) > 4 else None
    only = set(filter(None, os.environ.get("BENCH_ROWS", "").split(",")))
    samples = OrderedDict()
    skips = []
    notes = []
    for line in open(data):
        f = line.rstrip("\n").split("\t")
        if f[0] == "m" and len(f) == 6:
            try:
                samples.setdefault((f[1], f[2], f[3], f[4]), []).append(float(f[5]))
            except ValueError:
                skips.append((f[1], f[2], "a run printed no number: %r" % f[5]))
        elif f[0] == "skip" and len(f) == 4:
            skips.append((f[1], f[2], f[3]))
        elif f[0] == "note" and len(f) == 3:
            notes.append((f[1], f[2]))
    med = {k: statistics.median(v) for k, v in samples.items()}

    lines = ["| row | subject | size | runs | min | median | max | unit | ratio | target |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in sorted(ROWS):
        if only and row not in only:
            continue
        title, target = ROWS[row]
        keys = [k for k in samples if k[0] == row]
        for k in sorted(keys, key=lambda k: (int(k[2]) if k[2].isdigit() else 0, k[1])):
            v = samples[k]
            ratio = ""
            b = base_of(row, k[1], k[3])
            if b:
                base = med.get((row, b[0], k[2], k[3]))
                if base:
                    # A second base (SECOND_BASE) is the peer: this line is pandora's.
                    own = len(b) > 2
                    r = med[k] / base if (b[1] == "peer/pandora") != own else base / med[k]
                    ratio = "%.2fx (%s)" % (r, b[1])
            f = fmt2 if k[3] in ("max/min", "x") else fmt
            lines.append("| %s %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
                row, title, k[1], k[2], len(v), f(min(v)), f(med[k]), f(max(v)), k[3],
                ratio, target))
        for s in skips:
            if s[0] == row:
                lines.append("| %s %s | %s | | 0 | | | | | not measured: %s | %s |" % (
                    row, title, s[1], s[2], target))
        if not keys and not any(s[0] == row for s in skips):
            lines.append("| %s %s | | | 0 | | | | | not measured | %s |" % (row, title, target))
    table = "\n".join(lines) + "\n"
    shown = [n for n in notes if not only or n[0] in only]
    if shown:
        table += "\nNotes, row by row:\n\n" + "".join("- row %s: %s\n" % n for n in shown)
    print(table, end="")
    with open(out, "w") as f:
        f.write(open(header).read() + "\n" + table)
    if plot:
        with open(plot, "w") as f:
            for size in sorted({int(k[2]) for k in samples if k[0] == "1"}):
                fo = med.get(("1", "foreman", str(size), "ms"))
                f.write("%d %s %s\n" % (size, med.get(("1", "pandora-gen", str(size), "ms"), "?"),
                                        "?" if fo is None else fo))


def fmt(x):
    return "%.1f" % x if x < 1000 else "%.0f" % x


def fmt2(x):
    return "%.2f" % x


main()
