-- wrk-reload.lua: row 7's wrk script (box-reload.sh). A paced load: each connection waits
-- $BENCH_PAUSE_MS (default 2) before each request, so that wrk -t1 -c4 offers at most ~2,000 req/s,
-- a load the 2 instances serve with CPU to spare (the figures are then the handover's, not a
-- saturated machine's queueing). At the end (-d elapsed, or SIGINT) one line on stdout, times in µs:
--   bench REQUESTS DURATION CONNECT READ WRITE STATUS TIMEOUT P50 P99 MAX
-- CONNECT..TIMEOUT are wrk's error counts (STATUS: responses with a status > 399).
local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "2")

function delay()
    return pause
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("bench %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
