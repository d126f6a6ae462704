#!/bin/bash
# pandora-exporter under a real systemd and dbus (issue 18): pandora-exporter.socket starts the service
# at the first connection; it runs hardened as its own unprivileged user; curl's scrape has every
# instance's systemd view, the agents' indicators and a service's statsd counter, and passes
# `promtool check metrics` without a warning; OpenMetrics when asked for; a failed instance shows
# pandora_instance_up 0; an agent that does not answer (SIGSTOP) is skipped within the deadline and
# counted in pandora_exporter_scrape_errors_total; and a real Prometheus server scraping it every second
# answers PromQL over its HTTP API with one series per instance, labelled, and the app's counter.
# shellcheck disable=SC2016,SC2317,SC2034 # checks are eval'd by tap_ok and sandbox_wait
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=sandbox.sh
source "$(dirname "$0")/sandbox.sh"
# shellcheck source-path=SCRIPTDIR source=test-agent-lib.sh
source "$(dirname "$0")/test-agent-lib.sh"

url=http://127.0.0.1:9687
prometheus=http://127.0.0.1:9090

# scrape [CURL_ARGS...]: GET /metrics in the box.
scrape() {
    sandbox_run curl -sS --max-time 10 "$@" "$url/metrics"
}

# promql QUERY: the query's result through Prometheus' HTTP API, one "labels value" line per series,
# sorted: labels as k=v,k=v without __name__, job and the scrape target's instance.
promql() {
    sandbox_run curl -sS --max-time 5 --data-urlencode "query=$1" "$prometheus/api/v1/query" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "success", r
rows = []
for s in r["data"]["result"]:
    m = {k: v for k, v in s["metric"].items() if k not in ("__name__", "job", "instance")}
    rows.append(",".join("%s=%s" % kv for kv in sorted(m.items())) + " " + s["value"][1])
print("\n".join(sorted(rows)))'
}

# promql_count QUERY N: whether QUERY returns N series now (for sandbox_wait).
promql_count() {
    [[ $(promql "$1" | grep -c .) == "$2" ]]
}

tap_plan 19
tap_ok "the box boots" sandbox_boot
[[ -n ${SANDBOX_PID:-} ]] || tap_bail "no box, nothing else to check"

# What a package's postinst does: make the exporter's user (sysusers.d/pandora-exporter.conf).
sandbox_run systemd-sysusers
sandbox_write /srv/prom/send.py <<'EOF'
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"requests:1|c\nrequests:1|c\nlatency:250|ms", os.environ["PANDORA_METRICS_SOCKET"])
time.sleep(1000)
EOF
tap_ok "install prom.procfile" agent_install_procfile prom <<'EOF'
app = "prom";
processes = {
    web = { entry = "/bin/sleep 1000"; scale = 3; };
    bad = { entry = "/bin/sh -c 'echo boom >&2; exit 3'"; restart = "no"; };
};
services = {
    stats = { process = "web"; exec = "/usr/bin/python3 /srv/prom/send.py"; };
};
EOF
sandbox_run systemctl start prom.target || true
sandbox_wait 10 agent_prop_is prom-bad@1.service ActiveState failed || true

sandbox_run systemctl start pandora-exporter.socket
tap_is "$(agent_prop pandora-exporter.service ActiveState)" inactive "the service waits for its socket"
headers=$(sandbox_run curl -sS --max-time 10 -D - -o /dev/null "$url/metrics" | tr -d '\r')
tap_ok "a scrape starts it and gets text/plain 0.0.4" eval '
    [[ $headers == "HTTP/1.1 200 OK"* && $headers == *"Content-Type: text/plain; version=0.0.4; charset=utf-8"* ]] &&
    agent_prop_is pandora-exporter.service ActiveState active'

main=$(agent_prop pandora-exporter.service MainPID)
user=$(sandbox_run ps -o user= -p "$main")
exposure=$(sandbox_run systemd-analyze security pandora-exporter.service --no-pager |
    sed -n 's/.*Overall exposure level for pandora-exporter.service: \([0-9.]*\).*/\1/p')
tap_ok "it runs as pandora-exporter, exposure $exposure of 10" eval '
    [[ $user == pandora-exporter ]] && python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 1.5)" "$exposure"'

# The statsd lines arrive as the service starts; wait until every instance's are in.
sandbox_wait 10 eval '[[ $(scrape | grep -c "^pandora_app_requests_total{.*} 2$") == 3 ]]' || true
text=$(scrape)
got=$(for i in 1 2 3; do printf '%s ' "$(sample pandora_instance_up "app=\"prom\",process=\"web\",instance=\"$i\"")"; done
      sample pandora_instance_up 'app="prom",process="bad",instance="1"')
tap_is "$got" "1 1 1 0" "pandora_instance_up: 1 for each web instance, 0 for the failed one"
tap_is "$(sample pandora_instance_state 'app="prom",process="bad",instance="1",state="failed"')" 1 \
    "the failed instance's state is failed"
got=$(for i in 1 2 3; do
    printf '%s ' "$(sample pandora_app_requests_total "app=\"prom\",process=\"web\",instance=\"$i\",service=\"stats\"")"
