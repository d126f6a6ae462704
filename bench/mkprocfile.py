#!/usr/bin/env python3
"""Writes a procfile of about N settings for row 8 (procfile load), in one of the shapes a user writes.

Usage: mkprocfile.py SHAPE N FILE
  app-env     one app-level `env` group of N variables, one process
  process-env one process whose own `env` group holds N variables
  processes   N/4 processes of 4 settings each (the group, entry, scale, env_file)
  services    N/4 services of 4 settings each (the group, exec, process, dependencies: each depends
              on the one before it, in chains of 10), on one process

A setting is what libconfig counts as one: a group, a scalar or an array. Every process but `web`
has scale 0, so that the app stays under the 10,000 instances an app may have.
"""
import sys

shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def env_group(indent, count):
    pad = " " * indent
    return "".join('%sVAR_%06d = "value %d";\n' % (pad, i, i) for i in range(count))


with open(out, "w") as f:
    f.write('app = "load";\n')
    if shape == "app-env":
        f.write("env = {\n%s};\n" % env_group(4, n))
        f.write('processes = { web = { entry = "./app.js"; }; };\n')
    elif shape == "process-env":
        f.write('processes = {\n    web = {\n        entry = "./app.js";\n        env = {\n')
        f.write(env_group(12, n))
        f.write("        };\n    };\n};\n")
    elif shape == "processes":
        f.write('processes = {\n    web = { entry = "./app.js"; };\n')
        for i in range(n // 4):
            f.write('    p%06d = { entry = "./app.js"; scale = 0; env_file = [ "-.env" ]; };\n' % i)
        f.write("};\n")
    elif shape == "services":
        f.write('processes = { web = { entry = "./app.js"; }; };\nservices = {\n')
        for i in range(n // 4):
            deps = '"s%06d"' % (i - 1) if i % 10 else ""
            f.write('    s%06d = { exec = "./s.js"; process = "web"; dependencies = [ %s ]; };\n' % (i, deps))
        f.write("};\n")
    else:
        sys.exit("mkprocfile.py: unknown shape '%s'" % shape)
