// SPDX-License-Identifier: MIT
//
// client-loop.js PORT LOG: row 4's client loop, for box-recovery.sh and box-pandorajs.sh. GET
// http://127.0.0.1:PORT/ in two chains, one request at a time each, a new connection each, until
// SIGTERM. Two, so that a request left hanging by the killed worker (its 1 s timeout) does not hide
// the moment the replacement answers: the other chain goes on asking.
// Appends to LOG, times in µs since the epoch:
//   pid US PID WORKER    the first response from a pid not seen before (app.js names both)
//   fail US REASON       a failed request: an error, a non-200 status, or no answer within 1 s
//   start US             when the loop begins
//   end US REQUESTS FAILED  on SIGTERM; the requests in flight then are not counted
'use strict';
const http = require('http');
const fs = require('fs');
const port = Number(process.argv[2]);
const fd = fs.openSync(process.argv[3], 'a');
const seen = new Set();
let requests = 0, failed = 0;
const us = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const log = line => fs.writeSync(fd, line + '\n');

function once() {
    let done = false, timer;
    const finish = (error, body) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        requests++;
        if (error) {
            failed++;
            log(`fail ${us()} ${error}`);
        } else {
            const m = /worker (\S+) \(pid (\d+)\)/.exec(body);
            if (m && !seen.has(m[2])) {
                seen.add(m[2]);
                log(`pid ${us()} ${m[2]} ${m[1]}`);
            }
        }
        setImmediate(once);
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', d => body += d);
        res.on('error', e => finish(e.code || e.message));
        res.on('end', () => finish(res.statusCode === 200 ? null : `status-${res.statusCode}`, body));
    });
    req.on('error', e => finish(e.code || e.message));
    timer = setTimeout(() => { finish('timeout'); req.destroy(); }, 1000);
}

process.on('SIGTERM', () => { log(`end ${us()} ${requests} ${failed}`); process.exit(0); });
log(`start ${us()}`);
once();
once();