done)
tap_is "$got" "2 2 2 " "each instance's statsd counter, as pandora_app_requests_total with the service's label"
tap_is "$(sample pandora_app_latency_seconds_sum 'app="prom",process="web",instance="1",service="stats"') $(
          sample pandora_app_latency_seconds_count 'app="prom",process="web",instance="1",service="stats"')" \
    "0.25 1" "a timing is a summary in seconds"
families=$(grep -c '^# TYPE pandora_' <<<"$text")
n_list=$(sandbox_run busctl call io.pandora.prom.web.i1 /io/pandora/Metrics io.pandora.Metrics1 List | cut -d' ' -f2)
tap_ok "HELP and TYPE for every indicator the agent lists ($families families, $n_list indicators)" eval '
    grep -qx "# HELP pandora_uptime_seconds Time since the agent started, in seconds" <<<"$text" &&
    grep -qx "# TYPE pandora_cpu_user_seconds_total counter" <<<"$text" &&
    grep -qx "# TYPE pandora_cgroup_tasks gauge" <<<"$text" && ((families >= n_list))'
lint=$(scrape | promtool check metrics 2>&1) && status=0 || status=$?
tap_ok "promtool check metrics: no warning (status $status)" eval '[[ $status == 0 && -z $lint ]]'
[[ -z $lint ]] || tap_diag "$lint"

om=$(scrape -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' -D - |
    tr -d '\r')
tap_ok "OpenMetrics when the Accept header prefers it" eval '
    grep -qx "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8" <<<"$om" &&
    grep -qx "# TYPE pandora_instance_restarts counter" <<<"$om" && [[ $(tail -n 1 <<<"$om") == "# EOF" ]]'
codes=$(sandbox_run curl -s -o /dev/null -w '%{http_code} ' "$url/nothing"
        sandbox_run curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")
tap_is "$codes" "404 405" "other paths are 404, other methods 405"

# An agent that does not answer: stopped with SIGSTOP, it holds its bus call until the deadline (1 s).
text=$(scrape)
before=$(sample pandora_exporter_scrape_errors_total '')
stopped=$(agent_prop prom-web@3.service MainPID)
sandbox_run kill -STOP "$stopped"
start=$EPOCHREALTIME
text=$(scrape)
elapsed_ms=$(( (${EPOCHREALTIME//[.,]/} - ${start//[.,]/}) / 1000 ))
sandbox_run kill -CONT "$stopped"
after=$(sample pandora_exporter_scrape_errors_total '')
tap_ok "a silent agent is skipped at the deadline (${elapsed_ms} ms) and counted ($before -> $after)" eval '
    ((elapsed_ms >= 900 && elapsed_ms < 3000 && after > before)) &&
    [[ $(sample pandora_uptime_seconds "app=\"prom\",process=\"web\",instance=\"3\"") == none &&
       $(sample pandora_instance_up "app=\"prom\",process=\"web\",instance=\"3\"") == 1 &&
       $(sample pandora_uptime_seconds "app=\"prom\",process=\"web\",instance=\"2\"") != none ]]'

sandbox_run systemctl restart dbus.service
tap_ok "after dbus restarts, the next scrape reads the agents again" \
    sandbox_wait 10 eval '[[ $(scrape | grep -c "^pandora_uptime_seconds{app=\"prom\"") == 3 ]]'

# A real Prometheus in the box, its storage in a temporary directory, scraping every second.
sandbox_write /tmp/prometheus/prometheus.yml <<'EOF'
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pandora
    static_configs:
      - targets: ['127.0.0.1:9687']
EOF
sandbox_run systemd-run -q -u test-prometheus -p WorkingDirectory=/tmp/prometheus \
    prometheus --config.file=/tmp/prometheus/prometheus.yml --storage.tsdb.path=/tmp/prometheus/data \
    --web.listen-address=127.0.0.1:9090
tap_ok "Prometheus is up and scrapes the exporter" \
    sandbox_wait 30 eval '[[ $(promql "up{job=\"pandora\"}") == " 1" ]]'
tap_ok "PromQL: one pandora_instance_up series per instance" \
    sandbox_wait 15 promql_count 'pandora_instance_up{app="prom"}' 4
tap_is "$(promql 'pandora_instance_up{app="prom"}')" "$(printf '%s\n' \
    'app=prom,exported_instance=1,process=bad 0' 'app=prom,exported_instance=1,process=web 1' \
    'app=prom,exported_instance=2,process=web 1' 'app=prom,exported_instance=3,process=web 1')" \
    "... labelled app, process and instance (exported_instance: Prometheus keeps its own instance label)"
tap_is "$(promql 'pandora_app_requests_total{app="prom"}')" "$(printf '%s\n' \
    'app=prom,exported_instance=1,process=web,service=stats 2' 'app=prom,exported_instance=2,process=web,service=stats 2' \
    'app=prom,exported_instance=3,process=web,service=stats 2')" \
    "PromQL: the app's statsd counter, per instance and service"
tap_done
