// SPDX-License-Identifier: MIT
//
// An HTTP server for pandora's cluster example. Under pandora-agent it serves the socket the unit
// passed at fd 3 (LISTEN_FDS, see sd_listen_fds(3)), which every worker instance shares, so the
// kernel spreads connections over them; run by hand, it listens on $PORT (8080). SIGTERM closes the
// server and exits once the requests in flight are answered.
'use strict';

const http = require('http');

const instance = process.env.PANDORA_INSTANCE || '-';
const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('Connection', 'close');
    res.end(`Hello from worker ${instance} (pid ${process.pid})\n`);
    console.log(`${req.method} ${req.url} answered by worker ${instance}`);
});

// sd_listen_fds(3): the fds are ours only when LISTEN_PID names this process.
const passed = process.env.LISTEN_FDS && process.env.LISTEN_PID === String(process.pid);
if (passed) {
    server.listen({ fd: 3 }, () => console.log(`worker ${instance} serving the unit's socket`));
} else {
    const port = Number(process.env.PORT || 8080);
    server.listen(port, () => console.log(`worker ${instance} listening on port ${port}`));
}

process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
});
