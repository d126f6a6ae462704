#!/usr/bin/env python3
"""Writes an app of N process types for row 1: a pandora procfile and the equivalent foreman Procfile.

Usage: mkapp.py N DIR   (writes DIR/procfile, DIR/Procfile and DIR/app.js)
Every type runs the same one-line Node.js script at scale 1, so both tools describe the same app.
"""
import os
import sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
names = ["p%d" % i for i in range(1, n + 1)]
with open(os.path.join(out, "procfile"), "w") as f:
    f.write('app = "bench";\nprocesses = {\n')
    for name in names:
        f.write('    %s = { entry = "./app.js"; scale = 1; };\n' % name)
    f.write("};\n")
with open(os.path.join(out, "Procfile"), "w") as f:
    for name in names:
        f.write("%s: node ./app.js\n" % name)
with open(os.path.join(out, "app.js"), "w") as f:
    f.write("setInterval(() => {}, 1 << 30);\n")
