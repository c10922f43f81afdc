#!/usr/bin/env bash
# Delivery measurements (docs/operations.md, "Delivery"): replay throughput after a simulated 1-hour outage of
# 24 beds, journal size per bed-hour, and the edge CPU cost of journaling. Needs a build of the solution
# (CONFIG=Debug or Release, default Release) and Debian's mosquitto. Prints one line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG=${CONFIG:-Release}
EDGE=src/Somnis.Edge/bin/$CONFIG/net10.0/Somnis.Edge.dll
HUB=src/Somnis.Hub/bin/$CONFIG/net10.0/Somnis.Hub.dll
[ -f "$EDGE" ] && [ -f "$HUB" ] || { echo "build first: dotnet build -c $CONFIG"; exit 1; }
work=$(mktemp -d /tmp/somnis-measure-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

broker_port=$(free_port)
# As root Mosquitto would switch to its own user and could not save into $work (persistence silently off).
start_broker() {
  cat > "$work/mosquitto.conf" <<CONF
listener $broker_port 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
persistence true
persistence_location $work/
autosave_interval 1
max_queued_messages 1000000
max_inflight_messages 0
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
CONF
  /usr/sbin/mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
  broker_pid=$!; pids+=("$broker_pid")
  for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && return; sleep 0.1; done
  echo "mosquitto did not start"; exit 1
}

beds_json() { curl -s -u technician:somnis-demo "http://127.0.0.1:$hub_port/api/beds"; }

# 1. Replay throughput: 24 beds at 360x (1 h of event time = 10 s of real time); the broker is down for that hour.
start_broker
hub_port=$(free_port)
dotnet "$HUB" demo --urls "http://127.0.0.1:$hub_port" --data "$work/hub" --broker "mqtt://127.0.0.1:$broker_port" --beds 0 > "$work/hub.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$hub_port/readyz" > /dev/null; do sleep 0.2; done
rate=${REPLAY_RATE:-200}
dotnet "$EDGE" --broker "mqtt://127.0.0.1:$broker_port" --facility measure --beds 24 --speed 360 --journal "$work/journal" \
  --replay-rate "$rate" --Edge:StatusInterval 00:00:01 --Edge:ReconnectMaxDelay 00:00:01 > "$work/edge.log" 2>&1 &
edge_pid=$!; pids+=("$edge_pid")
until [ "$(beds_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 24 ]; do sleep 0.2; done
beds_json > "$work/before.json"
kill -9 "$broker_pid"
sleep 10   # the outage itself: 10 s real = 1 h of event time at 360x
start_broker
t0=$(now)
# Done when every bed's birth status after the outage (its last assigned number then, so the whole backlog) is
# received with nothing missing. Throughput = numbers delivered since the outage began / time since the restart.
python3 - "$hub_port" "$work/before.json" "$t0" "$rate" <<'PY'
import json, sys, time, urllib.request, base64
port, before_path, t0, rate = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
before = {b["id"]: b["delivery"] for b in json.load(open(before_path))}
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/beds", headers={"Authorization": "Basic " + base64.b64encode(b"technician:somnis-demo").decode()})
target = {}
while True:
    beds = {b["id"]: b["delivery"] for b in json.load(urllib.request.urlopen(req))}
    for bed, d in beds.items():
        if bed not in target and d["edgeSequence"] > before[bed]["edgeSequence"] + 300:
            target[bed] = d["edgeSequence"]
    if len(target) == 24 and all(beds[b]["received"] >= target[b] and beds[b]["missing"] == 0 for b in target):
        break
    time.sleep(0.02)
t1 = time.time()
delivered = sum(target[b] - before[b]["received"] for b in target)
print(f"replay after a 1-hour outage of 24 beds (replay-rate {rate}/s per bed): {delivered} messages in {t1 - t0:.2f} s = {delivered / (t1 - t0):.0f} messages/s (broker restart to every bed's backlog received, nothing missing)")
PY
kill -TERM "$edge_pid"; wait "$edge_pid" || true

# 2. Journal size per bed-hour: one bed, no broker reachable, 3600x for 10 s = 10 h of event time journaled.
rm -rf "$work/j2"
dotnet "$EDGE" --broker "mqtt://127.0.0.1:1" --bed size-test --speed 3600 --journal "$work/j2" > "$work/edge2.log" 2>&1 &
p2=$!; pids+=("$p2")
sleep 10
kill -TERM "$p2"; wait "$p2" || true
bytes=$(du -sb "$work/j2" | cut -f1)
seq=$(cut -d' ' -f4 "$work/j2/nexus/size-test/state")
python3 -c "print(f'journal size: {$bytes} bytes for {$seq} messages = {$bytes/$seq:.0f} bytes/message = {$bytes/$seq*360/1024:.0f} KiB per bed-hour at 10 s intervals')"

# 3. Edge CPU cost of journaling: 24 beds at 360x for 30 s against the broker, with and without --journal.
for mode in journal memory; do
  args=(--broker "mqtt://127.0.0.1:$broker_port" --facility "cpu-$mode" --beds 24 --speed 360)
  [ "$mode" = journal ] && args+=(--journal "$work/j3")
  dotnet "$EDGE" "${args[@]}" > "$work/edge3-$mode.log" 2>&1 &
  p3=$!; pids+=("$p3")
  sleep 3
  c0=$(cpu_seconds "$p3")
  sleep 30
  c1=$(cpu_seconds "$p3")
  kill -TERM "$p3"; wait "$p3" || true
  python3 -c "print(f'edge CPU, 24 beds at 360x (86 messages/s), $mode: {$c1-$c0:.2f} CPU-s over 30 s = {($c1-$c0)/30*100:.1f}% of one core')"
done
