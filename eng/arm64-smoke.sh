#!/usr/bin/env bash
# arm64 smoke test of the bedside build (issue 3, "Bedside deployment"; docs/edge-sensing.md, "arm64 smoke").
#
# Publishes src/Somnis.Edge for linux-arm64 (self-contained), runs that arm64 binary under user-mode emulation
# (qemu-aarch64-static -L /) in hardware mode on emulated chips (the real Iot.Device.Bindings drivers on emulated
# ADS1115/MPU6050/MLX90614/BME280/HC-SR501/GPIO), and checks that it published vitals to an MQTT broker.
#
# Usage: eng/arm64-smoke.sh [--broker mqtt://HOST:PORT] [--seconds N] [--bed ID] [--facility ID] [--min-vitals N] [--out DIR]
#   --broker      broker to publish to; default: start a private mosquitto on a free loopback port
#   --seconds     how long the arm64 edge runs (default 90; start-up under qemu takes ~10-20 s)
#   --bed         bed id (default arm64-smoke); --facility (default nexus)
#   --min-vitals  vitals messages required (default 3; the interval is 5 s)
#   --out         publish folder (default artifacts/arm64-smoke/publish)
# Needs root (or the packages below installed) on Debian 12: it installs qemu-user-static, libc6:arm64,
# libstdc++6:arm64, zlib1g:arm64, mosquitto and mosquitto-clients when they are missing.
# Exit 0: the arm64 edge published; non-zero: it did not (the reason is printed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BROKER=""
SECONDS_TO_RUN=90
BED="arm64-smoke"
FACILITY="nexus"
MIN_VITALS=3
OUT="$ROOT/artifacts/arm64-smoke/publish"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --broker) BROKER="$2"; shift 2 ;;
    --seconds) SECONDS_TO_RUN="$2"; shift 2 ;;
    --bed) BED="$2"; shift 2 ;;
    --facility) FACILITY="$2"; shift 2 ;;
    --min-vitals) MIN_VITALS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "arm64-smoke: unknown argument $1" >&2; exit 2 ;;
  esac
done

WORK="$(mktemp -d /tmp/somnis-arm64-smoke.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
step() { echo "arm64-smoke: $*"; }
fail() { echo "arm64-smoke: FAILED: $*" >&2; exit 1; }
T0=$(date +%s)

# 1. Tools: user-mode emulation, the arm64 C runtime the .NET host needs, and the MQTT clients.
missing=()
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
[[ -e /usr/lib/aarch64-linux-gnu/libc.so.6 ]] || missing+=(libc6:arm64)
[[ -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ]] || missing+=(libstdc++6:arm64)
[[ -e /usr/lib/aarch64-linux-gnu/libz.so.1 ]] || missing+=(zlib1g:arm64)
command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)
if [[ -z "$BROKER" ]] && ! command -v mosquitto >/dev/null; then missing+=(mosquitto); fi
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || fail "missing ${missing[*]} and not root to install them"
  step "installing ${missing[*]}"
  dpkg --add-architecture arm64
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. The bedside build: self-contained linux-arm64 publish.
step "publishing src/Somnis.Edge for linux-arm64 (self-contained) to $OUT"
dotnet publish "$ROOT/src/Somnis.Edge" -c Release -r linux-arm64 --self-contained -o "$OUT" -nologo -v quiet >"$WORK/publish.log" 2>&1 \
  || { cat "$WORK/publish.log" >&2; fail "dotnet publish failed"; }
BIN="$OUT/Somnis.Edge"
[[ -x "$BIN" ]] || fail "no executable $BIN"
ARCH="$(od -An -t x1 -j 18 -N 2 "$BIN" | tr -d ' ')"
[[ "$ARCH" == "b700" ]] || fail "$BIN is not an aarch64 ELF (e_machine $ARCH)"
step "published $(du -sh "$OUT" | cut -f1) ($(basename "$BIN") is ELF aarch64)"

# 3. A broker: the given one, or a private mosquitto on a free loopback port.
if [[ -z "$BROKER" ]]; then
  PORT=""
  for p in $(seq 18830 18899); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
  done
  [[ -n "$PORT" ]] || fail "no free port for mosquitto"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n' "$PORT" >"$WORK/mosquitto.conf"
  mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  BROKER="mqtt://127.0.0.1:$PORT"
  step "started mosquitto on $BROKER"
fi
HOSTPORT="${BROKER#*://}"
HOST="${HOSTPORT%:*}"
PORT="${HOSTPORT##*:}"

# 4. Subscribe first, then run the arm64 edge under qemu in hardware mode on emulated chips.
TOPIC="somnis/$FACILITY/beds/$BED/vitals"
mosquitto_sub -h "$HOST" -p "$PORT" -i "arm64-smoke-$$" -t "$TOPIC" -C "$MIN_VITALS" -W "$((SECONDS_TO_RUN + 30))" >"$WORK/vitals.jsonl" 2>"$WORK/sub.err" &
SUB=$!
PIDS+=($SUB)
step "running the arm64 edge for ${SECONDS_TO_RUN}s: qemu-aarch64-static -L / $BIN --mode hardware --emulate-chips --bed $BED --broker $BROKER"
RUN0=$(date +%s)
cd "$OUT"
# W^X off: under user-mode emulation every JIT write/execute flip is a slow emulated mprotect.
DOTNET_EnableWriteXorExecute=0 timeout --signal=INT --kill-after=10 "$SECONDS_TO_RUN" \
  qemu-aarch64-static -L / ./Somnis.Edge --mode hardware --emulate-chips --bed "$BED" --facility "$FACILITY" \
  --broker "$BROKER" --interval 00:00:05 >"$WORK/edge.log" 2>&1 &
EDGE=$!
cd "$ROOT"
PIDS+=($EDGE)

# Done as soon as enough vitals arrived, or when the edge's time is up.
while kill -0 "$SUB" 2>/dev/null && kill -0 "$EDGE" 2>/dev/null; do sleep 1; done
sleep 1
kill -INT "$EDGE" 2>/dev/null || true
wait "$EDGE" 2>/dev/null || true
RUN1=$(date +%s)
COUNT=$(grep -c '"bed":"'"$BED"'"' "$WORK/vitals.jsonl" || true)
step "edge log (head):"
sed -n '1,12p' "$WORK/edge.log" | sed 's/^/  | /'
if [[ "$COUNT" -lt "$MIN_VITALS" ]]; then
  sed -n '1,60p' "$WORK/edge.log" >&2
  fail "received $COUNT of $MIN_VITALS vitals on $TOPIC within $((RUN1 - RUN0))s"
fi
grep -q '"bedPresence":' "$WORK/vitals.jsonl" || fail "vitals carry no bed presence: the sensor pipeline did not run"
step "received $COUNT vitals on $TOPIC; last: $(tail -n 1 "$WORK/vitals.jsonl")"
step "OK: arm64 edge ran $((RUN1 - RUN0))s under qemu, total $(( $(date +%s) - T0 ))s"
