#!/usr/bin/python3
"""A tiny HTTP server for the integration tests: it answers every request on the listening socket that
systemd passed (fd 3, LISTEN_FDS) with "PROCESS INSTANCE". It accepts with a blocking accept() so that
the kernel hands connections to the instances sharing the socket in turn."""
import os
import socket
import sys

if os.environ.get("LISTEN_PID") != str(os.getpid()) or int(os.environ.get("LISTEN_FDS", "0")) < 1:
    sys.exit("http-instance: no listening socket passed (LISTEN_PID/LISTEN_FDS)")
server = socket.socket(fileno=3)
server.setblocking(True)
body = f"{os.environ['PANDORA_PROCESS']} {os.environ['PANDORA_INSTANCE']}\n".encode()
while True:
    conn, _ = server.accept()
    with conn:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
