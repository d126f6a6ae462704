#!/usr/bin/env python3
"""Row 8's peer: libconfig's own parse of a file, nothing else. Calls config_read_file() of the
system's libconfig (libconfig.so.9, through ctypes) on FILE RUNS times and prints each run's wall
time in ms, one a line; exits 1 when libconfig refuses the file.

Usage: libconfig-read.py FILE RUNS

Timed inside one Python process, so the figure is the parse alone (config_init, config_read_file,
config_destroy), without the interpreter's start-up that a command would add.
"""
import ctypes
import ctypes.util
import sys
import time

path, runs = sys.argv[1].encode(), int(sys.argv[2])
lib = ctypes.CDLL(ctypes.util.find_library("config") or "libconfig.so.9")
lib.config_read_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
# config_t is 80 bytes in libconfig 1.5 (libconfig.h); room to spare for another layout.
config = ctypes.create_string_buffer(512)
for _ in range(runs):
    t0 = time.perf_counter()
    lib.config_init(config)
    ok = lib.config_read_file(config, path)
    lib.config_destroy(config)
    ms = (time.perf_counter() - t0) * 1000
    if not ok:
        sys.exit("libconfig-read.py: %s: libconfig refused it" % path.decode())
    print("%.3f" % ms)
