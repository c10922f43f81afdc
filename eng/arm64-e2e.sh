#!/usr/bin/env bash
# The bedside build end to end under user-mode emulation: a real Mosquitto, the hub reading it, and the linux-arm64
# self-contained edge (hardware mode on emulated chips, run by eng/arm64-smoke.sh under qemu-aarch64-static).
# Passes when the hub shows the arm64 bed online with a heart rate. Used by ./test.sh; exits non-zero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:-Release}"
WORK="$(mktemp -d /tmp/somnis-arm64-e2e.XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

MQ_PORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n' "$MQ_PORT" > "$WORK/mosquitto.conf"
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)

HUB_PORT=$(free_port)
dotnet "$ROOT/src/Somnis.Hub/bin/$CONFIG/net10.0/Somnis.Hub.dll" demo --beds 0 --broker "mqtt://127.0.0.1:$MQ_PORT" \
  --urls "http://127.0.0.1:$HUB_PORT" --data "$WORK/hub-data" --Broker:EmbeddedPort "$(free_port)" > "$WORK/hub.log" 2>&1 &
PIDS+=($!)

bash "$ROOT/eng/arm64-smoke.sh" --broker "mqtt://127.0.0.1:$MQ_PORT" --seconds 90 --bed arm64-smoke

for _ in $(seq 1 30); do
  if curl -sf -u technician:somnis-demo "http://127.0.0.1:$HUB_PORT/api/beds/arm64-smoke" > "$WORK/bed.json" 2>/dev/null \
     && python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); sys.exit(0 if b["mode"]=="hardware" and isinstance(b["heartRate"],(int,float)) else 1)' "$WORK/bed.json"; then
    echo "arm64-e2e: the hub shows the arm64 bed: $(cat "$WORK/bed.json" | head -c 300)"
    exit 0
  fi
  sleep 1
done
echo "arm64-e2e: the hub never showed the arm64 bed with a heart rate"; tail -20 "$WORK/hub.log"; exit 1
