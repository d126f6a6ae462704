// SPDX-License-Identifier: MIT
//
// The full example's web server: serves the unit's shared socket (fd 3), answers with its instance,
// and logs one JSON line per request, which the agent turns into journal fields (PANDORA_JSON_*).
'use strict';

const http = require('http');

const instance = process.env.PANDORA_INSTANCE || '-';
let requests = 0;

const server = http.createServer((req, res) => {
    requests++;
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('Connection', 'close');
    res.end(`web ${instance}\n`);
    console.log(JSON.stringify({ level: 30, msg: `${req.method} ${req.url}`, instance, requests }));
});

const passed = process.env.LISTEN_FDS && process.env.LISTEN_PID === String(process.pid);
server.listen(passed ? { fd: 3 } : Number(process.env.PORT || 8080));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
