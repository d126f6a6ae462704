-- wrk-reload.lua: row 7's wrk script (box-reload.sh).
-- A paced load: each connection waits $BENCH_PAUSE_MS (default 2) before each request, so that
-- wrk -t1 -c4 offers at most ~2,000 req/s, a load the 2 instances serve with CPU to spare (the
-- figures are then the handover's, not a saturated machine's queueing).
-- Lost requests are counted exactly: every request wrk generates (request()) and every response
-- (response()) are counted per thread. Once the file $BENCH_STOP_FILE exists, no connection sends
-- another request (delay() returns an hour), so that after a short wait nothing is in flight when
-- wrk is stopped with SIGINT, and SENT - ANSWERED is the requests that never got an answer. wrk's
-- own read errors are not that: it counts a keep-alive connection that the server closes while it
-- is idle (between two requests) as a read error too, although no request was on it.
-- At the end, one line on stdout (times in µs):
--   bench REQUESTS DURATION CONNECT READ WRITE STATUS TIMEOUT P50 P99 MAX SENT ANSWERED
-- CONNECT..TIMEOUT are wrk's error counts (STATUS: responses with a status > 399).
local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "2")
local stop_file = os.getenv("BENCH_STOP_FILE")
local threads = {}
sent, answered = 0, 0

function setup(thread)
    table.insert(threads, thread)
end

function delay()
    if stop_file then
        local f = io.open(stop_file)
        if f then
            f:close()
            return 3600000
        end
    end
    return pause
end

function request()
    sent = sent + 1
    return wrk.request()
end

function response(status, headers, body)
    answered = answered + 1
end

function done(summary, latency, requests)
    local e = summary.errors
    local s, a = 0, 0
    for _, t in ipairs(threads) do
        s = s + t:get("sent")
        a = a + t:get("answered")
    end
    io.write(string.format("bench %d %d %d %d %d %d %d %d %d %d %d %d\n", summary.requests,
        summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max, s, a))
end
