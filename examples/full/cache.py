#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The full example's cache service: reads its config from PANDORA_SERVICE_CONFIG, tells the agent it
is ready (sd_notify READY=1 to NOTIFY_SOCKET), then counts made-up hits in statsd lines sent to the
agent's PANDORA_METRICS_SOCKET, which busctl shows among the instance's metrics."""
import json
import os
import random
import signal
import socket
import sys
import time


def send(path, data):
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        try:
            s.sendto(data.encode(), path)
        except OSError:
            pass


config = json.loads(os.environ.get("PANDORA_SERVICE_CONFIG", "{}"))
size = int(config.get("size", 100))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(json.dumps({"level": "info", "message": f"cache of {size} entries ready"}), flush=True)
send(os.environ.get("NOTIFY_SOCKET"), "READY=1\nSTATUS=cache ready")
entries = 0
while True:
    time.sleep(1)
    entries = min(size, entries + random.randint(0, 20))
    send(os.environ.get("PANDORA_METRICS_SOCKET"),
         f"cache.hits:{random.randint(1, 5)}|c\ncache.entries:{entries}|g\ncache.lookup:{random.randint(1, 9)}|ms")
