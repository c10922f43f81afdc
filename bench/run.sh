#!/usr/bin/env bash
# The performance benchmark (docs/performance.md): the broker's ceiling, the hub's sustained ingestion and its ratio to
# it, alarm latency at 10/50/90 % load, the soak night (full run), the edge footprint and the micro-benchmarks.
#   bench/run.sh           full run (about 11 minutes on 2 cores)
#   bench/run.sh --quick   the same method, smaller (under 3 minutes)
#   bench/run.sh --nats    adds ceiling and ingestion through the three-node NATS cluster of deploy/nats (Debian nats-server);
#                          bench/run.sh --only nats for that phase alone
#   bench/run.sh --failover  adds ten kill -9 of the active of two HA hubs on PostgreSQL (Debian postgresql 15): kill → the
#                          new active's /readyz 200 and → its first alarm; bench/run.sh --only failover for that phase alone
# Writes bench/results/<date>.json and a table next to it; the last line is "RESULT ...".
# Needs Debian's mosquitto and mosquitto-clients (./test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in /usr/sbin/mosquitto mosquitto_sub; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/run.sh: $tool is missing; run ./test.sh (it installs mosquitto and mosquitto-clients)"; exit 1; }
done
case " $* " in *" --failover "*|*" failover "*) [ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "bench/run.sh: PostgreSQL 15 is missing; run ./test.sh (it installs it)"; exit 1; } ;; esac
case " $* " in *" --nats "*|*" nats "*) [ -x /usr/sbin/nats-server ] || { echo "bench/run.sh: nats-server is missing; run ./test.sh (it installs it)"; exit 1; } ;; esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
start=$SECONDS
# Progress as it goes: each step says what it does and how long the run has taken so far (build errors still show).
step() { echo "bench/run.sh: [$((SECONDS - start)) s] $*"; }
step "building the benchmark, the micro-benchmarks and the hub (Release)"
dotnet build bench/Somnis.Bench/Somnis.Bench.csproj -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build bench/Somnis.Bench.Micro/Somnis.Bench.Micro.csproj -c Release -nologo -clp:ErrorsOnly >/dev/null
dotnet build src/Somnis.Hub/Somnis.Hub.csproj -c Release -nologo -clp:ErrorsOnly >/dev/null
# The edge is measured as deployed: self-contained and trimmed (hardware/README.md), for this machine's architecture.
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
step "publishing the edge as deployed (self-contained, trimmed, $rid)"
dotnet publish src/Somnis.Edge/Somnis.Edge.csproj -c Release -r "$rid" --self-contained -nologo -clp:ErrorsOnly >/dev/null
step "running the phases${1:+ ($*)}"
exec dotnet bench/Somnis.Bench/bin/Release/net10.0/Somnis.Bench.dll "$@"
